package httpserver

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func TestHealthzWithoutAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	resp, body := e.raw("GET", HealthPath, nil, "")
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
	if resp, _ := e.raw("POST", HealthPath, nil, "{}"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST healthz: %d", resp.StatusCode)
	}
	if resp, _ := e.raw("GET", "/other", bearer(aliceToken), ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("other path: %d", resp.StatusCode)
	}
}

func TestNoTokenIs401(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	for _, method := range []string{"POST", "GET", "DELETE"} {
		resp, _ := e.raw(method, Endpoint, nil, initializeBody)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: %d %q", method, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	resp, _ := e.raw("POST", Endpoint, http.Header{"Authorization": {"Basic " + aliceToken}}, initializeBody)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("basic scheme: %d", resp.StatusCode)
	}
	if _, err := e.connect("", nil); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Errorf("client without token: %v", err)
	}
}

func TestWrongTokenIs401(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	for _, tok := range []string{"wrong", aliceToken + "x", aliceToken[:len(aliceToken)-1], strings.ToUpper(aliceToken)} {
		resp, _ := e.raw("POST", Endpoint, bearer(tok), initializeBody)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if _, err := e.connect("wrong-token", nil); err == nil {
		t.Error("client with a wrong token connected")
	}
	// A wrong token must not reach a session either.
	sid := e.openRaw(aliceToken)
	if resp, _ := e.raw("POST", Endpoint, withSession("wrong", sid), listToolsBody); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token with a session: %d", resp.StatusCode)
	}
}

func TestForeignOriginIs403(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{AllowedOrigins: []string{"https://console.example"}}})
	sid := e.openRaw(aliceToken)
	for _, method := range []string{"POST", "GET", "DELETE", "OPTIONS", "PUT"} {
		for _, origin := range []string{"https://evil.example", "null", "https://console.example.evil.example", "http://console.example"} {
			hdr := withSession(aliceToken, sid)
			hdr.Set("Origin", origin)
			resp, _ := e.raw(method, Endpoint, hdr, listToolsBody)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s from %s: %d", method, origin, resp.StatusCode)
			}
		}
	}
	hdr := http.Header{"Origin": {"https://evil.example"}}
	if resp, _ := e.raw("GET", HealthPath, hdr, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("healthz from a foreign origin: %d", resp.StatusCode)
	}
	// The allowed origin works and gets CORS headers; a preflight needs no token.
	hdr = withSession(aliceToken, sid)
	hdr.Set("Origin", "https://Console.example")
	resp, body := e.raw("POST", Endpoint, hdr, listToolsBody)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://Console.example" || !strings.Contains(body, "pve_list_nodes") {
		t.Errorf("allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = e.raw("OPTIONS", Endpoint, http.Header{"Origin": {"https://console.example"}, "Access-Control-Request-Method": {"POST"}}, "")
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	// Through the SDK client, a foreign Origin cannot even open a session.
	if _, err := e.connectWith(http.Header{"Authorization": {"Bearer " + aliceToken}, "Origin": {"https://evil.example"}}, nil); err == nil {
		t.Error("client from a foreign origin connected")
	}
}

func TestRebindingHostIs403(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	_, port, _ := net.SplitHostPort(e.addr)
	for _, host := range []string{"evil.example:" + port, "evil.example", "localhost.evil.example:" + port, "127.0.0.1:1", "localhost",
		"attacker.example:" + port + "@localhost"} {
		resp, _ := e.raw("POST", Endpoint, http.Header{"Host": {host}, "Authorization": {"Bearer " + aliceToken}}, initializeBody)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("Host %s: %d", host, resp.StatusCode)
		}
	}
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port} {
		resp, body := e.raw("POST", Endpoint, http.Header{"Host": {host}, "Authorization": {"Bearer " + aliceToken}}, initializeBody)
		if resp.StatusCode != 200 {
			t.Errorf("Host %s: %d %s", host, resp.StatusCode, body)
		}
	}
}

func TestHostAllowlist(t *testing.T) {
	t.Parallel()
	addr := &net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 8787}
	hc, err := newHostCheck(nil, addr)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{"10.0.0.5:8787": true, "10.0.0.5": true, "10.0.0.6:8787": false, "evil.example:8787": false} {
		if hc.allowed(host) != want {
			t.Errorf("default %s: want %v", host, want)
		}
	}
	hc, err = newHostCheck([]string{"mcp.example.lan", "10.0.0.5:8787", "[fd00::1]"}, addr)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{"MCP.example.lan:443": true, "mcp.example.lan": true, "10.0.0.5:8787": true,
		"10.0.0.5:9000": false, "[fd00::1]:8787": true, "mcp.example.lan.evil:8787": false, "mcp.example.lan:x": false} {
		if hc.allowed(host) != want {
			t.Errorf("configured %s: want %v", host, want)
		}
	}
	hc, _ = newHostCheck([]string{"*"}, addr)
	if !hc.allowed("anything:1") {
		t.Error("* refused a host")
	}
	if _, err := newHostCheck(nil, &net.TCPAddr{IP: net.IPv4zero, Port: 8787}); err == nil {
		t.Error("all interfaces without a Host allowlist accepted")
	}
}

