package pvesim

import (
	"net/url"
	"strings"
	"testing"
)

func TestQemuLifecycle(t *testing.T) {
	e := newEnv(t, Options{})
	upid := e.ok("POST", "/nodes/pve1/qemu", vals("vmid", "500", "name", "life", "cores", "2", "memory", "2048",
		"scsi0", "local-lvm:8", "net0", "virtio,bridge=vmbr0", "ide2", "local:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom",
		"ostype", "l26", "scsihw", "virtio-scsi-single")).(string)
	if !strings.Contains(upid, ":qmcreate:500:root@pam!mcp:") {
		t.Fatalf("upid %q", upid)
	}
	// during create the config is locked
	conf := e.ok("GET", "/nodes/pve1/qemu/500/config", nil).(map[string]any)
	if conf["lock"] != "create" {
		t.Fatalf("config during create: %v", conf)
	}
	if got := e.waitTask(upid); got != "OK" {
		t.Fatalf("create: %s %v", got, e.taskLog(upid))
	}
	conf = e.ok("GET", "/nodes/pve1/qemu/500/config", nil).(map[string]any)
	if conf["scsi0"] != "local-lvm:vm-500-disk-0,size=8G" || conf["memory"] != "2048" || conf["cores"] != float64(2) {
		t.Fatalf("config: %v", conf)
	}
	if !strings.HasPrefix(conf["net0"].(string), "virtio=BC:24:11:") || len(conf["digest"].(string)) != 40 {
		t.Fatalf("net0/digest: %v", conf)
	}
	log := e.taskLog(upid)
	if log[len(log)-1] != "TASK OK" || !strings.Contains(strings.Join(log, "\n"), "scsi0: successfully created disk 'local-lvm:vm-500-disk-0,size=8G'") {
		t.Fatalf("create log: %q", log)
	}

	upid = e.ok("POST", "/nodes/pve1/qemu/500/status/start", nil).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	st := e.ok("GET", "/nodes/pve1/qemu/500/status/current", nil).(map[string]any)
	if st["status"] != "running" || st["qmpstatus"] != "running" {
		t.Fatalf("status: %v", st)
	}
	// starting again is a task error
	upid = e.ok("POST", "/nodes/pve1/qemu/500/status/start", nil).(string)
	if got := e.waitTask(upid); got != "VM 500 already running" {
		t.Fatalf("second start: %q", got)
	}

	// full clone of a running VM
	upid = e.ok("POST", "/nodes/pve1/qemu/500/clone", vals("newid", "501", "name", "life-copy", "full", "1")).(string)
	c := e.ok("GET", "/nodes/pve1/qemu/501/config", nil).(map[string]any)
	if c["lock"] != "clone" {
		t.Fatalf("clone target during clone: %v", c)
	}
	r := e.do("POST", "/nodes/pve1/qemu/501/status/start", nil)
	if r.status != 200 {
		t.Fatalf("start during clone: %d %s", r.status, r.reason)
	}
	if got := e.waitTask(r.data.(string)); got != "VM is locked (clone)" {
		t.Fatalf("start during clone: %q", got)
	}
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	c = e.ok("GET", "/nodes/pve1/qemu/501/config", nil).(map[string]any)
	if c["name"] != "life-copy" || c["scsi0"] != "local-lvm:vm-501-disk-0,size=8G" || c["lock"] != nil {
		t.Fatalf("clone config: %v", c)
	}

	// migrate the stopped clone (offline, local disk copied)
	r = e.do("POST", "/nodes/pve1/qemu/501/migrate", vals("target", "pve1"))
	if r.status != 400 || r.errors["target"] != "target is local node." {
		t.Fatalf("migrate to self: %d %v", r.status, r.errors)
	}
	// a local ISO in the CD drive blocks migration, as on a real node
	upid = e.ok("POST", "/nodes/pve1/qemu/501/migrate", vals("target", "pve2")).(string)
	if got := e.waitTask(upid); got != "migration aborted" {
		t.Fatalf("migrate with local ISO: %q", got)
	}
	e.ok("PUT", "/nodes/pve1/qemu/501/config", vals("ide2", "none,media=cdrom"))
	upid = e.ok("POST", "/nodes/pve1/qemu/501/migrate", vals("target", "pve2")).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	r = e.do("GET", "/nodes/pve1/qemu/501/config", nil)
	if r.status != 500 || r.reason != "Configuration file 'nodes/pve1/qemu-server/501.conf' does not exist" {
		t.Fatalf("old node after migrate: %d %q", r.status, r.reason)
	}
	e.ok("GET", "/nodes/pve2/qemu/501/config", nil)
	content := e.ok("GET", "/nodes/pve2/storage/local-lvm/content", vals("vmid", "501")).([]any)
	if len(content) != 1 {
		t.Fatalf("migrated disk on target: %v", content)
	}

	// backup 500 and restore it over a new id
	upid = e.ok("POST", "/nodes/pve1/vzdump", vals("vmid", "500", "storage", "local", "mode", "snapshot", "compress", "zstd", "notes-template", "{{guestname}}")).(string)
	st = e.ok("GET", "/nodes/pve1/qemu/500/status/current", nil).(map[string]any)
	if st["lock"] != "backup" {
		t.Fatalf("lock during backup: %v", st)
	}
	r = e.do("PUT", "/nodes/pve1/qemu/500/config", vals("cores", "4"))
	if r.status != 500 || r.reason != "VM is locked (backup)" {
		t.Fatalf("config during backup: %d %q", r.status, r.reason)
	}
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	backups := e.ok("GET", "/nodes/pve1/storage/local/content", vals("content", "backup", "vmid", "500")).([]any)
	if len(backups) != 1 {
		t.Fatalf("backups: %v", backups)
	}
	b := backups[0].(map[string]any)
	if b["notes"] != "life" || b["subtype"] != "qemu" || b["format"] != "vma.zst" {
		t.Fatalf("backup: %v", b)
	}
	upid = e.ok("POST", "/nodes/pve1/qemu", vals("vmid", "502", "archive", b["volid"].(string), "storage", "local-lvm")).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	rc := e.ok("GET", "/nodes/pve1/qemu/502/config", nil).(map[string]any)
	if rc["name"] != "life" || rc["scsi0"] != "local-lvm:vm-502-disk-0,size=8G" {
		t.Fatalf("restored: %v", rc)
	}

	// destroy: refused while running, then removes guest and disks
	r = e.do("DELETE", "/nodes/pve1/qemu/500", nil)
	if r.status != 500 || r.reason != "VM 500 is running - destroy failed" {
		t.Fatalf("destroy running: %d %q", r.status, r.reason)
	}
	upid = e.ok("POST", "/nodes/pve1/qemu/500/status/stop", nil).(string)
	e.waitTask(upid)
	upid = e.ok("DELETE", "/nodes/pve1/qemu/500", vals("purge", "1", "destroy-unreferenced-disks", "1")).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	if r := e.do("GET", "/nodes/pve1/qemu/500/status/current", nil); r.status != 500 {
		t.Fatalf("destroyed guest: %d", r.status)
	}
	if c := e.ok("GET", "/nodes/pve1/storage/local-lvm/content", vals("vmid", "500")).([]any); len(c) != 0 {
		t.Fatalf("disks left: %v", c)
	}
	_ = url.Values{}
}

