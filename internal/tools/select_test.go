package tools

import (
	"slices"
	"strings"
	"testing"
)

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
	var defaults int
	for _, tl := range all {
		if !slices.Contains(extraSets, tl.Toolset) {
			defaults++
		}
	}
	if n := len(names(Selection{})); n != defaults {
		t.Errorf("default selection has %d tools, want the %d of the default toolsets", n, defaults)
	}
	if n := len(names(Selection{Toolsets: []string{"all"}})); n != len(all) {
		t.Errorf("PVE_TOOLSETS=all has %d of %d", n, len(all))
	}
	if d := DefaultToolsets(); slices.Contains(d, "exec") || !slices.Contains(d, "qemu") {
		t.Errorf("default toolsets: %v", d)
	}
	got := names(Selection{Toolsets: []string{"snapshots"}, Tools: []string{"pve_version"}, Exclude: []string{"pve_snapshot_delete"}})
	if !slices.Equal(got, []string{"pve_version", "pve_list_snapshots", "pve_snapshot_create", "pve_snapshot_rollback"}) {
		t.Errorf("toolsets+tools-exclude: %v", got)
	}
	if got := names(Selection{Tools: []string{"pve_vm_start", "pve_vm_status"}, ReadOnly: true}); !slices.Equal(got, []string{"pve_vm_status"}) {
		t.Errorf("read-only wins over PVE_TOOLS: %v", got)
	}
	_, err := Select(all, Selection{Toolsets: []string{"qemu", "vms"}, Tools: []string{"pve_nope"}, Exclude: []string{"pve_gone"}})
	if err == nil || !strings.Contains(err.Error(), `"vms"`) || !strings.Contains(err.Error(), `"pve_nope"`) || !strings.Contains(err.Error(), `"pve_gone"`) {
		t.Errorf("unknown names: %v", err)
	}
	_, err = Select(all, Selection{Exclude: []string{"pve_vm_strat"}})
	if err == nil || !strings.Contains(err.Error(), `"pve_vm_strat" (did you mean pve_vm_start`) {
		t.Errorf("unknown name without its close match: %v", err)
	}
}
