package e2e

import (
	"slices"
	"strings"
	"testing"
)

// diskSize reads size= of a disk in a guest's config.
// guestOpsEnv adds the guestops toolset (templates, suspend, disk moves,
// container migration), which is off by default, to the default ones.
var guestOpsEnv = map[string]string{"PVE_TOOLSETS": "cluster,nodes,tasks,qemu,lxc,snapshots,storage,network,backup,guestops"}

func (c *client) diskSize(kind, node string, vmid int, disk string) string {
	c.t.Helper()
	val, _ := c.config(kind, node, vmid)[disk].(string)
	for _, part := range strings.Split(val, ",") {
		if s, ok := strings.CutPrefix(part, "size="); ok {
			return s
		}
	}
	c.t.Fatalf("%s %d: no size in %s = %q", kind, vmid, disk, val)
	return ""
}

func (c *client) qmpStatus(node string, vmid int) (status, qmp, lock string) {
	c.t.Helper()
	var st struct{ Status, Qmpstatus, Lock string }
	c.ok("pve_vm_status", m("node", node, "vmid", vmid), &st)
	return st.Status, st.Qmpstatus, st.Lock
}

// TestGuestOps calls issue 14's guest tools over MCP and checks what the
// simulator holds after each.
func TestGuestOps(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: guestOpsEnv})

	t.Run("next id", func(t *testing.T) {
		var next struct{ VMID int }
		c.ok("pve_next_vmid", nil, &next)
		if _, taken := c.findGuest(next.VMID); taken || next.VMID < 100 {
			t.Errorf("next id %d is taken or out of range", next.VMID)
		}
		for from, want := range map[int]int{100: 104, 200: 202, 777: 777} {
			c.ok("pve_next_vmid", m("vmid", from), &next)
			if next.VMID != want {
				t.Errorf("first free at or above %d: %d, want %d", from, next.VMID, want)
			}
		}
		c.fails("pve_next_vmid", m("vmid", 100, "exact", true), "VM 100 already exists")
		c.ok("pve_next_vmid", m("vmid", 555, "exact", true), &next)
		if next.VMID != 555 {
			t.Errorf("exact 555: %d", next.VMID)
		}
	})

	t.Run("resize", func(t *testing.T) {
		var grown struct{ UPID, ExitStatus, Disk, Size string }
		c.ok("pve_vm_resize_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "size", "+2G"), &grown)
		if got := c.diskSize("vm", "pve1", 101, "scsi0"); got != "66G" || grown.Size != "66G" || grown.Disk != "scsi0" || grown.ExitStatus != "OK" {
			t.Errorf("after +2G: size %s, output %+v, want 66G", got, grown)
		}
		c.task("pve_vm_resize_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "size", "70G"))
		if got := c.diskSize("vm", "pve1", 101, "scsi0"); got != "70G" {
			t.Errorf("after 70G: size %s", got)
		}
		c.ok("pve_lxc_resize_disk", m("node", "pve2", "vmid", 201, "disk", "rootfs", "size", "+1G"), &grown)
		if got := c.diskSize("lxc", "pve2", 201, "rootfs"); got != "5G" || grown.Size != "5G" || grown.ExitStatus != "OK" {
			t.Errorf("CT after +1G: size %s, output %+v, want 5G", got, grown)
		}
		before := len(cl.writes())
		c.fails("pve_vm_resize_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "size", "10G"), "shrinking disks is not supported", `"size"`, "+N")
		c.fails("pve_lxc_resize_disk", m("node", "pve2", "vmid", 201, "disk", "rootfs", "size", "1G"), "unable to shrink disk size")
		c.fails("pve_vm_resize_disk", m("node", "pve1", "vmid", 101, "disk", "virtio3", "size", "+1G"), "no disk virtio3")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused resizes reached Proxmox: %v", w[before:])
		}
		if got := c.diskSize("vm", "pve1", 101, "scsi0"); got != "70G" {
			t.Errorf("after the refusals: size %s", got)
		}
	})

	t.Run("suspend and resume", func(t *testing.T) {
		c.task("pve_vm_suspend", m("node", "pve1", "vmid", 100))
		if st, qmp, _ := c.qmpStatus("pve1", 100); st != "running" || qmp != "paused" {
			t.Errorf("after suspend: %s/%s, want running/paused", st, qmp)
		}
		c.task("pve_vm_resume", m("node", "pve1", "vmid", 100))
		if _, qmp, _ := c.qmpStatus("pve1", 100); qmp != "running" {
			t.Errorf("after resume: qmpstatus %s", qmp)
		}
		c.task("pve_vm_suspend", m("node", "pve1", "vmid", 100, "todisk", true, "statestorage", "local-lvm"))
		if st, _, lock := c.qmpStatus("pve1", 100); st != "stopped" || lock != "suspended" {
			t.Errorf("after hibernate: status %s, lock %q; want stopped, suspended", st, lock)
		}
		_, data, _ := cl.api(t, "/nodes/pve1/qemu/100/config", nil)
		state, _ := data.(map[string]any)["vmstate"].(string)
		if !strings.HasPrefix(state, "local-lvm:vm-100-state-suspend-") {
			t.Errorf("after hibernate: vmstate %q, want the RAM's volume on local-lvm", state)
		}
		c.task("pve_vm_resume", m("node", "pve1", "vmid", 100))
		if st, qmp, lock := c.qmpStatus("pve1", 100); st != "running" || qmp != "running" || lock != "" {
			t.Errorf("after resuming the hibernated VM: %s/%s lock %q", st, qmp, lock)
		}
		if _, data, _ := cl.api(t, "/nodes/pve1/qemu/100/config", nil); data.(map[string]any)["vmstate"] != nil {
			t.Errorf("after resuming the hibernated VM: vmstate kept: %v", data)
		}
		var frozen struct{ UPID, ExitStatus, State, Note string }
		c.ok("pve_lxc_suspend", m("node", "pve1", "vmid", 200), &frozen)
		if frozen.ExitStatus != "OK" || frozen.State != "frozen" || !strings.Contains(frozen.Note, "pve_lxc_resume") {
			t.Errorf("CT suspend: %+v, want state frozen and how to thaw it", frozen)
		}
		// As pve-container's vmstatus, a frozen container reads running.
		if st := c.status("lxc", "pve1", 200); st != "running" {
			t.Errorf("frozen CT: %s", st)
		}
		c.task("pve_lxc_resume", m("node", "pve1", "vmid", 200))
		if st := c.status("lxc", "pve1", 200); st != "running" {
			t.Errorf("CT after resume: %s", st)
		}
		c.fails("pve_vm_suspend", m("node", "pve1", "vmid", 101), "not running")
	})

	t.Run("template", func(t *testing.T) {
		c.fails("pve_vm_template", m("node", "pve1", "vmid", 101), "confirm: true", "no way back")
		// A running guest is refused before confirm or consent is asked for.
		before := len(cl.writes())
		for _, args := range []map[string]any{m("node", "pve1", "vmid", 100), m("node", "pve1", "vmid", 100, "confirm", true)} {
			if text := c.fails("pve_vm_template", args, "VM 100 on pve1 is running", "shut it down first (pve_vm_shutdown)"); strings.Contains(text, "confirm: true") {
				t.Errorf("running VM: asked for confirm: %s", text)
			}
		}
		c.fails("pve_lxc_template", m("node", "pve1", "vmid", 200), "CT 200 on pve1 is running", "pve_lxc_shutdown")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused conversions reached Proxmox: %v", w[before:])
		}
		c.task("pve_vm_template", m("node", "pve1", "vmid", 101, "confirm", true))
		var ct struct{ Action, UPID string }
		c.ok("pve_lxc_template", m("node", "pve2", "vmid", 201, "confirm", true), &ct)
		if ct.Action != "template" || !strings.Contains(ct.UPID, ":vztemplate:201:") {
			t.Errorf("CT template: %+v", ct)
		}
		for _, g := range []struct {
			kind, node string
			vmid       int
		}{{"vm", "pve1", 101}, {"lxc", "pve2", 201}} {
			if tmpl := c.config(g.kind, g.node, g.vmid)["template"]; tmpl != float64(1) {
				t.Errorf("%s %d: template %v, want 1", g.kind, g.vmid, tmpl)
			}
		}
		var res []struct {
			VMID     int
			Template int
		}
		c.ok("pve_cluster_resources", m("type", "vm"), &res)
		var templates []int
		for _, r := range res {
			if r.Template == 1 {
				templates = append(templates, r.VMID)
			}
		}
		slices.Sort(templates)
		if !slices.Equal(templates, []int{101, 201, 9000}) {
			t.Errorf("templates in the cluster: %v", templates)
		}
		c.fails("pve_vm_template", m("node", "pve1", "vmid", 101, "confirm", true), "can't convert a template to a template")
		c.fails("pve_vm_start", m("node", "pve1", "vmid", 101), "if it's a template", "pve_vm_clone")
		c.fails("pve_lxc_start", m("node", "pve2", "vmid", 201), "if it's a template", "pve_lxc_clone")
	})
}

