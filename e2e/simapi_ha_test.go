package e2e

import (
	"net/url"
	"testing"
	"time"
)

// waitFor polls until cond holds (the sim runs on the wall clock here).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The HA family as a client library walks it: resources, rules, status,
// the HA stack stopping a guest; bulk actions; backup audits; replication.
func TestSimAPIHA(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	idx, _ := a.ok("GET", "/cluster/ha", nil).([]any)
	if len(idx) < 3 {
		t.Fatalf("ha index %v", idx)
	}
	a.ok("POST", "/cluster/ha/resources", form("sid", "vm:100", "state", "started", "comment", "web"))
	if ans := a.do("POST", "/cluster/ha/resources", form("sid", "100")); ans.Status != 500 || ans.Message != "create resource failed: resource ID 'vm:100' already defined\n" {
		t.Fatalf("duplicate: %d %s", ans.Status, ans.Raw)
	}
	if ans := a.do("POST", "/cluster/ha/resources", form("sid", "vm:4242")); ans.Status != 500 || ans.Message != "resource 'vm:4242' does not exist in cluster\n" {
		t.Fatalf("missing guest: %d %s", ans.Status, ans.Raw)
	}
	res, _ := a.ok("GET", "/cluster/ha/resources/vm:100", nil).(map[string]any)
	if res["sid"] != "vm:100" || res["type"] != "vm" || res["comment"] != "web" {
		t.Fatalf("resource %v", res)
	}
	a.ok("PUT", "/cluster/ha/resources/vm:100", form("state", "stopped"))
	waitFor(t, "the HA stack to stop VM 100", func() bool {
		st, _ := a.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any)
		return st["status"] == "stopped"
	})
	var svc map[string]any
	for _, e := range a.ok("GET", "/cluster/ha/status/current", nil).([]any) {
		if m, _ := e.(map[string]any); m["sid"] == "vm:100" {
			svc = m
		}
	}
	if svc["state"] != "stopped" || svc["request_state"] != "stopped" {
		t.Fatalf("service status %v", svc)
	}
	ms, _ := a.ok("GET", "/cluster/ha/status/manager_status", nil).(map[string]any)
	if ms["manager_status"].(map[string]any)["master_node"] != "pve1" {
		t.Fatalf("manager status %v", ms)
	}
	a.ok("POST", "/cluster/ha/rules", form("rule", "web-on-pve1", "type", "node-affinity", "resources", "vm:100", "nodes", "pve1:2,pve2"))
	rules, _ := a.ok("GET", "/cluster/ha/rules", nil).([]any)
	if len(rules) != 1 || rules[0].(map[string]any)["nodes"] != "pve1:2,pve2" {
		t.Fatalf("rules %v", rules)
	}
	if ans := a.do("GET", "/cluster/ha/groups", nil); ans.Status != 500 {
		t.Fatalf("9.1 groups: %d", ans.Status)
	}
	a.ok("DELETE", "/cluster/ha/resources/vm:100", nil)
	if rules, _ := a.ok("GET", "/cluster/ha/rules", nil).([]any); len(rules) != 0 {
		t.Fatalf("rule not purged: %v", rules)
	}

	upid, _ := a.ok("POST", "/cluster/bulk-action/guest/start", url.Values{"vms": {"101"}}).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("bulk start %q", exit)
	}
	if st, _ := a.ok("GET", "/nodes/pve1/qemu/101/status/current", nil).(map[string]any); st["status"] != "running" {
		t.Fatalf("101 %v", st["status"])
	}

	missing, _ := a.ok("GET", "/cluster/backup-info/not-backed-up", nil).([]any)
	if len(missing) == 0 || missing[0].(map[string]any)["vmid"] != float64(101) {
		t.Fatalf("not backed up %v", missing)
	}
	jobs, _ := a.ok("GET", "/cluster/backup", nil).([]any)
	id := jobs[0].(map[string]any)["id"].(string)
	tree, _ := a.ok("GET", "/cluster/backup/"+id+"/included_volumes", nil).(map[string]any)
	if len(tree["children"].([]any)) == 0 {
		t.Fatalf("tree %v", tree)
	}

	if ans := a.do("POST", "/cluster/replication", form("id", "100-0", "type", "local", "target", "pve2")); ans.Status != 500 || ans.Message != "missing replicate feature on volume 'local-lvm:vm-100-disk-0'\n" {
		t.Fatalf("replication on lvm: %d %s", ans.Status, ans.Raw)
	}
	if l, _ := a.ok("GET", "/cluster/replication", nil).([]any); len(l) != 0 {
		t.Fatalf("replication jobs %v", l)
	}
	if l, _ := a.ok("GET", "/nodes/pve1/replication", nil).([]any); len(l) != 0 {
		t.Fatalf("node replication %v", l)
	}
}
