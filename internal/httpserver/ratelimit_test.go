package httpserver

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// TestRateLimitCountsEveryRequest: every JSON-RPC request counts, not only
// tool calls; notifications pass.
func TestRateLimitCountsEveryRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{RateLimit: 3}})
	clock := newFakeClock()
	clock.install(e.srv.limit)
	sid := e.openRaw(aliceToken) // initialize: 1; notifications/initialized does not count
	for i := range 2 {
		if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != 200 {
			t.Fatalf("tools/list %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "20" ||
		!strings.Contains(body, `"id":2`) || !strings.Contains(body, "requests per minute") || !strings.Contains(body, "PVE_MCP_RATE_LIMIT") {
		t.Fatalf("tools/list over the limit: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), `{"jsonrpc":"2.0","id":3,"method":"ping"}`); resp.StatusCode != 429 {
		t.Errorf("ping over the limit: %d", resp.StatusCode)
	}
	n := e.sessions()
	if resp, _ := e.raw("POST", Endpoint, bearer(aliceToken), initializeBody); resp.StatusCode != 429 || e.sessions() != n {
		t.Errorf("initialize over the limit: %d, %d sessions (was %d)", resp.StatusCode, e.sessions(), n)
	}
	// A tool call gets a tool error the model can read.
	resp, body = e.raw("POST", Endpoint, withSession(aliceToken, sid),
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"pve_list_nodes","arguments":{}}}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"isError":true`) || !strings.Contains(body, "retry in 20s") {
		t.Errorf("tools/call over the limit: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), `{"jsonrpc":"2.0","method":"notifications/initialized"}`); resp.StatusCode != 202 {
		t.Errorf("notification over the limit: %d", resp.StatusCode)
	}
	// Another token has its own budget; waiting refills alice's.
	if resp, _ := e.raw("POST", Endpoint, withSession(bobToken, e.openRaw(bobToken)), listToolsBody); resp.StatusCode != 200 {
		t.Errorf("bob: %d", resp.StatusCode)
	}
	clock.add(20 * time.Second)
	if resp, _ := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != 200 {
		t.Errorf("after waiting: %d", resp.StatusCode)
	}
}

// TestRateLimitAnonymous: without tokens every client is "anonymous" and
// shares one budget.
func TestRateLimitAnonymous(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{noTokens: true, http: config.HTTPConfig{RateLimit: 2}})
	newFakeClock().install(e.srv.limit)
	e.openRaw("")
	sid := e.openRaw("") // another client: the second request
	if resp, _ := e.raw("POST", Endpoint, withSession("", sid), listToolsBody); resp.StatusCode != 429 {
		t.Errorf("third request of anonymous clients: %d", resp.StatusCode)
	}
}