// qemu-server 7 resizes at once and answers null; pve-container answers a
// task. Both count as done only when Proxmox is.
func TestGuestOpsOnPVE7(t *testing.T) {
	t.Parallel()
	c := newClusterSchema(t, 0.02, "7.4").connect(t, clientOpts{env: guestOpsEnv})
	var out struct{ UPID, Status, Size string }
	c.ok("pve_vm_resize_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "size", "+1G"), &out)
	if out.UPID != "" || out.Status != "done" || out.Size != "65G" {
		t.Errorf("7.4 VM resize: %+v, want no task and status done", out)
	}
	if got := c.diskSize("vm", "pve1", 101, "scsi0"); got != "65G" {
		t.Errorf("7.4 VM after +1G: size %s", got)
	}
	c.task("pve_lxc_resize_disk", m("node", "pve2", "vmid", 201, "disk", "rootfs", "size", "6G"))
	if got := c.diskSize("lxc", "pve2", 201, "rootfs"); got != "6G" {
		t.Errorf("7.4 CT after 6G: size %s", got)
	}
	c.task("pve_vm_template", m("node", "pve1", "vmid", 101, "confirm", true))
	c.ok("pve_lxc_template", m("node", "pve2", "vmid", 201, "confirm", true), nil)
	for _, g := range []struct {
		kind, node string
		vmid       int
	}{{"vm", "pve1", 101}, {"lxc", "pve2", 201}} {
		if tmpl := c.config(g.kind, g.node, g.vmid)["template"]; tmpl != float64(1) {
			t.Errorf("7.4 %s %d: template %v, want 1", g.kind, g.vmid, tmpl)
		}
	}
}

// Under PVE_NODE_ALLOWLIST a free id is on no node: the search still works,
// and ids outside PVE_VMID_ALLOWLIST are passed over.
func TestNextVMIDAllowlists(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{
		"PVE_NODE_ALLOWLIST": "pve1", "PVE_VMID_ALLOWLIST": "100,101,150,151"}})
	var next struct{ VMID int }
	c.ok("pve_next_vmid", m("vmid", 100), &next)
	if next.VMID != 150 {
		t.Errorf("first free allowed id from 100: %d, want 150", next.VMID)
	}
	c.ok("pve_next_vmid", nil, &next)
	if next.VMID != 150 {
		t.Errorf("next free allowed id: %d, want 150", next.VMID)
	}
	c.fails("pve_next_vmid", m("vmid", 152), "PVE_VMID_ALLOWLIST permits no guest id at or above 152", "100, 101, 150, 151", "give a lower vmid")
	c.fails("pve_next_vmid", m("vmid", 102, "exact", true), "PVE_VMID_ALLOWLIST")

	// Every permitted id taken (the seed holds 100 to 105): the ids and
	// what to do, not "give a higher vmid".
	full := cl.connect(t, clientOpts{env: map[string]string{"PVE_VMID_ALLOWLIST": "100,101,102"}})
	for _, args := range []map[string]any{nil, m("vmid", 100)} {
		text := full.fails("pve_next_vmid", args, "every guest id PVE_VMID_ALLOWLIST permits is taken (100, 101, 102)", "add ids to PVE_VMID_ALLOWLIST", "delete a guest")
		if strings.Contains(text, "higher vmid") {
			t.Errorf("args %v: %s", args, text)
		}
	}
	full.fails("pve_next_vmid", m("vmid", 101), "permits at or above 101 is taken (101, 102)", "it also permits 100")
}

