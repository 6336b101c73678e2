package httpserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Tokens the tests use; long enough for config.
const (
	aliceToken = "alice-0123456789abcdef0123456789abcdef"
	bobToken   = "bob-fedcba9876543210fedcba9876543210ab"
)

var testTokens = []config.HTTPToken{{Name: "alice", Secret: aliceToken}, {Name: "bob", Secret: bobToken}}

// pveRecorder sits in front of the simulator and notes any request that
// carries an MCP token, which must never reach Proxmox.
type pveRecorder struct {
	next   http.Handler
	mu     sync.Mutex
	leaked []string
	count  int
	// down makes Proxmox answer 503 to everything; versions counts GET
	// /version (the readiness check).
	down     atomic.Bool
	versions atomic.Int64
}

func (p *pveRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	all := r.URL.String() + "\n" + string(body)
	for k, vs := range r.Header {
		all += "\n" + k + ": " + strings.Join(vs, ",")
	}
	p.mu.Lock()
	p.count++
	for _, tok := range []string{aliceToken, bobToken} {
		if strings.Contains(all, tok) {
			p.leaked = append(p.leaked, r.Method+" "+r.URL.Path)
		}
	}
	p.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "/version") {
		p.versions.Add(1)
	}
	if p.down.Load() {
		http.Error(w, "proxy: backend down", http.StatusServiceUnavailable)
		return
	}
	p.next.ServeHTTP(w, r)
}

type envOpts struct {
	http       config.HTTPConfig // Listen, Transport are ignored; zero limits get defaults
	noTokens   bool              // serve without authentication
	speed      float64           // simulator task speed; default 0.001 (tasks finish in ms)
	rootTLS    *tls.Config       // client TLS config when http.TLSCert is set
	quietLog   bool              // log at warn and above only (benchmarks)
	readyEvery time.Duration     // how long a readiness outcome is reused; 0: the default
	noReady    bool              // no readiness check
	options    []Option          // more options for New
}

type env struct {
	t       testing.TB
	sim     *pvesim.Sim
	rec     *pveRecorder
	srv     *Server
	url     string // the MCP endpoint
	base    string // scheme://host:port
	addr    string // host:port
	logs    *simtest.Buffer
	client  *http.Client
	cancel  context.CancelFunc
	served  chan error
	stopped bool
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	speed := o.speed
	if speed == 0 {
		speed = 0.001
	}
	rec := &pveRecorder{}
	cl := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: speed},
		Wrap: func(sim http.Handler) http.Handler { rec.next = sim; return rec }})
	cfg := cl.Config(t, map[string]string{"PVE_READONLY": "false", "PVE_TASK_TIMEOUT_MS": "60000"})
	logs := &simtest.Buffer{}
	level := slog.LevelDebug
	if o.quietLog {
		level = slog.LevelWarn
	}
	logger := simtest.Logger(logs, level)
	pc := cl.Client(t, pve.Options{RequestTimeout: 30 * time.Second, Logger: logger})
	ms, err := server.New(cfg, pc, logger)
	if err != nil {
		t.Fatal(err)
	}
	hc := o.http
	hc.Transport = config.TransportHTTP
	if !o.noTokens && hc.Tokens == nil {
		hc.Tokens = testTokens
	}
	if hc.SessionTimeout == 0 {
		hc.SessionTimeout = time.Minute
	}
	var opts []Option
	if !o.noReady {
		opts = append(opts, WithReadyCheck(ProxmoxVersion(pc)))
	}
	opts = append(opts, o.options...)
	h, err := New(ms, &hc, logger, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if o.readyEvery > 0 {
		h.ready.every = o.readyEvery
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	scheme := "http"
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	if hc.TLSCert != "" {
		scheme = "https"
		tr.TLSClientConfig = o.rootTLS
	}
	e := &env{t: t, sim: cl.Sim, rec: rec, srv: h, addr: ln.Addr().String(), logs: logs,
		client: &http.Client{Transport: tr}, cancel: cancel, served: make(chan error, 1)}
	e.base = scheme + "://" + e.addr
	e.url = e.base + Endpoint
	go func() { e.served <- h.Serve(ctx, ln) }()
	t.Cleanup(func() {
		e.stop()
		tr.CloseIdleConnections()
		e.checkSecrets()
	})
	return e
}

// stop cancels the server and expects a clean, nil return.
func (e *env) stop() {
	e.t.Helper()
	if e.stopped {
		return
	}
	e.stopped = true
	e.cancel()
	select {
	case err := <-e.served:
		if err != nil {
			e.t.Errorf("Serve returned %v", err)
		}
	case <-time.After(30 * time.Second):
		e.t.Fatal("Serve did not return after cancel")
	}
}

// checkSecrets fails the test if an MCP token reached Proxmox or the log.
func (e *env) checkSecrets() {
	e.t.Helper()
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	if len(e.rec.leaked) > 0 {
		e.t.Errorf("MCP token sent to Proxmox: %v", e.rec.leaked)
	}
	logs := e.logs.String()
	for _, tok := range []string{aliceToken, bobToken} {
		if strings.Contains(logs, tok) {
			e.t.Errorf("MCP token in the log")
		}
	}
}

// headerRT adds headers to every request of a client.
type headerRT struct {
	base http.RoundTripper
	hdr  http.Header
}

func (h headerRT) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range h.hdr {
		r.Header[k] = vs
	}
	return h.base.RoundTrip(r)
}

