package guard

import "testing"

// HA resource ids and node lists pass the allowlists like any guest id or node.
func TestHAAllowlists(t *testing.T) {
	runGuardCases(t, guestsSet, []guardCase{
		{"add an allowed guest", "POST", "/cluster/ha/resources", form("sid", "vm:100", "state", "started"), "ok", nil, false},
		{"add a bare vmid", "POST", "/cluster/ha/resources", form("sid", "200"), "ok", nil, false},
		{"add another guest", "POST", "/cluster/ha/resources", form("sid", "vm:105"), "refused", []string{"105", "PVE_VMID_ALLOWLIST"}, true},
		{"add another container", "POST", "/cluster/ha/resources", form("sid", "ct:201"), "refused", []string{"201"}, true},
		{"remove another guest", "DELETE", "/cluster/ha/resources/vm:105", nil, "refused", []string{"105"}, true},
		{"read another guest", "GET", "/cluster/ha/resources/vm:105", nil, "refused", []string{"105"}, true},
		{"a rule naming another guest", "POST", "/cluster/ha/rules", form("rule", "keep", "type", "resource-affinity", "resources", "vm:100,vm:105", "affinity", "positive"), "refused", []string{"105"}, true},
		{"a rule of allowed guests", "POST", "/cluster/ha/rules", form("rule", "keep", "type", "resource-affinity", "resources", "vm:100,ct:200", "affinity", "negative"), "ok", nil, false},
	})
	runGuardCases(t, nodesSet, []guardCase{
		{"a rule placing a guest on another node", "POST", "/cluster/ha/rules", form("rule", "pin", "type", "node-affinity", "resources", "vm:100", "nodes", "pve1:2,pve2"), "refused", []string{"pve2", "PVE_NODE_ALLOWLIST"}, false},
		{"a guest on another node", "POST", "/cluster/ha/resources", form("sid", "vm:105"), "refused", []string{"105", "pve2"}, false},
		{"a rule on allowed nodes", "POST", "/cluster/ha/rules", form("rule", "pin", "type", "node-affinity", "resources", "vm:100", "nodes", "pve1:2"), "ok", nil, false},
	})
	runGuardCases(t, Options{Release: "8.4", Allow: NewAllowlist([]string{"pve1"}, nil)}, []guardCase{
		{"a group with another node", "POST", "/cluster/ha/groups", form("group", "g1", "nodes", "pve1,pve3:1"), "refused", []string{"pve3"}, true},
	})
}

// The cluster's and a node's firewall are host-level; a guest's is the guest's.
func TestFirewallHostLevel(t *testing.T) {
	rule := form("type", "in", "action", "ACCEPT", "proto", "tcp", "dport", "443", "enable", "1")
	runGuardCases(t, Options{}, []guardCase{
		{"cluster rule", "POST", "/cluster/firewall/rules", rule, "refused", []string{"cluster firewall", "PVE_ALLOW_HOST_ACCESS"}, true},
		{"node rule", "POST", "/nodes/pve1/firewall/rules", rule, "refused", []string{"node pve1", "PVE_ALLOW_HOST_ACCESS"}, true},
		{"cluster rule delete", "DELETE", "/cluster/firewall/rules/0", nil, "refused", []string{"PVE_ALLOW_HOST_ACCESS"}, true},
		{"cluster options", "PUT", "/cluster/firewall/options", form("enable", "1"), "refused", []string{"PVE_ALLOW_HOST_ACCESS"}, true},
		{"cluster ipset", "POST", "/cluster/firewall/ipset", form("name", "blocked"), "refused", []string{"PVE_ALLOW_HOST_ACCESS"}, true},
		{"cluster read", "GET", "/cluster/firewall/rules", nil, "ok", nil, false},
		{"guest rule", "POST", "/nodes/pve1/qemu/100/firewall/rules", rule, "ok", nil, false},
		{"guest firewall off asks", "PUT", "/nodes/pve1/qemu/100/firewall/options", form("enable", "0"), "consent", []string{"turns this firewall off"}, false},
		{"guest enable deleted asks", "PUT", "/nodes/pve1/lxc/200/firewall/options", form("delete", "enable"), "consent", []string{"turns this firewall off"}, false},
		{"guest policy accept asks", "PUT", "/nodes/pve1/qemu/100/firewall/options", form("policy_in", "ACCEPT"), "consent", []string{"policy_in = ACCEPT"}, false},
		{"guest firewall on", "PUT", "/nodes/pve1/qemu/100/firewall/options", form("enable", "1", "policy_in", "DROP"), "ok", nil, false},
	})
	runGuardCases(t, Options{AllowHostAccess: true}, []guardCase{
		{"cluster rule asks", "POST", "/cluster/firewall/rules", rule, "consent", []string{"cluster firewall", "host-level"}, false},
		{"node rule asks", "POST", "/nodes/pve2/firewall/rules", rule, "consent", []string{"node pve2", "host-level"}, false},
		{"cluster off asks for both", "PUT", "/cluster/firewall/options", form("enable", "0"), "consent", []string{"host-level", "turns this firewall off"}, false},
	})
	withAll := Options{AllowHostAccess: true, Allow: NewAllowlist([]string{"pve1"}, []int{100, 200})}
	runGuardCases(t, withAll, []guardCase{
		{"cluster rule under allowlists", "POST", "/cluster/firewall/rules", rule, "refused", []string{"every node and guest"}, true},
		{"node outside the allowlist", "POST", "/nodes/pve2/firewall/rules", rule, "refused", []string{"pve2", "PVE_NODE_ALLOWLIST"}, true},
		{"guest outside the allowlist", "POST", "/nodes/pve1/qemu/101/firewall/rules", rule, "refused", []string{"101", "PVE_VMID_ALLOWLIST"}, true},
		{"guest rule delete outside", "DELETE", "/nodes/pve1/lxc/201/firewall/rules/0", nil, "refused", []string{"201"}, true},
		{"guest rule in the allowlist", "POST", "/nodes/pve1/lxc/200/firewall/rules", rule, "ok", nil, false},
	})
}

func TestFalsy(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "00": true, "off": true, "false": true, "": false, "1": false, "10": false, "1700000000": false, "on": false} {
		if got := falsy(s); got != want {
			t.Errorf("falsy(%q) = %v, want %v", s, got, want)
		}
	}
}
