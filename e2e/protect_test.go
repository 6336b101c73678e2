package e2e

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestProtectedGuestsRefuseEveryChange (issue 20): VM 100 gets Proxmox's
// protection flag and container 200 the mcp-protected tag, both through
// the tools; then every mutating tool on them is refused by the guard, the
// generic pve_api_call included, and no write reaches the simulator, while
// start, snapshot, clone and a snapshot-mode backup still work.
func TestProtectedGuestsRefuseEveryChange(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 100, "extra", m("protection", 1)), nil)
	c.ok("pve_lxc_set_config", m("node", "pve1", "vmid", 200, "extra", m("tags", "web;mcp-protected")), nil)
	cl.sim.ResetRequests()

	vm := func(kv ...any) map[string]any { return m(append([]any{"node", "pve1", "vmid", 100}, kv...)...) }
	ct := func(kv ...any) map[string]any { return m(append([]any{"node", "pve1", "vmid", 200}, kv...)...) }
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"pve_vm_set_config", vm("memory", 4096)},
		{"pve_vm_set_config", vm("extra", m("protection", 0), "confirm", true)},
		{"pve_vm_stop", vm("confirm", true)},
		{"pve_vm_shutdown", vm()},
		{"pve_vm_reboot", vm()},
		{"pve_vm_reset", vm("confirm", true)},
		{"pve_vm_suspend", vm()},
		{"pve_vm_delete", vm("confirm", true, "confirmVmid", 100)},
		{"pve_vm_migrate", vm("target", "pve2", "online", true)},
		{"pve_vm_resize_disk", vm("disk", "scsi0", "size", "+1G")},
		{"pve_snapshot_rollback", vm("type", "qemu", "snapname", "before-upgrade", "confirm", true, "confirmName", "before-upgrade")},
		{"pve_snapshot_delete", vm("type", "qemu", "snapname", "before-upgrade", "confirm", true, "confirmName", "before-upgrade")},
		{"pve_restore", vm("type", "qemu", "archive", "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst", "force", true, "confirm", true, "confirmVmid", 100)},
		{"pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 100, "enable", true, "confirm", true)},
		{"pve_ha_resources", m("action", "add", "vmid", 100)},
		{"pve_bulk_action", m("action", "shutdown", "vms", []any{100, 101}, "confirm", true)},
		{"pve_backup_now", vm("storage", "local", "mode", "stop")},
		{"pve_lxc_set_config", ct("memory", 1024)},
		{"pve_lxc_stop", ct("confirm", true)},
		{"pve_lxc_delete", ct("confirm", true, "confirmVmid", 200)},
		{"pve_snapshot_rollback", ct("type", "lxc", "snapname", "initial", "confirm", true, "confirmName", "initial")},
	} {
		res, text := c.call(call.tool, call.args)
		if !res.IsError || !strings.Contains(text, "protect") {
			t.Errorf("%s(%v) on a protected guest: %s", call.tool, call.args, text)
		}
	}
	// The generic call, from a client that can ask its user: nothing
	// reaches Proxmox before the user's yes, so the guard reads the guest
	// after it, and refuses.
	asked := 0
	api := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "api"}, elicit: func(*mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		asked++
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
	}})
	for _, args := range []map[string]any{
		m("method", "PUT", "path", "/nodes/pve1/qemu/100/config", "params", m("protection", 0), "confirm", true),
		m("method", "DELETE", "path", "/nodes/pve1/qemu/100", "confirm", true),
		m("method", "POST", "path", "/nodes/pve1/lxc/200/status/stop", "confirm", true),
		m("method", "POST", "path", "/cluster/replication", "params", m("id", "100-0", "target", "pve2", "type", "local"), "confirm", true),
		m("method", "PUT", "path", "/pools/prod", "params", m("vms", "200", "delete", 1), "confirm", true),
	} {
		api.fails("pve_api_call", args, "protect")
	}
	if asked != 5 {
		t.Errorf("the user was asked %d times, want once a call", asked)
	}
	if w := cl.writes(); len(w) != 0 {
		t.Errorf("writes reached Proxmox: %v", w)
	}
	// What leaves a guest as it is still works.
	c.ok("pve_snapshot_create", vm("type", "qemu", "snapname", "safe"), nil)
	c.ok("pve_vm_clone", vm("newid", 150, "name", "copy"), nil)
	c.ok("pve_backup_now", vm("storage", "local", "mode", "snapshot"), nil)
	c.ok("pve_snapshot_create", ct("type", "lxc", "snapname", "safe"), nil)
	// A guest without either is not held.
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 101, "memory", 4096), nil)
	// Lists show the tag that holds a guest.
	for _, tool := range []string{"pve_list_containers", "pve_cluster_resources"} {
		var rows []struct {
			VMID      int    `json:"vmid"`
			Protected string `json:"protected"`
		}
		c.ok(tool, m(), &rows)
		for _, r := range rows {
			if want := map[int]string{200: "tag mcp-protected"}[r.VMID]; r.Protected != want {
				t.Errorf("%s: guest %d shows protected %q, want %q", tool, r.VMID, r.Protected, want)
			}
		}
	}
}