// TestLXCConfigAndMigrate changes a container's config and moves
// containers between nodes over MCP, checking the simulator after each.
func TestLXCConfigAndMigrate(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: guestOpsEnv})

	t.Run("set config", func(t *testing.T) {
		c.fails("pve_lxc_set_config", m("node", "pve1", "vmid", 200, "delete", []any{"tags"}), "confirm: true", "delete")
		var out struct {
			Changed map[string]struct{ From, To string }
		}
		c.ok("pve_lxc_set_config", m("node", "pve1", "vmid", 200, "cores", 2, "memory", 1024, "swap", 0, "hostname", "proxy2",
			"description", "edge proxy", "delete", []any{"tags"}, "extra", m("onboot", false), "confirm", true), &out)
		if ch := out.Changed["cores"]; ch.From != "1" || ch.To != "2" {
			t.Errorf("changed cores %+v, in %+v", ch, out.Changed)
		}
		if ch, ok := out.Changed["tags"]; !ok || ch.From != "prod" || ch.To != "" {
			t.Errorf("changed tags %+v (present %v)", ch, ok)
		}
		if _, ok := out.Changed["arch"]; ok {
			t.Errorf("unchanged arch reported: %+v", out.Changed)
		}
		cfg := c.config("lxc", "pve1", 200)
		for k, want := range map[string]any{"cores": float64(2), "memory": float64(1024), "swap": float64(0), "hostname": "proxy2", "onboot": float64(0)} {
			if cfg[k] != want {
				t.Errorf("config %s = %v, want %v", k, cfg[k], want)
			}
		}
		if d, _ := cfg["description"].(string); strings.TrimSpace(d) != "edge proxy" {
			t.Errorf("description %q", d)
		}
		if _, ok := cfg["tags"]; ok {
			t.Errorf("tags still set: %v", cfg["tags"])
		}

		// Host-level keys are refused by the request guard before any write.
		before := len(cl.writes())
		c.fails("pve_lxc_set_config", m("node", "pve1", "vmid", 200, "confirm", true, "extra", m("dev0", "/dev/kvm")), "dev0", "PVE_ALLOW_HOST_ACCESS")
		c.fails("pve_lxc_set_config", m("node", "pve1", "vmid", 200, "confirm", true, "extra", m("features", "nesting=1,keyctl=1")), "features.keyctl", "PVE_ALLOW_HOST_ACCESS")
		c.fails("pve_lxc_set_config", m("node", "pve1", "vmid", 200, "extra", m("lxc.apparmor.profile", "unconfined")), "extra")
		c.fails("pve_lxc_set_config", m("node", "pve1", "vmid", 200, "cores", 4096, "memory", 4), `"memory"`)
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused changes reached Proxmox: %v", w[before:])
		}
		cfg = c.config("lxc", "pve1", 200)
		if _, ok := cfg["dev0"]; ok || cfg["features"] != "nesting=1" || cfg["cores"] != float64(2) {
			t.Errorf("after the refusals: dev0 %v, features %v, cores %v", cfg["dev0"], cfg["features"], cfg["cores"])
		}
	})

	t.Run("migrate", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_lxc_migrate", m("node", "pve1", "vmid", 200, "target", "pve2"), "can't migrate running container", "restart: true")
		if w := cl.writes(); len(w) != before+1 {
			t.Errorf("want the one refused migrate request, got %v", w[before:])
		}
		if g, _ := c.findGuest(200); g.Node != "pve1" {
			t.Errorf("after the refusal CT 200 is on %q", g.Node)
		}
		c.fails("pve_lxc_migrate", m("node", "pve1", "vmid", 200, "target", "pve1", "restart", true), `"target"`, "already on pve1")

		tk := c.task("pve_lxc_migrate", m("node", "pve1", "vmid", 200, "target", "pve2", "restart", true, "timeout", 30))
		if !strings.Contains(tk.UPID, ":vzmigrate:200:") {
			t.Errorf("task %+v", tk)
		}
		if g, _ := c.findGuest(200); g.Node != "pve2" {
			t.Errorf("after the restart migration CT 200 is on %q", g.Node)
		}
		if st := c.status("lxc", "pve2", 200); st != "running" {
			t.Errorf("CT 200 on pve2: %s, want running again", st)
		}
		if cfg := c.config("lxc", "pve2", 200); cfg["hostname"] != "proxy2" {
			t.Errorf("config did not move with it: %v", cfg)
		}

		c.task("pve_lxc_migrate", m("node", "pve2", "vmid", 201, "target", "pve3"))
		if g, _ := c.findGuest(201); g.Node != "pve3" || g.Status != "stopped" {
			t.Errorf("CT 201 after the offline migration: %+v", g)
		}
	})
}
