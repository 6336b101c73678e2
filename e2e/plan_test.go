package e2e

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// planOut is the part of pve_plan's answer the tests read.
type planOut struct {
	Plan         string `json:"plan"`
	Rehearsed    bool   `json:"rehearsed"`
	WouldSucceed bool   `json:"wouldSucceed"`
	Failure      string `json:"failure"`
	Changes      struct {
		Guests []struct {
			VMID      int    `json:"vmid"`
			Change    string `json:"change"`
			Node      string `json:"node"`
			NodeAfter string `json:"nodeAfter"`
			Status    string `json:"status"`
			Config    []struct {
				Key, Before, After string
			} `json:"config"`
			SnapAdded []string `json:"snapshotsAdded"`
			SnapGone  []string `json:"snapshotsRemoved"`
		} `json:"guests"`
		Volumes []struct {
			VolID, Node, Change string
			Size                int64
		} `json:"volumes"`
	} `json:"changes"`
	Tasks []struct {
		Type string   `json:"type"`
		Exit string   `json:"exitstatus"`
		Log  []string `json:"log"`
	} `json:"tasks"`
}

func (c *client) plan(tool string, args map[string]any) planOut {
	c.t.Helper()
	res, text := c.call("pve_plan", m("tool", tool, "arguments", args))
	if res.IsError {
		c.t.Fatalf("pve_plan %s: %s", tool, text)
	}
	var p planOut
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &p); err != nil {
		c.t.Fatalf("pve_plan %s: %v", tool, err)
	}
	return p
}

