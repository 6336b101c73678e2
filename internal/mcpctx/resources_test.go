package mcpctx_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func listURIs(t *testing.T, e *env) []string {
	t.Helper()
	var uris []string
	for r, err := range e.cs.Resources(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		uris = append(uris, r.URI)
	}
	return uris
}

// TestCapabilities: prompts, resources with subscribe and completions are
// declared, no list-changed for them (the lists are fixed), tools as before.
func TestCapabilities(t *testing.T) {
	e := newEnv(t, nil)
	c := e.cs.InitializeResult().Capabilities
	if c.Prompts == nil || c.Prompts.ListChanged || c.Resources == nil || !c.Resources.Subscribe || c.Resources.ListChanged ||
		c.Completions == nil || c.Tools == nil || !c.Tools.ListChanged {
		t.Errorf("capabilities %+v", c)
	}
}

func TestResourcesList(t *testing.T) {
	e := newEnv(t, nil)
	uris := listURIs(t, e)
	for _, want := range []string{"pve://cluster", "pve://nodes/pve1", "pve://nodes/pve3", "pve://pve1/qemu/100/config",
		"pve://pve2/qemu/102/config", "pve://pve1/lxc/200/config", "pve://pve1/qemu/9000/config"} {
		if !slices.Contains(uris, want) {
			t.Errorf("resources/list lacks %s: %v", want, uris)
		}
	}
	res, err := e.cs.ListResourceTemplates(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var tmpls []string
	for _, rt := range res.ResourceTemplates {
		tmpls = append(tmpls, rt.URITemplate)
	}
	slices.Sort(tmpls)
	if want := []string{"pve://nodes/{node}", "pve://tasks/{upid}/log", "pve://{node}/lxc/{vmid}/config", "pve://{node}/qemu/{vmid}/config"}; !slices.Equal(tmpls, want) {
		t.Errorf("templates %v, want %v", tmpls, want)
	}
}

// TestResourcesAllowlist: the list shows only allowed nodes and guests, and
// a read of anything else is refused naming the allowlist.
func TestResourcesAllowlist(t *testing.T) {
	e := newEnvWith(t, map[string]string{"PVE_NODE_ALLOWLIST": "pve1", "PVE_VMID_ALLOWLIST": "100,102,200"}, 0.05, legacy)
	uris := listURIs(t, e)
	if want := []string{"pve://cluster", "pve://nodes/pve1", "pve://pve1/qemu/100/config", "pve://pve1/lxc/200/config"}; !slices.Equal(uris, want) {
		t.Errorf("resources/list: %v, want %v", uris, want)
	}
	e.readErr(t, "pve://nodes/pve2", "PVE_NODE_ALLOWLIST", "pve2")
	e.readErr(t, "pve://pve2/qemu/102/config", "PVE_NODE_ALLOWLIST")
	e.readErr(t, "pve://pve1/qemu/101/config", "PVE_VMID_ALLOWLIST", "101")
	var cl struct {
		Nodes  []struct{ Node string }
		Guests struct {
			Total int
			List  []struct{ VMID int }
		}
	}
	e.read(t, "pve://cluster", &cl)
	if len(cl.Nodes) != 1 || cl.Nodes[0].Node != "pve1" || cl.Guests.Total != 2 {
		t.Errorf("pve://cluster under allowlists: %+v", cl)
	}
	// A task of a guest outside the allowlist.
	upid := e.startTask(t, "pve1", "qemu", "101")
	e.readErr(t, taskURI(upid), "PVE_VMID_ALLOWLIST")
	if err := e.cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: taskURI(upid)}); err == nil || !strings.Contains(err.Error(), "PVE_VMID_ALLOWLIST") {
		t.Errorf("subscribe to a refused task: %v", err)
	}
}

func TestResourceReads(t *testing.T) {
	e := newEnv(t, nil)
	var cl struct {
		Cluster struct {
			Quorate bool
			Online  int
		}
		Nodes  []struct{ Node, Status string }
		Guests struct {
			Total, Running, Templates int
			List                      []struct{ VMID int }
		}
		Storage []struct{ Storage string }
	}
	e.read(t, "pve://cluster", &cl)
	if !cl.Cluster.Quorate || cl.Cluster.Online != 3 || len(cl.Nodes) != 3 || cl.Guests.Total != 7 || cl.Guests.Templates != 1 || len(cl.Storage) == 0 {
		t.Errorf("pve://cluster: %+v", cl)
	}
	var node struct {
		Node   string
		Status struct{ Uptime int64 }
		Guests struct{ Total int }
	}
	e.read(t, "pve://nodes/pve2", &node)
	if node.Node != "pve2" || node.Status.Uptime == 0 || node.Guests.Total != 2 {
		t.Errorf("pve://nodes/pve2: %+v", node)
	}
	var vm struct {
		VMID   int
		Config struct{ Name string }
	}
	e.read(t, "pve://pve1/qemu/100/config", &vm)
	if vm.VMID != 100 || vm.Config.Name != "web01" {
		t.Errorf("VM config: %+v", vm)
	}
	var ct struct{ Config struct{ Hostname string } }
	e.read(t, "pve://pve1/lxc/200/config", &ct)
	if ct.Config.Hostname != "proxy" {
		t.Errorf("container config: %+v", ct)
	}
	e.readErr(t, "pve://pve1/qemu/abc/config", "invalid resource URI", "vmid")
	e.readErr(t, "pve://nodes/bad_node", "invalid resource URI", "node")
	e.readErr(t, "pve://tasks/UPID:pve1:x/log", "invalid resource URI", "upid")
	e.readErr(t, "pve://pve1/qemu/555/config") // no such guest: Proxmox's error
}

