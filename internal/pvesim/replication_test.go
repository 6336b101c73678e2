package pvesim

import (
	"strings"
	"testing"
	"time"
)

// addZFS gives the cluster a local-zfs pool (what a ZFS install has) and
// moves a guest's first disk onto it.
func addZFS(e *env, vmid int) string {
	e.sim.mu.Lock()
	defer e.sim.mu.Unlock()
	st := e.sim.st
	d := &storageDef{id: "local-zfs", typ: "zfspool", content: []string{"images", "rootdir"}, total: 1 << 40}
	st.storages = append(st.storages, d)
	for _, n := range st.nodes {
		n.store[d.id] = &nodeStorage{def: d, vols: map[string]*volume{}}
	}
	g := st.guests[vmid]
	old := volumesOf(g)[0]
	v := st.findVolume(g.node, old)
	st.removeVolume(g.node, old)
	_, name, _ := strings.Cut(old, ":")
	v.volid = "local-zfs:" + name
	st.addVolume(g.node, v)
	for k, val := range g.conf {
		g.conf[k] = strings.Replace(val, old, v.volid, 1)
	}
	return v.volid
}

func TestReplicationJobs(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "/cluster/replication", vals("id", "100-0", "type", "local", "target", "pve2"))
	if r.status != 500 || r.message != "missing replicate feature on volume 'local-lvm:vm-100-disk-0'\n" {
		t.Fatalf("lvm: %d %s", r.status, r.raw)
	}
	vol := addZFS(e, 100)
	e.ok("POST", "/cluster/replication", vals("id", "100-0", "type", "local", "target", "pve2", "schedule", "*/15"))
	for _, c := range []struct{ id, target, msg string }{
		{"100-0", "pve2", "replication job '100-0' already exists\n"},
		{"100-1", "pve1", "Source and target must not be identical\n"},
		{"100-1", "pve9", "Target 'pve9' does not exist.\n"},
		{"4242-0", "pve2", "Guest '4242' does not exist.\n"},
	} {
		if r := e.do("POST", "/cluster/replication", vals("id", c.id, "type", "local", "target", c.target)); r.status != 500 || r.message != c.msg {
			t.Fatalf("%s: %d %s", c.id, r.status, r.raw)
		}
	}
	list := e.ok("GET", "/cluster/replication", nil).([]any)
	if len(list) != 1 {
		t.Fatalf("list %v", list)
	}
	j := list[0].(map[string]any)
	if j["id"] != "100-0" || j["type"] != "local" || j["guest"] != float64(100) || j["jobnum"] != float64(0) ||
		j["target"] != "pve2" || j["source"] != "pve1" || j["schedule"] != "*/15" {
		t.Fatalf("job %v", j)
	}
	got := e.ok("GET", "/cluster/replication/100-0", nil).(map[string]any)
	if len(got["digest"].(string)) != 40 {
		t.Fatalf("read %v", got)
	}
	if l := e.ok("GET", "/nodes/pve2/replication", nil).([]any); len(l) != 0 {
		t.Fatalf("pve2 lists %v", l)
	}
	st := e.ok("GET", "/nodes/pve1/replication/100-0/status", nil).(map[string]any)
	if st["last_sync"] != float64(0) || st["fail_count"] != float64(0) || st["vmtype"] != "qemu" {
		t.Fatalf("fresh status %v", st)
	}
	// the scheduler runs it within the minute: a full sync
	e.advance(61 * time.Second)
	st = e.ok("GET", "/nodes/pve1/replication/100-0/status", nil).(map[string]any)
	if st["last_sync"].(float64) == 0 || st["duration"] == nil || st["error"] != nil {
		t.Fatalf("after run %v", st)
	}
	first := st["last_sync"].(float64)
	if next := st["next_sync"].(float64); int64(next)%900 != 0 || next <= first {
		t.Fatalf("next_sync %v", next)
	}
	logText := func() string {
		var b strings.Builder
		for _, l := range e.ok("GET", "/nodes/pve1/replication/100-0/log", nil).([]any) {
			b.WriteString(l.(map[string]any)["t"].(string) + "\n")
		}
		return b.String()
	}
	if lt := logText(); !strings.Contains(lt, "100-0: full sync '"+vol+"'") || !strings.Contains(lt, "100-0: end replication job\n") {
		t.Fatalf("log:\n%s", lt)
	}
	// schedule_now: the next run is incremental
	e.ok("POST", "/nodes/pve1/replication/100-0/schedule_now", nil)
	e.advance(time.Second)
	if lt := logText(); !strings.Contains(lt, "incremental sync") || !strings.Contains(lt, "delete previous replication snapshot") {
		t.Fatalf("log:\n%s", lt)
	}
	// update and delete
	e.ok("PUT", "/cluster/replication/100-0", vals("rate", "10", "comment", "nightly"))
	if got := e.ok("GET", "/cluster/replication/100-0", nil).(map[string]any); got["rate"] != float64(10) || got["comment"] != "nightly" {
		t.Fatalf("updated %v", got)
	}
	if r := e.do("PUT", "/cluster/replication/100-0", vals("digest", strings.Repeat("a", 40))); r.status != 500 {
		t.Fatalf("digest %s", r.raw)
	}
	e.ok("DELETE", "/cluster/replication/100-0", nil)
	if got := e.ok("GET", "/cluster/replication/100-0", nil).(map[string]any); got["remove_job"] != "full" {
		t.Fatalf("marked %v", got)
	}
	e.advance(61 * time.Second)
	if r := e.do("GET", "/cluster/replication/100-0", nil); r.message != "no such replication job '100-0'\n" {
		t.Fatalf("removed: %s", r.raw)
	}
}

func TestReplicationFailureAndPerms(t *testing.T) {
	e := newEnv(t, Options{})
	addZFS(e, 100)
	e.ok("POST", "/cluster/replication", vals("id", "100-0", "type", "local", "target", "pve3"))
	if _, err := e.sim.AddFault(Fault{Kind: FaultOffline, Node: "pve3"}); err != nil {
		t.Fatal(err)
	}
	e.advance(61 * time.Second)
	st := e.ok("GET", "/nodes/pve1/replication/100-0/status", nil).(map[string]any)
	if st["fail_count"] != float64(1) || !strings.Contains(st["error"].(string), "failed: exit code 255") {
		t.Fatalf("failed run %v", st)
	}
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	auth := "PVEAPIToken=audit@pve!ro=s3cret"
	if l := e.okAuth("GET", "/cluster/replication", nil, auth).([]any); len(l) != 1 {
		t.Fatalf("auditor list %v", l)
	}
	r := e.doAuth("POST", "/nodes/pve1/replication/100-0/schedule_now", nil, auth)
	if r.status != 403 || r.reason != "Permission check failed (/vms/100, VM.Replicate)" {
		t.Fatalf("auditor schedule: %d %q", r.status, r.reason)
	}
}