// generated are values Proxmox makes up anew for each guest (MACs, UUIDs):
// a plan cannot know them.
var generated = regexp.MustCompile(`(?i)\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)

func norm(s string) string { return generated.ReplaceAllString(s, "<generated>") }

// realChanges describes what happened to the cluster as the plan does:
// one line per changed fact, sorted.
func realChanges(before, after pvesim.TwinState) []string {
	var out []string
	old := map[int]pvesim.TwinGuest{}
	for _, g := range before.Guests {
		old[g.VMID] = g
	}
	seen := map[int]bool{}
	for _, g := range after.Guests {
		seen[g.VMID] = true
		b, ok := old[g.VMID]
		if !ok {
			out = append(out, fmt.Sprintf("%d created on %s", g.VMID, g.Node))
		} else if b.Node != g.Node {
			out = append(out, fmt.Sprintf("%d moves to %s", g.VMID, g.Node))
		}
		if ok && b.Running != g.Running {
			out = append(out, fmt.Sprintf("%d running=%v", g.VMID, g.Running))
		}
		for k, v := range g.Config {
			if bv, had := b.Config[k]; !had || bv != v {
				out = append(out, fmt.Sprintf("%d %s: %s -> %s", g.VMID, k, norm(b.Config[k]), norm(v)))
			}
		}
		for k, v := range b.Config {
			if _, has := g.Config[k]; !has && ok {
				out = append(out, fmt.Sprintf("%d %s: %s -> ", g.VMID, k, norm(v)))
			}
		}
		for _, sn := range g.Snapshots {
			if !slices.ContainsFunc(b.Snapshots, func(x pvesim.TwinSnapshot) bool { return x.Name == sn.Name }) {
				out = append(out, fmt.Sprintf("%d snapshot + %s", g.VMID, sn.Name))
			}
		}
		for _, sn := range b.Snapshots {
			if !slices.ContainsFunc(g.Snapshots, func(x pvesim.TwinSnapshot) bool { return x.Name == sn.Name }) {
				out = append(out, fmt.Sprintf("%d snapshot - %s", g.VMID, sn.Name))
			}
		}
	}
	for _, g := range before.Guests {
		if !seen[g.VMID] {
			out = append(out, fmt.Sprintf("%d destroyed", g.VMID))
		}
	}
	sort.Strings(out)
	return out
}

// planned is the same description from a plan.
func (p planOut) planned() []string {
	var out []string
	for _, g := range p.Changes.Guests {
		switch g.Change {
		case "created":
			out = append(out, fmt.Sprintf("%d created on %s", g.VMID, g.Node))
		case "destroyed":
			out = append(out, fmt.Sprintf("%d destroyed", g.VMID))
			continue
		}
		if g.NodeAfter != "" {
			out = append(out, fmt.Sprintf("%d moves to %s", g.VMID, g.NodeAfter))
		}
		if g.Status != "" && g.Change != "created" {
			out = append(out, fmt.Sprintf("%d running=%v", g.VMID, g.Status == "running"))
		}
		for _, k := range g.Config {
			out = append(out, fmt.Sprintf("%d %s: %s -> %s", g.VMID, k.Key, norm(k.Before), norm(k.After)))
		}
		for _, s := range g.SnapAdded {
			out = append(out, fmt.Sprintf("%d snapshot + %s", g.VMID, s))
		}
		for _, s := range g.SnapGone {
			out = append(out, fmt.Sprintf("%d snapshot - %s", g.VMID, s))
		}
	}
	sort.Strings(out)
	return out
}

// TestPlanMatchesTheRealCall (issue 20): for a matrix of write tools, the
// plan's diff, rehearsed on a twin, equals what the real call then does to
// the cluster, fact by fact; the plan sent no write.
func TestPlanMatchesTheRealCall(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	vm := func(id int, kv ...any) map[string]any { return m(append([]any{"node", "pve1", "vmid", id}, kv...)...) }
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{"pve_vm_set_config", vm(101, "memory", 6144, "cores", 6, "extra", m("onboot", 1))},
		{"pve_vm_start", vm(101)},
		{"pve_vm_stop", vm(100, "confirm", true)},
		{"pve_snapshot_create", vm(101, "type", "qemu", "snapname", "planned")},
		{"pve_snapshot_delete", vm(101, "type", "qemu", "snapname", "planned", "confirm", true, "confirmName", "planned")},
		{"pve_vm_clone", vm(9000, "newid", 150, "name", "from-plan")},
		{"pve_vm_resize_disk", vm(150, "disk", "scsi0", "size", "+2G")},
		{"pve_vm_delete", vm(150, "confirm", true, "confirmVmid", 150)},
		{"pve_lxc_set_config", vm(200, "memory", 1024)},
		{"pve_lxc_stop", vm(200, "confirm", true)},
		{"pve_vm_migrate", m("node", "pve2", "vmid", 102, "target", "pve3", "online", true, "withLocalDisks", true)},
		{"pve_backup_now", vm(101, "storage", "local", "mode", "snapshot")},
		{"pve_snapshot_rollback", vm(100, "type", "qemu", "snapname", "before-upgrade", "confirm", true, "confirmName", "before-upgrade")},
		{"pve_lxc_start", vm(200)},
		{"pve_vm_template", m("node", "pve3", "vmid", 103, "confirm", true)},
		{"pve_bulk_action", m("action", "start", "vms", []any{201})},
	} {
		before := cl.sim.Export()
		cl.sim.ResetRequests()
		p := c.plan(tc.tool, tc.args)
		if w := cl.writes(); len(w) != 0 {
			t.Fatalf("%s: planning wrote to Proxmox: %v", tc.tool, w)
		}
		if !p.Rehearsed || !p.WouldSucceed {
			t.Fatalf("%s: plan not rehearsed or failing: %+v", tc.tool, p)
		}
		c.ok("pve_apply", m("plan", p.Plan), nil)
		got, want := p.planned(), realChanges(before, cl.sim.Export())
		if !slices.Equal(got, want) {
			t.Errorf("%s: the plan said\n  %s\nthe call did\n  %s", tc.tool, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		if len(p.Tasks) > 0 && !strings.Contains(strings.Join(p.Tasks[len(p.Tasks)-1].Log, "\n"), "TASK OK") {
			t.Errorf("%s: the plan shows no task log ending TASK OK: %+v", tc.tool, p.Tasks)
		}
	}
}

// TestPlanRefusedWhenTheClusterChanged: a config changed after the plan
// was made blocks pve_apply, which says what changed and sends nothing;
// a plan runs once and is the planner's.
func TestPlanRefusedWhenTheClusterChanged(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	p := c.plan("pve_vm_set_config", m("node", "pve1", "vmid", 101, "memory", 6144))
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 101, "cores", 3), nil)
	cl.sim.ResetRequests()
	c.fails("pve_apply", m("plan", p.Plan), "changed since", "guest 101 config digest")
	if w := cl.writes(); len(w) != 0 {
		t.Fatalf("a stale plan wrote: %v", w)
	}
	c.fails("pve_apply", m("plan", p.Plan), "no such plan")
	// Once applied, a plan is gone.
	p = c.plan("pve_vm_set_config", m("node", "pve1", "vmid", 101, "memory", 6144))
	c.ok("pve_apply", m("plan", p.Plan), nil)
	c.fails("pve_apply", m("plan", p.Plan), "no such plan")
	c.fails("pve_apply", m("plan", "plan-0000000000000000"), "invalid argument \"plan\"")
}

// TestPlanShowsWhatWouldFail: a rehearsal that fails on the twin says why,
// and the plan tool itself refuses what it cannot plan.
func TestPlanShowsWhatWouldFail(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	p := c.plan("pve_vm_start", m("node", "pve1", "vmid", 9000))
	if p.WouldSucceed || !strings.Contains(p.Failure, "template") {
		t.Errorf("starting a template: %+v", p)
	}
	p = c.plan("pve_vm_stop", m("node", "pve1", "vmid", 100))
	if p.WouldSucceed || !strings.Contains(p.Failure, "confirm") {
		t.Errorf("a stop without confirm: %+v", p)
	}
	c.fails("pve_plan", m("tool", "pve_list_vms", "arguments", m()), "only reads")
	c.fails("pve_plan", m("tool", "pve_nope", "arguments", m()), "not offered")
	if w := cl.writes(); len(w) != 0 {
		t.Fatalf("plans wrote: %v", w)
	}
}

// TestRequirePlan: PVE_REQUIRE_PLAN=destructive refuses a destructive tool
// called directly and runs it from a plan; other
// writes go on as before.
func TestRequirePlan(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_REQUIRE_PLAN": "destructive", "PVE_TOOLSETS": "qemu,api"}})
	cl.sim.ResetRequests()
	c.fails("pve_vm_stop", m("node", "pve1", "vmid", 100, "confirm", true), "PVE_REQUIRE_PLAN", "pve_plan")
	c.fails("pve_api_call", m("method", "POST", "path", "/nodes/pve1/qemu/100/status/stop", "confirm", true), "PVE_REQUIRE_PLAN")
	if w := cl.writes(); len(w) != 0 {
		t.Fatalf("refused calls wrote: %v", w)
	}
	c.fails("pve_vm_stop", m("node", "pve1", "vmid", 100, "confirm", true, "plan", true), "pve_plan")
	p := c.plan("pve_vm_stop", m("node", "pve1", "vmid", 100, "confirm", true))
	c.ok("pve_apply", m("plan", p.Plan), nil)
	var st struct{ Status string }
	c.ok("pve_vm_status", m("node", "pve1", "vmid", 100), &st)
	if st.Status != "stopped" {
		t.Errorf("after the applied plan VM 100 is %q", st.Status)
	}
	c.ok("pve_vm_start", m("node", "pve1", "vmid", 101), nil) // not destructive: no plan needed
}

// TestPlanRehearsesPrivileges: the twin holds the privileges of the
// server's Proxmox user, so a change the token may not make fails in the
// plan as it would in Proxmox, and a power action it may make succeeds.
func TestPlanRehearsesPrivileges(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	const user, id, secret = "ops@pve", "ops@pve!mcp", "0ps-token-secret-5678"
	for _, err := range []error{cl.sim.AddToken(id, secret, true),
		cl.sim.SetACL("/", user, "PVEVMUser", true), cl.sim.SetACL("/", id, "PVEVMUser", true),
		cl.sim.SetACL("/", user, "PVEAuditor", true), cl.sim.SetACL("/", id, "PVEAuditor", true)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all", "PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret}})
	p := c.plan("pve_vm_set_config", m("node", "pve1", "vmid", 101, "memory", 6144))
	if p.WouldSucceed || !strings.Contains(p.Failure, "Permission check failed") {
		t.Errorf("a config change without VM.Config.Memory: %+v", p)
	}
	if p = c.plan("pve_vm_start", m("node", "pve1", "vmid", 101)); !p.WouldSucceed {
		t.Errorf("a start with VM.PowerMgmt: %+v", p)
	}
}

// TestPlanAttacks: a plan tells nothing past the allowlists, shows no
// password, and PVE_REQUIRE_PLAN holds for every write that needs a yes,
// whatever its tool's kind.
func TestPlanAttacks(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.01)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all", "PVE_VMID_ALLOWLIST": "100,101,150", "PVE_NODE_ALLOWLIST": "pve1"}})
	text := c.fails("pve_plan", m("tool", "pve_vm_start", "arguments", m("node", "pve1", "vmid", 102)), "PVE_VMID_ALLOWLIST")
	if strings.Contains(text, "pve2") {
		t.Errorf("a plan told where a guest outside the allowlist lives: %s", text)
	}
	c.fails("pve_plan", m("tool", "pve_vm_start", "arguments", m("node", "pve2", "vmid", 101)), "PVE_NODE_ALLOWLIST")
	res, text := c.call("pve_plan", m("tool", "pve_vm_set_config", "arguments", m("node", "pve1", "vmid", 101, "extra", m("cipassword", "hunter2-secret"))))
	raw, _ := json.Marshal(res.StructuredContent)
	if strings.Contains(text+string(raw), "hunter2-secret") || strings.Contains(text+string(raw), "$5$") {
		t.Errorf("a plan showed the password or its hash: %s %s", text, raw)
	}
	c.fails("pve_plan", m("tool", "pve_vm_start", "arguments", m("node", "pve1", "vmid", 101, "bogus", 1)), "bogus")
	c.fails("pve_plan", m("tool", "pve_api_call", "arguments", m("method", "GET", "path", "/version")), "only reads")

	strict := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all", "PVE_REQUIRE_PLAN": "destructive"}})
	cl.sim.ResetRequests()
	strict.fails("pve_vm_unlink_disk", m("node", "pve1", "vmid", 101, "idlist", "scsi0", "force", true, "confirm", true), "PVE_REQUIRE_PLAN")
	if w := cl.writes(); len(w) != 0 {
		t.Fatalf("a write needing a yes ran without a plan: %v", w)
	}
}
