package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

type guestStatus struct {
	Status string `json:"status"`
	Name   string `json:"name"`
	Lock   string `json:"lock"`
}

type resource struct {
	Type   string `json:"type"`
	VMID   int    `json:"vmid"`
	Node   string `json:"node"`
	Status string `json:"status"`
}

func (c *client) resources(typ string) []resource {
	c.t.Helper()
	var rs []resource
	c.ok("pve_cluster_resources", m("type", typ), &rs)
	return rs
}

func (c *client) findGuest(vmid int) (resource, bool) {
	for _, r := range c.resources("vm") {
		if r.VMID == vmid {
			return r, true
		}
	}
	return resource{}, false
}

func (c *client) status(kind, node string, vmid int) string {
	c.t.Helper()
	var st guestStatus
	c.ok("pve_"+kind+"_status", m("node", node, "vmid", vmid), &st)
	return st.Status
}

func (c *client) config(kind, node string, vmid int) map[string]any {
	c.t.Helper()
	var cfg map[string]any
	c.ok("pve_"+kind+"_config", m("node", node, "vmid", vmid), &cfg)
	return cfg
}

// backupOf returns the newest backup volume of a guest on pve1's local storage.
func (c *client) backupOf(vmid int) string {
	c.t.Helper()
	var vols []struct {
		Volid string `json:"volid"`
		VMID  int    `json:"vmid"`
		Ctime int64  `json:"ctime"`
	}
	c.ok("pve_list_backups", m("node", "pve1", "storage", "local"), &vols)
	best, when := "", int64(-1)
	for _, v := range vols {
		if v.VMID == vmid && v.Ctime >= when {
			best, when = v.Volid, v.Ctime
		}
	}
	if best == "" {
		c.t.Fatalf("no backup of %d in %v", vmid, vols)
	}
	return best
}

func TestClusterReads(t *testing.T) {
	t.Parallel()
	clusterReads(t, newCluster(t, 0.02), clientOpts{})
}

func clusterReads(t *testing.T, cl *cluster, o clientOpts) {
	c := cl.connect(t, o)
	var v struct{ Major, Minor int }
	c.ok("pve_version", nil, &v)
	if v.Major != 9 || v.Minor != 1 {
		t.Errorf("version %+v", v)
	}
	var nodes []map[string]any
	c.ok("pve_list_nodes", nil, &nodes)
	if len(nodes) != 3 {
		t.Errorf("nodes: %v", nodes)
	}
	if st := c.ok("pve_node_status", m("node", "pve2"), nil); !strings.Contains(st, `"uptime"`) {
		t.Errorf("node status: %s", st)
	}
	var vms []resource
	c.ok("pve_list_vms", nil, &vms)
	for _, r := range vms {
		if r.Type != "qemu" {
			t.Errorf("pve_list_vms without node returned a %s", r.Type)
		}
	}
	var cts []resource
	c.ok("pve_list_containers", nil, &cts)
	if len(cts) == 0 || slices.ContainsFunc(cts, func(r resource) bool { return r.Type != "lxc" }) {
		t.Errorf("containers: %v", cts)
	}
	var onNode []map[string]any
	c.ok("pve_list_vms", m("node", "pve1"), &onNode)
	if len(onNode) == 0 {
		t.Error("no VMs on pve1")
	}
	c.ok("pve_list_containers", m("node", "pve1"), nil)
	c.ok("pve_list_tasks", m("node", "pve1", "limit", 5), nil)
	c.ok("pve_list_tasks", m("node", "pve1", "running", true), nil)
	var storages []struct{ Storage string }
	c.ok("pve_list_storage", m("node", "pve1"), &storages)
	if len(storages) < 2 {
		t.Errorf("storage: %v", storages)
	}
	if iso := c.ok("pve_storage_content", m("node", "pve1", "storage", "local", "content", "iso"), nil); !strings.Contains(iso, "debian-12") {
		t.Errorf("iso content: %s", iso)
	}
	if n := c.ok("pve_list_network", m("node", "pve1", "type", "bridge"), nil); !strings.Contains(n, "vmbr0") {
		t.Errorf("network: %s", n)
	}
	if s := c.ok("pve_list_snapshots", m("node", "pve1", "vmid", 100, "type", "qemu"), nil); !strings.Contains(s, "before-upgrade") {
		t.Errorf("snapshots: %s", s)
	}
	c.ok("pve_vm_config", m("node", "pve1", "vmid", 100), nil)
	c.ok("pve_lxc_status", m("node", "pve1", "vmid", 200), nil)
	c.ok("pve_lxc_config", m("node", "pve1", "vmid", 200), nil)
	c.fails("pve_vm_status", m("node", "pve2", "vmid", 100), "does not exist")
}

