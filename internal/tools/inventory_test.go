package tools

import (
	"context"
	"slices"
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
