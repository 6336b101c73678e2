package tools

import (
	"strings"
	"testing"
)

func allToolsets() envOpts { return envOpts{selection: Selection{Toolsets: []string{"all"}}} }

// Proxmox adds every rule at the top: a position is reached by moving the
// new rule with moveto one past it, guarded by the digest just read.
func TestFirewallAddAtPosition(t *testing.T) {
	e := newEnv(t, allToolsets())
	rule := `{"type":"in","action":"ACCEPT","proto":"tcp","dport":"443","enable":1,"digest":"d1"}`
	e.fake.routes["GET /nodes/pve1/qemu/100/firewall/rules"] = `[` + rule + `,{"type":"in","action":"DROP","enable":1,"digest":"d1"},` + rule + `]`
	e.fake.routes["GET /cluster/firewall/options"] = `{"enable":1,"digest":"x"}`
	e.fake.routes["GET /nodes/pve1/qemu/100/firewall/options"] = `{"enable":1,"digest":"y"}`
	e.fake.routes["POST /nodes/pve1/qemu/100/firewall/rules"] = "null"
	e.fake.routes["PUT /nodes/pve1/qemu/100/firewall/rules/0"] = "null"
	text := e.ok(t, "pve_firewall_rules", map[string]any{"op": "add", "scope": "vm", "node": "pve1", "vmid": 100,
		"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443", "pos": 2})
	w := e.fake.writes()
	if len(w) != 2 || !strings.HasPrefix(w[0], "POST /nodes/pve1/qemu/100/firewall/rules?") || !strings.HasPrefix(w[1], "PUT /nodes/pve1/qemu/100/firewall/rules/0?") {
		t.Fatalf("writes %v", w)
	}
	if f := form(w[0]); f.Get("enable") != "1" || f.Get("dport") != "443" || f.Has("pos") {
		t.Errorf("add sent %v", f)
	}
	if f := form(w[1]); f.Get("moveto") != "3" || f.Get("digest") != "d1" {
		t.Errorf("move sent %v", f)
	}
	var out fwRulesOut
	decode(t, text, &out)
	if out.Added == nil || out.Added.Dport != "443" || out.Warning != "" {
		t.Errorf("out %+v", out)
	}
}

func TestFirewallDeleteSendsDigest(t *testing.T) {
	e := newEnv(t, allToolsets())
	e.fake.routes["GET /nodes/pve1/lxc/200/firewall/rules"] = `[{"type":"in","action":"ACCEPT","macro":"SSH","enable":1,"digest":"d2"}]`
	e.fake.routes["DELETE /nodes/pve1/lxc/200/firewall/rules/0"] = "null"
	e.ok(t, "pve_firewall_rules", map[string]any{"op": "delete", "scope": "lxc", "node": "pve1", "vmid": 200, "pos": 0, "confirm": true})
	if w := e.fake.writes(); len(w) != 1 || form(w[0]).Get("digest") != "d2" {
		t.Errorf("writes %v", w)
	}
	e.refused(t, "pve_firewall_rules", map[string]any{"op": "list", "scope": "lxc", "node": "pve1", "vmid": 200, "action": "DROP"}, `"action"`, "op add")
	e.refused(t, "pve_firewall_rules", map[string]any{"op": "add", "scope": "vm", "node": "pve1", "vmid": 100, "type": "group", "action": "web", "dport": "80"}, "security group")
}

// On PVE 8 pve_ha_rules writes HA groups; rule arguments are refused with what applies.
func TestHARulesFollowTheRelease(t *testing.T) {
	e := newEnv(t, allToolsets())
	e.fake.routes["GET /version"] = `{"version":"8.4.1","release":"8.4","repoid":"x"}`
	e.fake.routes["GET /cluster/ha/groups"] = `[{"group":"prod","type":"group","nodes":"pve1:2,pve2","restricted":1,"digest":"z"}]`
	e.fake.routes["POST /cluster/ha/groups"] = "null"
	// the release is read first, and nothing written
	if res, text := e.call(t, "pve_ha_rules", map[string]any{"action": "add", "id": "prod", "type": "node-affinity", "resources": []int{100}, "nodes": []string{"pve1"}}); !res.IsError || !strings.Contains(text, "PVE 9's") || len(e.fake.writes()) != 0 {
		t.Errorf("rule on PVE 8: %s", text)
	}
	e.ok(t, "pve_ha_rules", map[string]any{"action": "add", "id": "prod", "nodes": []string{"pve1:2", "pve2"}, "restricted": true})
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "POST /cluster/ha/groups?") {
		t.Fatalf("writes %v", w)
	}
	if f := form(w[0]); f.Get("group") != "prod" || f.Get("nodes") != "pve1:2,pve2" || f.Get("restricted") != "1" {
		t.Errorf("sent %v", f)
	}
}
