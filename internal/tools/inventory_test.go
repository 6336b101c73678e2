package tools

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// listed is the sorted names of the tools a session sees in tools/list.
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

func TestEveryToolIsAnnotated(t *testing.T) {
	for _, tl := range Inventory(&Deps{}) {
		d := tl.Definition()
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

// TestSchemasBuiltOnUse: the inventory infers no schema (a start-up cost
// for tools never offered); Definition and Register build them.
func TestSchemasBuiltOnUse(t *testing.T) {
	all := Inventory(&Deps{})
	for _, tl := range all {
		if tl.Def.InputSchema != nil || tl.Def.OutputSchema != nil {
			t.Fatalf("%s: schemas built by Inventory", tl.Def.Name)
		}
	}
	if d := all[0].Definition(); d.InputSchema == nil || d.OutputSchema == nil {
		t.Fatalf("%s: Definition built no schemas", d.Name)
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "1"}, nil)
	all[1].Register(srv)
	if all[1].Def.InputSchema == nil {
		t.Fatalf("%s: registered without an input schema", all[1].Def.Name)
	}
}

// A toolbox builds only the parts of the toolsets it needs, so a part must
// name every toolset it holds a tool of.
func TestPartsHoldTheirSets(t *testing.T) {
	seen := map[string]bool{}
	for i, p := range parts() {
		for _, tl := range p.build(&Deps{}) {
			if !slices.Contains(p.sets, tl.Toolset) {
				t.Errorf("part %d (%v) builds %s of toolset %q", i, p.sets, tl.Def.Name, tl.Toolset)
			}
			seen[tl.Toolset] = true
		}
		for _, s := range p.sets {
			if !slices.Contains(toolsetOrder, s) {
				t.Errorf("part %d names unknown toolset %q", i, s)
			}
		}
	}
	for _, s := range toolsetOrder {
		if !seen[s] {
			t.Errorf("no part builds a tool of toolset %q", s)
		}
	}
}

// A default toolbox builds the default toolsets' parts only; enabling or
// listing builds the rest, and what it offers is what a full build offers.
func TestToolboxBuildsOnDemand(t *testing.T) {
	builtSets := func(b *Toolbox) map[string]bool {
		out := map[string]bool{}
		for i, p := range b.parts {
			if b.built[i] != nil {
				for _, s := range p.sets {
					out[s] = true
				}
			}
		}
		return out
	}
	srv := func() *mcp.Server { return mcp.NewServer(&mcp.Implementation{Name: "t", Version: "0"}, nil) }
	lazy, err := NewToolbox(srv(), &Deps{}, Selection{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := builtSets(lazy); got["metrics"] || got["api"] || !got["qemu"] || !got["cluster"] {
		t.Fatalf("default toolbox built %v; want the default toolsets' parts only", got)
	}
	added, err := lazy.Enable([]string{"metrics"})
	if err != nil || len(added) == 0 || !builtSets(lazy)["metrics"] || builtSets(lazy)["api"] {
		t.Fatalf("Enable(metrics) = %v, %v; built %v", added, err, builtSets(lazy))
	}
	full, err := NewToolbox(srv(), &Deps{}, Selection{Exclude: []string{"pve_bulk_action"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !builtSets(full)["api"] {
		t.Fatal("a toolbox with PVE_EXCLUDE_TOOLS must check names against every part")
	}
	if _, err := NewToolbox(srv(), &Deps{}, Selection{Tools: []string{"pve_no_such"}}, nil); err == nil {
		t.Fatal("an unknown PVE_TOOLS name was accepted")
	}
	ref, err := NewToolbox(srv(), &Deps{}, Selection{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref.mu.Lock()
	ref.build([]string{"all"})
	ref.mu.Unlock()
	lazy2, _ := NewToolbox(srv(), &Deps{}, Selection{}, nil)
	if got, want := lazy2.Toolsets(), ref.Toolsets(); !slices.EqualFunc(got, want, func(a, b ToolsetInfo) bool {
		return a.Name == b.Name && a.Enabled == b.Enabled && a.Held == b.Held && slices.Equal(a.Tools, b.Tools)
	}) {
		t.Fatalf("Toolsets of a lazy toolbox:\n%v\nwant\n%v", got, want)
	}
	if got := lazy2.WhyOff("pve_node_metrics"); !strings.Contains(got, `toolset "metrics"`) {
		t.Fatalf("WhyOff(pve_node_metrics) = %q", got)
	}
}
