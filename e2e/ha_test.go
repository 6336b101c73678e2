package e2e

import (
	"strings"
	"testing"
	"time"
)

type simHARes struct {
	SID         string `json:"sid"`
	State       string `json:"state"`
	MaxRestart  *int   `json:"max_restart"`
	MaxRelocate *int   `json:"max_relocate"`
	Group       string `json:"group"`
}

func (cl *cluster) haResources(t *testing.T) map[string]simHARes {
	t.Helper()
	var list []simHARes
	cl.simGet(t, "/cluster/ha/resources", nil, &list)
	out := map[string]simHARes{}
	for _, r := range list {
		out[r.SID] = r
	}
	return out
}

type haStatusText struct {
	Configured bool
	Note       string
	Quorate    bool
	Master     string
	Nodes      []struct{ Node, Status string }
	Resources  []struct {
		SID, Node, State string
		VMID             int
	}
}

// TestHATools: HA status, resources and PVE 9 rules over MCP, checking the
// simulator's HA config after each call.
func TestHATools(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "ha,qemu"}})

	t.Run("not configured", func(t *testing.T) {
		var st haStatusText
		c.ok("pve_ha_status", nil, &st)
		if st.Configured || !strings.Contains(st.Note, "HA is not configured") || !strings.Contains(st.Note, "idle") || !st.Quorate || len(st.Nodes) != 3 {
			t.Errorf("status %+v", st)
		}
		var list struct{ Resources []any }
		c.ok("pve_ha_resources", m("action", "list"), &list)
		if len(list.Resources) != 0 {
			t.Errorf("resources %+v", list)
		}
	})

	t.Run("add", func(t *testing.T) {
		var out struct {
			Added *struct {
				SID, State string
				VMID       int
			}
		}
		c.ok("pve_ha_resources", m("action", "add", "vmid", 101, "state", "started", "max_restart", 2), &out)
		if out.Added == nil || out.Added.SID != "vm:101" || out.Added.State != "started" {
			t.Errorf("added %+v", out.Added)
		}
		res := cl.haResources(t)
		if r, ok := res["vm:101"]; !ok || r.State != "started" || r.MaxRestart == nil || *r.MaxRestart != 2 {
			t.Errorf("simulator holds %+v", res)
		}
		c.ok("pve_ha_resources", m("action", "add", "vmid", 201, "state", "stopped"), nil)
		if r := cl.haResources(t)["ct:201"]; r.State != "stopped" {
			t.Errorf("ct:201 %+v", r)
		}
		c.fails("pve_ha_resources", m("action", "add", "vmid", 101), "already defined")
		c.fails("pve_ha_resources", m("action", "add", "vmid", 102, "group", "prod"), "migrated to rules", "pve_ha_rules")
		c.fails("pve_ha_resources", m("action", "add", "vmid", 999), "does not exist")
	})

	t.Run("status", func(t *testing.T) {
		// the CRM starts VM 101 in a task of its own
		deadline := time.Now().Add(20 * time.Second)
		var st haStatusText
		for {
			c.ok("pve_ha_status", nil, &st)
			if running := c.status("vm", "pve1", 101) == "running"; running || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if !st.Configured || st.Note != "" || len(st.Resources) != 2 {
			t.Fatalf("status %+v", st)
		}
		for _, r := range st.Resources {
			if r.SID == "vm:101" && (r.Node != "pve1" || r.VMID != 101) {
				t.Errorf("vm:101 %+v", r)
			}
		}
		if c.status("vm", "pve1", 101) != "running" {
			t.Errorf("the CRM did not start VM 101")
		}
	})

	t.Run("rules", func(t *testing.T) {
		var out struct {
			Kind  string
			Added *struct {
				ID, Type, Nodes string
				Resources       []string
			}
		}
		c.ok("pve_ha_rules", m("action", "add", "id", "pin101", "type", "node-affinity", "resources", []int{101}, "nodes", []string{"pve1:2", "pve2"}), &out)
		if out.Kind != "rules" || out.Added == nil || out.Added.Nodes == "" || len(out.Added.Resources) != 1 {
			t.Errorf("added %+v", out)
		}
		c.ok("pve_ha_rules", m("action", "add", "id", "apart", "type", "resource-affinity", "resources", []int{101, 201}, "affinity", "negative"), nil)
		var rules []struct{ Rule, Type, Resources, Nodes, Affinity string }
		cl.simGet(t, "/cluster/ha/rules", nil, &rules)
		if len(rules) != 2 || rules[0].Rule != "pin101" || rules[0].Resources != "vm:101" || !strings.HasPrefix(rules[0].Nodes, "pve1:2") ||
			rules[1].Affinity != "negative" || rules[1].Resources != "ct:201,vm:101" && rules[1].Resources != "vm:101,ct:201" {
			t.Errorf("simulator holds %+v", rules)
		}
		c.fails("pve_ha_rules", m("action", "add", "id", "g1", "nodes", []string{"pve1"}, "restricted", true), "groups are PVE 8's", "node-affinity")
		c.fails("pve_ha_rules", m("action", "add", "id", "p102", "type", "node-affinity", "resources", []int{102}, "nodes", []string{"pve2"}), "unmanaged resource", "pve_ha_resources")
		var list struct{ Rules []struct{ ID string } }
		c.ok("pve_ha_rules", m("action", "list"), &list)
		if len(list.Rules) != 2 {
			t.Errorf("list %+v", list)
		}
		c.ok("pve_ha_rules", m("action", "delete", "id", "apart"), nil)
		cl.simGet(t, "/cluster/ha/rules", nil, &rules)
		if len(rules) != 1 || rules[0].Rule != "pin101" {
			t.Errorf("after delete: %+v", rules)
		}
		c.fails("pve_ha_rules", m("action", "delete", "id", "apart"), "apart")
	})

	t.Run("remove", func(t *testing.T) {
		var out struct{ Removed string }
		c.ok("pve_ha_resources", m("action", "remove", "vmid", 101), &out)
		if out.Removed != "vm:101" {
			t.Errorf("removed %+v", out)
		}
		if _, still := cl.haResources(t)["vm:101"]; still {
			t.Errorf("vm:101 still an HA resource")
		}
		if c.status("vm", "pve1", 101) != "running" {
			t.Errorf("removing VM 101 from HA stopped it")
		}
		var rules []struct{ Rule string }
		cl.simGet(t, "/cluster/ha/rules", nil, &rules)
		if len(rules) != 0 {
			t.Errorf("a rule of only vm:101 is left: %+v", rules) // Proxmox purges by default
		}
		c.fails("pve_ha_resources", m("action", "remove", "vmid", 101), "not an HA resource")
	})

	t.Run("allowlist", func(t *testing.T) {
		limited := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "ha", "PVE_VMID_ALLOWLIST": "100,101"}})
		before := len(cl.writes())
		limited.fails("pve_ha_resources", m("action", "add", "vmid", 102), "PVE_VMID_ALLOWLIST")
		limited.fails("pve_ha_resources", m("action", "remove", "vmid", 201), "PVE_VMID_ALLOWLIST")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused writes reached Proxmox: %v", w[before:])
		}
		var list struct{ Resources []any }
		limited.ok("pve_ha_resources", m("action", "list"), &list)
		if len(list.Resources) != 0 {
			t.Errorf("ct:201 is outside the allowlist but listed: %+v", list)
		}
		var st haStatusText
		limited.ok("pve_ha_status", nil, &st)
		if st.Configured || len(st.Resources) != 0 {
			t.Errorf("status shows guests outside the allowlist: %+v", st)
		}
	})
}

