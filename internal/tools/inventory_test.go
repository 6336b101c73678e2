package tools

import (
	"context"
	"slices"
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
