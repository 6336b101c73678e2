package tools

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestToolDefinitionsGolden compares each tool, as a client sees it in
// tools/list, with testdata/tools/NAME.json; UPDATE_GOLDEN=1 rewrites them.
func TestToolDefinitionsGolden(t *testing.T) {
	dir := filepath.Join("testdata", "tools")
	update := os.Getenv("UPDATE_GOLDEN") == "1"
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, tl := range Inventory(&Deps{}) {
		got, err := json.MarshalIndent(tl.Def, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		file := filepath.Join(dir, tl.Def.Name+".json")
		seen[filepath.Base(file)] = true
		if update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s: no golden file (run UPDATE_GOLDEN=1 go test ./internal/tools)", tl.Def.Name)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: definition differs from %s (run UPDATE_GOLDEN=1 go test ./internal/tools and review the diff)", tl.Def.Name, file)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !seen[e.Name()] {
			t.Errorf("stale golden file %s", e.Name())
		}
	}
}

var toolNameRe = regexp.MustCompile(`^pve_[a-z0-9_]{2,60}$`)

// TestToolDefinitionsAreClean checks what some clients reject or need.
func TestToolDefinitionsAreClean(t *testing.T) {
	for _, tl := range Inventory(&Deps{}) {
		d := tl.Def
		if !toolNameRe.MatchString(d.Name) {
			t.Errorf("%s: bad tool name", d.Name)
		}
		if d.Title == "" || d.Description == "" || d.Annotations == nil || d.Annotations.Title == "" {
			t.Errorf("%s: missing title or description", d.Name)
		}
		for what, s := range map[string]any{"input": d.InputSchema, "output": d.OutputSchema} {
			raw, _ := json.Marshal(s)
			var top map[string]any
			_ = json.Unmarshal(raw, &top)
			if top["type"] != "object" {
				t.Errorf("%s: %s schema is not an object", d.Name, what)
			}
			for _, k := range []string{"anyOf", "oneOf", "allOf"} {
				if _, ok := top[k]; ok {
					t.Errorf("%s: %s schema has a top-level %s", d.Name, what, k)
				}
			}
			if strings.Contains(string(raw), `"$schema"`) {
				t.Errorf("%s: %s schema has $schema", d.Name, what)
			}
		}
	}
}

// TestInputSchemasResolve makes sure every lazily resolved schema is valid.
func TestInputSchemasResolve(t *testing.T) {
	for _, tl := range Inventory(&Deps{}) {
		res, err := tl.Handle(t.Context(), &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Arguments: json.RawMessage(`{"zz_unknown":1}`)}})
		if err != nil {
			t.Errorf("%s: %v", tl.Def.Name, err)
			continue
		}
		if !res.IsError {
			t.Errorf("%s: unknown argument accepted", tl.Def.Name)
		}
	}
}
