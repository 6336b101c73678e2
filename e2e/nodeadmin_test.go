package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// serviceState is a service's state as the simulator holds it.
func (c *cluster) serviceState(t *testing.T, node, service string) string {
	t.Helper()
	status, data, msg := c.api(t, "/nodes/"+node+"/services/"+service+"/state", nil)
	if status != 200 {
		t.Fatalf("state of %s: %d %s", service, status, msg)
	}
	return data.(map[string]any)["state"].(string)
}

type servicesResult struct {
	Services []struct {
		Service string `json:"service"`
		State   string `json:"state"`
	} `json:"services"`
	Task  *task `json:"task"`
	State struct {
		State string `json:"state"`
	} `json:"state"`
}

// TestNodeServices lists, restarts, stops and starts node services over MCP
// and checks the simulator's units after each.
func TestNodeServices(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "nodeadmin"}})

	var out servicesResult
	c.ok("pve_node_services", m("node", "pve1"), &out)
	running := map[string]string{}
	for _, s := range out.Services {
		running[s.Service] = s.State
	}
	if running["pveproxy"] != "running" || running["ksmtuned"] != "running" || len(out.Services) < 10 {
		t.Fatalf("services: %+v", out.Services)
	}

	before := len(cl.writes())
	c.fails("pve_node_services", m("node", "pve1", "action", "restart", "service", "pvestatd"), "confirm: true")
	c.fails("pve_node_services", m("node", "pve1", "action", "reload", "service", "pveproxy"), "confirm: true", "cannot reload is restarted")
	c.fails("pve_node_services", m("node", "pve1", "action", "stop", "service", "ksmtuned", "confirm", false), "confirm: true")
	c.fails("pve_node_services", m("node", "pve1", "action", "restart"), `"service"`)
	c.fails("pve_node_services", m("node", "pve1", "action", "restart", "service", "nosuch", "confirm", true), "nosuch", "enumeration")
	if w := cl.writes(); len(w) != before {
		t.Fatalf("refused calls reached Proxmox: %v", w[before:])
	}

	c.ok("pve_node_services", m("node", "pve1", "action", "restart", "service", "pvestatd", "confirm", true), &out)
	if out.Task == nil || !strings.Contains(out.Task.UPID, ":srvrestart:pvestatd:") || out.Task.ExitStatus != "OK" || out.State.State != "running" {
		t.Fatalf("restart: %+v", out)
	}
	c.ok("pve_node_services", m("node", "pve1", "action", "reload", "service", "pveproxy", "confirm", true), &out)
	if out.Task == nil || !strings.Contains(out.Task.UPID, ":srvreload:pveproxy:") || out.Task.ExitStatus != "OK" {
		t.Fatalf("reload: %+v", out)
	}
	c.ok("pve_node_services", m("node", "pve1", "action", "stop", "service", "ksmtuned", "confirm", true), &out)
	if got := cl.serviceState(t, "pve1", "ksmtuned"); got != "dead" || out.State.State != "dead" {
		t.Fatalf("after stop: %s (tool said %s)", got, out.State.State)
	}
	c.ok("pve_node_services", m("node", "pve1", "action", "start", "service", "ksmtuned"), &out)
	if got := cl.serviceState(t, "pve1", "ksmtuned"); got != "running" {
		t.Fatalf("after start: %s", got)
	}
	c.ok("pve_node_services", m("node", "pve1", "service", "ksmtuned"), &out)
	if out.State.State != "running" {
		t.Fatalf("state read: %+v", out)
	}
	// Proxmox's own refusals come back with its reason.
	c.fails("pve_node_services", m("node", "pve1", "action", "stop", "service", "pveproxy", "confirm", true), "refusing to stop essential service")
	c.fails("pve_node_services", m("node", "pve1", "action", "restart", "service", "systemd-timesyncd", "confirm", true), "systemctl restart systemd-timesyncd")
	if got := cl.serviceState(t, "pve1", "pveproxy"); got != "running" {
		t.Fatalf("pveproxy after the refused stop: %s", got)
	}
}