func TestVMCycle(t *testing.T) {
	t.Parallel()
	vmCycle(t, newCluster(t, 0.02), clientOpts{})
}

func vmCycle(t *testing.T, cl *cluster, o clientOpts) {
	c := cl.connect(t, o)
	c.task("pve_vm_create", m("node", "pve1", "vmid", 500, "name", "e2e-web", "memory", 1024,
		"disk", m("storage", "local-lvm", "sizeGb", 2), "net", m("vlan", 10),
		"iso", m("storage", "local", "file", "debian-12.8.0-amd64-netinst.iso")))
	cfg := c.config("vm", "pve1", 500)
	if !strings.Contains(cfg["scsi0"].(string), "local-lvm:vm-500-disk") || !strings.Contains(cfg["net0"].(string), "tag=10") ||
		!strings.Contains(cfg["ide2"].(string), "debian-12") {
		t.Fatalf("config after create: %v", cfg)
	}
	c.task("pve_vm_start", m("node", "pve1", "vmid", 500))
	if s := c.status("vm", "pve1", 500); s != "running" {
		t.Fatalf("after start: %s", s)
	}
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 500, "cores", 2, "description", "e2e"), nil)
	if cfg := c.config("vm", "pve1", 500); cfg["cores"] != float64(2) {
		t.Errorf("cores after set_config: %v", cfg["cores"])
	}
	c.task("pve_vm_reboot", m("node", "pve1", "vmid", 500))

	c.task("pve_snapshot_create", m("node", "pve1", "vmid", 500, "type", "qemu", "snapname", "snap1", "description", "before"))
	if s := c.ok("pve_list_snapshots", m("node", "pve1", "vmid", 500, "type", "qemu"), nil); !strings.Contains(s, `"snap1"`) {
		t.Fatalf("snapshot missing: %s", s)
	}
	c.task("pve_snapshot_rollback", m("node", "pve1", "vmid", 500, "type", "qemu", "snapname", "snap1", "confirm", true, "confirmName", "snap1"))
	c.task("pve_snapshot_delete", m("node", "pve1", "vmid", 500, "type", "qemu", "snapname", "snap1", "confirm", true, "confirmName", "snap1"))
	if s := c.ok("pve_list_snapshots", m("node", "pve1", "vmid", 500, "type", "qemu"), nil); strings.Contains(s, `"snap1"`) {
		t.Fatalf("snapshot not deleted: %s", s)
	}

	c.task("pve_vm_shutdown", m("node", "pve1", "vmid", 500))
	if s := c.status("vm", "pve1", 500); s != "stopped" {
		t.Fatalf("after shutdown: %s", s)
	}
	c.task("pve_vm_clone", m("node", "pve1", "vmid", 500, "newid", 501, "name", "e2e-clone", "full", true))
	c.config("vm", "pve1", 501)
	// A local ISO in the CD drive blocks migration, as on a real cluster; eject it.
	c.fails("pve_vm_set_config", m("node", "pve1", "vmid", 501, "extra", m("ide2", "none,media=cdrom")), "confirm: true")
	c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 501, "confirm", true, "extra", m("ide2", "none,media=cdrom")), nil)
	c.task("pve_vm_migrate", m("node", "pve1", "vmid", 501, "target", "pve2"))
	if r, ok := c.findGuest(501); !ok || r.Node != "pve2" {
		t.Fatalf("after migrate: %+v %v", r, ok)
	}
	c.fails("pve_vm_status", m("node", "pve1", "vmid", 501), "does not exist")
	c.task("pve_vm_clone", m("node", "pve1", "vmid", 9000, "newid", 502, "name", "linked", "target", "pve1"))

	c.task("pve_vm_start", m("node", "pve1", "vmid", 500))
	c.task("pve_vm_reset", m("node", "pve1", "vmid", 500, "confirm", true))
	c.task("pve_backup_now", m("node", "pve1", "vmid", 500, "storage", "local", "notes", "e2e {{guestname}}"))
	backup := c.backupOf(500)
	c.task("pve_vm_stop", m("node", "pve1", "vmid", 500, "confirm", true))
	if s := c.status("vm", "pve1", 500); s != "stopped" {
		t.Fatalf("after stop: %s", s)
	}
	c.task("pve_vm_delete", m("node", "pve1", "vmid", 500, "confirm", true, "confirmVmid", 500))
	if _, ok := c.findGuest(500); ok {
		t.Fatal("VM 500 still listed after delete")
	}
	c.task("pve_restore", m("node", "pve1", "vmid", 500, "type", "qemu", "archive", backup, "storage", "local-lvm", "confirm", true, "confirmVmid", 500))
	if cfg := c.config("vm", "pve1", 500); cfg["name"] != "e2e-web" {
		t.Errorf("restored config: %v", cfg)
	}
	for _, g := range []struct {
		node string
		id   int
	}{{"pve1", 500}, {"pve2", 501}, {"pve1", 502}} {
		c.task("pve_vm_delete", m("node", g.node, "vmid", g.id, "confirm", true, "confirmVmid", g.id))
	}
}

