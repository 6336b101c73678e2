package mcpctx_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// env is the server as the binary builds it, on the simulator, with a
// client session that records resource-updated notifications.
type env struct {
	cl  *simtest.Cluster
	pc  *pve.Client
	cs  *mcp.ClientSession
	mu  sync.Mutex
	upd map[string]int // URI -> notifications received
}

func newEnv(t *testing.T, vars map[string]string) *env { return newEnvWith(t, vars, 0.05, "") }

// newEnvWith sets the simulator's speed and the client's protocol version
// ("": the newest).
func newEnvWith(t *testing.T, vars map[string]string, speed float64, version string) *env {
	t.Helper()
	e := &env{upd: map[string]int{}}
	e.cl = simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: speed}})
	e.pc = e.cl.Client(t, pve.Options{})
	e.cs = simtest.Session(t, e.cl.Config(t, vars), e.pc, nil, simtest.SessionOptions{Client: &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, r *mcp.ResourceUpdatedNotificationRequest) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.upd[r.Params.URI]++
		}}, Session: &mcp.ClientSessionOptions{ProtocolVersion: version}})
	return e
}

func (e *env) updates(uri string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.upd[uri]
}

// read reads uri and decodes its JSON text into out.
func (e *env) read(t *testing.T, uri string, out any) {
	t.Helper()
	res, err := e.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	if err != nil {
		t.Fatalf("read %s: %v", uri, err)
	}
	if len(res.Contents) != 1 || res.Contents[0].MIMEType != "application/json" {
		t.Fatalf("read %s: contents %+v", uri, res.Contents)
	}
	if err := json.Unmarshal([]byte(res.Contents[0].Text), out); err != nil {
		t.Fatalf("read %s: %v in %s", uri, err, res.Contents[0].Text)
	}
}

// readErr reads uri, which must fail with an error holding each of want.
func (e *env) readErr(t *testing.T, uri string, want ...string) {
	t.Helper()
	_, err := e.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	if err == nil {
		t.Fatalf("read %s: no error", uri)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("read %s: %v; want %q in it", uri, err, w)
		}
	}
}

// startTask starts guest vmid on node behind the server's back (another
// user of the cluster) and returns its UPID.
func (e *env) startTask(t *testing.T, node, kind string, vmid string) string {
	t.Helper()
	var upid string
	if err := e.pc.Post(context.Background(), pve.Path("nodes", node, kind, vmid, "status", "start"), url.Values{}, &upid); err != nil {
		t.Fatal(err)
	}
	return upid
}

func taskURI(upid string) string { return "pve://tasks/" + url.QueryEscape(upid) + "/log" }

func (e *env) complete(t *testing.T, ref *mcp.CompleteReference, name, value string, known map[string]string) *mcp.CompleteResult {
	t.Helper()
	p := &mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteParamsArgument{Name: name, Value: value}}
	if known != nil {
		p.Context = &mcp.CompleteContext{Arguments: known}
	}
	res, err := e.cs.Complete(context.Background(), p)
	if err != nil {
		t.Fatalf("complete %s=%q: %v", name, value, err)
	}
	return res
}
