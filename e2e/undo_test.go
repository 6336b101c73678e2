package e2e

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

var undoEntryRe = regexp.MustCompile(`Audit entry (\d+) keeps the prior values`)

// TestUndoOverMCP (issue 20): with the audit log on, a config change names
// its entry, and pve_undo with it puts the config back exactly; a second
// undo of the same entry is refused.
func TestUndoOverMCP(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all", "PVE_AUDIT_LOG": filepath.Join(t.TempDir(), "audit.jsonl")}})
	conf := func() map[string]string {
		for _, g := range cl.sim.Export().Guests {
			if g.VMID == 101 {
				return g.Config
			}
		}
		t.Fatal("no guest 101")
		return nil
	}
	orig := conf()
	text := c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 101, "memory", 6144, "extra", m("onboot", 1)), nil)
	match := undoEntryRe.FindStringSubmatch(text)
	if match == nil {
		t.Fatalf("the change names no audit entry: %s", text)
	}
	n, _ := strconv.Atoi(match[1])
	if conf()["memory"] != "6144" {
		t.Fatalf("the change did not land: %v", conf())
	}
	c.ok("pve_undo", m("entry", n, "confirm", true), nil)
	after := conf()
	if len(after) != len(orig) {
		t.Errorf("after undo the config has %d keys, before %d: %v", len(after), len(orig), after)
	}
	for k, v := range orig {
		if after[k] != v {
			t.Errorf("after undo %s = %q, want %q", k, after[k], v)
		}
	}
	c.fails("pve_undo", m("entry", n, "confirm", true), "changed since", "nothing was restored")
}
