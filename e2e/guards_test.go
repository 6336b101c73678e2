package e2e

import (
	"os"
	"slices"
	"strings"
	"testing"
)

var readOnlyTools = []string{
	"pve_cluster_log", "pve_cluster_resources", "pve_cluster_status", "pve_list_backups", "pve_list_containers",
	"pve_list_network", "pve_list_nodes", "pve_list_snapshots", "pve_list_storage", "pve_list_tasks", "pve_list_vms",
	"pve_lxc_config", "pve_lxc_ip_addresses", "pve_lxc_status", "pve_next_vmid", "pve_node_status", "pve_storage_content",
	"pve_task_log", "pve_task_status", "pve_task_wait", "pve_toolsets", "pve_version", "pve_vm_config",
	"pve_vm_ip_addresses", "pve_vm_status",
}

func TestReadOnlyByDefault(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	for _, env := range []map[string]string{{"PVE_READONLY": ""}, {"PVE_READONLY": "true"}} {
		c := cl.connect(t, clientOpts{env: env})
		got := c.toolNames()
		slices.Sort(got)
		if !slices.Equal(got, readOnlyTools) {
			t.Errorf("read-only (%v) lists:\n%v\nwant\n%v", env, got, readOnlyTools)
		}
		res, err := c.session.CallTool(t.Context(), mcpParams("pve_vm_start", m("node", "pve1", "vmid", 101)))
		if err == nil && !res.IsError {
			t.Error("a write tool answered in read-only mode")
		}
	}
	if w := cl.writes(); len(w) != 0 {
		t.Errorf("writes in read-only mode: %v", w)
	}
	all := cl.connect(t, clientOpts{}).toolNames()
	if want := defaultTools(t); len(all) != want {
		t.Errorf("PVE_READONLY=false lists %d tools, want %d", len(all), want)
	}
}

