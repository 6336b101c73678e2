package tools

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestToolDefinitionsGolden compares each tool with two files in
// testdata/tools: NAME.json is the tool as a client sees it in tools/list,
// NAME.validation.json the full input schema the server checks arguments
// against (patterns, bounds, lengths, closed objects), which tools/list
// leaves out. UPDATE_GOLDEN=1 rewrites them.
func TestToolDefinitionsGolden(t *testing.T) {
	dir := filepath.Join("testdata", "tools")
	seen := map[string]bool{}
	for _, tl := range Inventory(&Deps{}) {
		for file, v := range map[string]any{
			tl.Def.Name + ".json":            tl.Definition(),
			tl.Def.Name + ".validation.json": tl.input(),
		} {
			got, err := json.MarshalIndent(v, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			seen[file] = true
			golden(t, filepath.Join(dir, file), append(got, '\n'))
		}
	}
	noStale(t, dir, seen)
}

// golden compares got with a file; UPDATE_GOLDEN=1 rewrites the file instead.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Errorf("%v (run UPDATE_GOLDEN=1 go test ./internal/tools)", err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-golden +now; if intended, run UPDATE_GOLDEN=1 go test ./internal/tools and review the diff):\n%s",
			file, goldenDiff(want, got))
	}
}

// goldenDiff shows JSON by path, so a changed pattern is named by the
// argument it belongs to; other text (or a change of layout only) by line.
func goldenDiff(want, got []byte) string {
	var w, g any
	if json.Unmarshal(want, &w) == nil && json.Unmarshal(got, &g) == nil {
		if d := cmp.Diff(w, g); d != "" {
			return d
		}
	}
	return cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n"))
}

// noStale fails on files in dir that no tool or configuration wrote.
func noStale(t *testing.T, dir string, seen map[string]bool) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !seen[e.Name()] {
			t.Errorf("stale golden file %s", filepath.Join(dir, e.Name()))
		}
	}
}

var toolNameRe = regexp.MustCompile(`^pve_[a-z0-9_]{2,60}$`)

// TestToolDefinitionsAreClean checks what some clients reject or need.
func TestToolDefinitionsAreClean(t *testing.T) {
	for _, tl := range Inventory(&Deps{}) {
		d := tl.Definition()
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
