package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

const cloneCall = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"pve_vm_clone",` +
	`"arguments":{"node":"pve1","vmid":101,"newid":9101,"full":true},"_meta":{"progressToken":"c"}}}`

// answerOf waits for the event that answers JSON-RPC id 7.
func answerOf(t *testing.T, events chan sseEvent) string {
	t.Helper()
	for {
		ev := nextEvent(t, events)
		var m struct {
			ID *int `json:"id"`
		}
		if json.Unmarshal([]byte(ev.data), &m) == nil && m.ID != nil && *m.ID == 7 {
			return ev.data
		}
	}
}

// TestHTTPResumeAfterDrop: a client drops the POST of a long clone, comes
// back on a GET with Last-Event-ID, and receives the clone's result there.
func TestHTTPResumeAfterDrop(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1000) // the clone runs until the clock is advanced
	hs := startHTTP(t, cl, nil)
	rs := hs.openRaw(t, "2025-11-25")
	ctx, drop := context.WithCancel(context.Background())
	resp := rs.post(t, ctx, cloneCall, nil)
	events := readEvents(resp.Body)
	last := nextEvent(t, events).id // the priming event
	if ev := nextEvent(t, events); ev.id != "" {
		last = ev.id // progress: the clone runs
	}
	if last == "" {
		t.Fatal("no event id to resume from")
	}
	drop()
	resp.Body.Close()
	time.Sleep(500 * time.Millisecond)

	req, _ := http.NewRequest("GET", hs.url, nil)
	rs.headers(req, map[string]string{"Last-Event-ID": last})
	get, err := http.DefaultClient.Do(req)
	if err != nil || get.StatusCode != 200 {
		t.Fatalf("resume: %v %v\n%s", err, get, hs.log())
	}
	defer get.Body.Close()
	cl.sim.Advance(72 * time.Hour)
	answer := answerOf(t, readEvents(get.Body))
	if !strings.Contains(answer, "OK") || strings.Contains(answer, `"isError":true`) {
		t.Fatalf("resumed answer: %s", answer)
	}
}

// TestHTTPDisconnectCancelsCall: a client that drops the POST of a call it
// cannot resume frees its session's slot: the call was cancelled, not left
// running in the server.
func TestHTTPDisconnectCancelsCall(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1000)
	hs := startHTTP(t, cl, map[string]string{"PVE_MCP_MAX_INFLIGHT_PER_SESSION": "1"})
	rs := hs.openRaw(t, "2025-06-18")
	ctx, drop := context.WithCancel(context.Background())
	// No event comes before the answer at 2025-06-18, so not even headers:
	// the POST waits in the background.
	req, _ := http.NewRequestWithContext(ctx, "POST", hs.url, strings.NewReader(strings.Replace(cloneCall, `,"_meta":{"progressToken":"c"}`, "", 1)))
	rs.headers(req, map[string]string{"Content-Type": "application/json"})
	posted := make(chan struct{})
	go func() {
		defer close(posted)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(strings.Join(cl.writes(), " "), "/clone") {
		if time.Now().After(deadline) {
			t.Fatal("the clone did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	drop()
	<-posted
	// the slot frees once the server has seen the client go and the call
	// has unwound; generous, as CI runs every package at once under -race
	deadline = time.Now().Add(30 * time.Second)
	for {
		resp := rs.post(t, context.Background(), `{"jsonrpc":"2.0","id":8,"method":"tools/list"}`, nil)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dropped call still holds the session: %d", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestHTTPShutdownAnswersLongCall: SIGTERM during a call longer than the
// 10 s grace: new calls get 503, the call then answers with its task's UPID
// (not a transport error), and the server exits 0.
func TestHTTPShutdownAnswersLongCall(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1000)
	hs := startHTTP(t, cl, nil)
	rs := hs.openRaw(t, "2025-11-25")
	resp := rs.post(t, context.Background(), cloneCall, nil)
	defer resp.Body.Close()
	events := readEvents(resp.Body)
	nextEvent(t, events) // the priming event
	nextEvent(t, events) // progress: the clone runs

	start := time.Now()
	exited := make(chan error, 1)
	go func() { exited <- hs.terminate(t, 30*time.Second) }()
	simtest.Eventually(t, "the shutdown to begin", func() bool { return strings.Contains(hs.log(), "shutting down: new calls are refused") })
	other := rs.post(t, context.Background(), `{"jsonrpc":"2.0","id":9,"method":"tools/list"}`, nil)
	body, _ := io.ReadAll(other.Body)
	other.Body.Close()
	if other.StatusCode != http.StatusServiceUnavailable || other.Header.Get("Retry-After") == "" {
		t.Errorf("a new call during shutdown: %d %s", other.StatusCode, body)
	}
	answer := answerOf(t, events)
	if !strings.Contains(answer, `"isError":true`) || !strings.Contains(answer, "UPID:pve1:") {
		t.Errorf("answer of the cut call: %s", answer)
	}
	if took := time.Since(start); took < 9*time.Second || took > 20*time.Second {
		t.Errorf("answered after %v", took)
	}
	if err := <-exited; err != nil {
		t.Errorf("exit: %v\n%s", err, hs.log())
	}
}

// TestHTTPStatelessPingAndSetLevel: the go-sdk client speaks 2026-07-28
// to a stateless server and still sends ping and logging/setLevel.
func TestHTTPStatelessPingAndSetLevel(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	hs := startHTTP(t, cl, nil, "--stateless")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tr := &mcp.StreamableClientTransport{Endpoint: hs.url, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: bearer{token: hs.token, base: http.DefaultTransport}}}
	s, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-stateless", Version: "1"}, nil).Connect(ctx, tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx, nil); err != nil {
		t.Errorf("ping: %v", err)
	}
	//lint:ignore SA1019 older clients send it
	if err := s.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "warning"}); err != nil {
		t.Errorf("setLevel: %v", err)
	}
}

// TestHTTPSameOriginLoopback: a browser page of the server's own loopback
// origin may call it by default; other origins get 403.
func TestHTTPSameOriginLoopback(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	hs := startHTTP(t, cl, nil)
	port := hs.base[strings.LastIndex(hs.base, ":")+1:]
	for origin, want := range map[string]int{
		"http://localhost:" + port: 200, "http://127.0.0.1:" + port: 200, "http://[::1]:" + port: 200,
		"http://localhost:9": 403, "http://evil.example": 403, "https://localhost:" + port: 403,
	} {
		rs := &wireSession{hs: hs, version: "2025-11-25"}
		resp := rs.post(t, context.Background(), `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",`+
			`"capabilities":{},"clientInfo":{"name":"page","version":"0"}}}`, map[string]string{"Origin": origin})
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Origin %s: %d, want %d", origin, resp.StatusCode, want)
		}
	}
}
