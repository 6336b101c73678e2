package e2e

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// apiEnv adds the api toolset to the default ones.
var apiEnv = map[string]string{"PVE_TOOLSETS": "cluster,nodes,tasks,qemu,lxc,snapshots,storage,network,backup,api"}

func accept(*mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	return &mcp.ElicitResult{Action: "accept", Content: map[string]any{}}, nil
}

// TestAPIToolsOnTheSimulator searches, describes and calls the API over MCP:
// a snapshot made and deleted by pve_api_call shows in the simulator's state,
// and a way around the guard is refused before anything is written.
func TestAPIToolsOnTheSimulator(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	var asked []string
	c := cl.connect(t, clientOpts{env: apiEnv, elicit: func(r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		asked = append(asked, r.Params.Message)
		return accept(r)
	}})

	var found struct {
		Items []struct{ Method, Path, Privilege string }
	}
	c.ok("pve_api_search", m("query", "vm snapshot", "method", "POST"), &found)
	if len(found.Items) == 0 || found.Items[0].Path != "/nodes/{node}/qemu/{vmid}/snapshot" {
		t.Fatalf("search: %+v", found.Items)
	}
	var desc struct {
		Params []struct{ Name string }
	}
	c.ok("pve_api_describe", m("path", "/nodes/{node}/qemu/{vmid}/snapshot", "method", "POST"), &desc)
	if len(desc.Params) < 4 {
		t.Errorf("describe: %+v", desc.Params)
	}
	if text := c.ok("pve_api_call", m("path", "/nodes/pve1/qemu/100/config"), nil); !strings.Contains(text, `"name"`) {
		t.Errorf("config: %s", text)
	}

	snap := m("method", "POST", "path", "/nodes/pve1/qemu/100/snapshot", "params", m("snapname", "viaapi"), "confirm", true)
	if text := c.ok("pve_api_call", snap, nil); !strings.Contains(text, `"exitStatus":"OK"`) {
		t.Fatalf("snapshot: %s", text)
	}
	if text := c.ok("pve_api_call", m("path", "/nodes/pve1/qemu/100/snapshot", "fields", "name"), nil); !strings.Contains(text, `"viaapi"`) {
		t.Errorf("snapshot list lacks viaapi: %s", text)
	}
	del := m("method", "DELETE", "path", "/nodes/pve1/qemu/100/snapshot/viaapi", "confirm", true)
	c.ok("pve_api_call", del, nil)
	if text := c.ok("pve_api_call", m("path", "/nodes/pve1/qemu/100/snapshot"), nil); strings.Contains(text, `"viaapi"`) {
		t.Errorf("snapshot still there: %s", text)
	}
	if len(asked) != 2 || !strings.Contains(asked[1], "cannot be undone") {
		t.Errorf("asked %q", asked)
	}

	before := len(cl.writes())
	c.fails("pve_api_call", m("method", "PUT", "path", "/nodes/pve1/qemu/100/config", "params", m("args", "-device x"), "confirm", true), "params.args", "PVE_ALLOW_HOST_ACCESS")
	c.fails("pve_api_call", m("method", "POST", "path", "/nodes/pve1/execute", "params", m("commands", "[]"), "confirm", true), "execute")
	c.fails("pve_api_call", m("method", "POST", "path", "/nodes/pve1/../qemu/100/status/stop", "confirm", true), "path")
	if w := cl.writes(); len(w) != before {
		t.Errorf("refused calls reached Proxmox: %v", w[before:])
	}
}

// TestAPICallReadOnly: in read-only mode pve_api_call reads and has no method.
func TestAPICallReadOnly(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	env := map[string]string{"PVE_TOOLSETS": apiEnv["PVE_TOOLSETS"], "PVE_READONLY": "true"}
	c := cl.connect(t, clientOpts{env: env})
	if text := c.ok("pve_api_call", m("path", "/version"), nil); !strings.Contains(text, `"version"`) {
		t.Errorf("version: %s", text)
	}
	before := len(cl.writes())
	c.fails("pve_api_call", m("method", "POST", "path", "/nodes/pve1/qemu/100/status/stop"), "method")
	if w := cl.writes(); len(w) != before {
		t.Errorf("read-only server wrote: %v", w[before:])
	}
}