func TestContainerCycle(t *testing.T) {
	t.Parallel()
	containerCycle(t, newCluster(t, 0.02), clientOpts{})
}

func containerCycle(t *testing.T, cl *cluster, o clientOpts) {
	c := cl.connect(t, o)
	c.task("pve_lxc_create", m("node", "pve1", "vmid", 600, "hostname", "e2e-ct",
		"ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
		"rootfs", m("storage", "local-lvm", "sizeGb", 2), "net", m("ip", "10.0.0.5/24", "gateway", "10.0.0.1"),
		"password", "e2e-secret-pw"))
	cfg := c.config("lxc", "pve1", 600)
	if !strings.Contains(cfg["rootfs"].(string), "local-lvm:") || !strings.Contains(cfg["net0"].(string), "ip=10.0.0.5/24") {
		t.Fatalf("config: %v", cfg)
	}
	c.task("pve_lxc_start", m("node", "pve1", "vmid", 600))
	if s := c.status("lxc", "pve1", 600); s != "running" {
		t.Fatalf("after start: %s", s)
	}
	c.task("pve_lxc_reboot", m("node", "pve1", "vmid", 600))
	c.task("pve_snapshot_create", m("node", "pve1", "vmid", 600, "type", "lxc", "snapname", "ct_snap"))
	c.task("pve_snapshot_rollback", m("node", "pve1", "vmid", 600, "type", "lxc", "snapname", "ct_snap", "confirm", true, "confirmName", "ct_snap"))
	c.task("pve_snapshot_delete", m("node", "pve1", "vmid", 600, "type", "lxc", "snapname", "ct_snap", "confirm", true, "confirmName", "ct_snap"))
	if s := c.status("lxc", "pve1", 600); s != "running" {
		c.task("pve_lxc_start", m("node", "pve1", "vmid", 600))
	}
	c.task("pve_lxc_shutdown", m("node", "pve1", "vmid", 600))
	if s := c.status("lxc", "pve1", 600); s != "stopped" {
		t.Fatalf("after shutdown: %s", s)
	}
	c.task("pve_lxc_start", m("node", "pve1", "vmid", 600))
	c.task("pve_lxc_stop", m("node", "pve1", "vmid", 600, "confirm", true))
	c.task("pve_lxc_clone", m("node", "pve1", "vmid", 600, "newid", 601, "hostname", "e2e-ct2", "full", true))
	c.config("lxc", "pve1", 601)
	c.task("pve_backup_now", m("node", "pve1", "vmid", 600, "storage", "local", "mode", "stop"))
	backup := c.backupOf(600)
	c.task("pve_lxc_delete", m("node", "pve1", "vmid", 600, "confirm", true, "confirmVmid", 600))
	if _, ok := c.findGuest(600); ok {
		t.Fatal("CT 600 still listed after delete")
	}
	c.task("pve_restore", m("node", "pve1", "vmid", 600, "type", "lxc", "archive", backup, "storage", "local-lvm", "confirm", true, "confirmVmid", 600))
	if cfg := c.config("lxc", "pve1", 600); cfg["hostname"] != "e2e-ct" {
		t.Errorf("restored: %v", cfg)
	}
	c.task("pve_lxc_delete", m("node", "pve1", "vmid", 601, "confirm", true, "confirmVmid", 601))
}

func TestStorageNetworkSchedule(t *testing.T) {
	t.Parallel()
	storageNetworkSchedule(t, newCluster(t, 0.02), clientOpts{})
}

