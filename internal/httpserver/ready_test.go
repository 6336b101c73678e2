package httpserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// /readyz answers without a token, like /healthz, and reuses its outcome:
// many probes in a row cost one GET /version.
func TestReadyz(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	for range 5 {
		resp, body := e.raw("GET", ReadyPath, nil, "")
		if resp.StatusCode != http.StatusOK || body != "ok" || resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("readyz: %d %q %v", resp.StatusCode, body, resp.Header)
		}
	}
	if n := e.rec.versions.Load(); n != 1 {
		t.Errorf("5 probes within the cache window asked Proxmox %d times, want 1", n)
	}
	if resp, _ := e.raw("HEAD", ReadyPath, nil, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("HEAD readyz: %d", resp.StatusCode)
	}
	if resp, _ := e.raw("POST", ReadyPath, nil, "{}"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST readyz: %d", resp.StatusCode)
	}
	// The Origin check applies, as to /healthz; the Host check does not (a
	// kubelet probes the pod's IP).
	if resp, _ := e.raw("GET", ReadyPath, http.Header{"Origin": {"https://evil.example"}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("readyz from a foreign origin: %d", resp.StatusCode)
	}
	if resp, _ := e.raw("GET", ReadyPath, http.Header{"Host": {"10.1.2.3:8787"}}, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("readyz with a pod IP as Host: %d", resp.StatusCode)
	}
}

// Proxmox down: /readyz says 503 with a short reason and nothing of the
// error, /healthz stays 200 (no restart for an outage elsewhere), and the
// server is ready again once Proxmox answers.
func TestReadyzProxmoxDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{readyEvery: 50 * time.Millisecond})
	if resp, body := e.raw("GET", ReadyPath, nil, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	e.rec.down.Store(true)
	time.Sleep(60 * time.Millisecond)
	start := time.Now()
	resp, body := e.raw("GET", ReadyPath, nil, "")
	if resp.StatusCode != http.StatusServiceUnavailable || strings.TrimSpace(body) != "not ready: Proxmox does not answer" {
		t.Errorf("readyz with Proxmox down: %d %q", resp.StatusCode, body)
	}
	if took := time.Since(start); took > readyTimeout+time.Second {
		t.Errorf("readyz took %v with Proxmox down", took)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After: %v", resp.Header)
	}
	if resp, body := e.raw("GET", HealthPath, nil, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("healthz with Proxmox down: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(e.logs.String(), "not ready") {
		t.Errorf("the failure is not logged:\n%s", e.logs.String())
	}
	e.rec.down.Store(false)
	simtest.Eventually(t, "ready again", func() bool {
		resp, _ := e.raw("GET", ReadyPath, nil, "")
		return resp.StatusCode == http.StatusOK
	})
}

// Without a check (a caller that passes none) ready means not shutting down.
func TestReadyzWithoutCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{noReady: true})
	if resp, body := e.raw("GET", ReadyPath, nil, ""); resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("readyz: %d %q", resp.StatusCode, body)
	}
	if n := e.rec.versions.Load(); n != 0 {
		t.Errorf("asked Proxmox %d times without a check", n)
	}
}
