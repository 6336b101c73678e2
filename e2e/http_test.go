package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestHTTPTransport runs the binary with --transport http and drives it with
// go-sdk's Streamable HTTP client; SIGTERM then ends it cleanly.
func TestHTTPTransport(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	id, secret := cl.sim.DefaultToken()
	addr := freeAddr(t)
	token := strings.Repeat("t0k3n", 8)
	cmd := exec.Command(binary, "--transport", "http", "--listen", addr)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PROXMOX_HOST=" + cl.url, "PROXMOX_TOKEN_ID=" + id,
		"PROXMOX_TOKEN_SECRET=" + secret, "PVE_READONLY=false", "PVE_MCP_HTTP_TOKEN=" + token}
	stderr := &simtest.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	base := "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(body) == "ok" || strings.TrimSpace(string(body)) == "ok" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, err := http.Post(base+"/mcp", "application/json", strings.NewReader(`{}`)); err != nil || resp.StatusCode != 401 {
		t.Fatalf("no token: %v %v", err, resp)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	transport := &mcp.StreamableClientTransport{Endpoint: base + "/mcp",
		HTTPClient: &http.Client{Transport: bearer{token: token, base: http.DefaultTransport}}}
	s, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-http", Version: "1"}, nil).Connect(ctx, transport, nil)
	if err != nil {
		t.Fatalf("connect: %v\n%s", err, stderr.String())
	}
	tools, err := s.ListTools(ctx, nil)
	if err != nil || len(tools.Tools) != 60 {
		t.Fatalf("tools: %v %d", err, len(tools.Tools))
	}
	res, err := s.CallTool(ctx, mcpParams("pve_vm_start", m("node", "pve1", "vmid", 101)))
	if err != nil || res.IsError {
		t.Fatalf("start over HTTP: %v %+v", err, res)
	}
	s.Close()

	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if strings.Contains(stderr.String(), token) || strings.Contains(stderr.String(), secret) {
		t.Error("a secret reached the log")
	}
}