// legacy is the newest protocol version before subscriptions/listen: the
// client sends resources/subscribe and gets its answer at once.
const legacy = "2025-11-25"

// TestTaskLogSubscription: a subscribed task log is announced while the task
// runs and once more when it ends; then its read says stopped. Both the
// legacy resources/subscribe and the 2026-07-28 subscriptions/listen.
func TestTaskLogSubscription(t *testing.T) {
	for _, v := range []string{legacy, ""} {
		t.Run("version "+v, func(t *testing.T) { testTaskLogSubscription(t, v) })
	}
}

func testTaskLogSubscription(t *testing.T, version string) {
	e := newEnvWith(t, nil, 4, version) // a start of about 6 s: subscribed before it ends
	upid := e.startTask(t, "pve1", "qemu", "101")
	uri := taskURI(upid)
	var raw struct{ UPID string }
	e.read(t, "pve://tasks/"+upid+"/log", &raw) // as is, too
	if raw.UPID != upid {
		t.Errorf("task log read by the raw UPID: %+v", raw)
	}
	if err := e.cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri}); err != nil {
		t.Fatal(err)
	}
	var tl struct {
		Status   string
		LogLines int
		Log      []string
	}
	simtest.Eventually(t, "the task to end", func() bool {
		e.read(t, uri, &tl)
		return tl.Status == "stopped"
	})
	simtest.Eventually(t, "a notification", func() bool { return e.updates(uri) > 0 })
	if tl.LogLines == 0 || len(tl.Log) == 0 {
		t.Errorf("task log: %+v", tl)
	}
	if err := e.cs.Unsubscribe(context.Background(), &mcp.UnsubscribeParams{URI: uri}); err != nil {
		t.Error(err)
	}
}

// TestSubscriptionEndsWithSession: a watcher whose session closes without
// unsubscribing stops (TestMain's leak check fails otherwise).
func TestSubscriptionEndsWithSession(t *testing.T) {
	e := newEnvWith(t, nil, 0.05, legacy)
	for _, uri := range []string{"pve://cluster", "pve://pve1/qemu/100/config"} {
		if err := e.cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: "pve://pve1/qemu/555/config"}); err == nil {
		t.Error("subscribed to a guest that does not exist")
	}
}

// TestSharedSubscription: two sessions of one server subscribed to the same
// task log share a watcher; when one leaves, the other is still told.
func TestSharedSubscription(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 4}})
	pc := cl.Client(t, pve.Options{})
	ms, err := server.New(cl.Config(t, nil), pc, nil)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[int]int{}
	session := func(i int) *mcp.ClientSession {
		return simtest.Connect(t, ms, simtest.SessionOptions{Client: &mcp.ClientOptions{
			ResourceUpdatedHandler: func(context.Context, *mcp.ResourceUpdatedNotificationRequest) {
				mu.Lock()
				defer mu.Unlock()
				got[i]++
			}}, Session: &mcp.ClientSessionOptions{ProtocolVersion: legacy}})
	}
	a, b := session(0), session(1)
	e := &env{pc: pc}
	uri := taskURI(e.startTask(t, "pve1", "qemu", "101"))
	for _, cs := range []*mcp.ClientSession{a, b} {
		if err := cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(i int) int {
		mu.Lock()
		defer mu.Unlock()
		return got[i]
	}
	// a leaves at once, long before the first poll (a second on).
	if err := a.Unsubscribe(context.Background(), &mcp.UnsubscribeParams{URI: uri}); err != nil {
		t.Fatal(err)
	}
	simtest.Eventually(t, "the other told", func() bool { return count(1) > 0 })
	if n := count(0); n != 0 {
		t.Errorf("the session that left was told %d times", n)
	}
}

// TestReadWire: a 2026-07-28 read carries resultType (the SDK sets it only
// on reads it routes itself) and the client's own URI, also for a task log
// named by its raw UPID.
func TestReadWire(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.05}})
	pc := cl.Client(t, pve.Options{})
	var wire simtest.Buffer
	cs := simtest.Session(t, cl.Config(t, nil), pc, nil, simtest.SessionOptions{
		Transport: func(tr mcp.Transport) mcp.Transport { return &mcp.LoggingTransport{Transport: tr, Writer: &wire} }})
	e := &env{pc: pc}
	upid := e.startTask(t, "pve1", "qemu", "101")
	for _, uri := range []string{"pve://cluster", "pve://pve1/qemu/100/config", "pve://tasks/" + upid + "/log", taskURI(upid)} {
		res, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Fatalf("read %s: %v", uri, err)
		}
		if res.Contents[0].URI != uri {
			t.Errorf("read %s answered for %s", uri, res.Contents[0].URI)
		}
	}
	reads := 0
	for _, line := range strings.Split(wire.String(), "\n") {
		if strings.Contains(line, `"contents"`) {
			reads++
			if !strings.Contains(line, `"resultType":"complete"`) {
				t.Errorf("a read without resultType: %s", line)
			}
		}
	}
	if reads != 4 {
		t.Errorf("%d reads on the wire, want 4:\n%s", reads, wire.String())
	}
}