func TestAllowlistsAndInjectionChangeNothing(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_NODE_ALLOWLIST": "pve1,pve2", "PVE_VMID_ALLOWLIST": "100,101,200,150"}})
	var vms []resource
	c.ok("pve_cluster_resources", nil, &vms)
	for _, r := range vms {
		if r.Node == "pve3" || (r.VMID != 0 && r.VMID != 100 && r.VMID != 101 && r.VMID != 200 && r.VMID != 150) {
			t.Errorf("resource outside the allowlists listed: %+v", r)
		}
	}
	var nodes []map[string]any
	c.ok("pve_list_nodes", nil, &nodes)
	if len(nodes) != 2 {
		t.Errorf("nodes: %v", nodes)
	}
	cl.sim.ResetRequests()
	for _, call := range []struct {
		tool string
		args map[string]any
		want string
	}{
		{"pve_vm_status", m("node", "pve3", "vmid", 103), "PVE_NODE_ALLOWLIST"},
		{"pve_vm_start", m("node", "pve1", "vmid", 102), "PVE_VMID_ALLOWLIST"},
		{"pve_vm_clone", m("node", "pve1", "vmid", 100, "newid", 160), "newid"},
		{"pve_vm_clone", m("node", "pve1", "vmid", 100, "newid", 150, "target", "pve3"), "target"},
		{"pve_vm_migrate", m("node", "pve1", "vmid", 100, "target", "pve3"), "target"},
		{"pve_schedule_backup", m("schedule", "daily", "storage", "local", "all", true), "PVE_VMID_ALLOWLIST"},
		{"pve_schedule_backup", m("schedule", "daily", "storage", "local", "vmids", []int{100, 103}), "103"},
		{"pve_vm_delete", m("node", "pve1", "vmid", 100, "confirmVmid", 100), "confirm: true"},
		{"pve_vm_delete", m("node", "pve1", "vmid", 100, "confirm", true, "confirmVmid", 101), "confirmVmid"},
		{"pve_vm_stop", m("node", "pve1", "vmid", 100), "confirm: true"},
		{"pve_lxc_delete", m("node", "pve1", "vmid", 200, "confirmVmid", 200), "confirm: true"},
		{"pve_snapshot_rollback", m("node", "pve1", "vmid", 100, "type", "qemu", "snapname", "before-upgrade", "confirm", true, "confirmName", "x"), "confirmName"},
		{"pve_restore", m("node", "pve1", "vmid", 100, "type", "qemu", "archive", "local:backup/vzdump-qemu-100-2024_01_01-00_00_00.vma.zst", "confirmVmid", 100), "confirm: true"},
		{"pve_apply_network", m("node", "pve1"), "confirm: true"},
		{"pve_node_status", m("node", "pve/../../access/users"), `"node"`},
		{"pve_node_status", m("node", "pve1?x=1"), `"node"`},
		{"pve_vm_status", m("node", "pve1", "vmid", 0), `"vmid"`},
		{"pve_vm_status", m("node", "pve1", "vmid", 1e12), `"vmid"`},
		{"pve_storage_content", m("node", "pve1", "storage", "local/../../x"), `"storage"`},
		{"pve_snapshot_delete", m("node", "pve1", "vmid", 100, "type", "qemu", "snapname", "../x", "confirm", true, "confirmName", "../x"), `"snapname"`},
		{"pve_task_log", m("upid", "UPID:pve1/../../x"), `"upid"`},
		{"pve_vm_reset", m("node", "pve1", "vmid", 100), "confirm: true"},
		{"pve_lxc_stop", m("node", "pve1", "vmid", 200), "confirm: true"},
		{"pve_snapshot_delete", m("node", "pve1", "vmid", 100, "type", "qemu", "snapname", "before-upgrade", "confirmName", "before-upgrade"), "confirm: true"},
		{"pve_snapshot_rollback", m("node", "pve1", "vmid", 100, "type", "qemu", "snapname", "before-upgrade", "confirmName", "before-upgrade"), "confirm: true"},
		{"pve_task_stop", m("upid", "UPID:pve1:0001A2B3:0012D687:6650F00D:qmstart:100:root@pam!mcp:"), "confirm: true"},
		{"pve_vm_set_config", m("node", "pve1", "vmid", 100, "extra", m("delete", "scsi0")), "confirm: true"},
		{"pve_restore", m("node", "pve1", "vmid", 100, "type", "qemu", "archive", "local:backup/vzdump-qemu-100-2024_01_01-00_00_00.vma.zst", "confirm", true, "confirmVmid", 101), "confirmVmid"},
		{"pve_lxc_start", m("node", "pve1", "vmid", 201), "PVE_VMID_ALLOWLIST"},
		{"pve_lxc_clone", m("node", "pve1", "vmid", 200, "newid", 300), "newid"},
		{"pve_lxc_create", m("node", "pve3", "vmid", 150, "ostemplate", "local:vztmpl/x.tar.zst", "rootfs", m("storage", "local-lvm", "sizeGb", 1)), "PVE_NODE_ALLOWLIST"},
		{"pve_snapshot_create", m("node", "pve2", "vmid", 102, "type", "qemu", "snapname", "x1"), "PVE_VMID_ALLOWLIST"},
		{"pve_list_snapshots", m("node", "pve2", "vmid", 102, "type", "qemu"), "PVE_VMID_ALLOWLIST"},
		{"pve_backup_now", m("node", "pve2", "vmid", 102, "storage", "local"), "PVE_VMID_ALLOWLIST"},
		{"pve_backup_now", m("node", "pve3", "vmid", 100, "storage", "local"), "PVE_NODE_ALLOWLIST"},
		{"pve_restore", m("node", "pve1", "vmid", 300, "type", "qemu", "archive", "local:backup/x.vma.zst", "confirm", true, "confirmVmid", 300), "PVE_VMID_ALLOWLIST"},
		{"pve_list_storage", m("node", "pve3"), "PVE_NODE_ALLOWLIST"},
		{"pve_download_iso", m("node", "pve3", "storage", "local", "url", "https://93.184.216.34/x.iso", "filename", "x.iso"), "PVE_NODE_ALLOWLIST"},
		{"pve_download_iso", m("node", "pve1", "storage", "local", "url", "file:///etc/shadow", "filename", "x.iso"), "url"},
		{"pve_create_bridge", m("node", "pve3", "iface", "vmbr5"), "PVE_NODE_ALLOWLIST"},
		{"pve_apply_network", m("node", "pve3", "confirm", true), "PVE_NODE_ALLOWLIST"},
		{"pve_list_network", m("node", "pve3"), "PVE_NODE_ALLOWLIST"},
		{"pve_list_backups", m("node", "pve3", "storage", "local"), "PVE_NODE_ALLOWLIST"},
		{"pve_restore", m("node", "pve1", "vmid", 100, "type", "qemu", "archive", "local:backup/vzdump-qemu-102-2024_01_01-00_00_00.vma.zst", "confirm", true, "confirmVmid", 100), "102"},
		{"pve_vm_create", m("node", "pve1", "vmid", 150, "extra", m("archive", "local:backup/vzdump-qemu-102-2024_01_01-00_00_00.vma.zst", "force", true)), "pve_restore"},
		{"pve_vm_set_config", m("node", "pve1", "vmid", 100, "confirm", true, "extra", m("scsi3", "local-lvm:vm-102-disk-0")), "102"},
		{"pve_download_iso", m("node", "pve1", "storage", "local", "url", "http://2130706433/x.iso", "filename", "x.iso"), "numeric"},
		{"pve_download_iso", m("node", "pve1", "storage", "local", "url", "http://[::ffff:169.254.169.254]/x.iso", "filename", "x.iso"), "metadata"},
	} {
		c.fails(call.tool, call.args, call.want)
	}
	if r := cl.sim.Requests(); len(r) != 0 {
		t.Errorf("refused calls reached Proxmox: %v", r)
	}
}