// TestNodeServicesAllowlist: a node outside PVE_NODE_ALLOWLIST is refused
// before anything is sent.
func TestNodeServicesAllowlist(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "nodeadmin", "PVE_NODE_ALLOWLIST": "pve1"}})
	c.fails("pve_node_services", m("node", "pve2", "action", "restart", "service", "pvestatd", "confirm", true), "PVE_NODE_ALLOWLIST")
	c.fails("pve_node_journal", m("node", "pve2"), "PVE_NODE_ALLOWLIST")
	if w := cl.writes(); len(w) != 0 {
		t.Fatalf("writes: %v", w)
	}
}

type journalResult struct {
	Lines   []string `json:"lines"`
	Omitted int      `json:"omitted"`
}

type clusterLogResult struct {
	Items []struct {
		Node, Msg string
	} `json:"items"`
	Hidden int `json:"hidden"`
}

// TestClusterLogAllowlist: under PVE_VMID_ALLOWLIST the cluster log keeps
// the task entries of allowed guests and counts the others as hidden.
func TestClusterLogAllowlist(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	admin := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "cluster,qemu"}})
	admin.task("pve_vm_start", m("node", "pve1", "vmid", 101))
	admin.fails("pve_vm_start", m("node", "pve2", "vmid", 102), "already running") // a task entry all the same
	var all clusterLogResult
	admin.ok("pve_cluster_log", nil, &all)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "cluster", "PVE_VMID_ALLOWLIST": "101"}})
	var log clusterLogResult
	c.ok("pve_cluster_log", nil, &log)
	if len(log.Items) < 2 || log.Hidden < 2 || len(log.Items)+log.Hidden != len(all.Items) {
		t.Fatalf("log under the allowlist: %+v (all: %d)", log, len(all.Items))
	}
	for _, e := range log.Items {
		if !strings.Contains(e.Msg, ":101:") {
			t.Fatalf("entry of another guest: %+v", e)
		}
	}
}

// TestNodeJournal reads the journal by count and by time range, and checks
// the bounds.
func TestNodeJournal(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "nodeadmin"}})
	c.ok("pve_node_services", m("node", "pve1", "action", "restart", "service", "cron", "confirm", true), nil)

	var j journalResult
	c.ok("pve_node_journal", m("node", "pve1"), &j)
	if len(j.Lines) == 0 || len(j.Lines) > 50 {
		t.Fatalf("default journal: %d lines", len(j.Lines))
	}
	c.ok("pve_node_journal", m("node", "pve1", "limit", 5), &j)
	if len(j.Lines) != 5 {
		t.Fatalf("limit 5: %d lines", len(j.Lines))
	}
	for _, l := range j.Lines {
		if strings.HasPrefix(l, "s=") || !strings.Contains(l, " pve1 ") {
			t.Errorf("not a journal line: %q", l)
		}
	}
	if !strings.Contains(strings.Join(j.Lines, "\n"), "Started cron.service") {
		t.Errorf("the restart is not in the last lines: %v", j.Lines)
	}

	_, data, _ := cl.api(t, "/nodes/pve1/time", nil)
	now := int64(data.(map[string]any)["time"].(float64))
	since := time.Unix(now-120, 0).UTC().Format(time.RFC3339)
	c.ok("pve_node_journal", m("node", "pve1", "since", since, "until", fmt.Sprint(now+5)), &j)
	text := strings.Join(j.Lines, "\n")
	if !strings.Contains(text, "srvrestart:cron") || strings.Contains(text, "Linux version") {
		t.Fatalf("range since %s: %s", since, text)
	}
	c.ok("pve_node_journal", m("node", "pve1", "since", "2000-01-01", "limit", 3), &j)
	if len(j.Lines) != 3 || j.Omitted == 0 {
		t.Fatalf("since the boot, limit 3: %d lines, %d omitted", len(j.Lines), j.Omitted)
	}

	c.fails("pve_node_journal", m("node", "pve1", "limit", 0), `"limit"`)
	c.fails("pve_node_journal", m("node", "pve1", "limit", 5000), `"limit"`, "1000")
	c.fails("pve_node_journal", m("node", "pve1", "since", "yesterday"), `"since"`)
	c.fails("pve_node_journal", m("node", "pve1", "since", fmt.Sprint(now), "until", fmt.Sprint(now-60)), `"until"`, "not after since")
}

