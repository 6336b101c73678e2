package httpserver

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// toolNames lists the tools of a session.
func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatalf("list tools: %v", err)
		}
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

func TestEveryToolCallableOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	cs := e.mustConnect(aliceToken, nil)
	got := toolNames(t, cs)

	// The same server in process lists the same tools.
	want := toolNames(t, simtest.Connect(t, e.srv.mcp, simtest.SessionOptions{}))
	if !slices.Equal(got, want) || len(got) < 40 {
		t.Fatalf("over HTTP %d tools %v\nin process %d tools %v", len(got), got, len(want), want)
	}

	// Every tool answers over HTTP: with no arguments most refuse with a
	// message naming what is missing, the listing tools answer.
	for _, name := range got {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
		if err != nil {
			t.Errorf("%s: protocol error %v", name, err)
			continue
		}
		if resultText(res) == "" {
			t.Errorf("%s: empty result", name)
		}
	}

	// A read tool and a write tool, end to end against the simulator.
	res, text := call(t, cs, "pve_list_nodes", map[string]any{})
	if res.IsError || !strings.Contains(text, "pve1") || !strings.Contains(text, "pve3") {
		t.Fatalf("list nodes: %s", text)
	}
	res, text = call(t, cs, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 101})
	if res.IsError || !strings.Contains(text, "OK") {
		t.Fatalf("start: %s", text)
	}
	res, text = call(t, cs, "pve_vm_status", map[string]any{"node": "pve1", "vmid": 101})
	if res.IsError || !strings.Contains(text, "running") {
		t.Fatalf("status after start: %s", text)
	}
	e.rec.mu.Lock()
	n := e.rec.count
	e.rec.mu.Unlock()
	if n == 0 {
		t.Fatal("no request reached the simulator")
	}
}

// progressRecorder collects progress notifications and signals the first.
type progressRecorder struct {
	mu    sync.Mutex
	got   []float64
	first chan struct{}
	once  sync.Once
}

func newProgressRecorder() *progressRecorder { return &progressRecorder{first: make(chan struct{})} }

func (p *progressRecorder) options() *mcp.ClientOptions {
	return &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
		p.mu.Lock()
		p.got = append(p.got, req.Params.Progress)
		p.mu.Unlock()
		p.once.Do(func() { close(p.first) })
	}}
}

func (p *progressRecorder) values() []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// startSlowCall starts a VM whose start task, at simulator speed 1000, runs
// until the test advances the simulator's clock.
func startSlowCall(t *testing.T, cs *mcp.ClientSession) chan *mcp.CallToolResult {
	t.Helper()
	params := &mcp.CallToolParams{Name: "pve_vm_start", Arguments: map[string]any{"node": "pve1", "vmid": 101}}
	params.SetProgressToken("start-101")
	out := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), params)
		if err != nil {
			res = &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: "protocol error: " + err.Error()}}}
		}
		out <- res
	}()
	return out
}

func waitFirst(t *testing.T, p *progressRecorder) {
	t.Helper()
	select {
	case <-p.first:
	case <-time.After(30 * time.Second):
		t.Fatal("no progress notification while the task ran")
	}
}

func TestProgressDuringTaskWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{speed: 1000})
	p := newProgressRecorder()
	cs := e.mustConnect(aliceToken, p.options())
	out := startSlowCall(t, cs)
	waitFirst(t, p)
	select {
	case res := <-out:
		t.Fatalf("call finished while the task ran: %s", resultText(res))
	default:
	}
	e.sim.Advance(time.Hour)
	res := <-out
	if res.IsError || !strings.Contains(resultText(res), "OK") {
		t.Fatalf("start: %s", resultText(res))
	}
	got := p.values()
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("progress not increasing: %v", got)
		}
	}
}

// fakeClock is a settable clock for the rate limiter.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }
func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Unix(1_700_000_000, 0).UnixNano())
	return c
}
func (c *fakeClock) install(l *rateLimiter) { l.mu.Lock(); l.now = c.now; l.mu.Unlock() }
func rateLimited(res *mcp.CallToolResult) bool {
	return res.IsError && strings.Contains(resultText(res), "rate limit")
}

func TestRateLimitPerToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{RateLimit: 6}})
	clock := newFakeClock()
	clock.install(e.srv.limit)
	// The SDK client sends server/discover and initialize: 2 requests.
	alice := e.mustConnect(aliceToken, nil)
	bob := e.mustConnect(bobToken, nil)
	alice2 := e.mustConnect(aliceToken, nil) // same token, another session, same bucket: 4
	for _, cs := range []*mcp.ClientSession{alice, alice2} {
		if res, text := call(t, cs, "pve_list_nodes", map[string]any{}); res.IsError {
			t.Fatalf("call: %s", text)
		}
	}
	res, text := call(t, alice, "pve_list_nodes", map[string]any{})
	if !rateLimited(res) || !strings.Contains(text, "retry in 10s") || !strings.Contains(text, "PVE_MCP_RATE_LIMIT") {
		t.Fatalf("7th request: %v %s", res.IsError, text)
	}
	// Listing tools counts too; another token has its own bucket.
	if _, err := alice.ListTools(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "Too Many Requests") {
		t.Fatalf("tools/list over the limit: %v", err)
	}
	if res, text := call(t, bob, "pve_list_nodes", map[string]any{}); res.IsError {
		t.Fatalf("bob: %s", text)
	}
	clock.add(10 * time.Second)
	if res, text := call(t, alice, "pve_list_nodes", map[string]any{}); res.IsError {
		t.Fatalf("after waiting: %s", text)
	}
	if res, _ := call(t, alice, "pve_list_nodes", map[string]any{}); !rateLimited(res) {
		t.Fatal("bucket refilled too fast")
	}
}

