package apps_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/apps"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// session connects a client to the server on a fresh simulator, declaring
// the Apps extension when apps is set; writes are on.
func session(t *testing.T, apps bool) (*mcp.ClientSession, *simtest.Cluster) {
	t.Helper()
	cl := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.01}})
	cfg := cl.Config(t, map[string]string{"PVE_READONLY": "false"})
	var caps *mcp.ClientCapabilities
	if apps {
		caps = &mcp.ClientCapabilities{}
		caps.AddExtension(tools.AppsExtension, map[string]any{"mimeTypes": []string{tools.AppMIMEType}})
	}
	cs := simtest.Session(t, cfg, cl.Client(t, pve.Options{}), nil,
		simtest.SessionOptions{Client: &mcp.ClientOptions{Capabilities: caps}})
	return cs, cl
}

func listTools(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	out := map[string]*mcp.Tool{}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[tool.Name] = tool
	}
	return out
}

func TestOtherClientsSeeNoApps(t *testing.T) {
	cs, _ := session(t, false)
	caps := cs.InitializeResult().Capabilities
	// Other extensions (Tasks) and the pve:// resources are for everyone.
	if _, ok := caps.Extensions[tools.AppsExtension]; ok {
		t.Errorf("capabilities without the extension declare it: %v", caps.Extensions)
	}
	for name, tool := range listTools(t, cs) {
		if name == tools.AppConfirmName || tool.Meta["ui"] != nil {
			t.Errorf("%s listed with _meta %v to a client without the extension", name, tool.Meta)
		}
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tools.AppConfirmName,
		Arguments: map[string]any{"tool": "pve_vm_delete", "arguments": map[string]any{}, "token": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError {
		t.Errorf("%s ran for a client without the extension", tools.AppConfirmName)
	}
}

func TestAppsDeclaredAndServed(t *testing.T) {
	cs, _ := session(t, true)
	caps := cs.InitializeResult().Capabilities
	if _, ok := caps.Extensions[tools.AppsExtension]; !ok || caps.Resources == nil {
		t.Fatalf("capabilities: %+v", caps)
	}
	ctx := context.Background()
	lr, err := cs.ListResources(ctx, nil)
	if err != nil || len(lr.Resources) == 0 || lr.Resources[0].URI != apps.URI || lr.Resources[0].MIMEType != tools.AppMIMEType {
		t.Fatalf("resources/list: %v %+v", err, lr)
	}
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: apps.URI})
	if err != nil {
		t.Fatal(err)
	}
	c := rr.Contents[0]
	meta, _ := json.Marshal(c.Meta)
	if c.MIMEType != tools.AppMIMEType || c.Text != apps.HTML() || !strings.Contains(string(meta), `"connectDomains":[]`) {
		t.Errorf("resources/read: %s %s", c.MIMEType, meta)
	}
	list := listTools(t, cs)
	confirm, ok := list[tools.AppConfirmName]
	if vis, _ := json.Marshal(confirm.Meta); !ok || string(vis) != `{"ui":{"visibility":["app"]}}` {
		t.Errorf("%s: %s", tools.AppConfirmName, vis)
	}
	for _, name := range []string{"pve_vm_delete", "pve_cluster_resources", "pve_vm_start", "pve_task_status"} {
		ui, _ := list[name].Meta["ui"].(map[string]any)
		if ui["resourceUri"] != apps.URI {
			t.Errorf("%s: _meta %v", name, list[name].Meta)
		}
	}
	if list["pve_node_status"].Meta["ui"] != nil {
		t.Errorf("a read tool links the view: %v", list["pve_node_status"].Meta)
	}
}

// The model's confirm: true gets a card and deletes nothing; the card's
// token, once, for exactly that action, does.
func TestConfirmCard(t *testing.T) {
	cs, cl := session(t, true)
	ctx := context.Background()
	args := map[string]any{"node": "pve1", "vmid": 101, "confirm": true, "confirmVmid": 101}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "pve_vm_delete", Arguments: args})
	if err != nil {
		t.Fatal(err)
	}
	card, _ := res.Meta[tools.CardMetaKey].(map[string]any)
	token, _ := card["token"].(string)
	if !res.IsError || token == "" || !strings.Contains(card["action"].(string), "Delete VM 101 on pve1") {
		t.Fatalf("model-side delete: %+v", res)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; strings.Contains(text, token) {
		t.Errorf("the token is in the text the model reads: %s", text)
	}
	pc := cl.Client(t, pve.Options{})
	exists := func() bool {
		var raw json.RawMessage
		return pc.Get(ctx, "/nodes/pve1/qemu/101/status/current", nil, &raw) == nil
	}
	if !exists() {
		t.Fatal("the model's call deleted the guest")
	}
	confirm := func(token string, a map[string]any) *mcp.CallToolResult {
		t.Helper()
		r, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tools.AppConfirmName,
			Arguments: map[string]any{"tool": "pve_vm_delete", "arguments": a, "token": token}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	other := map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100}
	for name, r := range map[string]*mcp.CallToolResult{
		"forged":     confirm(strings.Repeat("A", len(token)), args),
		"other args": confirm(token, other),
	} {
		if !r.IsError || !exists() {
			t.Fatalf("%s token: %+v", name, r)
		}
	}
	if r := confirm(token, args); r.IsError {
		t.Fatalf("the card's confirmation: %+v", r.Content[0])
	}
	if exists() {
		t.Error("the card's confirmation did not delete the guest")
	}
	if r := confirm(token, args); !r.IsError {
		t.Error("a token worked twice")
	}
}

// One server, two clients: what the Apps client is shown never leaks into
// the other's list (the SDK's tools are copied, not changed).
func TestSessionsKeepTheirOwnList(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.01}})
	cfg := cl.Config(t, map[string]string{"PVE_READONLY": "false"})
	ms, err := server.New(cfg, cl.Client(t, pve.Options{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	caps := &mcp.ClientCapabilities{}
	caps.AddExtension(tools.AppsExtension, map[string]any{"mimeTypes": []string{tools.AppMIMEType}})
	withApps := simtest.Connect(t, ms, simtest.SessionOptions{Client: &mcp.ClientOptions{Capabilities: caps}})
	plain := simtest.Connect(t, ms, simtest.SessionOptions{})
	for range 2 {
		if _, ok := listTools(t, withApps)[tools.AppConfirmName]; !ok {
			t.Fatal("the Apps client misses the card's tool")
		}
		for name, tool := range listTools(t, plain) {
			if name == tools.AppConfirmName || tool.Meta["ui"] != nil {
				t.Fatalf("%s listed with _meta %v to the other client", name, tool.Meta)
			}
		}
	}
}