func TestLXCBackupRestoreCloneMigrate(t *testing.T) {
	e := newEnv(t, Options{})
	upid := e.ok("POST", "/nodes/pve1/vzdump", vals("vmid", "200", "storage", "local", "mode", "stop")).(string)
	if !strings.Contains(upid, ":vzdump:200:") || e.waitTask(upid) != "OK" {
		t.Fatal(upid, e.taskLog(upid))
	}
	if !strings.Contains(strings.Join(e.taskLog(upid), "\n"), "INFO: Backup job finished successfully") {
		t.Fatal(e.taskLog(upid))
	}
	backups := e.ok("GET", "/nodes/pve1/storage/local/content", vals("content", "backup", "vmid", "200")).([]any)
	newest := backups[len(backups)-1].(map[string]any)["volid"].(string)
	if !strings.HasSuffix(newest, ".tar") { // vzdump compresses only when asked
		t.Fatal(newest)
	}
	// restore over the running CT is refused; stop it first
	r := e.do("POST", "/nodes/pve1/lxc", vals("vmid", "200", "ostemplate", newest, "restore", "1", "force", "1", "storage", "local-lvm"))
	if r.status != 500 || r.reason != "can't overwrite running container" {
		t.Fatalf("%d %q", r.status, r.reason)
	}
	e.waitTask(e.ok("POST", "/nodes/pve1/lxc/200/status/stop", nil).(string))
	upid = e.ok("POST", "/nodes/pve1/lxc", vals("vmid", "200", "ostemplate", newest, "restore", "1", "force", "1", "storage", "local-lvm")).(string)
	if !strings.Contains(upid, ":vzrestore:200:") || e.waitTask(upid) != "OK" {
		t.Fatal(upid, e.taskLog(upid))
	}
	if c := e.ok("GET", "/nodes/pve1/lxc/200/config", nil).(map[string]any); c["hostname"] != "proxy" {
		t.Fatalf("restored: %v", c)
	}
	// a linked clone needs a template
	r = e.do("POST", "/nodes/pve1/lxc/200/clone", vals("newid", "210", "full", "0"))
	if r.status != 500 || !strings.HasPrefix(r.reason, "Linked clone feature for 'local-lvm:vm-200-disk-") {
		t.Fatalf("%d %q", r.status, r.reason)
	}
	upid = e.ok("POST", "/nodes/pve1/lxc/200/clone", vals("newid", "210", "hostname", "proxy2")).(string)
	if c := e.ok("GET", "/nodes/pve1/lxc/200/config", nil).(map[string]any); c["lock"] != "disk" {
		t.Fatalf("source lock during clone: %v", c)
	}
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	if c := e.ok("GET", "/nodes/pve1/lxc/210/config", nil).(map[string]any); c["hostname"] != "proxy2" || c["lock"] != nil {
		t.Fatalf("clone: %v", c)
	}
	upid = e.ok("POST", "/nodes/pve1/lxc/210/migrate", vals("target", "pve3")).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	e.ok("GET", "/nodes/pve3/lxc/210/status/current", nil)
}

func TestPoolACL(t *testing.T) {
	e := newEnv(t, Options{})
	must(t, e.sim.AddToken("dev@pve!ci", "s", false))
	must(t, e.sim.SetACL("/pool/prod", "dev@pve", "PVEVMAdmin", true))
	auth := "PVEAPIToken=dev@pve!ci=s"
	vms := e.okAuth("GET", "/cluster/resources", vals("type", "vm"), auth).([]any)
	if len(vms) != 2 {
		t.Fatalf("pool members visible: %v", vms)
	}
	if r := e.doAuth("POST", "/nodes/pve1/qemu/100/status/reboot", nil, auth); r.status != 200 {
		t.Fatalf("pool member reboot: %d %q", r.status, r.reason)
	}
	if r := e.doAuth("POST", "/nodes/pve1/qemu/101/status/start", nil, auth); r.status != 403 {
		t.Fatalf("non-member: %d", r.status)
	}
}
