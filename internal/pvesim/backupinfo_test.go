package pvesim

import (
	"fmt"
	"testing"
)

func notBackedUpIDs(e *env) string {
	var out []string
	for _, x := range e.ok("GET", "/cluster/backup-info/not-backed-up", nil).([]any) {
		m := x.(map[string]any)
		out = append(out, fmt.Sprintf("%v/%v/%v", m["type"], m["vmid"], m["name"]))
	}
	return fmt.Sprint(out)
}

func TestBackupInfo(t *testing.T) {
	e := newEnv(t, Options{})
	// the index has no permission rule: root@pam only
	if r := e.do("GET", "/cluster/backup-info", nil); r.status != 403 {
		t.Fatalf("index as token: %d", r.status)
	}
	if idx := e.rootTicket().do("GET", "/cluster/backup-info", nil).data.([]any); len(idx) != 1 || idx[0].(map[string]any)["subdir"] != "not-backed-up" {
		t.Fatalf("index %v", idx)
	}
	// the seeded job covers 100 and 200
	want := "[qemu/101/db01 qemu/102/dev01 qemu/103/build01 lxc/201/dns qemu/9000/debian-12-template]"
	if got := notBackedUpIDs(e); got != want {
		t.Fatalf("not backed up: %s", got)
	}
	tree := e.ok("GET", "/cluster/backup/backup-1a2b3c4d-5e6f/included_volumes", nil).(map[string]any)
	kids := tree["children"].([]any)
	if len(kids) != 2 {
		t.Fatalf("tree %v", tree)
	}
	vm := kids[0].(map[string]any)
	if vm["id"] != float64(100) || vm["type"] != "qemu" || vm["name"] != "web01" || vm["leaf"] != float64(0) {
		t.Fatalf("vm node %v", vm)
	}
	vols := vm["children"].([]any)
	if len(vols) != 1 {
		t.Fatalf("cdrom must not count: %v", vols)
	}
	if d := vols[0].(map[string]any); d["id"] != "100:scsi0" || d["name"] != "local-lvm:vm-100-disk-0" || d["included"] != float64(1) || d["reason"] != "backup=yes" {
		t.Fatalf("disk %v", d)
	}
	if d := kids[1].(map[string]any)["children"].([]any)[0].(map[string]any); d["id"] != "200:rootfs" || d["reason"] != "rootfs" {
		t.Fatalf("ct disk %v", d)
	}
	// a disk with backup=0 and a mount point without backup
	e.sim.mu.Lock()
	e.sim.st.guests[100].conf["scsi1"] = "local-lvm:vm-100-disk-1,backup=0,size=8G"
	e.sim.st.guests[200].conf["mp0"] = "local-lvm:vm-200-disk-1,mp=/data,size=8G"
	e.sim.mu.Unlock()
	tree = e.ok("GET", "/cluster/backup/backup-1a2b3c4d-5e6f/included_volumes", nil).(map[string]any)
	kids = tree["children"].([]any)
	if d := kids[0].(map[string]any)["children"].([]any)[1].(map[string]any); d["included"] != float64(0) || d["reason"] != "backup=no" {
		t.Fatalf("backup=0 disk %v", d)
	}
	if d := kids[1].(map[string]any)["children"].([]any)[1].(map[string]any); d["included"] != float64(0) || d["reason"] != "disabled" {
		t.Fatalf("mp0 %v", d)
	}
	// an all-but-one job, a pool job
	e.ok("POST", "/cluster/backup", vals("id", "backup-all", "schedule", "daily", "storage", "local", "all", "1", "exclude", "101,9000"))
	if got := notBackedUpIDs(e); got != "[qemu/101/db01 qemu/9000/debian-12-template]" {
		t.Fatalf("with all job: %s", got)
	}
	e.ok("POST", "/cluster/backup", vals("id", "backup-pool", "schedule", "daily", "storage", "local", "pool", "prod", "node", "pve2"))
	if tree := e.ok("GET", "/cluster/backup/backup-pool/included_volumes", nil).(map[string]any); len(tree["children"].([]any)) != 0 {
		t.Fatalf("pool job on pve2: %v", tree)
	}
	r := e.do("GET", "/cluster/backup/nope/included_volumes", nil)
	if r.status != 400 || r.errors["id"] != "No such job 'nope'" {
		t.Fatalf("unknown job: %d %s", r.status, r.raw)
	}
	// guests the caller may not audit are left out
	must(t, e.sim.AddToken("ops@pve!tk", "x", true))
	for _, who := range []string{"ops@pve", "ops@pve!tk"} {
		must(t, e.sim.SetACL("/", who, "PVEAuditor", false))
		must(t, e.sim.SetACL("/vms/101", who, "PVEVMUser", true))
	}
	got := e.okAuth("GET", "/cluster/backup-info/not-backed-up", nil, "PVEAPIToken=ops@pve!tk=x").([]any)
	if len(got) != 1 || got[0].(map[string]any)["vmid"] != float64(101) {
		t.Fatalf("filtered %v", got)
	}
}