func TestRateLimiterRefill(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := newRateLimiter(60, clock.now)
	for i := range 60 {
		if ok, _ := l.take("a"); !ok {
			t.Fatalf("burst call %d refused", i)
		}
	}
	ok, wait := l.take("a")
	if ok || wait != time.Second {
		t.Fatalf("over the burst: %v %v", ok, wait)
	}
	clock.add(10 * time.Second)
	for i := range 10 {
		if ok, _ := l.take("a"); !ok {
			t.Fatalf("refilled call %d refused", i)
		}
	}
	if ok, _ := l.take("a"); ok {
		t.Fatal("more than refilled")
	}
	clock.add(time.Hour) // never above the burst
	n := 0
	for ok, _ := l.take("a"); ok; ok, _ = l.take("a") {
		n++
	}
	if n != 60 {
		t.Fatalf("after an hour: %d calls", n)
	}
}

func TestMaxSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{MaxSessions: 2}})
	a := e.mustConnect(aliceToken, nil)
	e.mustConnect(bobToken, nil)
	if _, err := e.connect(aliceToken, nil); err == nil || !strings.Contains(err.Error(), "Service Unavailable") {
		t.Fatalf("third session: %v", err)
	}
	resp, body := e.raw("POST", Endpoint, bearer(aliceToken), initializeBody)
	if resp.StatusCode != 503 || !strings.Contains(body, "too many sessions") || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("raw third session: %d %s", resp.StatusCode, body)
	}
	// Existing sessions keep working; closing one makes room.
	if _, err := a.ListTools(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	a.Close()
	simtest.Eventually(t, "the closed session to go", func() bool { return e.sessions() == 1 })
	e.mustConnect(aliceToken, nil)
}

func TestStateless(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{http: config.HTTPConfig{Stateless: true, RateLimit: 4}}) // 2 connects (server/discover only), 2 calls
	clock := newFakeClock()
	clock.install(e.srv.limit)
	cs := e.mustConnect(aliceToken, nil)
	if cs.ID() != "" {
		t.Errorf("stateless session id %q", cs.ID())
	}
	if res, text := call(t, cs, "pve_list_nodes", map[string]any{}); res.IsError || !strings.Contains(text, "pve2") {
		t.Fatalf("list nodes: %s", text)
	}
	// A second client (as on another replica) works without any session.
	other := e.mustConnect(aliceToken, nil)
	if res, text := call(t, other, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 101}); res.IsError {
		t.Fatalf("start: %s", text)
	}
	// The rate limit still applies per token.
	if res, _ := call(t, cs, "pve_list_nodes", map[string]any{}); !rateLimited(res) {
		t.Fatal("no rate limit in stateless mode")
	}
	if resp, _ := e.raw("GET", Endpoint, bearer(aliceToken), ""); resp.StatusCode != 405 {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if resp, _ := e.raw("POST", Endpoint, nil, listToolsBody); resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
}

// TestSlowBatchDoesNotBlockNewSessions: a session-opening POST that carries a
// long tool call in a batch must not hold up other clients' initialize. The
// batch is refused before anything in it runs, so the clone never starts.
func TestSlowBatchDoesNotBlockNewSessions(t *testing.T) {
	t.Parallel()
	// A clone that ran would last until the simulator's clock is advanced.
	e := newEnv(t, envOpts{speed: 1000})
	oldInit := strings.Replace(initializeBody, "2025-06-18", "2025-03-26", 1) // batches exist before 2025-06-18
	batch := "[" + oldInit + `,{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"pve_vm_clone",` +
		`"arguments":{"node":"pve1","vmid":101,"newid":700,"full":true}}}]`
	done := make(chan struct{})
	go func() {
		defer close(done)
		hdr := bearer(aliceToken)
		hdr.Set("Mcp-Protocol-Version", "2025-03-26")
		resp, body := e.raw("POST", Endpoint, hdr, batch)
		if resp.StatusCode != 400 || !strings.Contains(body, "batch") {
			t.Errorf("batch: %d %.300s", resp.StatusCode, body)
		}
	}()
	e.mustConnect(bobToken, nil)
	<-done
	for _, r := range e.sim.Requests() {
		if r.Method == "POST" && strings.HasSuffix(r.Path, "/clone") {
			t.Errorf("the batch's clone reached Proxmox: %s", r.Path)
		}
	}
}
