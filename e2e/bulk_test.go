package e2e

import (
	"strings"
	"testing"
)

type bulkResult struct {
	UPID, ExitStatus string
	Guests           []struct {
		VMID                  int
		Node, Status, Outcome string
	}
}

func (b bulkResult) outcome(vmid int) string {
	for _, g := range b.Guests {
		if g.VMID == vmid {
			return g.Outcome
		}
	}
	return "(not reported)"
}

// TestBulkAction calls pve_bulk_action over MCP (PVE 9.1) and checks each
// guest's state after each call, and the refusals.
func TestBulkAction(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "bulk,qemu,lxc,cluster"}})

	t.Run("start", func(t *testing.T) {
		var b bulkResult
		c.ok("pve_bulk_action", m("action", "start", "vms", []int{101, 103, 201, 100, 9000}), &b)
		if !strings.Contains(b.UPID, ":bulk-start:") || b.ExitStatus != "WARNINGS: 1" { // the skip of 100
			t.Fatalf("bulk start: %+v", b)
		}
		for _, g := range []struct {
			kind, node string
			vmid       int
		}{{"vm", "pve1", 101}, {"vm", "pve3", 103}, {"lxc", "pve2", 201}} {
			if st := c.status(g.kind, g.node, g.vmid); st != "running" || b.outcome(g.vmid) != "started" {
				t.Errorf("%d: %s, outcome %q", g.vmid, st, b.outcome(g.vmid))
			}
		}
		if o := b.outcome(100); !strings.Contains(o, "skipped: already running") {
			t.Errorf("100: %q", o)
		}
		if o := b.outcome(9000); !strings.Contains(o, "template") {
			t.Errorf("9000: %q", o)
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_bulk_action", m("action", "shutdown", "vms", []int{101}, "forceStop", true), "confirm: true")
		c.fails("pve_bulk_action", m("action", "shutdown", "vms", []int{101}, "target", "pve2"), `"target"`, "migrate")
		c.fails("pve_bulk_action", m("action", "start", "vms", []int{}), `"vms"`)
		c.fails("pve_bulk_action", m("action", "migrate", "vms", []int{101}), `"target"`)
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused calls reached Proxmox: %v", w[before:])
		}
		var b bulkResult
		c.ok("pve_bulk_action", m("action", "shutdown", "vms", []int{101, 103, 9000}, "timeout", 30), &b)
		for _, id := range []int{101, 103} {
			if b.outcome(id) != "stopped" {
				t.Errorf("%d: %q", id, b.outcome(id))
			}
		}
		if o := b.outcome(9000); o != "skipped: a template (Proxmox leaves templates out)" {
			t.Errorf("template 9000 in a shutdown: %q", o)
		}
		if st := c.status("vm", "pve1", 101); st != "stopped" {
			t.Errorf("101 after shutdown: %s", st)
		}
	})

	t.Run("migrate", func(t *testing.T) {
		var b bulkResult
		c.ok("pve_bulk_action", m("action", "migrate", "vms", []int{103, 201}, "target", "pve1", "online", true, "withLocalDisks", true), &b)
		for _, id := range []int{103, 201} {
			if g, _ := c.findGuest(id); g.Node != "pve1" || b.outcome(id) != "migrated to pve1" {
				t.Errorf("%d: on %s, outcome %q", id, g.Node, b.outcome(id))
			}
		}
	})

	t.Run("guests fail", func(t *testing.T) {
		// 100 runs (no online), 101 has a local ISO in its CD drive.
		text := c.fails("pve_bulk_action", m("action", "migrate", "vms", []int{100, 101}, "target", "pve2"),
			"Some guests failed to migrate", "100 failed: 500 can't migrate running VM", "101 failed:")
		for _, id := range []int{100, 101} {
			if g, _ := c.findGuest(id); g.Node != "pve1" {
				t.Errorf("%d moved to %s: %s", id, g.Node, text)
			}
		}
		// 102 runs with a local disk: the reason is in its own task's log.
		text = c.fails("pve_bulk_action", m("action", "migrate", "vms", []int{102}, "target", "pve3", "online", true),
			"102 failed: migration aborted: can't live migrate attached local disks without with-local-disks option",
			"withLocalDisks: true")
		if g, _ := c.findGuest(102); g.Node == "pve3" {
			t.Errorf("102 moved: %s", text)
		}
	})
}

// TestBulkActionRefused: an older release is told to use the per-guest
// tools, and the allowlists apply to each guest listed.
func TestBulkActionRefused(t *testing.T) {
	t.Parallel()
	old := newClusterSchema(t, 0.02, "8.4")
	c := old.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "bulk"}})
	c.fails("pve_bulk_action", m("action", "start", "vms", []int{101}), "9.1 or newer", "pve_vm_start")
	if w := old.writes(); len(w) != 0 {
		t.Errorf("refused on 8.4, yet sent: %v", w)
	}

	cl := newCluster(t, 0.02)
	c = cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "bulk", "PVE_VMID_ALLOWLIST": "100,101"}})
	c.fails("pve_bulk_action", m("action", "start", "vms", []int{101, 103}), "103", "PVE_VMID_ALLOWLIST")
	var b bulkResult
	c.ok("pve_bulk_action", m("action", "start", "vms", []int{101}), &b)
	if b.outcome(101) != "started" {
		t.Errorf("allowed guest: %+v", b)
	}
	if w := cl.writes(); len(w) != 1 { // the bulk start (its sub-requests run inside the simulator)
		t.Errorf("writes: %v", w)
	}
}
