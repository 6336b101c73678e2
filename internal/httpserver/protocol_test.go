package httpserver

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

const discoverBody = `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{` +
	`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"raw","version":"0"},` +
	`"io.modelcontextprotocol/clientCapabilities":{}}}}`

func modernHeader(token, method string) http.Header {
	h := withVersion(bearer(token), sessionlessVersion)
	h.Set("Mcp-Method", method)
	return h
}

// TestDiscoverRefusedWithSessions: with sessions, server/discover is
// answered with UnsupportedProtocolVersion and the session versions (as the
// SDK answers every other 2026-07-28 request there), not a success that
// clients such as mcp-go read as agreeing to 2026-07-28. It costs no session.
func TestDiscoverRefusedWithSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	resp, body := e.raw("POST", Endpoint, modernHeader(aliceToken, "server/discover"), discoverBody)
	var got struct {
		ID    int `json:"id"`
		Error struct {
			Code int                                `json:"code"`
			Data mcp.UnsupportedProtocolVersionData `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusBadRequest || got.ID != 1 ||
		got.Error.Code != mcp.CodeUnsupportedProtocolVersion || got.Error.Data.Requested != sessionlessVersion ||
		!slices.Contains(got.Error.Data.Supported, latestSessionVersion) || slices.Contains(got.Error.Data.Supported, sessionlessVersion) {
		t.Fatalf("discover: %d %s (%v)", resp.StatusCode, body, err)
	}
	if n := e.sessions(); n != 0 {
		t.Errorf("%d sessions after discover", n)
	}
	// The go-sdk client then settles on sessions at 2025-11-25.
	cs := e.mustConnect(aliceToken, nil)
	if v := cs.InitializeResult().ProtocolVersion; v != latestSessionVersion {
		t.Errorf("go-sdk client negotiated %s", v)
	}
	// Stateless, discover is the SDK's own and offers 2026-07-28.
	s := newEnv(t, envOpts{http: config.HTTPConfig{Stateless: true}})
	resp, body = s.raw("POST", Endpoint, modernHeader(aliceToken, "server/discover"), discoverBody)
	if resp.StatusCode != 200 || !strings.Contains(body, sessionlessVersion) {
		t.Errorf("stateless discover: %d %s", resp.StatusCode, body)
	}
}

// TestStatelessPingAndSetLevel: the go-sdk client speaks 2026-07-28 to a
// stateless server and still sends ping and logging/setLevel, without the
// _meta that version requires; they are answered.
func TestStatelessPingAndSetLevel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{Stateless: true}})
	cs := e.mustConnect(aliceToken, nil)
	if v := cs.InitializeResult().ProtocolVersion; v != sessionlessVersion {
		t.Fatalf("negotiated %s", v)
	}
	ctx := context.Background()
	if err := cs.Ping(ctx, nil); err != nil {
		t.Errorf("ping: %v", err)
	}
	//lint:ignore SA1019 older clients send it
	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "debug"}); err != nil {
		t.Errorf("setLevel: %v", err)
	}
	//lint:ignore SA1019 older clients send it
	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "loud"}); err == nil {
		t.Error("an undefined level accepted")
	}
	if res, text := call(t, cs, "pve_version", map[string]any{}); res.IsError {
		t.Errorf("a tool after them: %s", text)
	}
	// A 2026-07-28 request that declares its version keeps the SDK's answer:
	// ping does not exist in that version.
	hdr := modernHeader(aliceToken, "ping")
	resp, body := e.raw("POST", Endpoint, hdr, `{"jsonrpc":"2.0","id":5,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`)
	if resp.StatusCode == 200 {
		t.Errorf("a declared 2026-07-28 ping: %d %s", resp.StatusCode, body)
	}
}

// TestSameOriginLoopback: on the default loopback listener, a page of the
// server's own origin (localhost, 127.0.0.1 or [::1] with its port) may call
// it; any other origin, port or scheme still gets 403.
func TestSameOriginLoopback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	_, port, _ := strings.Cut(e.addr, ":")
	for _, o := range []string{"http://localhost:" + port, "http://127.0.0.1:" + port, "http://[::1]:" + port, "HTTP://LOCALHOST:" + port} {
		hdr := bearer(aliceToken)
		hdr.Set("Origin", o)
		resp, body := e.raw("POST", Endpoint, hdr, initializeBody)
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != o {
			t.Errorf("same origin %s: %d %s", o, resp.StatusCode, body)
		}
	}
	for _, o := range []string{"http://localhost:1", "https://localhost:" + port, "http://127.0.0.2:" + port, "http://evil.example",
		"http://localhost.evil.example:" + port, "null"} {
		hdr := bearer(aliceToken)
		hdr.Set("Origin", o)
		if resp, body := e.raw("POST", Endpoint, hdr, initializeBody); resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %s: %d %s", o, resp.StatusCode, body)
		}
	}
	// With TLS the server's own origins are https.
	certFile, keyFile, pool := selfSigned(t)
	s := newEnv(t, envOpts{http: config.HTTPConfig{TLSCert: certFile, TLSKey: keyFile}, rootTLS: &tls.Config{RootCAs: pool}})
	_, port, _ = strings.Cut(s.addr, ":")
	for o, want := range map[string]int{"https://127.0.0.1:" + port: 200, "http://127.0.0.1:" + port: 403} {
		hdr := bearer(aliceToken)
		hdr.Set("Origin", o)
		if resp, _ := s.raw("POST", Endpoint, hdr, initializeBody); resp.StatusCode != want {
			t.Errorf("TLS, origin %s: %d, want %d", o, resp.StatusCode, want)
		}
	}
}

// TestNoSameOriginOffLoopback: on a network address the server's own
// origins are not implied; only PVE_MCP_ALLOWED_ORIGINS are.
func TestNoSameOriginOffLoopback(t *testing.T) {
	t.Parallel()
	hc, err := newHostCheck([]string{"mcp.example.lan"}, fakeAddr("10.0.0.5:8787"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sameOrigins(hc, false); len(got) != 0 {
		t.Errorf("off loopback: %v", got)
	}
	hc, _ = newHostCheck(nil, fakeAddr("127.0.0.1:8787"))
	if got := sameOrigins(hc, false); !slices.Equal(got, []string{"http://localhost:8787", "http://127.0.0.1:8787", "http://[::1]:8787"}) {
		t.Errorf("loopback: %v", got)
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }
