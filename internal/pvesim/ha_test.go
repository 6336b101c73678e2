package pvesim

import (
	"strings"
	"testing"
	"time"
)

func haStatusOf(t *testing.T, e *env, sid string) map[string]any {
	t.Helper()
	for _, x := range e.ok("GET", "/cluster/ha/status/current", nil).([]any) {
		m := x.(map[string]any)
		if m["sid"] == sid {
			return m
		}
	}
	t.Fatalf("no status entry for %s", sid)
	return nil
}

func TestHAResourcesLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/ha/resources", vals("sid", "vm:100", "state", "started", "max_restart", "2", "comment", "web"))
	list := e.ok("GET", "/cluster/ha/resources", nil).([]any)
	if len(list) != 1 {
		t.Fatalf("list: %v", list)
	}
	m := list[0].(map[string]any)
	if m["sid"] != "vm:100" || m["type"] != "vm" || m["state"] != "started" || m["max_restart"] != float64(2) ||
		m["comment"] != "web" || len(m["digest"].(string)) != 40 {
		t.Fatalf("resource: %v", m)
	}
	// plain vmid shortcut
	got := e.ok("GET", "/cluster/ha/resources/100", nil).(map[string]any)
	if got["sid"] != "vm:100" || got["digest"] != m["digest"] {
		t.Fatalf("read: %v", got)
	}
	// errors
	for _, c := range []struct{ sid, msg string }{
		{"vm:100", "create resource failed: resource ID 'vm:100' already defined\n"},
		{"vm:4242", "resource 'vm:4242' does not exist in cluster\n"},
		{"4242", "unable to detect SID from VMID - VM/CT 4242 does not exist\n"},
		{"vm:200", "resource 'vm:200' - guest with ID 200 is not a VM\n"},
	} {
		r := e.do("POST", "/cluster/ha/resources", vals("sid", c.sid))
		if r.status != 500 || r.message != c.msg {
			t.Fatalf("%s: %d %q", c.sid, r.status, r.raw)
		}
	}
	// the guest shows as HA managed
	st := e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any)
	if ha := st["ha"].(map[string]any); ha["managed"] != float64(1) || ha["state"] != "started" {
		t.Fatalf("guest ha: %v", st["ha"])
	}
	found := false
	for _, x := range e.ok("GET", "/cluster/resources", vals("type", "vm")).([]any) {
		if r := x.(map[string]any); r["vmid"] == float64(100) {
			found = r["hastate"] == "started"
		} else if r["hastate"] != nil {
			t.Fatalf("hastate on a non-HA guest: %v", r)
		}
	}
	if !found {
		t.Fatal("no hastate for vm 100")
	}
	// stop through the HA stack: the LRM shuts the VM down later
	e.ok("PUT", "/cluster/ha/resources/vm:100", vals("state", "stopped", "delete", "comment"))
	if s := haStatusOf(t, e, "vm:100"); s["crm_state"] != "request_stop" || s["request_state"] != "stopped" {
		t.Fatalf("status while stopping: %v", s)
	}
	e.advance(3 * time.Second)
	if s := haStatusOf(t, e, "vm:100"); s["crm_state"] != "stopped" || s["state"] != "stopped" || s["status"] != "vm:100 (pve1, stopped)" {
		t.Fatalf("status after stop: %v", s)
	}
	st = e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any)
	if st["status"] != "stopped" {
		t.Fatalf("guest still %v", st["status"])
	}
	tasks := e.ok("GET", "/nodes/pve1/tasks", vals("vmid", "100", "typefilter", "qmshutdown")).([]any)
	if len(tasks) == 0 || tasks[0].(map[string]any)["user"] != "root@pam" {
		t.Fatalf("LRM task: %v", tasks)
	}
	// qm start on an HA guest asks the CRM
	upid := e.ok("POST", "/nodes/pve1/qemu/100/status/start", nil).(string)
	if !strings.Contains(upid, ":hastart:100:") {
		t.Fatalf("upid %s", upid)
	}
	if e.waitTask(upid) != "OK" || e.taskLog(upid)[0] != "Requesting HA start for VM 100" {
		t.Fatalf("hastart log %v", e.taskLog(upid))
	}
	e.advance(3 * time.Second)
	if st := e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any); st["status"] != "running" {
		t.Fatalf("HA start: %v", st["status"])
	}
	if got := e.ok("GET", "/cluster/ha/resources/vm:100", nil).(map[string]any); got["state"] != "started" || got["comment"] != nil {
		t.Fatalf("after start: %v", got)
	}
	// destroy needs purge; delete ends HA management
	r := e.do("PUT", "/cluster/ha/resources/vm:100", vals("digest", strings.Repeat("0", 40)))
	if r.status != 500 || !strings.Contains(r.message, "detected modified configuration") {
		t.Fatalf("digest: %d %s", r.status, r.raw)
	}
	e.ok("DELETE", "/cluster/ha/resources/vm:100", nil)
	if r := e.do("DELETE", "/cluster/ha/resources/vm:100", nil); r.message != "cannot delete service 'vm:100', not HA managed!\n" {
		t.Fatalf("second delete: %s", r.raw)
	}
	if r := e.do("GET", "/cluster/ha/resources/vm:100", nil); r.message != "no such resource 'vm:100'\n" {
		t.Fatalf("read deleted: %s", r.raw)
	}
	st = e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any)
	if ha := st["ha"].(map[string]any); ha["managed"] != float64(0) {
		t.Fatalf("still managed: %v", ha)
	}
}

func TestHAStatusAndManager(t *testing.T) {
	e := newEnv(t, Options{})
	cur := e.ok("GET", "/cluster/ha/status/current", nil).([]any)
	ids := []string{}
	for _, x := range cur {
		ids = append(ids, x.(map[string]any)["id"].(string))
	}
	if strings.Join(ids, ",") != "quorum,master,fencing,lrm:pve1,lrm:pve2,lrm:pve3" {
		t.Fatalf("ids: %v", ids)
	}
	if q := cur[0].(map[string]any); q["quorate"] != float64(1) || q["status"] != "OK" {
		t.Fatalf("quorum %v", q)
	}
	if m := cur[1].(map[string]any); m["status"] != "pve1 (idle, Sun Jun  1 12:00:00 2025)" {
		t.Fatalf("master %v", m)
	}
	e.ok("POST", "/cluster/ha/resources", vals("sid", "ct:200"))
	if s := haStatusOf(t, e, "ct:200"); s["state"] != "started" || s["max_restart"] != float64(1) || s["failback"] != float64(1) || s["node"] != "pve1" {
		t.Fatalf("service %v", s)
	}
	ms := e.ok("GET", "/cluster/ha/status/manager_status", nil).(map[string]any)
	mgr := ms["manager_status"].(map[string]any)
	if mgr["master_node"] != "pve1" || mgr["service_status"].(map[string]any)["ct:200"].(map[string]any)["state"] != "started" {
		t.Fatalf("manager status %v", ms)
	}
	if lrm := ms["lrm_status"].(map[string]any)["pve1"].(map[string]any); lrm["state"] != "active" {
		t.Fatalf("lrm %v", lrm)
	}
	// an HA-managed CT is stopped through the CRM as well
	upid := e.ok("POST", "/nodes/pve1/lxc/200/status/shutdown", nil).(string)
	if !strings.Contains(upid, ":hastop:200:") {
		t.Fatalf("upid %s", upid)
	}
	e.waitTask(upid)
	e.advance(3 * time.Second)
	if st := e.ok("GET", "/nodes/pve1/lxc/200/status/current", nil).(map[string]any); st["status"] != "stopped" {
		t.Fatalf("ct %v", st["status"])
	}
	// the index lists routed children
	idx := e.ok("GET", "/cluster/ha/status", nil).([]any)
	if len(idx) != 4 {
		t.Fatalf("status index %v", idx)
	}
}

func TestHAMigrateRelocate(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/ha/resources", vals("sid", "201"))
	out := e.ok("POST", "/cluster/ha/resources/ct:201/relocate", vals("node", "pve3")).(map[string]any)
	if out["sid"] != "ct:201" || out["requested-node"] != "pve3" {
		t.Fatalf("relocate %v", out)
	}
	if s := haStatusOf(t, e, "ct:201"); s["crm_state"] != "relocate" {
		t.Fatalf("state %v", s)
	}
	for i := 0; i < 60; i++ {
		e.advance(time.Second)
	}
	if s := haStatusOf(t, e, "ct:201"); s["node"] != "pve3" || s["crm_state"] != "started" {
		t.Fatalf("after relocate %v", s)
	}
	r := e.do("POST", "/cluster/ha/resources/vm:101/migrate", vals("node", "pve2"))
	if r.status != 500 || r.message != "resource 'vm:101' is not HA managed\n" {
		t.Fatalf("unmanaged: %s", r.raw)
	}
}