func storageNetworkSchedule(t *testing.T, cl *cluster, o clientOpts) {
	c := cl.connect(t, o)
	c.task("pve_download_iso", m("node", "pve2", "storage", "local", "url", "https://93.184.216.34/images/alpine-virt.iso", "filename", "alpine-virt.iso"))
	if s := c.ok("pve_storage_content", m("node", "pve2", "storage", "local", "content", "iso"), nil); !strings.Contains(s, "local:iso/alpine-virt.iso") {
		t.Errorf("downloaded ISO missing: %s", s)
	}
	c.fails("pve_download_iso", m("node", "pve2", "storage", "local", "url", "http://169.254.169.254/latest/x.iso", "filename", "x.iso"), "metadata")

	var out struct{ Action, Iface, Result string }
	c.ok("pve_create_bridge", m("node", "pve1", "iface", "vmbr7", "cidr", "10.7.0.1/24", "comments", "e2e"), &out)
	if out.Iface != "vmbr7" {
		t.Errorf("bridge: %+v", out)
	}
	var ifaces []struct {
		Iface  string `json:"iface"`
		Active int    `json:"active"`
	}
	c.ok("pve_list_network", m("node", "pve1"), &ifaces)
	if !slices.ContainsFunc(ifaces, func(i struct {
		Iface  string `json:"iface"`
		Active int    `json:"active"`
	}) bool {
		return i.Iface == "vmbr7"
	}) {
		t.Fatalf("pending bridge not listed: %+v", ifaces)
	}
	var staged struct {
		Changes string `json:"changes"`
	}
	res, _ := c.call("pve_list_network", m("node", "pve1"))
	raw, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(raw, &staged)
	if !strings.Contains(staged.Changes, "vmbr7") {
		t.Errorf("staged changes not reported: %q", staged.Changes)
	}
	c.task("pve_apply_network", m("node", "pve1", "confirm", true))

	var job struct{ Action, Schedule string }
	c.ok("pve_schedule_backup", m("schedule", "sun 01:00", "storage", "local", "vmids", []int{100, 101}), &job)
	if job.Action != "schedule_backup" {
		t.Errorf("job: %+v", job)
	}
	var jobs []map[string]any
	cl.simGet(t, "/cluster/backup", nil, &jobs)
	if !slices.ContainsFunc(jobs, func(j map[string]any) bool { return j["schedule"] == "sun 01:00" && j["vmid"] == "100,101" }) {
		t.Errorf("job not created: %v", jobs)
	}
}

func TestTaskTools(t *testing.T) {
	t.Parallel()
	taskTools(t, newCluster(t, 0.05), clientOpts{})
}

func taskTools(t *testing.T, cl *cluster, o clientOpts) {
	c := cl.connect(t, o)
	var started task
	c.ok("pve_vm_start", m("node", "pve1", "vmid", 101, "async", true), &started)
	if started.Status != "running" || started.ExitStatus != "" || started.UPID == "" {
		t.Fatalf("async start: %+v", started)
	}
	var waited struct{ Status, ExitStatus string }
	c.ok("pve_task_wait", m("upid", started.UPID, "timeoutSeconds", 30), &waited)
	if waited.Status != "stopped" || waited.ExitStatus != "OK" {
		t.Fatalf("wait: %+v", waited)
	}
	if s := c.status("vm", "pve1", 101); s != "running" {
		t.Errorf("after async start + wait: %s", s)
	}
	var st struct {
		Status     string   `json:"status"`
		ExitStatus string   `json:"exitstatus"`
		Log        []string `json:"log"`
	}
	c.ok("pve_task_status", m("upid", started.UPID), &st)
	if st.Status != "stopped" || st.ExitStatus != "OK" || len(st.Log) == 0 || st.Log[len(st.Log)-1] != "TASK OK" {
		t.Errorf("status: %+v", st)
	}
	var lg struct {
		Total int `json:"total"`
		Lines []struct {
			N int    `json:"n"`
			T string `json:"t"`
		} `json:"lines"`
	}
	c.ok("pve_task_log", m("upid", started.UPID, "start", 0, "limit", 1), &lg)
	if len(lg.Lines) != 1 || lg.Total < 1 {
		t.Errorf("log page: %+v", lg)
	}
	// A long clone, stopped while it runs.
	var clone task
	c.ok("pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 700, "full", true, "async", true), &clone)
	c.fails("pve_task_stop", m("upid", clone.UPID), "confirm: true")
	c.ok("pve_task_stop", m("upid", clone.UPID, "confirm", true), nil)
	c.ok("pve_task_status", m("upid", clone.UPID), &st)
	if st.Status != "stopped" || st.ExitStatus == "OK" {
		t.Errorf("stopped task: %+v", st)
	}
}

// TestCommonMistakesGetHints: Proxmox's refusal plus what to do about it.
func TestCommonMistakesGetHints(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 0.02).connect(t, clientOpts{})
	c.fails("pve_vm_delete", m("node", "pve1", "vmid", 100, "confirm", true, "confirmVmid", 100), "is running", "pve_vm_stop")
	c.fails("pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 170, "full", false), "Linked clone", "full: true")
	c.fails("pve_vm_migrate", m("node", "pve1", "vmid", 101, "target", "pve2"), "local cdrom", "ide2")
	c.fails("pve_vm_status", m("node", "pve2", "vmid", 101), "does not exist", "pve_cluster_resources")
}
