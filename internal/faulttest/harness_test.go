package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	tokenID     = "root@pam!mcp"
	tokenSecret = "5f0c7c1e-8d0b-4c55-9f59-FAULTTESTSECRET"
	password    = "fault-test-root-password"
	// requestTimeout bounds the hang cases; generous for a loaded machine.
	requestTimeout = 1500 * time.Millisecond
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is the simulator behind HTTP, a Proxmox client, and the MCP
// server reached through an in-memory session.
type harness struct {
	sim     *pvesim.Sim
	client  *pve.Client
	session *mcp.ClientSession
	logs    *syncBuffer
	texts   []string // every tool result, for the secret scan
}

// newHarness logs in with the API token or, with ticket, as root@pam with a
// password.
func newHarness(t *testing.T, ticket bool) *harness {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{Speed: 0.01, Tokens: map[string]string{tokenID: tokenSecret},
		Users: map[string]string{"root@pam": password}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o := pve.Options{BaseURL: srv.URL, TokenID: tokenID, TokenSecret: tokenSecret,
		RequestTimeout: requestTimeout, RetryBase: time.Millisecond, Logger: logger}
	if ticket {
		o.TokenID, o.TokenSecret, o.Username, o.Password = "", "", "root@pam", password
	}
	client, err := pve.New(o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{ReadOnly: false, TaskTimeout: 30 * time.Second, RequestTimeout: requestTimeout}
	ms, err := server.New(cfg, client, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := ms.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "faulttest", Version: "0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
		sim.Close()
		client.CloseIdleConnections()
		srv.CloseClientConnections()
		srv.Close()
	})
	return &harness{sim: sim, client: client, session: cs, logs: logs}
}

// call runs a tool and returns whether it failed and its text.
func (h *harness) call(t *testing.T, name string, args map[string]any) (isError bool, text string) {
	t.Helper()
	res, err := h.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	if res.StructuredContent != nil {
		raw, _ := json.Marshal(res.StructuredContent)
		h.texts = append(h.texts, string(raw))
	}
	h.texts = append(h.texts, b.String())
	return res.IsError, b.String()
}
