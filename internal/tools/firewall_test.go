package tools

import (
	"strings"
	"testing"
)

// The warning for a cluster firewall that is off names a way that works:
// without PVE_ALLOW_HOST_ACCESS the guard refuses pve_firewall_options
// scope cluster, so it sends the user to an admin.
func TestFirewallOffAdviceFollowsHostAccess(t *testing.T) {
	for _, host := range []bool{false, true} {
		o := allToolsets()
		o.hostAccess = host
		e := newEnv(t, o)
		e.fake.routes["GET /cluster/firewall/options"] = `{"digest":"x"}`
		e.fake.routes["GET /nodes/pve1/qemu/100/firewall/rules"] = `[]`
		var out fwRulesOut
		decode(t, e.ok(t, "pve_firewall_rules", map[string]any{"op": "list", "scope": "vm", "node": "pve1", "vmid": 100}), &out)
		want := []string{"cluster firewall is off", "pve_firewall_options scope cluster"}
		if !host {
			want = append(want, "an admin", "Datacenter > Firewall > Options", "PVE_ALLOW_HOST_ACCESS=true")
		}
		for _, w := range want {
			if !strings.Contains(out.Warning, w) {
				t.Errorf("host access %v: warning %q lacks %q", host, out.Warning, w)
			}
		}
		if host && strings.Contains(out.Warning, "admin") {
			t.Errorf("host access: warning %q still sends to an admin", out.Warning)
		}
	}
}

// Turning off a firewall that is already off needs no confirm and says so;
// one that is on still needs it.
func TestFirewallDisableConfirmOnlyWhenOn(t *testing.T) {
	e := newEnv(t, allToolsets())
	e.fake.routes["GET /nodes/pve1/qemu/100/firewall/options"] = `{"enable":0,"digest":"y"}`
	e.fake.routes["GET /nodes/pve1/lxc/200/firewall/options"] = `{"enable":1,"digest":"z"}`
	e.fake.routes["PUT /nodes/pve1/qemu/100/firewall/options"] = "null"
	var out fwOptionsOut
	decode(t, e.ok(t, "pve_firewall_options", map[string]any{"scope": "vm", "node": "pve1", "vmid": 100, "enable": false}), &out)
	if !strings.Contains(out.Note, "already off") {
		t.Errorf("note %q", out.Note)
	}
	if w := e.fake.writes(); len(w) != 0 {
		t.Errorf("nothing to change, but sent %v", w)
	}
	// With another option, enable is left out of the write.
	decode(t, e.ok(t, "pve_firewall_options", map[string]any{"scope": "vm", "node": "pve1", "vmid": 100, "enable": false, "policy_in": "DROP"}), &out)
	if w := e.fake.writes(); len(w) != 1 || form(w[0]).Has("enable") || form(w[0]).Get("policy_in") != "DROP" || !strings.Contains(out.Note, "already off") {
		t.Errorf("writes %v, note %q", w, out.Note)
	}
	if res, text := e.call(t, "pve_firewall_options", map[string]any{"scope": "lxc", "node": "pve1", "vmid": 200, "enable": false}); !res.IsError ||
		!strings.Contains(text, "confirm: true") || !strings.Contains(text, "stop filtering") {
		t.Errorf("turning off a firewall that is on: %s", text)
	}
	if w := e.fake.writes(); len(w) != 1 {
		t.Errorf("refused change sent: %v", w[1:])
	}
}
