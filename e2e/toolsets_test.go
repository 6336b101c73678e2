package e2e

import (
	"slices"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// TestToolsetsAtRunTime: the default list leaves the extra toolsets out;
// pve_toolsets enables one over MCP, and the configuration's gates hold.
func TestToolsetsAtRunTime(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "cluster,nodes", "PVE_DISABLE_DESTRUCTIVE": "true"}})
	if slices.Contains(c.toolNames(), "pve_list_snapshots") || !slices.Contains(c.toolNames(), "pve_toolsets") {
		t.Fatalf("before: %v", c.toolNames())
	}
	var out struct {
		Added    []string
		Toolsets []struct {
			Name     string
			Enabled  bool
			Tools    []string
			HeldBack int `json:"held_back"`
		}
	}
	c.ok("pve_toolsets", m("enable", []string{"snapshots"}), &out)
	if !slices.Contains(out.Added, "pve_snapshot_create") || slices.Contains(out.Added, "pve_snapshot_delete") {
		t.Errorf("added: %v (a destructive tool with PVE_DISABLE_DESTRUCTIVE)", out.Added)
	}
	c.loadTools()
	if !slices.Contains(c.toolNames(), "pve_list_snapshots") || slices.Contains(c.toolNames(), "pve_snapshot_delete") {
		t.Errorf("after: %v", c.toolNames())
	}
	var snaps []map[string]any
	c.ok("pve_list_snapshots", m("node", "pve1", "vmid", 100, "type", "qemu"), &snaps)
	c.fails("pve_toolsets", m("enable", []string{"vms"}), `unknown toolset "vms"`)
	for _, ts := range out.Toolsets {
		if ts.Name == "snapshots" && (!ts.Enabled || ts.HeldBack != 2) {
			t.Errorf("snapshots: %+v", ts)
		}
	}
}

// defaultTools is how many tools a server with PVE_READONLY=false and no
// tool selection offers: the inventory's default toolsets.
func defaultTools(t *testing.T) int {
	t.Helper()
	sel, err := tools.Select(tools.Inventory(&tools.Deps{}), tools.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	return len(sel)
}

// In read-only mode the tools that list and change offer their read form
// under the same name: the lists work, the changes are not there to call.
func TestReadFormsInReadOnlyMode(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_READONLY": "true", "PVE_TOOLSETS": "firewall,ha,nodeadmin"}})
	for _, n := range []string{"pve_firewall_rules", "pve_firewall_options", "pve_ha_resources", "pve_ha_rules", "pve_node_services", "pve_node_updates"} {
		if !slices.Contains(c.toolNames(), n) {
			t.Errorf("read-only mode leaves out %s", n)
		}
	}
	var rules struct{ Rules []map[string]any }
	c.ok("pve_firewall_rules", m("scope", "vm", "node", "pve1", "vmid", 100), &rules)
	c.fails("pve_firewall_rules", m("op", "add", "scope", "vm", "node", "pve1", "vmid", 100, "type", "in", "action", "ACCEPT"), `"op"`, "accepted: node, scope, vmid")
	c.ok("pve_firewall_options", m("scope", "cluster"), nil)
	c.ok("pve_ha_resources", nil, nil)
	c.ok("pve_ha_rules", nil, nil)
	var svc struct{ Services []map[string]any }
	c.ok("pve_node_services", m("node", "pve1"), &svc)
	if len(svc.Services) == 0 {
		t.Error("no services listed")
	}
	c.fails("pve_node_services", m("node", "pve1", "action", "restart", "service", "pveproxy"), `unknown argument "action"`)
	c.ok("pve_node_updates", m("node", "pve1"), nil)
	if w := cl.writes(); len(w) != 0 {
		t.Errorf("writes in read-only mode: %v", w)
	}
}
