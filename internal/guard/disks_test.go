package guard

import (
	"net/url"
	"testing"
)

// Disk moves and unlinks: deleting a source volume asks the user, however
// the request comes (a tool or a generic API call); guests are checked.
func TestDiskMoveAndUnlink(t *testing.T) {
	move, moveCT, unlink := "/nodes/pve1/qemu/100/move_disk", "/nodes/pve1/lxc/200/move_volume", "/nodes/pve1/qemu/100/unlink"
	runGuardCases(t, guestsSet, []guardCase{
		{"move keeps the source", "POST", move, form("disk", "scsi0", "storage", "nfs"), "ok", nil, false},
		{"move deletes the source", "POST", move, form("disk", "scsi0", "storage", "nfs", "delete", "1"), "consent", []string{"delete", "source volume"}, false},
		{"ct move deletes the source", "POST", moveCT, form("volume", "rootfs", "storage", "nfs", "delete", "1"), "consent", []string{"delete"}, false},
		{"move delete=0", "POST", move, form("disk", "scsi0", "storage", "nfs", "delete", "0"), "ok", nil, false},
		{"move to a guest outside the list", "POST", move, form("disk", "scsi0", "target-vmid", "101"), "refused", []string{"target-vmid", "101", "PVE_VMID_ALLOWLIST"}, true},
		{"move of a guest outside the list", "POST", "/nodes/pve1/qemu/101/move_disk", form("disk", "scsi0", "storage", "nfs"), "refused", []string{"101"}, true},
		{"unlink keeps the volume", "PUT", unlink, form("idlist", "scsi1"), "ok", nil, false},
		{"unlink with force", "PUT", unlink, form("idlist", "scsi1", "force", "1"), "consent", []string{"force", "scsi1", "for good"}, false},
		{"unlink of an unused disk", "PUT", unlink, form("idlist", "scsi1,unused0"), "consent", []string{"unused0", "deletes its volume"}, false},
	})
}

// Bulk actions name their guests: each is checked, and without a list
// (every guest) they are refused while an allowlist is set.
func TestBulkAction(t *testing.T) {
	start := "/cluster/bulk-action/guest/start"
	runGuardCases(t, guestsSet, []guardCase{
		{"listed guests", "POST", start, url.Values{"vms": {"100", "200"}}, "ok", nil, false},
		{"a guest outside the list", "POST", start, url.Values{"vms": {"100", "101"}}, "refused", []string{"101", "PVE_VMID_ALLOWLIST"}, true},
		{"every guest", "POST", start, nil, "refused", []string{"vms", "every guest"}, true},
		{"migrate every guest", "POST", "/cluster/bulk-action/guest/migrate", form("target", "pve2"), "refused", []string{"every guest"}, true},
	})
	runGuardCases(t, nodesSet, []guardCase{
		{"migrate to a node outside the list", "POST", "/cluster/bulk-action/guest/migrate", form("target", "pve2", "vms", "100"), "refused", []string{"target", "pve2"}, true},
	})
	runGuardCases(t, Options{}, []guardCase{
		{"no allowlist: every guest", "POST", start, nil, "ok", nil, false},
	})
}

// A bulk task names no guest: ours (its guests were checked when it was
// sent) may be followed, another user's not while a guest allowlist is set.
func TestBulkTask(t *testing.T) {
	ours := "/nodes/pve1/tasks/UPID:pve1:0001A2B3:0012D687:6650F00D:bulk-start::root@pam!mcp:/status"
	theirs := "/nodes/pve1/tasks/UPID:pve1:0001A2B3:0012D687:6650F00D:bulk-start::alice@pve:/status"
	runGuardCases(t, guestsSet, []guardCase{
		{"our bulk task", "GET", ours, nil, "ok", nil, false},
		{"another user's bulk task", "GET", theirs, nil, "refused", []string{"names no guest"}, true},
	})
}
