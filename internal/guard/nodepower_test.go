package guard

import "testing"

// What stops a node or many guests at once, or acts on a whole guest
// through its agent, is asked about; the batch executor is refused.
func TestNodePowerAsked(t *testing.T) {
	runGuardCases(t, Options{}, []guardCase{
		{"node reboot", "POST", "/nodes/pve1/status", form("command", "reboot"), "consent", []string{"reboot node pve1"}, false},
		{"stop all", "POST", "/nodes/pve1/stopall", nil, "consent", []string{"stop every guest on node pve1"}, false},
		{"migrate all", "POST", "/nodes/pve1/migrateall", form("target", "pve2"), "consent", []string{"migrate every guest off node pve1"}, false},
		{"execute", "POST", "/nodes/pve1/execute", form("commands", "[]"), "refused", []string{"batch of API calls"}, true},
		{"agent shutdown", "POST", "/nodes/pve1/qemu/100/agent/shutdown", nil, "consent", []string{"shut down VM 100"}, false},
		{"agent generic freeze", "POST", "/nodes/pve1/qemu/100/agent", form("command", "fsfreeze-freeze"), "consent", []string{"freeze the file systems of VM 100"}, false},
		{"agent suspend", "POST", "/nodes/pve1/qemu/100/agent/suspend-ram", nil, "consent", []string{"suspend-ram VM 100"}, false},
		{"agent ping", "POST", "/nodes/pve1/qemu/100/agent/ping", nil, "ok", nil, false},
		{"node status read", "GET", "/nodes/pve1/status", nil, "ok", nil, false},
	})
}
