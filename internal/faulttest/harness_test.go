package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	tokenID     = "root@pam!mcp"
	tokenSecret = "5f0c7c1e-8d0b-4c55-9f59-FAULTTESTSECRET"
	password    = "fault-test-root-password"
	// requestTimeout bounds the hang cases; generous for a loaded machine.
	requestTimeout = 1500 * time.Millisecond
)

// harness is the simulator behind HTTPS, a Proxmox client, and the MCP
// server reached through an in-memory session.
type harness struct {
	sim     *pvesim.Sim
	client  *pve.Client
	session *mcp.ClientSession
	logs    *simtest.Buffer
	texts   []string // every tool result, for the secret scan
	// lastSize is the bytes of the last result: text and structured content.
	lastSize int
	// hook, when set, sees each request before the simulator (see tamper).
	hook *atomic.Pointer[tamper]
	wire *wireLog

	mu       sync.Mutex
	progress []*mcp.ProgressNotificationParams
}

// tamper changes what the simulator answers, for faults it cannot inject
// itself; it returns false to leave a request alone.
type tamper func(w http.ResponseWriter, r *http.Request, sim http.Handler) bool

// newHarness logs in with the API token or, with ticket, as root@pam with a
// password.
func newHarness(t *testing.T, ticket bool) *harness {
	t.Helper()
	hook := &atomic.Pointer[tamper]{}
	cl := simtest.Start(t, simtest.Options{
		Sim: pvesim.Options{Speed: 0.01, Tokens: map[string]string{tokenID: tokenSecret},
			Users: map[string]string{"root@pam": password}},
		Wrap: func(sim http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if f := hook.Load(); f != nil && (*f)(w, r, sim) {
					return
				}
				sim.ServeHTTP(w, r)
			})
		},
	})
	logs := &simtest.Buffer{}
	logger := simtest.Logger(logs, slog.LevelDebug)
	o := pve.Options{TokenID: tokenID, TokenSecret: tokenSecret,
		RequestTimeout: requestTimeout, RetryBase: time.Millisecond, Logger: logger}
	if ticket {
		o.TokenID, o.TokenSecret, o.Username, o.Password = "", "", "root@pam", password
	}
	client := cl.Client(t, o)
	cfg := &config.Config{ReadOnly: false, TaskTimeout: 30 * time.Second, RequestTimeout: requestTimeout,
		Toolsets: append(tools.DefaultToolsets(), "guestops")}
	h := &harness{sim: cl.Sim, client: client, logs: logs, hook: hook, wire: &wireLog{results: map[string]json.RawMessage{}}}
	h.session = simtest.Session(t, cfg, client, logger, simtest.SessionOptions{
		Client: &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			h.mu.Lock()
			h.progress = append(h.progress, r.Params)
			h.mu.Unlock()
		}},
		Transport: func(ct mcp.Transport) mcp.Transport { return &recorder{ct, h.wire} },
	})
	return h
}

// call runs a tool and returns whether it failed and its text.
func (h *harness) call(t *testing.T, name string, args map[string]any) (isError bool, text string) {
	t.Helper()
	res, err := h.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	return h.record(res)
}

// callWithProgress runs a tool with a progress token and returns the
// notifications it got.
func (h *harness) callWithProgress(t *testing.T, name string, args map[string]any) (bool, string, []*mcp.ProgressNotificationParams) {
	t.Helper()
	h.mu.Lock()
	h.progress = nil
	h.mu.Unlock()
	p := &mcp.CallToolParams{Name: name, Arguments: args}
	p.SetProgressToken("faulttest")
	res, err := h.session.CallTool(context.Background(), p)
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	isErr, text := h.record(res)
	// The client runs notification handlers apart from the reply, so the
	// last notification may land just after CallTool returns.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		h.mu.Lock()
		n := len(h.progress)
		h.mu.Unlock()
		if n > 0 {
			break
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return isErr, text, h.progress
}

// callCancelled runs a tool, cancels the call (notifications/cancelled)
// once cancelNow says so, and returns the answer the server still sends.
func (h *harness) callCancelled(t *testing.T, name string, args map[string]any, cancelNow func() bool) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !cancelNow(); {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if _, err := h.session.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args}); err == nil {
		t.Fatalf("%s: the call ended before it was cancelled", name)
	}
	raw := h.wire.wait(10 * time.Second)
	var res mcp.CallToolResult
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("%s: no answer after cancellation (%v): %s", name, err, raw)
	}
	return h.record(&res)
}

func (h *harness) record(res *mcp.CallToolResult) (isError bool, text string) {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	h.lastSize = b.Len()
	if res.StructuredContent != nil {
		raw, _ := json.Marshal(res.StructuredContent)
		h.texts = append(h.texts, string(raw))
		h.lastSize += len(raw)
	}
	h.texts = append(h.texts, b.String())
	return res.IsError, b.String()
}

// recorder is the client transport with a log of the wire: the answer to
// a cancelled call reaches the connection, but the client drops it.
type recorder struct {
	mcp.Transport
	log *wireLog
}

func (r *recorder) Connect(ctx context.Context) (mcp.Connection, error) {
	c, err := r.Transport.Connect(ctx)
	return &recordedConn{c, r.log}, err
}

type recordedConn struct {
	mcp.Connection
	log *wireLog
}

func (c *recordedConn) Write(ctx context.Context, m jsonrpc.Message) error {
	if req, ok := m.(*jsonrpc.Request); ok && req.Method == "tools/call" {
		c.log.mu.Lock()
		c.log.lastCall = req.ID
		c.log.mu.Unlock()
	}
	return c.Connection.Write(ctx, m)
}

func (c *recordedConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	m, err := c.Connection.Read(ctx)
	if resp, ok := m.(*jsonrpc.Response); ok && err == nil {
		c.log.mu.Lock()
		c.log.results[idKey(resp.ID)] = resp.Result
		c.log.mu.Unlock()
	}
	return m, err
}

// wireLog holds the results read, by request id, and the last call's id.
type wireLog struct {
	mu       sync.Mutex
	lastCall jsonrpc.ID
	results  map[string]json.RawMessage
}

func idKey(id jsonrpc.ID) string { return fmt.Sprintf("%T:%v", id.Raw(), id.Raw()) }

// wait returns the result of the last tools/call once it arrived.
func (l *wireLog) wait(d time.Duration) json.RawMessage {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		raw, ok := l.results[idKey(l.lastCall)]
		l.mu.Unlock()
		if ok {
			return raw
		}
	}
	return nil
}
