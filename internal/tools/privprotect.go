package tools

import (
	"slices"
	"strings"
)

// Before a write that could change a guest, the guard reads the guest's
// config for its protection (internal/guard/protect.go), which Proxmox
// lets only VM.Audit do. So every tool whose table entry changes guests
// needs VM.Audit there too, but those whose writes leave a guest as it is.
var protectionRead = need("/vms/{vmid}", "VM.Audit")

// leavesGuestsAsTheyAre are guest tools the guard does not hold for
// protection: they start, snapshot, copy or only read a guest.
var leavesGuestsAsTheyAre = map[string]bool{
	"pve_vm_start": true, "pve_lxc_start": true, "pve_vm_resume": true, "pve_lxc_resume": true,
	"pve_snapshot_create": true, "pve_vm_clone": true, "pve_lxc_clone": true,
	"pve_vm_agent_info": true, "pve_vm_agent_file_read": true, "pve_backup_now": true,
}

// needsOf is a tool's table entry with the guard's protection read added
// where the guard makes it.
func needsOf(name string) ([]privNeed, bool) {
	needs, known := toolPrivileges()[name]
	if !known || leavesGuestsAsTheyAre[name] || !slices.ContainsFunc(needs, changesGuests) {
		return needs, known
	}
	return append(slices.Clip(needs), protectionRead), true
}

// changesGuests tells whether a need lets a tool change guests.
func changesGuests(n privNeed) bool {
	if !strings.HasPrefix(n.path, "/vms") {
		return false
	}
	for _, p := range n.list() {
		switch {
		case p == "VM.PowerMgmt", p == "VM.Allocate", p == "VM.Migrate", p == "VM.Snapshot", p == "VM.Snapshot.Rollback",
			p == "VM.Monitor", p == "VM.GuestAgent.Unrestricted", p == "VM.GuestAgent.FileWrite",
			strings.HasPrefix(p, "VM.Config."):
			return true
		}
	}
	return false
}

func needsOnly(name string) []privNeed {
	needs, _ := needsOf(name)
	return needs
}
