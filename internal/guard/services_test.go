package guard

import "testing"

// Stopping or restarting a node's service is asked about whatever tool
// sends it (reload too: Proxmox restarts what cannot reload); starting and reading are not.
func TestServiceControlAsked(t *testing.T) {
	cases := []guardCase{
		{"restart", "POST", "/nodes/pve1/services/pveproxy/restart", nil, "consent", []string{"restart the service pveproxy on node pve1"}, false},
		{"stop", "POST", "/nodes/pve1/services/sshd/stop", nil, "consent", []string{"stop the service sshd on node pve1"}, false},
		{"start", "POST", "/nodes/pve1/services/chrony/start", nil, "ok", nil, false},
		{"reload", "POST", "/nodes/pve1/services/pveproxy/reload", nil, "consent", []string{"cannot reload is restarted"}, false},
		{"state", "GET", "/nodes/pve1/services/pveproxy/state", nil, "ok", nil, false},
		{"unknown service", "POST", "/nodes/pve1/services/nosuch/restart", nil, "refused", []string{"service", "enumeration"}, true},
	}
	runGuardCases(t, Options{}, cases)
	runGuardCases(t, Options{AllowHostAccess: true}, cases)
	runGuardCases(t, nodesSet, []guardCase{
		{"node outside the allowlist", "POST", "/nodes/pve2/services/pveproxy/restart", nil, "refused", []string{"PVE_NODE_ALLOWLIST"}, true},
	})
}