// TestHAGroupsBeforePVE9: PVE 8.4 and 7.4 have HA groups and no rules; the
// tools say which applies.
func TestHAGroupsBeforePVE9(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"8.4", "7.4"} {
		t.Run(v, func(t *testing.T) { haGroups(t, v) })
	}
}

func haGroups(t *testing.T, release string) {
	cl := newClusterSchema(t, 0.02, release)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "ha"}})
	before := len(cl.writes())
	c.fails("pve_ha_rules", m("action", "add", "id", "pin", "type", "node-affinity", "resources", []int{101}, "nodes", []string{"pve1"}), "HA rules are PVE 9's", "PVE "+release[:1], "groups")
	if w := cl.writes(); len(w) != before {
		t.Errorf("refused writes reached Proxmox: %v", w[before:])
	}
	var out struct {
		Kind  string
		Added *struct{ ID, Type, Nodes string }
	}
	c.ok("pve_ha_rules", m("action", "add", "id", "prod", "nodes", []string{"pve1:2", "pve2"}, "restricted", true), &out)
	if out.Kind != "groups" || out.Added == nil || out.Added.Type != "group" {
		t.Errorf("added %+v", out)
	}
	var groups []struct {
		Group, Nodes string
		Restricted   int
	}
	cl.simGet(t, "/cluster/ha/groups", nil, &groups)
	if len(groups) != 1 || groups[0].Group != "prod" || groups[0].Restricted != 1 || !strings.Contains(groups[0].Nodes, "pve1:2") {
		t.Errorf("simulator holds %+v", groups)
	}
	c.ok("pve_ha_resources", m("action", "add", "vmid", 101, "group", "prod", "state", "stopped"), nil)
	if r := cl.haResources(t)["vm:101"]; r.Group != "prod" || r.State != "stopped" {
		t.Errorf("vm:101 %+v", r)
	}
	c.fails("pve_ha_rules", m("action", "delete", "id", "prod"), "used by")
	c.ok("pve_ha_resources", m("action", "remove", "vmid", 101), nil)
	c.ok("pve_ha_rules", m("action", "delete", "id", "prod"), nil)
	cl.simGet(t, "/cluster/ha/groups", nil, &groups)
	if len(groups) != 0 {
		t.Errorf("after delete: %+v", groups)
	}
}
