package tools

import (
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// TestBulkLog reads each guest's outcome from a bulk worker's log as
// pve-manager writes it; a bare warning after a launch is that guest's.
func TestBulkLog(t *testing.T) {
	var lines []pve.LogLine
	for _, l := range []string{
		"Migrating guests to pve2: 100, 101, 102, 103, 104",
		"Migrating VM 100",
		"WARN: 500 can't migrate running VM without --online",
		"WARN: CT 101 already on pve2, skipping.",
		"Migrating VM 102",
		"Migrating CT 103",
		"WARN: Migrating CT 103 failed: migration aborted",
		"WARN: Skipping VM 104, not running.",
		"WARN: some other warning",
		"TASK ERROR: Some guests failed to migrate 100, 103",
	} {
		lines = append(lines, pve.LogLine{T: l})
	}
	got := bulkLog(lines)
	want := map[int]string{100: "failed: 500 can't migrate running VM without --online", 101: "skipped: already on pve2",
		102: "launched", 103: "failed: migration aborted", 104: "skipped: not running"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%d: %q, want %q", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("outcomes: %v", got)
	}
}

func TestVolumeOf(t *testing.T) {
	for _, c := range []struct {
		k        guestKind
		val, vol string
	}{
		{qemuKind, "local-lvm:vm-100-disk-0,iothread=1,size=32G", "local-lvm:vm-100-disk-0"},
		{qemuKind, "file=nas:100/vm-100-disk-0.qcow2,size=8G", "nas:100/vm-100-disk-0.qcow2"},
		{lxcKind, "volume=local-lvm:vm-200-disk-0,size=8G", "local-lvm:vm-200-disk-0"},
		{qemuKind, "local-lvm:vm-100-disk-1", "local-lvm:vm-100-disk-1"},
	} {
		if got := volumeOf(c.k, c.val); got != c.vol {
			t.Errorf("volumeOf(%q) = %q, want %q", c.val, got, c.vol)
		}
	}
}
