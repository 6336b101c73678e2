package tools

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// oldProtocol is a version before multi-round-trip: there the SDK elicits
// for us and runs the handler a second time with our request state.
const oldProtocol = "2025-06-18"

// newProtoEnv is newConsentEnv at a chosen protocol version, over in-memory
// transports or Streamable HTTP (with sessions, so the state is bound to a
// real session id).
func newProtoEnv(t *testing.T, o consentOpts, protocol string, overHTTP bool) *consentEnv {
	t.Helper()
	e := &consentEnv{fake: &fakePVE{routes: map[string]string{}, exit: "OK"}}
	pveServer := httptest.NewServer(e.fake)
	t.Cleanup(pveServer.Close)
	client, err := pve.New(pve.Options{BaseURL: pveServer.URL, TokenID: "root@pam!mcp", TokenSecret: "s3cr3t-token", RequestTimeout: 5 * time.Second, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	g := guard.New(client, guard.Options{Allow: guard.NewAllowlist(nil, nil), Release: "9.1", Schemas: testSchemas})
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "0"}, nil)
	selected, err := Select(Inventory(&Deps{Guard: g, TaskTimeout: 10 * time.Second, Consent: NewConsent()}), Selection{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range selected {
		tl.Register(srv)
	}
	ctx := context.Background()
	mcpClient := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "0"}, e.clientOptions(o))
	sessionOpts := &mcp.ClientSessionOptions{ProtocolVersion: protocol}
	if overHTTP {
		hs := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
		cs, err := mcpClient.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL}, sessionOpts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cs.Close(); hs.Close(); client.CloseIdleConnections() })
		e.session = cs
		return e
	}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcpClient.Connect(ctx, ct, sessionOpts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait(); client.CloseIdleConnections() })
	e.session = cs
	return e
}

// As TestForgedConsentOnFirstCallAsksUser, for older clients (the SDK asks
// the user and runs the handler again with our state) and over HTTP.
func TestForgedConsentAsksUserOnEveryPath(t *testing.T) {
	for _, path := range []struct {
		protocol string
		http     bool
	}{{oldProtocol, false}, {"", true}, {oldProtocol, true}} {
		for _, answer := range []string{"accept", "decline", "cancel"} {
			t.Run(fmt.Sprintf("protocol=%s/http=%v/%s", path.protocol, path.http, answer), func(t *testing.T) {
				testForgedConsent(t, newProtoEnv(t, consentOpts{answer: answer}, path.protocol, path.http), answer)
			})
		}
	}
}