// TestNodeUpdatesAndDisks lists pending updates before and after a refresh
// of the package index, and the node's disks with SMART data.
func TestNodeUpdatesAndDisks(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "nodeadmin"}})

	var up struct {
		Refresh *task `json:"refresh"`
		Pending []struct {
			Package, OldVersion, Version string
		} `json:"pending"`
		Count     int `json:"count"`
		Installed []struct {
			Package, Version, RunningKernel, ManagerVersion string
		} `json:"installed"`
		IndexRefreshed string `json:"index_refreshed"`
		Note           string `json:"note"`
	}
	c.ok("pve_node_updates", m("node", "pve2"), &up)
	if up.Count != 0 || up.Refresh != nil || up.IndexRefreshed != "" || !strings.Contains(up.Note, "run with refresh: true") {
		t.Fatalf("before any refresh: %+v", up)
	}
	manager := ""
	for _, p := range up.Installed {
		if p.Package == "pve-manager" {
			manager = p.Version
		}
	}
	if manager != cl.sim.Version() {
		t.Fatalf("pve-manager %q, the simulator serves %s", manager, cl.sim.Version())
	}
	up.Note = ""
	c.ok("pve_node_updates", m("node", "pve2", "refresh", true), &up)
	if up.Refresh == nil || up.Refresh.ExitStatus != "OK" || up.Count == 0 || up.Pending[0].Version == "" {
		t.Fatalf("after refresh: %+v", up)
	}
	if _, data, _ := cl.api(t, "/nodes/pve2/apt/update", nil); len(data.([]any)) != up.Count {
		t.Fatalf("the simulator lists %d updates, the tool %d", len(data.([]any)), up.Count)
	}
	if up.Note != "" {
		t.Fatalf("a note after a refresh: %q", up.Note)
	}
	// without refresh: when the index was refreshed, from the aptupdate task
	c.ok("pve_node_updates", m("node", "pve2"), &up)
	_, tasks, _ := cl.api(t, "/nodes/pve2/tasks", url.Values{"typefilter": {"aptupdate"}})
	end := time.Unix(int64(tasks.([]any)[0].(map[string]any)["endtime"].(float64)), 0).UTC().Format(time.RFC3339)
	if up.Count == 0 || up.IndexRefreshed != end || !strings.Contains(up.Note, "status: OK") {
		t.Fatalf("after a refresh, without one (task ended %s): %+v", end, up)
	}

	var disks struct {
		Disks []struct {
			DevPath, Health, Wearout, Type string
			Size                           int64
		} `json:"disks"`
		Failing []string       `json:"failing"`
		Smart   map[string]any `json:"smart"`
	}
	c.ok("pve_node_disks", m("node", "pve1", "smart", "/dev/sda"), &disks)
	if len(disks.Disks) < 2 || disks.Disks[0].Health != "PASSED" || disks.Disks[0].Size == 0 || len(disks.Failing) != 0 {
		t.Fatalf("disks: %+v", disks)
	}
	if disks.Smart["health"] != "PASSED" || disks.Smart["attributes"] == nil {
		t.Fatalf("smart: %v", disks.Smart)
	}
	c.fails("pve_node_disks", m("node", "pve1", "smart", "/dev/sdz"), "not a valid block device")
	c.fails("pve_node_disks", m("node", "pve1", "smart", "sda"), `"smart"`)
}