func bearer(token string) http.Header {
	if token == "" {
		return http.Header{}
	}
	return http.Header{"Authorization": {"Bearer " + token}}
}

// connect opens an MCP session through go-sdk's Streamable HTTP client.
func (e *env) connect(token string, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	return e.connectWith(bearer(token), opts)
}

func (e *env) connectWith(hdr http.Header, opts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	hc := &http.Client{Transport: headerRT{base: e.client.Transport, hdr: hdr}}
	tr := &mcp.StreamableClientTransport{Endpoint: e.url, HTTPClient: hc, MaxRetries: -1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return mcp.NewClient(&mcp.Implementation{Name: "httpserver-test", Version: "0"}, opts).Connect(ctx, tr, nil)
}

func (e *env) mustConnect(token string, opts *mcp.ClientOptions) *mcp.ClientSession {
	e.t.Helper()
	cs, err := e.connect(token, opts)
	if err != nil {
		e.t.Fatalf("connect: %v", err)
	}
	e.t.Cleanup(func() { cs.Close() })
	return cs
}

// call runs a tool and returns its result and text.
func call(t testing.TB, cs *mcp.ClientSession, name string, args map[string]any) (*mcp.CallToolResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res, resultText(res)
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`

// raw sends one request by hand and returns the response with its body read.
func (e *env) raw(method, path string, hdr http.Header, body string) (*http.Response, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// openRaw opens a session by hand and returns its id.
func (e *env) openRaw(token string) string {
	e.t.Helper()
	resp, body := e.raw("POST", Endpoint, bearer(token), initializeBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		e.t.Fatalf("initialize: %d %q %s", resp.StatusCode, sid, body)
	}
	hdr := bearer(token)
	hdr.Set("Mcp-Session-Id", sid)
	resp, body = e.raw("POST", Endpoint, hdr, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if resp.StatusCode != http.StatusAccepted {
		e.t.Fatalf("initialized: %d %s", resp.StatusCode, body)
	}
	return sid
}

func withSession(token, sid string) http.Header {
	h := bearer(token)
	h.Set("Mcp-Session-Id", sid)
	return h
}

const listToolsBody = `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`

// sessions counts the server's open sessions.
func (e *env) sessions() int {
	n := 0
	for range e.srv.mcp.Sessions() {
		n++
	}
	return n
}
