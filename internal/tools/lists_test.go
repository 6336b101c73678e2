package tools

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
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
// read-only mode or a destructive one when they are disabled. A tool with a
// read form is offered in that form, which must only read, under the same name.
func TestToolListsFollowEffects(t *testing.T) {
	all := Inventory(&Deps{})
	every := []string{"all"} // the extra toolsets' tools too
	for name, sel := range map[string]Selection{"read-only": {ReadOnly: true, Toolsets: every}, "no-destructive": {DisableDestructive: true, Toolsets: every}} {
		e := newEnv(t, envOpts{selection: sel})
		res, err := e.session.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*mcp.Tool{}
		for _, tl := range res.Tools {
			got[tl.Name] = tl
		}
		admitted := func(eff Effect) bool { return eff == ReadOnly || (!sel.ReadOnly && eff != Destructive) }
		for _, tl := range all {
			n := tl.Def.Name
			want := admitted(tl.Effect)
			if !want && tl.readForm != nil {
				if tl.readForm.Effect != ReadOnly {
					t.Errorf("%s: the read form of %s does not only read", name, n)
				}
				want = true
				if l := got[n]; l != nil && (!l.Annotations.ReadOnlyHint || l.Description != tl.readForm.Def.Description) {
					t.Errorf("%s: %s is offered, but not in its read form", name, n)
				}
			}
			if (got[n] != nil) != want {
				t.Errorf("%s: %s listed=%v, want %v (effect %d)", name, n, got[n] != nil, want, tl.Effect)
			}
		}
	}
	if n := len(listed(t, newEnv(t, envOpts{selection: Selection{Toolsets: every}}))); n != len(all) {
		t.Errorf("all: %d tools listed, inventory has %d", n, len(all))
	}
}
