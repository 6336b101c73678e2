package pvesim

import (
	"net/url"
	"strings"
	"testing"
)

func guestStatus(e *env, node, kind string, vmid string) string {
	return e.ok("GET", "/nodes/"+node+"/"+kind+"/"+vmid+"/status/current", nil).(map[string]any)["status"].(string)
}

func TestBulkStartShutdown(t *testing.T) {
	e := newEnv(t, Options{})
	if idx := e.ok("GET", "/cluster/bulk-action/guest", nil).([]any); len(idx) != 4 {
		t.Fatalf("index %v", idx)
	}
	upid := e.ok("POST", "/cluster/bulk-action/guest/start", url.Values{"vms": {"101", "103", "100"}, "max-workers": {"1"}}).(string)
	if !strings.Contains(upid, ":bulk-start::") {
		t.Fatalf("upid %s", upid)
	}
	if st := e.waitTask(upid); st != "WARNINGS: 1" {
		t.Fatalf("exit %s: %v", st, e.taskLog(upid))
	}
	want := "Starting guests: 101, 103, 100|WARN: Skipping VM 100, already running.|Starting VM 101|Starting VM 103|TASK WARNINGS: 1"
	if got := strings.Join(e.taskLog(upid), "|"); got != want {
		t.Fatalf("log:\n%s", got)
	}
	if guestStatus(e, "pve1", "qemu", "101") != "running" || guestStatus(e, "pve3", "qemu", "103") != "running" {
		t.Fatal("guests not started")
	}
	// the sub-tasks are the guests' own tasks, run by the caller
	tasks := e.ok("GET", "/nodes/pve3/tasks", vals("typefilter", "qmstart", "vmid", "103")).([]any)
	if len(tasks) != 1 || tasks[0].(map[string]any)["tokenid"] != "mcp" {
		t.Fatalf("sub-task %v", tasks)
	}
	upid = e.ok("POST", "/cluster/bulk-action/guest/shutdown", url.Values{"vms": {"101", "201"}, "timeout": {"60"}}).(string)
	if st := e.waitTask(upid); st != "WARNINGS: 1" {
		t.Fatalf("shutdown exit %s", st)
	}
	log := strings.Join(e.taskLog(upid), "|")
	if !strings.Contains(log, "Shutting down VM 101 (Timeout = 60 seconds)") || !strings.Contains(log, "WARN: Skipping CT 201, not running.") {
		t.Fatalf("shutdown log %s", log)
	}
	if guestStatus(e, "pve1", "qemu", "101") != "stopped" {
		t.Fatal("101 still running")
	}
}

func TestBulkMigrateSuspendAndErrors(t *testing.T) {
	e := newEnv(t, Options{})
	upid := e.ok("POST", "/cluster/bulk-action/guest/migrate", url.Values{"vms": {"201", "102"}, "target": {"pve3"}}).(string)
	st := e.waitTask(upid)
	log := strings.Join(e.taskLog(upid), "|")
	if st != "Some guests failed to migrate 102" || !strings.Contains(log, "WARN: 500 can't migrate running VM without --online") ||
		!strings.Contains(log, "Migrating CT 201") {
		t.Fatalf("migrate %s: %s", st, log)
	}
	if guestStatus(e, "pve3", "lxc", "201") != "stopped" {
		t.Fatal("201 not on pve3")
	}
	upid = e.ok("POST", "/cluster/bulk-action/guest/suspend", url.Values{"vms": {"102", "200"}}).(string)
	e.waitTask(upid)
	log = strings.Join(e.taskLog(upid), "|")
	if !strings.Contains(log, "Suspending VM 102") || !strings.Contains(log, "WARN: skipping 200, only VMs can be suspended") {
		t.Fatalf("suspend %s", log)
	}
	if qs := e.ok("GET", "/nodes/pve2/qemu/102/status/current", nil).(map[string]any)["qmpstatus"]; qs != "paused" {
		t.Fatalf("qmpstatus %v", qs)
	}
	// permissions: all guests need the privilege on /
	must(t, e.sim.AddToken("ops@pve!tk", "x", true))
	for _, who := range []string{"ops@pve", "ops@pve!tk"} {
		must(t, e.sim.SetACL("/vms/101", who, "PVEVMUser", true))
	}
	auth := "PVEAPIToken=ops@pve!tk=x"
	if r := e.doAuth("POST", "/cluster/bulk-action/guest/start", nil, auth); r.status != 403 || r.reason != "Permission check failed (/, VM.PowerMgmt)" {
		t.Fatalf("all: %d %q", r.status, r.reason)
	}
	if r := e.doAuth("POST", "/cluster/bulk-action/guest/start", url.Values{"vms": {"101"}}, auth); r.status != 200 {
		t.Fatalf("own guest: %d %s", r.status, r.raw)
	}
	if r := e.doAuth("POST", "/cluster/bulk-action/guest/start", url.Values{"vms": {"101", "103"}}, auth); r.status != 403 || r.reason != "Permission check failed (/vms/103, VM.PowerMgmt)" {
		t.Fatalf("other guest: %d %q", r.status, r.reason)
	}
	// 8.4 has no bulk actions
	e8 := newEnv(t, Options{Schema: "8.4"})
	if r := e8.do("POST", "/cluster/bulk-action/guest/start", nil); r.status != 501 {
		t.Fatalf("8.4: %d", r.status)
	}
}
