// Package simtest is the shared test setup: the Proxmox simulator served
// over loopback TLS, a Proxmox client for it, and the MCP server reached
// through an in-memory client session. Everything it starts is closed by
// t.Cleanup, sessions first and the simulator last.
package simtest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
)

// Options configure Start.
type Options struct {
	Sim pvesim.Options
	// Wrap, when set, sits in front of the simulator's handler: request
	// recorders, faults the simulator cannot inject itself.
	Wrap func(sim http.Handler) http.Handler
	// Plain serves HTTP instead of HTTPS.
	Plain bool
}

// Cluster is a simulator served on loopback.
type Cluster struct {
	Sim    *pvesim.Sim
	Server *httptest.Server
	URL    string // scheme://127.0.0.1:port
	// Fingerprint is the certificate's SHA-256 in Proxmox's form; "" over
	// plain HTTP.
	Fingerprint string
}

// Start builds a simulator and serves it, over HTTPS with httptest's
// self-signed certificate unless o.Plain.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	sim, err := pvesim.New(o.Sim)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = sim.Handler()
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	hs := httptest.NewUnstartedServer(h)
	c := &Cluster{Sim: sim, Server: hs}
	if o.Plain {
		hs.Start()
	} else {
		hs.StartTLS()
		c.Fingerprint = pve.CertFingerprint(hs.Certificate().Raw)
	}
	c.URL = hs.URL
	t.Cleanup(func() {
		sim.Close() // releases requests the simulator holds (hang faults)
		hs.CloseClientConnections()
		hs.Close()
	})
	return c
}

// Env returns the variables that point the server at the cluster with the
// simulator's default token (and, over TLS, the certificate pin); extra
// adds or overrides.
func (c *Cluster) Env(extra map[string]string) map[string]string {
	id, secret := c.Sim.DefaultToken()
	env := map[string]string{"PROXMOX_HOST": c.URL, "PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret}
	if c.Fingerprint != "" {
		env["PROXMOX_TLS_FINGERPRINT"] = c.Fingerprint
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// Config loads the server configuration from Env(extra).
func (c *Cluster) Config(t testing.TB, extra map[string]string) *config.Config {
	t.Helper()
	env := c.Env(extra)
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Client builds a Proxmox client for the cluster. o's BaseURL and
// Fingerprint are filled in, and the default token when o names neither a
// token nor a user.
func (c *Cluster) Client(t testing.TB, o pve.Options) *pve.Client {
	t.Helper()
	o.BaseURL, o.Fingerprint = c.URL, c.Fingerprint
	if o.TokenID == "" && o.Username == "" {
		o.TokenID, o.TokenSecret = c.Sim.DefaultToken()
	}
	pc, err := pve.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pc.CloseIdleConnections)
	return pc
}

// SessionOptions configure the client side of an in-memory session.
type SessionOptions struct {
	Client  *mcp.ClientOptions
	Session *mcp.ClientSessionOptions
	// Transport, when set, wraps the client's transport (wire recorders).
	Transport func(mcp.Transport) mcp.Transport
}

// Session builds the MCP server for cfg on client, as the binary does, and
// connects a client session to it.
func Session(t testing.TB, cfg *config.Config, client *pve.Client, logger *slog.Logger, o SessionOptions) *mcp.ClientSession {
	t.Helper()
	ms, err := server.New(cfg, client, logger)
	if err != nil {
		t.Fatal(err)
	}
	return Connect(t, ms, o)
}

// Connect connects a client session to ms over in-memory transports; the
// cleanup closes it and waits for the server's side to end.
func Connect(t testing.TB, ms *mcp.Server, o SessionOptions) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := ms.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tr mcp.Transport = ct
	if o.Transport != nil {
		tr = o.Transport(ct)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "simtest", Version: "0"}, o.Client).Connect(ctx, tr, o.Session)
	if err != nil {
		ss.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
	})
	return cs
}

// Buffer collects output written from several goroutines: logs, stderr.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Logger logs text at level to w.
func Logger(w *Buffer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Eventually polls cond until it holds. The bound only guards against a
// hang; it is no claim about speed.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
