package pvesim

import (
	"sort"
	"strings"
	"testing"
	"time"
)

// fwKeys lists a JSON object's keys, sorted, comma-joined.
func fwKeys(m map[string]any) string { return strings.Join(keysOf(m), ",") }

func TestFirewallIndexesAndDefaults(t *testing.T) {
	e := newEnv(t, Options{})
	names := func(path string) string {
		var out []string
		for _, x := range e.ok("GET", path, nil).([]any) {
			out = append(out, x.(map[string]any)["name"].(string))
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	if got := names("/cluster/firewall"); got != "aliases,groups,ipset,macros,options,refs,rules" {
		t.Fatalf("cluster index: %s", got)
	}
	if got := names("/nodes/pve1/firewall"); got != "log,options,rules" {
		t.Fatalf("host index: %s", got)
	}
	seeded := e.ok("GET", "/nodes/pve1/qemu/100/firewall/rules", nil).([]any)
	if len(seeded) != 2 || seeded[0].(map[string]any)["action"] != "webserver" {
		t.Fatalf("web01 rules: %v", seeded)
	}
	if got := names("/nodes/pve1/qemu/100/firewall"); got != "aliases,ipset,log,options,refs,rules" {
		t.Fatalf("vm index: %s", got)
	}
	// a fresh cluster: firewall off, nothing set, only the digest
	opts := e.ok("GET", "/cluster/firewall/options", nil).(map[string]any)
	if fwKeys(opts) != "digest" || opts["digest"] != "da39a3ee5e6b4b0d3255bfef95601890afd80709" {
		t.Fatalf("cluster options: %v", opts)
	}
	if o := e.ok("GET", "/nodes/pve2/lxc/201/firewall/options", nil).(map[string]any); fwKeys(o) != "digest" {
		t.Fatalf("ct options: %v", o)
	}
	macros := e.ok("GET", "/cluster/firewall/macros", nil).([]any)
	if len(macros) < 80 || fwKeys(macros[0].(map[string]any)) != "descr,macro" {
		t.Fatalf("macros: %d %v", len(macros), macros[0])
	}
}

func TestFirewallRulesCRUD(t *testing.T) {
	e := newEnv(t, Options{})
	base := "/nodes/pve2/qemu/102/firewall/rules"
	if l := e.ok("GET", base, nil).([]any); len(l) != 0 {
		t.Fatalf("fresh vm rules: %v", l)
	}
	e.ok("POST", base, vals("type", "in", "action", "ACCEPT", "macro", "ssh", "source", "lan", "enable", "1"))
	e.ok("POST", base, vals("type", "in", "action", "DROP", "proto", "tcp", "dport", "3389", "comment", "no rdp"))
	rules := e.ok("GET", base, nil).([]any)
	if len(rules) != 2 {
		t.Fatalf("rules: %v", rules)
	}
	r0, r1 := rules[0].(map[string]any), rules[1].(map[string]any)
	// POST puts the new rule first; enable defaults to 0
	if r0["action"] != "DROP" || r0["enable"] != float64(0) || r0["pos"] != float64(0) || r0["dport"] != "3389" {
		t.Fatalf("rule 0: %v", r0)
	}
	if fwKeys(r1) != "action,digest,enable,ipversion,macro,pos,source,type" || r1["macro"] != "SSH" || r1["ipversion"] != float64(4) || r1["enable"] != float64(1) {
		t.Fatalf("rule 1: %v", r1)
	}
	digest := r0["digest"].(string)
	if r1["digest"] != digest {
		t.Fatal("one digest per list")
	}
	one := e.ok("GET", base+"/1", nil).(map[string]any)
	if one["pos"] != float64(1) || one["macro"] != "SSH" {
		t.Fatalf("rule 1 alone: %v", one)
	}
	if r := e.do("GET", base+"/5", nil); r.status != 500 || r.reason != "no rule at position 5" {
		t.Fatalf("no rule: %d %q", r.status, r.reason)
	}
	// moveto renumbers
	e.ok("PUT", base+"/0", vals("moveto", "2", "digest", digest))
	rules = e.ok("GET", base, nil).([]any)
	if rules[0].(map[string]any)["macro"] != "SSH" || rules[1].(map[string]any)["action"] != "DROP" {
		t.Fatalf("after moveto: %v", rules)
	}
	// the old digest is stale now
	r := e.do("PUT", base+"/0", vals("enable", "0", "digest", digest))
	if r.status != 500 || r.reason != "detected modified configuration - file changed by other user? Try again." {
		t.Fatalf("stale digest: %d %q", r.status, r.reason)
	}
	e.ok("PUT", base+"/1", vals("delete", "comment", "enable", "1"))
	if got := e.ok("GET", base+"/1", nil).(map[string]any); got["comment"] != nil || got["enable"] != float64(1) {
		t.Fatalf("after update: %v", got)
	}
	if r := e.do("PUT", base+"/1", vals("delete", "action")); r.status != 400 || r.errors["delete"] != "unable to delete required property 'action'" {
		t.Fatalf("delete action: %d %v", r.status, r.errors)
	}
	e.ok("DELETE", base+"/0", nil)
	if rules := e.ok("GET", base, nil).([]any); len(rules) != 1 || rules[0].(map[string]any)["pos"] != float64(0) {
		t.Fatalf("after delete: %v", rules)
	}
}

func TestFirewallRuleValidation(t *testing.T) {
	e := newEnv(t, Options{})
	cases := []struct {
		path   string
		params []string
		key    string
		msg    string
	}{
		{"/cluster/firewall/rules", []string{"type", "in", "action", "ACCEPT", "source", "nosuch"}, "source", "no such alias 'nosuch'"},
		{"/cluster/firewall/rules", []string{"type", "in", "action", "ACCEPT", "dest", "+nosuch"}, "dest", "no such ipset 'nosuch'"},
		{"/cluster/firewall/rules", []string{"type", "in", "action", "ACCEPT", "dport", "22"}, "proto", "missing property - 'dport' requires this property"},
		{"/cluster/firewall/rules", []string{"type", "in", "action", "ACCEPT", "proto", "icmp", "dport", "99999"}, "dport", "invalid port '99999'"},
		{"/cluster/firewall/rules", []string{"type", "in", "action", "ACCEPT", "macro", "Nope"}, "macro", "unknown macro 'Nope'"},
		{"/cluster/firewall/rules", []string{"type", "in", "action", "ALLOW"}, "action", "unknown action 'ALLOW'"},
		{"/cluster/firewall/rules", []string{"type", "forward", "action", "REJECT"}, "action", "cannot define REJECT rules on forward chain"},
		{"/nodes/pve1/qemu/100/firewall/rules", []string{"type", "forward", "action", "ACCEPT"}, "type", "invalid rule type 'forward' for rule_env 'vm'"},
		{"/nodes/pve1/qemu/100/firewall/rules", []string{"type", "in", "action", "ACCEPT", "iface", "eth0"}, "iface", `value does not match the regex pattern 'net\d+'`},
		{"/cluster/firewall/groups/webserver", []string{"type", "group", "action", "other"}, "type", "invalid rule type 'group' for rule_env 'group'"},
		{"/cluster/firewall/rules", []string{"type", "in", "action", "ACCEPT", "source", "10.0.0.1,fe80::1"}, "source", "detected mixed ipv4/ipv6 addresses in address list '10.0.0.1,fe80::1'"},
	}
	for _, tc := range cases {
		r := e.do("POST", tc.path, vals(tc.params...))
		if r.status != 400 || r.errors[tc.key] != tc.msg {
			t.Errorf("%s %v: %d %v", tc.path, tc.params, r.status, r.raw)
		}
	}
	// a guest alias is visible to the guest's rules only
	e.ok("POST", "/nodes/pve1/qemu/101/firewall/aliases", vals("name", "backupsrv", "cidr", "10.0.0.5"))
	e.ok("POST", "/nodes/pve1/qemu/101/firewall/rules", vals("type", "out", "action", "ACCEPT", "dest", "backupsrv"))
	if r := e.do("POST", "/nodes/pve1/qemu/100/firewall/rules", vals("type", "out", "action", "ACCEPT", "dest", "backupsrv")); r.status != 400 {
		t.Fatalf("other guest's alias: %d", r.status)
	}
	// forward exists from 8.x only: the 7.4 schema refuses it before the handler
	old := newEnv(t, Options{Schema: "7.4"})
	if r := old.do("POST", "/cluster/firewall/rules", vals("type", "forward", "action", "ACCEPT")); r.status != 400 || r.errors["type"] == "" {
		t.Fatalf("7.4 forward: %d %v", r.status, r.errors)
	}
	if refs := old.ok("GET", "/cluster/firewall/refs", nil).([]any); refs[0].(map[string]any)["scope"] != nil {
		t.Fatalf("7.4 refs have no scope: %v", refs[0])
	}
}

func TestFirewallOptions(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("PUT", "/cluster/firewall/options", vals("enable", "1", "policy_in", "DROP", "ebtables", "0"))
	o := e.ok("GET", "/cluster/firewall/options", nil).(map[string]any)
	if o["enable"] != float64(1) || o["ebtables"] != float64(0) || o["policy_in"] != "DROP" || fwKeys(o) != "digest,ebtables,enable,policy_in" {
		t.Fatalf("cluster options: %v", o)
	}
	r := e.do("PUT", "/cluster/firewall/options", vals("enable", "0", "digest", "0000"))
	if r.status != 500 || !strings.HasPrefix(r.reason, "detected modified configuration") {
		t.Fatalf("digest: %d %q", r.status, r.reason)
	}
	e.ok("PUT", "/cluster/firewall/options", vals("delete", "ebtables", "digest", o["digest"].(string)))
	if o := e.ok("GET", "/cluster/firewall/options", nil).(map[string]any); o["ebtables"] != nil {
		t.Fatalf("after delete: %v", o)
	}
	// the anti-lockout form stores the time and reads as off after a minute
	e.ok("PUT", "/cluster/firewall/options", vals("enable", "2"))
	if o := e.ok("GET", "/cluster/firewall/options", nil).(map[string]any); o["enable"] != float64(e.sim.now().Unix()) {
		t.Fatalf("timestamp enable: %v", o)
	}
	e.advance(2 * time.Minute)
	if o := e.ok("GET", "/cluster/firewall/options", nil).(map[string]any); o["enable"] != float64(0) {
		t.Fatalf("stale timestamp enable: %v", o)
	}
	e.ok("PUT", "/cluster/firewall/options", vals("enable", "1"))
	if r := e.do("PUT", "/cluster/firewall/options", vals("delete", "bogus")); r.status != 400 || r.errors["delete"] != "no such option 'bogus'" {
		t.Fatalf("delete bogus: %d %v", r.status, r.raw)
	}
	e.ok("PUT", "/nodes/pve1/qemu/100/firewall/options", vals("enable", "1", "log_level_in", "info", "policy_in", "DROP"))
	o = e.ok("GET", "/nodes/pve1/qemu/100/firewall/options", nil).(map[string]any)
	if o["enable"] != float64(1) || o["log_level_in"] != "info" {
		t.Fatalf("vm options: %v", o)
	}
	// the log shows dropped packets once both levels are on and time passes
	e.advance(30 * time.Minute)
	r = e.do("GET", "/nodes/pve1/qemu/100/firewall/log", vals("limit", "2"))
	lines := r.data.([]any)
	if r.status != 200 || r.total < 3 || len(lines) != 2 {
		t.Fatalf("vm log: %d total=%d %v", r.status, r.total, r.raw)
	}
	l0 := lines[0].(map[string]any)
	if l0["n"] != float64(1) || !strings.HasPrefix(l0["t"].(string), "100 6 tap100i0-IN ") || !strings.Contains(l0["t"].(string), "policy DROP: ") {
		t.Fatalf("vm log line: %v", l0)
	}
	host := e.ok("GET", "/nodes/pve1/firewall/log", nil).([]any)
	if !strings.HasSuffix(host[0].(map[string]any)["t"].(string), "starting pvefw logger") {
		t.Fatalf("host log: %v", host[0])
	}
	if ct := e.do("GET", "/nodes/pve2/lxc/201/firewall/log", nil); ct.total != 1 || ct.data.([]any)[0].(map[string]any)["t"] != "no content" {
		t.Fatalf("empty log: %v", ct.raw)
	}
}

func TestFirewallAliasesIPSetsGroups(t *testing.T) {
	e := newEnv(t, Options{})
	al := e.ok("GET", "/cluster/firewall/aliases", nil).([]any)
	if len(al) != 2 || fwKeys(al[1].(map[string]any)) != "cidr,comment,digest,ipversion,name" {
		t.Fatalf("aliases: %v", al)
	}
	if r := e.do("POST", "/cluster/firewall/aliases", vals("name", "LAN", "cidr", "10.0.0.0/8")); r.status != 400 || r.errors["name"] != "alias 'LAN' already exists" {
		t.Fatalf("dup alias: %d %v", r.status, r.raw)
	}
	e.ok("POST", "/cluster/firewall/aliases", vals("name", "nas", "cidr", "192.168.1.20", "comment", "storage"))
	e.ok("PUT", "/cluster/firewall/aliases/nas", vals("cidr", "192.168.1.21", "rename", "nas2"))
	if a := e.ok("GET", "/cluster/firewall/aliases/nas2", nil).(map[string]any); a["cidr"] != "192.168.1.21" || a["comment"] != nil {
		t.Fatalf("renamed alias: %v", a)
	}
	if r := e.do("GET", "/cluster/firewall/aliases/nas", nil); r.status != 400 || r.errors["name"] != "no such alias" {
		t.Fatalf("old alias: %v", r.raw)
	}
	e.ok("DELETE", "/cluster/firewall/aliases/nas2", nil)

	sets := e.ok("GET", "/cluster/firewall/ipset", nil).([]any)
	if len(sets) != 1 || sets[0].(map[string]any)["name"] != "management" {
		t.Fatalf("ipsets: %v", sets)
	}
	e.ok("POST", "/cluster/firewall/ipset", vals("name", "blocked", "comment", "bad hosts"))
	e.ok("POST", "/cluster/firewall/ipset/blocked", vals("cidr", "203.0.113.0/24"))
	e.ok("POST", "/cluster/firewall/ipset/blocked", vals("cidr", "198.51.100.7", "nomatch", "1"))
	ents := e.ok("GET", "/cluster/firewall/ipset/blocked", nil).([]any)
	if len(ents) != 2 || ents[0].(map[string]any)["cidr"] != "198.51.100.7" || ents[0].(map[string]any)["nomatch"] != float64(1) {
		t.Fatalf("entries: %v", ents)
	}
	if r := e.do("POST", "/cluster/firewall/ipset/blocked", vals("cidr", "203.0.113.0/24")); r.status != 400 || r.errors["cidr"] != "address '203.0.113.0/24' already exists" {
		t.Fatalf("dup entry: %v", r.raw)
	}
	if r := e.do("DELETE", "/cluster/firewall/ipset/blocked", nil); r.status != 500 || r.reason != "IPSet 'blocked' is not empty" {
		t.Fatalf("delete full ipset: %v", r.raw)
	}
	e.ok("POST", "/cluster/firewall/rules", vals("type", "in", "action", "DROP", "source", "+blocked"))
	refs := e.ok("GET", "/cluster/firewall/refs", vals("type", "ipset")).([]any)
	if len(refs) != 2 || refs[0].(map[string]any)["ref"] != "+blocked" || refs[0].(map[string]any)["scope"] != "dc" {
		t.Fatalf("refs: %v", refs)
	}
	e.ok("DELETE", "/cluster/firewall/ipset/blocked", vals("force", "1"))
	if r := e.do("GET", "/cluster/firewall/ipset/blocked", nil); r.status != 500 || r.reason != "no such IPSet 'blocked'" {
		t.Fatalf("gone ipset: %v", r.raw)
	}

	e.ok("POST", "/cluster/firewall/groups", vals("group", "dns", "comment", "resolvers"))
	e.ok("POST", "/cluster/firewall/groups/dns", vals("type", "in", "action", "ACCEPT", "macro", "DNS", "enable", "1"))
	e.ok("POST", "/nodes/pve1/qemu/100/firewall/rules", vals("type", "group", "action", "dns", "enable", "1"))
	groups := e.ok("GET", "/cluster/firewall/groups", nil).([]any)
	if len(groups) != 2 || fwKeys(groups[0].(map[string]any)) != "comment,digest,group" {
		t.Fatalf("groups: %v", groups)
	}
	if r := e.do("DELETE", "/cluster/firewall/groups/dns", nil); r.status != 500 || r.reason != "Security group 'dns' is not empty" {
		t.Fatalf("delete group: %v", r.raw)
	}
	e.ok("POST", "/cluster/firewall/groups", vals("group", "dns2", "rename", "dns"))
	if r := e.ok("GET", "/nodes/pve1/qemu/100/firewall/rules/0", nil).(map[string]any); r["action"] != "dns2" {
		t.Fatalf("group rename follows rules: %v", r)
	}
	if r := e.do("GET", "/cluster/firewall/groups/dns", nil); r.status != 500 || r.reason != "no such security group 'dns'" {
		t.Fatalf("old group: %v", r.raw)
	}
}

func TestFirewallPermissionsAndDestroy(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	auth := "PVEAPIToken=audit@pve!ro=s3cret"
	if r := e.doAuth("GET", "/cluster/firewall/rules", nil, auth); r.status != 200 {
		t.Fatalf("auditor reads: %d", r.status)
	}
	r := e.doAuth("POST", "/cluster/firewall/rules", vals("type", "in", "action", "ACCEPT"), auth)
	if r.status != 403 || r.reason != "Permission check failed (/, Sys.Modify)" {
		t.Fatalf("auditor writes cluster: %d %q", r.status, r.reason)
	}
	r = e.doAuth("PUT", "/nodes/pve1/qemu/100/firewall/options", vals("enable", "1"), auth)
	if r.status != 403 || r.reason != "Permission check failed (/vms/100, VM.Config.Network)" {
		t.Fatalf("auditor writes vm: %d %q", r.status, r.reason)
	}
	// a clone gets a copy of the firewall file, destroying a guest drops it
	e.ok("POST", "/nodes/pve1/qemu/101/firewall/rules", vals("type", "in", "action", "ACCEPT", "enable", "1"))
	if st := e.waitTask(e.ok("POST", "/nodes/pve1/qemu/101/clone", vals("newid", "150")).(string)); st != "OK" {
		t.Fatalf("clone: %s", st)
	}
	if l := e.ok("GET", "/nodes/pve1/qemu/150/firewall/rules", nil).([]any); len(l) != 1 {
		t.Fatalf("clone's rules: %v", l)
	}
	if e.sim.st.guests[101].running {
		e.waitTask(e.ok("POST", "/nodes/pve1/qemu/101/status/stop", nil).(string))
	}
	if st := e.waitTask(e.ok("DELETE", "/nodes/pve1/qemu/101", nil).(string)); st != "OK" {
		t.Fatalf("destroy: %s", st)
	}
	if l := e.ok("GET", "/nodes/pve1/qemu/101/firewall/rules", nil).([]any); len(l) != 0 {
		t.Fatalf("rules survive destroy: %v", l)
	}
}

func TestFirewallVnet(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/sdn/zones", vals("zone", "lab", "type", "simple"))
	e.ok("POST", "/cluster/sdn/vnets", vals("vnet", "dmz", "zone", "lab"))
	base := "/cluster/sdn/vnets/dmz/firewall"
	// only an applied vnet has a firewall
	if r := e.do("GET", base+"/rules", nil); r.status != 500 || !strings.HasPrefix(r.reason, "invalid vnet specified") {
		t.Fatalf("unapplied vnet: %d %q", r.status, r.reason)
	}
	e.waitTask(e.ok("PUT", "/cluster/sdn", nil).(string))
	e.ok("PUT", base+"/options", vals("enable", "1", "policy_forward", "DROP"))
	if o := e.ok("GET", base+"/options", nil).(map[string]any); o["enable"] != float64(1) || o["policy_forward"] != "DROP" {
		t.Fatalf("vnet options: %v", o)
	}
	e.ok("POST", base+"/rules", vals("type", "forward", "action", "ACCEPT", "dest", "lan", "proto", "tcp", "dport", "443"))
	if r := e.do("POST", base+"/rules", vals("type", "in", "action", "ACCEPT")); r.status != 400 || r.errors["type"] != "invalid rule type 'in' for rule_env 'vnet'" {
		t.Fatalf("in rule on vnet: %v", r.raw)
	}
	if l := e.ok("GET", base+"/rules", nil).([]any); len(l) != 1 || l[0].(map[string]any)["type"] != "forward" {
		t.Fatalf("vnet rules: %v", l)
	}
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	r := e.doAuth("DELETE", base+"/rules/0", nil, "PVEAPIToken=audit@pve!ro=s3cret")
	if r.status != 403 || r.reason != "Permission check failed (/sdn/zones/lab/dmz, SDN.Allocate)" {
		t.Fatalf("auditor deletes vnet rule: %d %q", r.status, r.reason)
	}
	// 7.4 has no vnet firewall
	old := newEnv(t, Options{Schema: "7.4"})
	if r := old.do("GET", base+"/rules", nil); r.status != 501 {
		t.Fatalf("7.4 vnet firewall: %d", r.status)
	}
}