// TestClusterStatusLogReplication reads quorum, versions and the cluster
// log (default toolset), and a replication job's state once it ran.
func TestClusterStatusLogReplication(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "cluster,replication,qemu,tasks"}})

	var st struct {
		Quorate bool
		Nodes   int
		Online  int
		Members []struct {
			Name, Version string
			Online        bool
		}
	}
	c.ok("pve_cluster_status", nil, &st)
	if !st.Quorate || st.Nodes != 3 || st.Online != 3 || len(st.Members) != 3 || st.Members[0].Version != cl.sim.Version() {
		t.Fatalf("status: %+v", st)
	}
	if _, err := cl.sim.AddFault(pvesim.Fault{Kind: pvesim.FaultOffline, Node: "pve3"}); err != nil {
		t.Fatal(err)
	}
	st.Members = nil
	c.ok("pve_cluster_status", nil, &st)
	if !st.Quorate || st.Online != 2 || st.Members[2].Name != "pve3" || st.Members[2].Online || st.Members[2].Version != "" {
		t.Fatalf("status with pve3 offline: %+v", st)
	}
	cl.sim.ClearFaults()
	c.task("pve_vm_start", m("node", "pve1", "vmid", 101))
	var log clusterLogResult
	c.ok("pve_cluster_log", m("max", 3), &log)
	if len(log.Items) == 0 || len(log.Items) > 3 || log.Hidden != 0 {
		t.Fatalf("log: %+v", log)
	}
	c.fails("pve_cluster_log", m("max", 0), `"max"`)

	var repl struct {
		Jobs []struct {
			ID, Source, Target, State, LastSync, Error string
			Guest, FailCount                           int
		} `json:"jobs"`
		Failing int
	}
	c.ok("pve_replication", nil, &repl)
	if len(repl.Jobs) != 0 {
		t.Fatalf("jobs: %+v", repl)
	}
	// a guest on ZFS, the storage replication needs
	if err := cl.sim.AddStorage("local-zfs", "zfspool", []string{"images", "rootdir"}, false); err != nil {
		t.Fatal(err)
	}
	if status, data, msg := cl.apiDo(t, "POST", "/nodes/pve1/qemu", url.Values{"vmid": {"150"}, "scsi0": {"local-zfs:1"}}); status != 200 {
		t.Fatalf("create 150: %d %s", status, msg)
	} else {
		c.ok("pve_task_wait", m("upid", data), nil)
	}
	if status, _, msg := cl.apiDo(t, "POST", "/cluster/replication", url.Values{"id": {"150-0"}, "type": {"local"}, "target": {"pve2"}, "schedule": {"*/15"}}); status != 200 {
		t.Fatalf("create job: %d %s", status, msg)
	}
	c.ok("pve_replication", nil, &repl)
	if len(repl.Jobs) != 1 || repl.Jobs[0].ID != "150-0" || repl.Jobs[0].Source != "pve1" || repl.Jobs[0].Target != "pve2" {
		t.Fatalf("new job: %+v", repl)
	}
	cl.sim.Advance(20 * time.Minute)
	c.ok("pve_replication", m("guest", 150), &repl)
	if j := repl.Jobs[0]; j.State != "ok" || j.LastSync == "" || j.FailCount != 0 {
		t.Fatalf("after a run: %+v", repl)
	}
	c.ok("pve_replication", m("guest", 101), &repl)
	if len(repl.Jobs) != 0 {
		t.Fatalf("guest 101 has no jobs: %+v", repl)
	}
}

// The node tools read PVE 7.4 the same way.
func TestNodeAdminOn74(t *testing.T) {
	t.Parallel()
	cl := newClusterSchema(t, 0.02, "7.4")
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "nodeadmin,cluster,replication,access"}})
	var out servicesResult
	c.ok("pve_node_services", m("node", "pve2", "action", "restart", "service", "pvestatd", "confirm", true), &out)
	if out.Task == nil || out.Task.ExitStatus != "OK" || cl.serviceState(t, "pve2", "pvestatd") != "running" {
		t.Fatalf("restart on 7.4: %+v", out)
	}
	var j journalResult
	c.ok("pve_node_journal", m("node", "pve2", "limit", 3), &j)
	if len(j.Lines) != 3 || !strings.Contains(strings.Join(j.Lines, "\n"), "srvrestart:pvestatd") {
		t.Fatalf("journal on 7.4: %v", j.Lines)
	}
	var st struct {
		Quorate bool
		Members []struct{ Version string }
	}
	c.ok("pve_cluster_status", nil, &st)
	if !st.Quorate || len(st.Members) != 3 || !strings.HasPrefix(st.Members[0].Version, "7.4") {
		t.Fatalf("status on 7.4: %+v", st)
	}
	var disks struct{ Disks []struct{ Health string } }
	c.ok("pve_node_disks", m("node", "pve2"), &disks)
	if len(disks.Disks) == 0 || disks.Disks[0].Health != "PASSED" {
		t.Fatalf("disks on 7.4: %+v", disks)
	}
	var w whoamiResult
	c.ok("pve_whoami", nil, &w)
	if len(w.Refused) != 0 || len(w.Usable) == 0 {
		t.Fatalf("whoami on 7.4: %+v", w)
	}
	c.ok("pve_replication", nil, nil)
	c.ok("pve_cluster_log", nil, nil)
}
