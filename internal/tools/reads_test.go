package tools

import (
	"strings"
	"testing"
)

func TestReadTools(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"abc123"}`
	e.fake.routes["GET /nodes"] = `[{"node":"pve1","status":"online"},{"node":"pve2","status":"online"}]`
	e.fake.routes["GET /nodes/pve1/status"] = `{"uptime":10,"cpu":0.01}`
	e.fake.routes["GET /nodes/pve1/qemu/100/config"] = `{"cores":2,"memory":"2048","digest":"ab"}`
	var v versionOut
	decode(t, e.ok(t, "pve_version", nil), &v)
	if v.Major != 9 || v.Minor != 1 || v.Patch != 3 || v.RepoID != "abc123" {
		t.Fatalf("version: %+v", v)
	}
	e.ok(t, "pve_version", nil)
	if n := strings.Count(strings.Join(e.fake.log(), "\n"), "GET /version"); n != 1 {
		t.Errorf("version fetched %d times, want once (cached)", n)
	}
	if got := e.ok(t, "pve_list_nodes", nil); !strings.HasPrefix(got, `[{"node":"pve1"`) {
		t.Errorf("list nodes text should be a bare array: %s", got)
	}
	if got := e.ok(t, "pve_node_status", map[string]any{"node": "pve1"}); got != `{"uptime":10,"cpu":0.01}` {
		t.Errorf("node status: %s", got)
	}
	if got := e.ok(t, "pve_vm_config", map[string]any{"node": "pve1", "vmid": 100}); !strings.Contains(got, `"memory":"2048"`) {
		t.Errorf("config: %s", got)
	}
}

func TestListVMsWithoutNodeReturnsOnlyQEMU(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /cluster/resources"] = `[{"id":"qemu/100","type":"qemu","vmid":100,"node":"pve1"},{"id":"lxc/200","type":"lxc","vmid":200,"node":"pve1"}]`
	got := e.ok(t, "pve_list_vms", nil)
	if !strings.Contains(got, `"vmid":100`) || strings.Contains(got, `"vmid":200`) {
		t.Fatalf("list vms: %s", got)
	}
	if q := form(e.fake.log()[0]); q.Get("type") != "vm" {
		t.Errorf("expected type=vm, got %v", q)
	}
}

func TestListTasksRunningUsesSourceActive(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/tasks"] = `[]`
	e.ok(t, "pve_list_tasks", map[string]any{"node": "pve1", "running": true})
	e.ok(t, "pve_list_tasks", map[string]any{"node": "pve1"})
	log := e.fake.log()
	first, second := form(log[0]), form(log[1])
	if first.Get("source") != "active" || first.Has("running") || first.Get("limit") != "50" {
		t.Errorf("running: sent %v", first)
	}
	if second.Get("source") != "all" {
		t.Errorf("default: sent %v", second)
	}
}

func TestListFilteringByAllowlists(t *testing.T) {
	e := newEnv(t, envOpts{nodes: []string{"pve1"}, vmids: []int{100}})
	e.fake.routes["GET /nodes"] = `[{"node":"pve1"},{"node":"pve2"}]`
	e.fake.routes["GET /cluster/resources"] = `[{"type":"qemu","vmid":100,"node":"pve1"},{"type":"qemu","vmid":101,"node":"pve1"},` +
		`{"type":"lxc","vmid":102,"node":"pve2"},{"type":"storage","id":"storage/pve1/local","node":"pve1"},{"type":"node","node":"pve2"},{"type":"pool","id":"/pool/x"}]`
	e.fake.routes["GET /nodes/pve1/qemu"] = `[{"vmid":100},{"vmid":"101"}]`
	e.fake.routes["GET /nodes/pve1/tasks"] = `[{"upid":"a","id":"100"},{"upid":"b","id":"101"},{"upid":"c","id":""}]`
	if got := e.ok(t, "pve_list_nodes", nil); strings.Contains(got, "pve2") {
		t.Errorf("nodes not filtered: %s", got)
	}
	got := e.ok(t, "pve_cluster_resources", nil)
	if strings.Contains(got, "101") || strings.Contains(got, "pve2") || strings.Contains(got, "pool") || !strings.Contains(got, "storage/pve1/local") {
		t.Errorf("resources not filtered: %s", got)
	}
	if got := e.ok(t, "pve_list_vms", map[string]any{"node": "pve1"}); got != `[{"vmid":100}]` {
		t.Errorf("vms not filtered: %s", got)
	}
	if got := e.ok(t, "pve_list_tasks", map[string]any{"node": "pve1"}); got != `[{"upid":"a","id":"100"}]` {
		t.Errorf("tasks not filtered: %s", got)
	}
}

func TestStorageContentFiltered(t *testing.T) {
	e := newEnv(t, envOpts{vmids: []int{100}})
	e.fake.routes["GET /nodes/pve1/storage/local/content"] = `[{"volid":"local:iso/a.iso"},{"volid":"local:backup/vzdump-qemu-100.vma.zst","vmid":100},{"volid":"local:backup/vzdump-qemu-101.vma.zst","vmid":101}]`
	got := e.ok(t, "pve_list_backups", map[string]any{"node": "pve1", "storage": "local"})
	if strings.Contains(got, "101") || !strings.Contains(got, "qemu-100") {
		t.Errorf("backups not filtered: %s", got)
	}
	if q := form(e.fake.log()[0]); q.Get("content") != "backup" {
		t.Errorf("sent %v", q)
	}
}