func TestHAGroupsByRelease(t *testing.T) {
	e := newEnv(t, Options{Schema: "8.4"})
	e.ok("POST", "/cluster/ha/groups", vals("group", "prefer-pve1", "nodes", "pve1:2,pve2", "restricted", "1"))
	gr := e.ok("GET", "/cluster/ha/groups/prefer-pve1", nil).(map[string]any)
	if gr["group"] != "prefer-pve1" || gr["type"] != "group" || gr["restricted"] != float64(1) || gr["nodes"] != "pve1:2,pve2" {
		t.Fatalf("group %v", gr)
	}
	if r := e.do("POST", "/cluster/ha/groups", vals("group", "prefer-pve1", "nodes", "pve1")); r.message != "create ha group failed: ha group ID 'prefer-pve1' already defined\n" {
		t.Fatalf("dup group: %s", r.raw)
	}
	e.ok("POST", "/cluster/ha/resources", vals("sid", "vm:102", "group", "prefer-pve1"))
	if r := e.do("PUT", "/cluster/ha/resources/vm:102", vals("group", "nope")); r.message != "HA group 'nope' does not exist\n" {
		t.Fatalf("unknown group: %s", r.raw)
	}
	st := e.ok("GET", "/nodes/pve2/qemu/102/status/current", nil).(map[string]any)
	if ha := st["ha"].(map[string]any); ha["group"] != "prefer-pve1" {
		t.Fatalf("8.4 ha: %v", ha)
	}
	if r := e.do("DELETE", "/cluster/ha/groups/prefer-pve1", nil); r.message != "delete ha group failed: ha group is used by service 'vm:102'\n" {
		t.Fatalf("group in use: %s", r.raw)
	}
	if r := e.do("GET", "/cluster/ha/rules", nil); r.status != 501 {
		t.Fatalf("rules on 8.4: %d", r.status)
	}
	if cur := e.ok("GET", "/cluster/ha/status/current", nil).([]any); cur[2].(map[string]any)["type"] != "lrm" {
		t.Fatalf("8.4 has no fencing entry: %v", cur[2])
	}

	e9 := newEnv(t, Options{})
	if r := e9.do("GET", "/cluster/ha/groups", nil); r.status != 500 || r.message != "cannot index groups: ha groups have been migrated to rules\n" {
		t.Fatalf("9.1 groups: %s", r.raw)
	}
	if r := e9.do("POST", "/cluster/ha/resources", vals("sid", "vm:100", "group", "grp1")); r.message != "invalid parameter 'group': ha groups have been migrated to rules\n" {
		t.Fatalf("9.1 group param: %s", r.raw)
	}
}

func TestHARules(t *testing.T) {
	e := newEnv(t, Options{})
	if r := e.do("POST", "/cluster/ha/rules", vals("rule", "keep", "type", "node-affinity", "resources", "vm:100", "nodes", "pve1")); r.message != "create ha rule failed: cannot use unmanaged resource(s) vm:100.\n" {
		t.Fatalf("unmanaged: %s", r.raw)
	}
	e.ok("POST", "/cluster/ha/resources", vals("sid", "vm:100"))
	e.ok("POST", "/cluster/ha/resources", vals("sid", "vm:102"))
	e.ok("POST", "/cluster/ha/rules", vals("rule", "keep", "type", "node-affinity", "resources", "vm:100", "nodes", "pve2,pve1:2", "strict", "1"))
	e.ok("POST", "/cluster/ha/rules", vals("rule", "apart", "type", "resource-affinity", "resources", "vm:102,vm:100", "affinity", "negative"))
	if r := e.do("POST", "/cluster/ha/rules", vals("rule", "bad", "type", "node-affinity", "resources", "vm:100", "nodes", "pve9")); r.message != "create ha rule failed: cannot use non-existent node(s) pve9.\n" {
		t.Fatalf("node: %s", r.raw)
	}
	r := e.do("POST", "/cluster/ha/rules", vals("rule", "keep2", "type", "node-affinity", "resources", "vm:100", "nodes", "pve3"))
	if r.status != 400 || r.message != "Rule 'keep2' is invalid.\n" || r.errors["resources"] != "resource 'vm:100' is already used in another node affinity rule" {
		t.Fatalf("conflict: %d %s", r.status, r.raw)
	}
	rules := e.ok("GET", "/cluster/ha/rules", nil).([]any)
	if len(rules) != 2 {
		t.Fatalf("rules %v", rules)
	}
	keep := rules[0].(map[string]any)
	if keep["rule"] != "keep" || keep["nodes"] != "pve1:2,pve2" || keep["strict"] != float64(1) || keep["order"] != float64(1) {
		t.Fatalf("keep %v", keep)
	}
	apart := e.ok("GET", "/cluster/ha/rules/apart", nil).(map[string]any)
	if apart["resources"] != "vm:100,vm:102" || apart["affinity"] != "negative" {
		t.Fatalf("apart %v", apart)
	}
	// vm:102 runs on pve2, so it blocks vm:100 from going there
	out := e.ok("POST", "/cluster/ha/resources/vm:100/migrate", vals("node", "pve2")).(map[string]any)
	if b := out["blocking-resources"].([]any); len(b) != 1 || b[0].(map[string]any)["sid"] != "vm:102" {
		t.Fatalf("blocking %v", out)
	}
	if s := haStatusOf(t, e, "vm:100"); s["crm_state"] != "started" {
		t.Fatalf("blocked migration ran: %v", s)
	}
	e.ok("PUT", "/cluster/ha/rules/apart", vals("type", "resource-affinity", "comment", "spread", "disable", "1"))
	if got := e.ok("GET", "/cluster/ha/rules", vals("resource", "vm:102")).([]any); len(got) != 1 || got[0].(map[string]any)["disable"] != float64(1) {
		t.Fatalf("filtered %v", got)
	}
	// deleting the resource purges it from the rules; a rule left empty goes
	e.ok("DELETE", "/cluster/ha/resources/vm:100", nil)
	if got := e.ok("GET", "/cluster/ha/rules", nil).([]any); len(got) != 1 || got[0].(map[string]any)["resources"] != "vm:102" {
		t.Fatalf("after purge %v", got)
	}
	r = e.do("PUT", "/cluster/ha/rules/apart", vals("type", "resource-affinity", "disable", "0"))
	if r.status != 400 || r.errors["resources"] != "rule is ineffective as there are less than two resources" {
		t.Fatalf("enable one-resource rule: %d %s", r.status, r.raw)
	}
	e.ok("DELETE", "/cluster/ha/rules/apart", nil)
	if r := e.do("GET", "/cluster/ha/rules/apart", nil); r.message != "no such ha rule 'apart'\n" {
		t.Fatalf("deleted rule: %s", r.raw)
	}
}

func TestHAPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	auth := "PVEAPIToken=audit@pve!ro=s3cret"
	e.okAuth("GET", "/cluster/ha/resources", nil, auth)
	r := e.doAuth("POST", "/cluster/ha/resources", vals("sid", "vm:100"), auth)
	if r.status != 403 || r.reason != "Permission check failed (/, Sys.Console)" {
		t.Fatalf("auditor create: %d %q", r.status, r.reason)
	}
}

func TestHADestroyPurgeAndNodeRows(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/ha/resources", vals("sid", "vm:101", "state", "stopped"))
	for _, x := range e.ok("GET", "/cluster/resources", vals("type", "node")).([]any) {
		if m := x.(map[string]any); m["hastate"] != "online" {
			t.Fatalf("node row %v", m)
		}
	}
	r := e.do("DELETE", "/nodes/pve1/qemu/101", nil)
	if r.status != 500 || r.message != "unable to remove VM 101 - used in HA resources and purge parameter not set.\n" {
		t.Fatalf("destroy: %d %s", r.status, r.raw)
	}
	upid := e.ok("DELETE", "/nodes/pve1/qemu/101", vals("purge", "1")).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatalf("destroy log %v", e.taskLog(upid))
	}
	if l := e.ok("GET", "/cluster/ha/resources", nil).([]any); len(l) != 0 {
		t.Fatalf("resource left: %v", l)
	}
	if m := e.ok("GET", "/cluster/resources", vals("type", "node")).([]any)[0].(map[string]any); m["hastate"] != nil {
		t.Fatalf("hastate without HA: %v", m)
	}
}

func TestHADisarm(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/ha/resources", vals("sid", "vm:100"))
	e.ok("POST", "/cluster/ha/status/disarm-ha", vals("resource-mode", "ignore"))
	var fencing map[string]any
	for _, x := range e.ok("GET", "/cluster/ha/status/current", nil).([]any) {
		if m := x.(map[string]any); m["type"] == "fencing" {
			fencing = m
		}
	}
	if fencing["armed-state"] != "disarmed" || fencing["resource_mode"] != "ignore" {
		t.Fatalf("fencing %v", fencing)
	}
	// in ignore mode the guest is managed directly
	upid := e.ok("POST", "/nodes/pve1/qemu/100/status/stop", nil).(string)
	if !strings.Contains(upid, ":qmstop:") {
		t.Fatalf("upid %s", upid)
	}
	e.ok("POST", "/cluster/ha/status/arm-ha", nil)
	if s := haStatusOf(t, e, "vm:100"); s["state"] == "ignore" {
		t.Fatalf("still ignored %v", s)
	}
}
