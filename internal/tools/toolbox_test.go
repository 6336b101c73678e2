package tools

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func toolsetsCall(t *testing.T, e *env, enable ...string) toolsetsOut {
	t.Helper()
	var out toolsetsOut
	if err := json.Unmarshal([]byte(e.ok(t, "pve_toolsets", map[string]any{"enable": enable})), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestToolsetsEnable: pve_toolsets adds a toolset's tools, the client hears
// that the list changed, and the configuration's gates still hold.
func TestToolsetsEnable(t *testing.T) {
	changed := make(chan struct{}, 8)
	opts := &mcp.ClientOptions{ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} }}
	e := newEnv(t, envOpts{client: opts, selection: Selection{Toolsets: []string{"cluster"}, ReadOnly: true}})
	before := listed(t, e)
	if slices.Contains(before, "pve_vm_status") || !slices.Contains(before, "pve_toolsets") {
		t.Fatalf("before: %v", before)
	}
	out := toolsetsCall(t, e, "qemu")
	if !slices.Contains(out.Added, "pve_vm_status") || slices.Contains(out.Added, "pve_vm_start") {
		t.Errorf("added in read-only mode: %v", out.Added)
	}
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("no notifications/tools/list_changed")
	}
	after := listed(t, e)
	if !slices.Contains(after, "pve_vm_status") || slices.Contains(after, "pve_vm_start") {
		t.Errorf("after: %v", after)
	}
	for _, ts := range out.Toolsets {
		if ts.Name == "qemu" && (!ts.Enabled || ts.Held == 0) {
			t.Errorf("qemu toolset: %+v", ts)
		}
		if ts.Name == "snapshots" && ts.Enabled {
			t.Errorf("snapshots enabled: %+v", ts)
		}
	}
	// Again: nothing more to add.
	out = toolsetsCall(t, e, "qemu")
	if len(out.Added) != 0 {
		t.Errorf("second enable added %v", out.Added)
	}
	_, text := e.call(t, "pve_toolsets", map[string]any{"enable": []string{"vms"}})
	if !strings.Contains(text, `unknown toolset "vms"`) || !strings.Contains(text, "known: all, cluster") {
		t.Errorf("unknown toolset: %s", text)
	}
}

func TestToolsetsExcluded(t *testing.T) {
	e := newEnv(t, envOpts{selection: Selection{Toolsets: []string{"cluster"}, Exclude: []string{"pve_vm_delete"}, DisableDestructive: true}})
	out := toolsetsCall(t, e, "all")
	if slices.Contains(out.Added, "pve_vm_delete") || slices.Contains(out.Added, "pve_vm_stop") || !slices.Contains(out.Added, "pve_vm_start") {
		t.Errorf("gates: %v", out.Added)
	}
}
