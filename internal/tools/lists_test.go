package tools

import (
	"path/filepath"
	"strings"
	"testing"
)

// listConfigs are the tool selections whose tools/list is kept in
// testdata/lists/NAME.txt: all tools, read-only, destructive disabled, and
// each toolset alone.
func listConfigs() map[string]Selection {
	configs := map[string]Selection{
		"all":            {Toolsets: []string{"all"}},
		"read-only":      {ReadOnly: true},
		"no-destructive": {DisableDestructive: true},
	}
	for _, ts := range Toolsets() {
		configs["toolset-"+ts] = Selection{Toolsets: []string{ts}}
	}
	return configs
}

// TestToolListsGolden compares the names each configuration lists over MCP
// with its golden file; UPDATE_GOLDEN=1 rewrites them.
func TestToolListsGolden(t *testing.T) {
	dir := filepath.Join("testdata", "lists")
	seen := map[string]bool{}
	for name, sel := range listConfigs() {
		names := listed(t, newEnv(t, envOpts{selection: sel}))
		seen[name+".txt"] = true
		golden(t, filepath.Join(dir, name+".txt"), []byte(strings.Join(names, "\n")+"\n"))
	}
	noStale(t, dir, seen)
}

// TestToolListsFollowEffects checks the gates against each tool's Effect, so
// a golden refreshed without a look still cannot offer a write tool in
// read-only mode or a destructive one when they are disabled.
func TestToolListsFollowEffects(t *testing.T) {
	all := Inventory(&Deps{})
	every := []string{"all"} // the extra toolsets' tools too
	for name, sel := range map[string]Selection{"read-only": {ReadOnly: true, Toolsets: every}, "no-destructive": {DisableDestructive: true, Toolsets: every}} {
		got := map[string]bool{}
		for _, n := range listed(t, newEnv(t, envOpts{selection: sel})) {
			got[n] = true
		}
		for _, tl := range all {
			n := tl.Def.Name
			want := tl.Effect == ReadOnly || (!sel.ReadOnly && tl.Effect != Destructive)
			if got[n] != want {
				t.Errorf("%s: %s listed=%v, want %v (effect %d)", name, n, got[n], want, tl.Effect)
			}
		}
	}
	if n := len(listed(t, newEnv(t, envOpts{selection: Selection{Toolsets: every}}))); n != len(all) {
		t.Errorf("all: %d tools listed, inventory has %d", n, len(all))
	}
}
