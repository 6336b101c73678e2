package tools

import (
	"context"
	"slices"
	"strings"
	"testing"
)

var readTools = []string{
	"pve_version", "pve_list_nodes", "pve_node_status", "pve_cluster_resources", "pve_list_tasks",
	"pve_list_vms", "pve_vm_status", "pve_vm_config",
	"pve_list_containers", "pve_lxc_status", "pve_lxc_config", "pve_list_snapshots",
	"pve_list_storage", "pve_storage_content", "pve_list_network", "pve_list_backups",
	"pve_task_status", "pve_task_log", "pve_task_wait",
}

var writeTools = []string{
	"pve_vm_start", "pve_vm_shutdown", "pve_vm_reboot", "pve_vm_stop", "pve_vm_reset",
	"pve_vm_create", "pve_vm_clone", "pve_vm_migrate", "pve_vm_set_config", "pve_vm_delete",
	"pve_lxc_start", "pve_lxc_shutdown", "pve_lxc_reboot", "pve_lxc_stop", "pve_lxc_create", "pve_lxc_clone", "pve_lxc_delete",
	"pve_snapshot_create", "pve_snapshot_rollback", "pve_snapshot_delete",
	"pve_download_iso", "pve_create_bridge", "pve_apply_network",
	"pve_backup_now", "pve_restore", "pve_schedule_backup",
	"pve_task_stop",
}

func listed(t *testing.T, e *env) []string {
	t.Helper()
	res, err := e.session.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	slices.Sort(names)
	return names
}

func TestReadOnlyRegistersNoWriteTool(t *testing.T) {
	got := listed(t, newEnv(t, envOpts{readOnly: true}))
	want := slices.Sorted(slices.Values(readTools))
	if !slices.Equal(got, want) {
		t.Fatalf("read-only tools:\n got %v\nwant %v", got, want)
	}
	all := listed(t, newEnv(t, envOpts{}))
	want = slices.Sorted(slices.Values(append(slices.Clone(readTools), writeTools...)))
	if !slices.Equal(all, want) {
		t.Fatalf("all tools:\n got %v\nwant %v", all, want)
	}
}

func TestEveryToolIsAnnotated(t *testing.T) {
	for _, tl := range Inventory(&Deps{}) {
		d := tl.Def
		if d.Title == "" || d.Description == "" || d.Annotations == nil || d.Annotations.DestructiveHint == nil || d.Annotations.OpenWorldHint == nil {
			t.Errorf("%s: missing title, description or annotations", d.Name)
			continue
		}
		if d.Annotations.ReadOnlyHint != (tl.Effect == ReadOnly) || *d.Annotations.DestructiveHint != (tl.Effect == Destructive) {
			t.Errorf("%s: annotations disagree with effect", d.Name)
		}
		if d.OutputSchema == nil {
			t.Errorf("%s: no output schema", d.Name)
		}
	}
}

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
	if !strings.Contains(got, "qemu/100") || strings.Contains(got, "lxc/200") {
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

func TestTaskStartingWrite(t *testing.T) {
	e := newEnv(t, envOpts{})
	var out taskOut
	decode(t, e.ok(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100}), &out)
	if out.Action != "start" || out.VMID != 100 || out.UPID != testUPID || out.ExitStatus != "OK" {
		t.Fatalf("start: %+v", out)
	}
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "POST /nodes/pve1/qemu/100/status/start") {
		t.Fatalf("writes: %v", w)
	}
}

func TestTaskWarningsAndFailure(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.exit = "WARNINGS: 1"
	var out taskOut
	decode(t, e.ok(t, "pve_vm_shutdown", map[string]any{"node": "pve1", "vmid": 100}), &out)
	if out.ExitStatus != "WARNINGS: 1" || len(out.Warnings) != 1 {
		t.Errorf("warnings: %+v", out)
	}
	e.fake.exit = "VM 100 already running"
	res, text := e.call(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100})
	if !res.IsError || !strings.Contains(text, "VM 100 already running") {
		t.Errorf("failed task reported as: %v %s", res.IsError, text)
	}
}

func TestConfirmationRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	g := map[string]any{"node": "pve1", "vmid": 100}
	e.refused(t, "pve_vm_stop", g, "confirm: true")
	e.refused(t, "pve_vm_reset", map[string]any{"node": "pve1", "vmid": 100, "confirm": false}, "confirm: true")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirmVmid": 100}, "confirm: true")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 101}, "101", "100")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true}, `"confirmVmid"`)
	if len(e.fake.log()) != 0 {
		t.Fatalf("requests sent: %v", e.fake.log())
	}
	e.ok(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100})
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "DELETE /nodes/pve1/qemu/100?") || form(w[0]).Get("purge") != "1" || form(w[0]).Get("destroy-unreferenced-disks") != "1" {
		t.Fatalf("delete sent %v", w)
	}
}

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

func TestCreateBuildsProxmoxParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok(t, "pve_vm_create", map[string]any{
		"node": "pve1", "vmid": 200, "name": "web",
		"disk":  map[string]any{"storage": "local-lvm", "sizeGb": 8, "bus": "virtio"},
		"net":   map[string]any{"vlan": 10},
		"iso":   map[string]any{"storage": "local", "file": "debian-12.iso"},
		"extra": map[string]any{"agent": "1", "onboot": true, "balloon": 256},
	})
	f := form(e.fake.writes()[0])
	for k, want := range map[string]string{
		"vmid": "200", "name": "web", "cores": "1", "sockets": "1", "memory": "512", "ostype": "l26",
		"scsihw": "virtio-scsi-single", "start": "0", "virtio0": "local-lvm:8", "net0": "virtio,bridge=vmbr0,tag=10",
		"ide2": "local:iso/debian-12.iso,media=cdrom", "agent": "1", "onboot": "1", "balloon": "256",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestCloneAndMigrateParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	var out taskOut
	decode(t, e.ok(t, "pve_vm_clone", map[string]any{"node": "pve1", "vmid": 100, "newid": 150, "name": "c1", "target": "pve2"}), &out)
	if out.From != 100 || out.To != 150 {
		t.Errorf("clone out %+v", out)
	}
	f := form(e.fake.writes()[0])
	if f.Get("newid") != "150" || f.Get("target") != "pve2" || f.Has("full") {
		t.Errorf("clone sent %v (full must be left to Proxmox when not given)", f)
	}
	e.ok(t, "pve_vm_migrate", map[string]any{"node": "pve1", "vmid": 100, "target": "pve2", "online": true})
	f = form(e.fake.writes()[1])
	if f.Get("target") != "pve2" || f.Get("online") != "1" || f.Get("with-local-disks") != "0" {
		t.Errorf("migrate sent %v", f)
	}
	e.refused(t, "pve_vm_migrate", map[string]any{"node": "pve1", "vmid": 100, "target": "pve1"}, "target")
}

func TestSetConfig(t *testing.T) {
	e := newEnv(t, envOpts{})
	got := e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "cores": 4, "description": "db"})
	if got != `{"action":"set_config","node":"pve1","vmid":100,"result":"ok"}` {
		t.Errorf("set config result %s", got)
	}
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "PUT /nodes/pve1/qemu/100/config") || form(w[0]).Get("cores") != "4" {
		t.Errorf("sent %v", w)
	}
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100}, "nothing to change")
}

func TestSecretNeverInResults(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.exit = "failed"
	_, text := e.call(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100})
	_, text2 := e.call(t, "pve_node_status", map[string]any{"node": "nowhere"})
	if strings.Contains(text+text2, "s3cr3t-token") {
		t.Fatal("secret leaked")
	}
}

func TestSelection(t *testing.T) {
	all := Inventory(&Deps{})
	names := func(s Selection) []string {
		t.Helper()
		got, err := Select(all, s)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tl := range got {
			out = append(out, tl.Def.Name)
		}
		return out
	}
	if n := len(names(Selection{})); n != len(all) {
		t.Errorf("default selection has %d of %d", n, len(all))
	}
	got := names(Selection{Toolsets: []string{"snapshots"}, Tools: []string{"pve_version"}, Exclude: []string{"pve_snapshot_delete"}})
	if !slices.Equal(got, []string{"pve_version", "pve_list_snapshots", "pve_snapshot_create", "pve_snapshot_rollback"}) {
		t.Errorf("toolsets+tools-exclude: %v", got)
	}
	if got := names(Selection{Tools: []string{"pve_vm_start", "pve_vm_status"}, ReadOnly: true}); !slices.Equal(got, []string{"pve_vm_status"}) {
		t.Errorf("read-only wins over PVE_TOOLS: %v", got)
	}
	for _, n := range names(Selection{DisableDestructive: true}) {
		if n == "pve_vm_delete" || n == "pve_vm_stop" || n == "pve_task_stop" {
			t.Errorf("destructive %s listed", n)
		}
	}
	_, err := Select(all, Selection{Toolsets: []string{"qemu", "vms"}, Tools: []string{"pve_nope"}, Exclude: []string{"pve_gone"}})
	if err == nil || !strings.Contains(err.Error(), `"vms"`) || !strings.Contains(err.Error(), `"pve_nope"`) || !strings.Contains(err.Error(), `"pve_gone"`) {
		t.Errorf("unknown names: %v", err)
	}
}
