package tools

import (
	"context"
	"slices"
	"testing"
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
