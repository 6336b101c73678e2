package e2e

import (
	"strings"
	"testing"
)

type simRule struct {
	Pos     int    `json:"pos"`
	Type    string `json:"type"`
	Action  string `json:"action"`
	Proto   string `json:"proto"`
	Dport   string `json:"dport"`
	Macro   string `json:"macro"`
	Enable  int    `json:"enable"`
	Comment string `json:"comment"`
}

func (cl *cluster) fwRules(t *testing.T, path string) []simRule {
	t.Helper()
	var rules []simRule
	cl.simGet(t, path+"/rules", nil, &rules)
	return rules
}

type fwOut struct {
	Scope   string
	Rules   []simRule
	Digest  string
	Added   *simRule
	Deleted *simRule
	Warning string
}

// TestFirewallTools: "open port 443 on a VM" and the rest of the firewall
// tools over MCP, checking the simulator's rules and options after each.
func TestFirewallTools(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "firewall"}})
	vm101 := "/nodes/pve1/qemu/101/firewall"
	vm100 := "/nodes/pve1/qemu/100/firewall"
	rule := func(kv ...any) map[string]any {
		a := m("scope", "vm", "node", "pve1")
		for k, v := range m(kv...) {
			a[k] = v
		}
		return a
	}

	t.Run("open 443", func(t *testing.T) {
		var out fwOut
		c.ok("pve_firewall_rules", rule("op", "add", "vmid", 101, "type", "in", "action", "ACCEPT", "proto", "tcp", "dport", "443", "comment", "https"), &out)
		if out.Added == nil || out.Added.Pos != 0 || out.Added.Dport != "443" || out.Added.Enable != 1 {
			t.Errorf("added %+v", out.Added)
		}
		if out.Warning == "" || !strings.Contains(out.Warning, "cluster firewall is off") {
			t.Errorf("no warning that the cluster firewall is off: %q", out.Warning)
		}
		// Without PVE_ALLOW_HOST_ACCESS this server may not turn it on: an admin does.
		for _, w := range []string{"an admin", "Datacenter > Firewall > Options", "PVE_ALLOW_HOST_ACCESS=true"} {
			if !strings.Contains(out.Warning, w) {
				t.Errorf("warning %q lacks %q", out.Warning, w)
			}
		}
		got := cl.fwRules(t, vm101)
		if len(got) != 1 || got[0].Action != "ACCEPT" || got[0].Proto != "tcp" || got[0].Dport != "443" || got[0].Enable != 1 || got[0].Comment != "https" {
			t.Errorf("simulator holds %+v", got)
		}
	})

	t.Run("positions", func(t *testing.T) {
		before := cl.fwRules(t, vm100) // the seed: group webserver, SSH
		var out fwOut
		c.ok("pve_firewall_rules", rule("op", "add", "vmid", 100, "type", "in", "action", "DROP", "proto", "tcp", "dport", "25", "pos", 1), &out)
		got := cl.fwRules(t, vm100)
		if len(got) != len(before)+1 || got[1].Dport != "25" || got[0].Action != before[0].Action || got[2].Macro != before[1].Macro {
			t.Fatalf("after add at 1: %+v (before %+v)", got, before)
		}
		if out.Added == nil || out.Added.Pos != 1 {
			t.Errorf("added %+v", out.Added)
		}
		c.ok("pve_firewall_rules", rule("op", "add", "vmid", 100, "type", "out", "action", "REJECT", "proto", "udp", "dport", "53", "pos", 99), &out)
		got = cl.fwRules(t, vm100)
		if last := got[len(got)-1]; last.Dport != "53" || last.Type != "out" || out.Added.Pos != len(got)-1 {
			t.Errorf("add past the end: %+v, added %+v", got, out.Added)
		}
	})

	t.Run("delete", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_firewall_rules", rule("op", "delete", "vmid", 100, "pos", 1), "confirm: true", "DROP", "dport 25")
		c.fails("pve_firewall_rules", rule("op", "delete", "vmid", 100, "pos", 1, "confirm", true, "digest", "0123456789abcdef0123456789abcdef01234567"), "changed since")
		c.fails("pve_firewall_rules", rule("op", "delete", "vmid", 100, "pos", 40, "confirm", true), "no rule at position 40")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused deletes reached Proxmox: %v", w[before:])
		}
		var list fwOut
		c.ok("pve_firewall_rules", rule("op", "list", "vmid", 100), &list)
		var out fwOut
		c.ok("pve_firewall_rules", rule("op", "delete", "vmid", 100, "pos", 1, "confirm", true, "digest", list.Digest), &out)
		got := cl.fwRules(t, vm100)
		if len(got) != len(list.Rules)-1 || out.Deleted == nil || out.Deleted.Dport != "25" {
			t.Errorf("after delete: %+v, deleted %+v", got, out.Deleted)
		}
		for _, r := range got {
			if r.Dport == "25" {
				t.Errorf("rule still there: %+v", got)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		c.fails("pve_firewall_rules", rule("op", "add", "vmid", 101, "type", "in", "action", "webserver"), "not ACCEPT, DROP or REJECT", "type: group")
		c.fails("pve_firewall_rules", rule("op", "add", "vmid", 101, "type", "in", "action", "ACCEPT", "dport", "80"), "requires this property") // Proxmox's words
		c.fails("pve_firewall_rules", rule("op", "add", "vmid", 101, "type", "in", "action", "ACCEPT", "macro", "NoSuchService"), "unknown macro")
		c.fails("pve_firewall_rules", m("op", "list", "scope", "vm", "node", "pve1"), "needs node and vmid")
		c.fails("pve_firewall_rules", m("op", "list", "scope", "cluster", "node", "pve1"), "takes no node")
	})

	t.Run("security group", func(t *testing.T) {
		c.ok("pve_firewall_rules", m("op", "add", "scope", "lxc", "node", "pve2", "vmid", 201, "type", "group", "action", "webserver"), nil)
		got := cl.fwRules(t, "/nodes/pve2/lxc/201/firewall")
		if len(got) != 1 || got[0].Type != "group" || got[0].Action != "webserver" {
			t.Errorf("simulator holds %+v", got)
		}
	})

	t.Run("options", func(t *testing.T) {
		opts := func() map[string]any {
			var o map[string]any
			cl.simGet(t, vm101+"/options", nil, &o)
			return o
		}
		var out struct {
			Options map[string]any
			Changed map[string]struct{ From, To string }
		}
		c.ok("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 101), &out)
		if _, on := out.Options["enable"]; on {
			t.Errorf("a fresh guest firewall reads %v", out.Options)
		}
		c.ok("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 101, "enable", true, "policy_in", "DROP"), &out)
		if o := opts(); o["enable"] != 1.0 || o["policy_in"] != "DROP" || out.Changed["enable"].To != "1" {
			t.Errorf("after enable: simulator %v, changed %v", o, out.Changed)
		}
		before := len(cl.writes())
		c.fails("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 101, "enable", false), "confirm: true", "stop filtering")
		c.fails("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 101, "policy_in", "ACCEPT"), "confirm: true")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused changes reached Proxmox: %v", w[before:])
		}
		c.ok("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 101, "enable", false, "confirm", true), &out)
		if o := opts(); o["enable"] != 0.0 {
			t.Errorf("after disable: %v", o)
		}
		// Off already: no confirm, nothing written, and it says so.
		before = len(cl.writes())
		var again struct{ Note string }
		c.ok("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 101, "enable", false), &again)
		if w := cl.writes(); len(w) != before || !strings.Contains(again.Note, "already off") {
			t.Errorf("disable when off: note %q, writes %v", again.Note, w[before:])
		}
		var list fwOut
		c.ok("pve_firewall_rules", rule("op", "list", "vmid", 101), &list)
		if !strings.Contains(list.Warning, "off") {
			t.Errorf("no warning for a firewall that is off: %q", list.Warning)
		}
	})

	t.Run("host level refused", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_firewall_rules", m("op", "add", "scope", "cluster", "type", "in", "action", "DROP", "proto", "tcp", "dport", "8006", "confirm", true), "PVE_ALLOW_HOST_ACCESS")
		c.fails("pve_firewall_rules", m("op", "add", "scope", "node", "node", "pve1", "type", "in", "action", "DROP", "confirm", true), "PVE_ALLOW_HOST_ACCESS")
		c.fails("pve_firewall_options", m("scope", "cluster", "enable", true, "confirm", true), "PVE_ALLOW_HOST_ACCESS")
		if w := cl.writes(); len(w) != before {
			t.Errorf("host-level writes reached Proxmox: %v", w[before:])
		}
		var list fwOut
		c.ok("pve_firewall_rules", m("op", "list", "scope", "cluster"), &list)
		if len(list.Rules) != 3 || list.Rules[0].Dport != "8006" {
			t.Errorf("cluster rules %+v", list.Rules)
		}
	})

	t.Run("aliases and ipsets", func(t *testing.T) {
		var al struct{ Aliases []struct{ Name, CIDR string } }
		c.ok("pve_firewall_aliases", m("scope", "cluster"), &al)
		if len(al.Aliases) != 2 {
			t.Errorf("aliases %+v", al)
		}
		var sets struct {
			IPSets []struct {
				Name    string
				Entries []struct{ CIDR string }
			}
		}
		c.ok("pve_firewall_ipsets", m("scope", "cluster"), &sets)
		if len(sets.IPSets) != 1 || sets.IPSets[0].Name != "management" || len(sets.IPSets[0].Entries) != 2 {
			t.Errorf("ipsets %+v", sets)
		}
		c.ok("pve_firewall_ipsets", m("scope", "vm", "node", "pve1", "vmid", 100), &sets)
		if len(sets.IPSets) != 0 {
			t.Errorf("VM 100 ipsets %+v", sets)
		}
		c.fails("pve_firewall_aliases", m("scope", "node", "node", "pve1"), "scope")
	})
}

// TestFirewallHostAccess: with PVE_ALLOW_HOST_ACCESS the cluster's firewall
// can be changed with confirm; with an allowlist only the allowed guests'.
func TestFirewallHostAccess(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "firewall,qemu", "PVE_ALLOW_HOST_ACCESS": "true"}})
	add := m("op", "add", "scope", "cluster", "type", "in", "action", "ACCEPT", "proto", "tcp", "dport", "443")
	c.fails("pve_firewall_rules", add, "confirm: true", "host-level")
	add["confirm"] = true
	c.ok("pve_firewall_rules", add, nil)
	if got := cl.fwRules(t, "/cluster/firewall"); len(got) != 4 || got[0].Dport != "443" {
		t.Errorf("cluster rules %+v", got)
	}
	c.ok("pve_firewall_options", m("scope", "cluster", "enable", true, "confirm", true), nil)
	var o map[string]any
	cl.simGet(t, "/cluster/firewall/options", nil, &o)
	if o["enable"] != 1.0 {
		t.Errorf("cluster options %v", o)
	}
	var list fwOut
	c.ok("pve_firewall_rules", m("op", "list", "scope", "vm", "node", "pve1", "vmid", 101), &list)
	if !strings.Contains(list.Warning, "VM 101") || strings.Contains(list.Warning, "admin") {
		t.Errorf("warning %q, want that VM 101's firewall is off", list.Warning)
	}
	c.ok("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 101, "enable", true), nil)
	list = fwOut{}
	c.ok("pve_firewall_rules", m("op", "list", "scope", "vm", "node", "pve1", "vmid", 101), &list)
	if list.Warning != "" {
		t.Errorf("warning %q with both firewalls on", list.Warning)
	}
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 101, "extra", m("net0", "virtio,bridge=vmbr0")), nil)
	list = fwOut{}
	c.ok("pve_firewall_rules", m("op", "list", "scope", "vm", "node", "pve1", "vmid", 101), &list)
	if !strings.Contains(list.Warning, "firewall=1") {
		t.Errorf("warning %q, want that no network device has firewall=1", list.Warning)
	}

	limited := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "firewall", "PVE_ALLOW_HOST_ACCESS": "true", "PVE_VMID_ALLOWLIST": "100,101"}})
	before := len(cl.writes())
	limited.fails("pve_firewall_rules", add, "every node and guest")
	limited.fails("pve_firewall_rules", m("op", "add", "scope", "vm", "node", "pve2", "vmid", 102, "type", "in", "action", "DROP"), "PVE_VMID_ALLOWLIST")
	if w := cl.writes(); len(w) != before {
		t.Errorf("refused writes reached Proxmox: %v", w[before:])
	}
	limited.ok("pve_firewall_rules", m("op", "add", "scope", "vm", "node", "pve1", "vmid", 101, "type", "in", "action", "DROP", "proto", "tcp", "dport", "23"), nil)
	if got := cl.fwRules(t, "/nodes/pve1/qemu/101/firewall"); len(got) != 1 || got[0].Dport != "23" {
		t.Errorf("VM 101 rules %+v", got)
	}
}

// TestFirewallBeforePVE9: the requests are valid against the 8.4 and 7.4 schemas too.
func TestFirewallBeforePVE9(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"8.4", "7.4"} {
		t.Run(v, func(t *testing.T) {
			cl := newClusterSchema(t, 0.02, v)
			c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "firewall"}})
			c.ok("pve_firewall_rules", m("op", "add", "scope", "vm", "node", "pve1", "vmid", 100, "type", "in", "action", "ACCEPT", "proto", "tcp", "dport", "443", "pos", 1), nil)
			if got := cl.fwRules(t, "/nodes/pve1/qemu/100/firewall"); len(got) != 3 || got[1].Dport != "443" {
				t.Errorf("rules %+v", got)
			}
			c.ok("pve_firewall_options", m("scope", "vm", "node", "pve1", "vmid", 100, "enable", false, "confirm", true), nil)
			c.ok("pve_firewall_ipsets", m("scope", "cluster"), nil)
		})
	}
}
