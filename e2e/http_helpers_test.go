package e2e

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// httpServer is the binary serving MCP over Streamable HTTP against a
// simulator cluster.
type httpServer struct {
	cl     *cluster
	base   string // http://127.0.0.1:PORT
	url    string // base + /mcp
	token  string // the MCP bearer token
	stderr *simtest.Buffer
	cmd    *exec.Cmd
	exited chan error
}

// startHTTP runs the binary with --transport http and extra flags and
// environment, and waits for /healthz. A token is set unless env holds
// PVE_MCP_HTTP_TOKEN="" (then none is).
func startHTTP(t *testing.T, cl *cluster, env map[string]string, flags ...string) *httpServer {
	t.Helper()
	id, secret := cl.sim.DefaultToken()
	addr := freeAddr(t)
	hs := &httpServer{cl: cl, base: "http://" + addr, token: strings.Repeat("e2e-t0k3n", 4), stderr: &simtest.Buffer{},
		exited: make(chan error, 1)}
	hs.url = hs.base + "/mcp"
	vars := map[string]string{"PATH": os.Getenv("PATH"), "PROXMOX_HOST": cl.url, "PROXMOX_TOKEN_ID": id,
		"PROXMOX_TOKEN_SECRET": secret, "PVE_READONLY": "false", "PVE_MCP_HTTP_TOKEN": hs.token}
	for k, v := range env {
		vars[k] = v
	}
	if vars["PVE_MCP_HTTP_TOKEN"] == "" {
		delete(vars, "PVE_MCP_HTTP_TOKEN")
		hs.token = ""
	}
	hs.cmd = exec.Command(binary, append([]string{"--transport", "http", "--listen", addr}, flags...)...)
	for k, v := range vars {
		hs.cmd.Env = append(hs.cmd.Env, k+"="+v)
	}
	hs.cmd.Stderr = hs.stderr
	if err := hs.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { hs.exited <- hs.cmd.Wait() }()
	t.Cleanup(func() {
		_ = hs.cmd.Process.Kill()
		if strings.Contains(hs.log(), secret) || (hs.token != "" && strings.Contains(hs.log(), hs.token)) {
			t.Error("a secret reached the log")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(hs.base + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.TrimSpace(string(body)) == "ok" {
				return hs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, hs.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (hs *httpServer) log() string {
	return hs.stderr.String()
}

// auth is the Authorization header value of the server's token.
func (hs *httpServer) auth() map[string]string {
	if hs.token == "" {
		return map[string]string{}
	}
	return map[string]string{"Authorization": "Bearer " + hs.token}
}

// terminate sends SIGTERM and returns the exit error, failing after limit.
func (hs *httpServer) terminate(t *testing.T, limit time.Duration) error {
	t.Helper()
	_ = hs.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-hs.exited:
		return err
	case <-time.After(limit):
		t.Fatalf("no exit %v after SIGTERM\n%s", limit, hs.log())
		return nil
	}
}

// wireSession is a hand-driven MCP session over HTTP at one protocol version.
type wireSession struct {
	hs      *httpServer
	version string
	id      string
}

// post sends one JSON-RPC message and returns the response, body unread.
func (rs *wireSession) post(t *testing.T, ctx context.Context, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", rs.hs.url, strings.NewReader(body))
	rs.headers(req, hdr)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	return resp
}

func (rs *wireSession) headers(req *http.Request, hdr map[string]string) {
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", rs.version)
	if rs.id != "" {
		req.Header.Set("Mcp-Session-Id", rs.id)
	}
	for k, v := range rs.hs.auth() {
		req.Header.Set(k, v)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
}

// openRaw initializes a session by hand at version.
func (hs *httpServer) openRaw(t *testing.T, version string) *wireSession {
	t.Helper()
	rs := &wireSession{hs: hs, version: version}
	resp := rs.post(t, context.Background(), `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"`+version+
		`","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`, nil)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rs.id = resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || rs.id == "" || !strings.Contains(string(body), version) {
		t.Fatalf("initialize: %d %s", resp.StatusCode, body)
	}
	resp = rs.post(t, context.Background(), `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)
	resp.Body.Close()
	return rs
}

// sseEvent is one server-sent event.
type sseEvent struct{ id, data string }

// readEvents reads a response's events into a channel, closed at its end.
func readEvents(body io.ReadCloser) chan sseEvent {
	out := make(chan sseEvent, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id:"):
				ev.id = strings.TrimSpace(line[3:])
			case strings.HasPrefix(line, "data:"):
				ev.data += strings.TrimSpace(line[5:])
			}
		}
	}()
	return out
}

func nextEvent(t *testing.T, events chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no event")
		return sseEvent{}
	}
}
