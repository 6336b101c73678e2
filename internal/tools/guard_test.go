package tools

import "testing"

func TestAllowlistRefusals(t *testing.T) {
	e := newEnv(t, envOpts{nodes: []string{"pve1", "pve2"}, vmids: []int{100, 101}})
	e.refused(t, "pve_vm_status", map[string]any{"node": "pve3", "vmid": 100}, "PVE_NODE_ALLOWLIST", "pve3")
	e.refused(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 102}, "PVE_VMID_ALLOWLIST", "102")
	e.refused(t, "pve_vm_clone", map[string]any{"node": "pve1", "vmid": 100, "newid": 900}, "newid", "900")
	e.refused(t, "pve_vm_clone", map[string]any{"node": "pve1", "vmid": 100, "newid": 101, "target": "pve3"}, "target", "pve3")
	e.refused(t, "pve_vm_migrate", map[string]any{"node": "pve1", "vmid": 100, "target": "pve3"}, "target", "pve3")
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 555}, "555")
	e.refused(t, "pve_list_tasks", map[string]any{"node": "pve9"}, "pve9")
	if w := e.fake.log(); len(w) != 0 {
		t.Fatalf("requests sent: %v", w)
	}
}

func TestMalformedIdentifiersNeverReachTheAPI(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, c := range []struct {
		tool string
		args map[string]any
		arg  string
	}{
		{"pve_node_status", map[string]any{"node": "pve/../../access/users"}, "node"},
		{"pve_node_status", map[string]any{"node": "pve?x=1"}, "node"},
		{"pve_node_status", map[string]any{"node": ""}, "node"},
		{"pve_vm_status", map[string]any{"node": "pve1", "vmid": 0}, "vmid"},
		{"pve_vm_status", map[string]any{"node": "pve1", "vmid": 1e12}, "vmid"},
		{"pve_vm_status", map[string]any{"node": "pve1", "vmid": "100"}, "vmid"},
		{"pve_vm_config", map[string]any{"node": "pve1", "vmid": 100.5}, "vmid"},
		{"pve_vm_clone", map[string]any{"node": "pve1", "vmid": 100, "newid": 99}, "newid"},
		{"pve_vm_migrate", map[string]any{"node": "pve1", "vmid": 100, "target": "../x"}, "target"},
		{"pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "disk": map[string]any{"storage": "local,x=1", "sizeGb": 1}}, "disk.storage"},
		{"pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "iso": map[string]any{"storage": "local", "file": "../../etc/passwd"}}, "iso.file"},
		{"pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "net": map[string]any{"bridge": "vmbr0,firewall=1"}}, "net.bridge"},
		{"pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"vmid": 5}}, "extra"},
		{"pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"Bad Key": 5}}, "extra"},
		{"pve_list_tasks", map[string]any{"node": "pve1", "limit": 501}, "limit"},
		{"pve_cluster_resources", map[string]any{"type": "everything"}, "type"},
		{"pve_vm_status", map[string]any{"node": "pve1", "vmid": 100, "bogus": 1}, "bogus"},
	} {
		e.refused(t, c.tool, c.args, c.arg)
	}
}