func TestExplicitHostsOnLoopback(t *testing.T) {
	t.Parallel()
	// Behind a reverse proxy on the same host, the proxy's public name arrives as Host.
	e := newEnv(t, envOpts{http: config.HTTPConfig{AllowedHosts: []string{"mcp.example.lan"}}})
	resp, _ := e.raw("POST", Endpoint, http.Header{"Host": {"mcp.example.lan"}, "Authorization": {"Bearer " + aliceToken}}, initializeBody)
	if resp.StatusCode != 200 {
		t.Errorf("configured host: %d", resp.StatusCode)
	}
	resp, _ = e.raw("POST", Endpoint, http.Header{"Host": {"evil.example"}, "Authorization": {"Bearer " + aliceToken}}, initializeBody)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("other host: %d", resp.StatusCode)
	}
}

func TestOversizedBodyIs413(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{MaxBodyBytes: 64 << 10}})
	sid := e.openRaw(aliceToken)
	big := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{"x":"` + strings.Repeat("a", 100<<10) + `"}}}`
	for _, hdr := range []http.Header{bearer(aliceToken), withSession(aliceToken, sid)} {
		resp, _ := e.raw("POST", Endpoint, hdr, big)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("with Content-Length: %d", resp.StatusCode)
		}
	}
	// Without Content-Length (chunked) the limit holds while reading.
	req, _ := http.NewRequest("POST", e.url, strings.NewReader(big))
	req.ContentLength = -1
	req.Header = withSession(aliceToken, sid)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked: %d", resp.StatusCode)
	}
	// The session still works.
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != 200 {
		t.Errorf("after 413: %d", resp.StatusCode)
	}
}

func TestExpiredSessionIs404(t *testing.T) {
	// The timeout leaves room for a loaded machine between the requests that
	// keep the second session alive (100 ms apart).
	e := newEnv(t, envOpts{http: config.HTTPConfig{SessionTimeout: time.Second}})
	sid := e.openRaw(aliceToken)
	cs := e.mustConnect(aliceToken, nil)
	// Watch the server's sessions: a request would keep the session alive.
	simtest.Eventually(t, "the idle sessions to expire", func() bool { return e.sessions() == 0 })
	if resp, body := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != http.StatusNotFound {
		t.Errorf("expired session: %d %s", resp.StatusCode, body)
	}
	_, err := cs.ListTools(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "session") {
		t.Errorf("client after expiry: %v", err)
	}
	// A session in use does not expire while requests keep coming.
	cs2 := e.mustConnect(aliceToken, nil)
	for range 5 {
		if _, err := cs2.ListTools(context.Background(), nil); err != nil {
			t.Fatalf("active session: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSessionBoundToToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	sid := e.openRaw(aliceToken)
	for _, method := range []string{"POST", "GET", "DELETE"} {
		resp, body := e.raw(method, Endpoint, withSession(bobToken, sid), listToolsBody)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s with bob's token on alice's session: %d %s", method, resp.StatusCode, body)
		}
	}
	resp, body := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody)
	if resp.StatusCode != 200 || !strings.Contains(body, "pve_list_nodes") {
		t.Fatalf("alice after bob's attempts: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.raw("DELETE", Endpoint, withSession(aliceToken, sid), ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("alice DELETE: %d", resp.StatusCode)
	}
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != http.StatusNotFound {
		t.Errorf("after DELETE: %d", resp.StatusCode)
	}
}

func TestNoTokensOnLoopback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{noTokens: true})
	cs := e.mustConnect("", nil)
	if _, text := call(t, cs, "pve_list_nodes", map[string]any{}); !strings.Contains(text, "pve1") {
		t.Errorf("list nodes: %s", text)
	}
}

// fakeListener reports a network address without binding one.
type fakeListener struct {
	net.Listener
	addr net.Addr
}

func (f fakeListener) Addr() net.Addr { return f.addr }

func TestRefusesNetworkAddressWithoutToken(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(mcp.NewServer(&mcp.Implementation{Name: "x", Version: "0"}, nil), &config.HTTPConfig{Transport: "http"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = h.Serve(context.Background(), fakeListener{Listener: ln, addr: &net.TCPAddr{IP: net.ParseIP("192.0.2.10"), Port: 8787}})
	if err == nil || !strings.Contains(err.Error(), "without a token") {
		t.Fatalf("got %v", err)
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("listener left open")
	}
}