func TestSecretNeverShown(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{})
	_, secret := cl.sim.DefaultToken()
	var seen strings.Builder
	for _, call := range []struct {
		tool string
		args map[string]any
	}{
		{"pve_vm_start", m("node", "pve1", "vmid", 100)},
		{"pve_vm_status", m("node", "pve2", "vmid", 100)},
		{"pve_vm_create", m("node", "pve1", "vmid", 100)},
		{"pve_list_tasks", m("node", "pve1")},
	} {
		_, text := c.call(call.tool, call.args)
		seen.WriteString(text)
	}
	c.session.Close()
	if strings.Contains(seen.String(), secret) || strings.Contains(c.stderr.String(), secret) {
		t.Fatal("the token secret appeared in a result or a log line")
	}
}

// TestEveryToolExercised checks that the end-to-end tests call every tool.
func TestEveryToolExercised(t *testing.T) {
	t.Parallel()
	var src strings.Builder
	files, _ := os.ReadDir(".")
	for _, f := range files {
		if strings.HasSuffix(f.Name(), "_test.go") && f.Name() != "guards_test.go" {
			b, _ := os.ReadFile(f.Name())
			src.Write(b)
		}
	}
	// every toolset, the ones off by default too
	c := newCluster(t, 0.02).connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	for _, name := range c.toolNames() {
		if !strings.Contains(src.String(), `"`+name+`"`) {
			t.Errorf("no end-to-end test calls %s", name)
		}
	}
}

// TestDemoFromAFreshClone runs the README's first command as a client would:
// no cluster, no environment.
func TestDemoFromAFreshClone(t *testing.T) {
	t.Parallel()
	c := start(t, map[string]string{}, clientOpts{args: []string{"demo"}})
	if n, want := len(c.toolNames()), defaultTools(t); n != want {
		t.Errorf("demo lists %d tools, want %d", n, want)
	}
	var vms []resource
	c.ok("pve_list_vms", nil, &vms)
	if len(vms) == 0 {
		t.Fatal("the demo cluster has no VMs")
	}
	c.task("pve_vm_start", m("node", "pve1", "vmid", 101))
	if s := c.status("vm", "pve1", 101); s != "running" {
		t.Errorf("after start: %s", s)
	}
}
