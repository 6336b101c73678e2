package pvesim

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var upidRe = regexp.MustCompile(`^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmstart:101:root@pam!mcp:$`)

func TestTaskTimingWithSpeed(t *testing.T) {
	e := newEnv(t, Options{Speed: 0.01})
	upid := e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
	if !upidRe.MatchString(upid) {
		t.Fatalf("upid %q", upid)
	}
	path := "/nodes/pve1/tasks/" + url.PathEscape(upid) + "/status"
	st := e.ok("GET", path, nil).(map[string]any)
	if st["status"] != "running" || st["exitstatus"] != nil || st["user"] != "root@pam" || st["tokenid"] != "mcp" {
		t.Fatalf("fresh task: %v", st)
	}
	// running tasks are only in source=active|all
	if r := e.do("GET", "/nodes/pve1/tasks", nil); strings.Contains(r.raw, upid) {
		t.Fatal("running task in the archive listing")
	}
	r := e.do("GET", "/nodes/pve1/tasks", vals("source", "active"))
	if !strings.Contains(r.raw, upid) || !strings.Contains(r.raw, `"status":"RUNNING"`) {
		t.Fatalf("active listing: %s", r.raw)
	}
	// a start lasts about a second; at speed 0.01 that is 10ms
	e.advance(5 * time.Millisecond)
	if e.ok("GET", path, nil).(map[string]any)["status"] != "running" {
		t.Fatal("stopped too early")
	}
	e.advance(10 * time.Millisecond)
	st = e.ok("GET", path, nil).(map[string]any)
	if st["status"] != "stopped" || st["exitstatus"] != "OK" {
		t.Fatalf("after duration: %v", st)
	}
	if s := e.ok("GET", "/nodes/pve1/qemu/101/status/current", nil).(map[string]any); s["status"] != "running" {
		t.Fatalf("effect not visible: %v", s)
	}
}

func TestProgressiveCloneLog(t *testing.T) {
	e := newEnv(t, Options{})
	// VM 101 is stopped with a 64 GiB disk: a full clone takes about a minute
	upid := e.ok("POST", "/nodes/pve1/qemu/101/clone", vals("newid", "600", "full", "1")).(string)
	logPath := "/nodes/pve1/tasks/" + url.PathEscape(upid) + "/log"
	var counts []int
	for i := 0; i < 4; i++ {
		r := e.do("GET", logPath, vals("limit", "0"))
		counts = append(counts, r.total)
		e.advance(15 * time.Second)
	}
	if !(counts[0] < counts[1] && counts[1] < counts[2] && counts[2] < counts[3]) {
		t.Fatalf("log did not grow: %v", counts)
	}
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	log := strings.Join(e.taskLog(upid), "\n")
	for _, want := range []string{
		"create full clone of drive scsi0 (local-lvm:vm-101-disk-0)",
		"  Logical volume \"vm-600-disk-0\" created.",
		"transferred 0.0 B of 64.0 GiB (0.00%)",
		"transferred 64.0 GiB of 64.0 GiB (100.00%)",
		"TASK OK",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// paging: start/limit and n numbering
	r := e.do("GET", logPath, vals("start", "2", "limit", "3"))
	items := r.data.([]any)
	if len(items) != 3 || items[0].(map[string]any)["n"] != float64(3) {
		t.Fatalf("paging: %v", items)
	}
}

func TestStopTask(t *testing.T) {
	e := newEnv(t, Options{})
	upid := e.ok("POST", "/nodes/pve1/vzdump", vals("vmid", "100", "storage", "local")).(string)
	e.advance(3 * time.Second)
	e.ok("DELETE", "/nodes/pve1/tasks/"+url.PathEscape(upid), nil)
	if got := e.waitTask(upid); got != "interrupted by signal" {
		t.Fatalf("exit %q", got)
	}
	st := e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any)
	if st["lock"] != nil {
		t.Fatalf("lock left after stop: %v", st)
	}
	log := e.taskLog(upid)
	if log[len(log)-1] != "TASK ERROR: interrupted by signal" {
		t.Fatalf("log end %q", log[len(log)-1])
	}
}

func TestLocksAndDigest(t *testing.T) {
	e := newEnv(t, Options{})
	conf := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
	digest := conf["digest"].(string)
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("description", "first", "digest", digest))
	r := e.do("PUT", "/nodes/pve1/qemu/101/config", vals("description", "second", "digest", digest))
	if r.status != 500 || r.reason != "checksum mismatch (file change by other user?)" {
		t.Fatalf("stale digest: %d %q", r.status, r.reason)
	}
	lconf := e.ok("GET", "/nodes/pve1/lxc/200/config", nil).(map[string]any)
	e.ok("PUT", "/nodes/pve1/lxc/200/config", vals("description", "x", "digest", lconf["digest"].(string)))
	r = e.do("PUT", "/nodes/pve1/lxc/200/config", vals("description", "y", "digest", lconf["digest"].(string)))
	if r.status != 500 || r.reason != "detected modified configuration - file changed by other user? Try again." {
		t.Fatalf("lxc stale digest: %d %q", r.status, r.reason)
	}

	// a snapshot holds the lock; a second snapshot task fails on it
	upid := e.ok("POST", "/nodes/pve1/qemu/101/snapshot", vals("snapname", "one")).(string)
	upid2 := e.ok("POST", "/nodes/pve1/qemu/101/snapshot", vals("snapname", "two")).(string)
	if got := e.waitTask(upid2); got != "VM is locked (snapshot)" {
		t.Fatalf("second snapshot: %q", got)
	}
	if got := e.waitTask(upid); got != "OK" {
		t.Fatal(got)
	}
	snaps := e.ok("GET", "/nodes/pve1/qemu/101/snapshot", nil).([]any)
	last := snaps[len(snaps)-1].(map[string]any)
	if len(snaps) != 2 || last["name"] != "current" || last["parent"] != "one" || last["description"] != "You are here!" {
		t.Fatalf("snapshots: %v", snaps)
	}
	upid = e.ok("POST", "/nodes/pve1/qemu/101/snapshot", vals("snapname", "one")).(string)
	if got := e.waitTask(upid); got != "snapshot name 'one' already used" {
		t.Fatalf("duplicate: %q", got)
	}
	upid = e.ok("POST", "/nodes/pve1/qemu/101/snapshot/one/rollback", nil).(string)
	if got := e.waitTask(upid); got != "OK" {
		t.Fatal(got)
	}
	if c := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any); c["description"] != "first" {
		t.Fatalf("rollback: %v", c)
	}
	upid = e.ok("DELETE", "/nodes/pve1/qemu/101/snapshot/one", nil).(string)
	if got := e.waitTask(upid); got != "OK" {
		t.Fatal(got)
	}
	if snaps := e.ok("GET", "/nodes/pve1/qemu/101/snapshot", nil).([]any); len(snaps) != 1 {
		t.Fatalf("after delete: %v", snaps)
	}
}

func TestPendingAndNetwork(t *testing.T) {
	e := newEnv(t, Options{})
	// running VM: cores go pending, name applies at once
	e.ok("PUT", "/nodes/pve1/qemu/100/config", vals("cores", "8", "name", "web01-new"))
	cur := e.ok("GET", "/nodes/pve1/qemu/100/config", vals("current", "1")).(map[string]any)
	if cur["cores"] != float64(2) || cur["name"] != "web01-new" {
		t.Fatalf("current: %v", cur)
	}
	if merged := e.ok("GET", "/nodes/pve1/qemu/100/config", nil).(map[string]any); merged["cores"] != float64(8) {
		t.Fatalf("merged: %v", merged)
	}
	upid := e.ok("POST", "/nodes/pve1/qemu/100/status/reboot", nil).(string)
	e.waitTask(upid)
	if cur := e.ok("GET", "/nodes/pve1/qemu/100/config", vals("current", "1")).(map[string]any); cur["cores"] != float64(8) {
		t.Fatalf("after reboot: %v", cur)
	}

	// async config update: a UPID, or null when it ends within background_delay
	upid = e.ok("POST", "/nodes/pve1/qemu/101/config", vals("memory", "4096")).(string)
	if !strings.Contains(upid, ":qmconfig:101:") || e.waitTask(upid) != "OK" {
		t.Fatal(upid)
	}
	if log := e.taskLog(upid); log[0] != "update VM 101: -memory 4096" {
		t.Fatalf("qmconfig log %q", log)
	}
	if r := e.do("POST", "/nodes/pve1/qemu/101/config", vals("memory", "6144", "background_delay", "5")); r.status != 200 || r.data != nil {
		t.Fatalf("background_delay: %d %s", r.status, r.raw)
	}
	if c := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any); c["memory"] != "6144" {
		t.Fatalf("memory: %v", c)
	}

	// network: POST is pending until PUT applies it
	e.ok("POST", "/nodes/pve2/network", vals("iface", "vmbr1", "type", "bridge", "autostart", "1", "cidr", "10.1.0.1/24"))
	r := e.do("GET", "/nodes/pve2/network", nil)
	if !strings.Contains(r.changes, "+iface vmbr1 inet static") || !strings.Contains(r.raw, `"iface":"vmbr1"`) {
		t.Fatalf("pending: %s", r.raw)
	}
	// a VM on the pending bridge cannot start yet
	e.ok("POST", "/nodes/pve2/qemu", vals("vmid", "800", "net0", "virtio,bridge=vmbr1"))
	e.advance(10 * time.Second)
	upid = e.ok("POST", "/nodes/pve2/qemu/800/status/start", nil).(string)
	if got := e.waitTask(upid); got != "bridge 'vmbr1' does not exist" {
		t.Fatalf("start on pending bridge: %q", got)
	}
	upid = e.ok("PUT", "/nodes/pve2/network", nil).(string)
	if !strings.Contains(upid, ":srvreload:networking:") {
		t.Fatal(upid)
	}
	e.waitTask(upid)
	r = e.do("GET", "/nodes/pve2/network", vals("type", "bridge"))
	if r.changes != "" || !strings.Contains(r.raw, `"iface":"vmbr1"`) {
		t.Fatalf("applied: %s", r.raw)
	}
	upid = e.ok("POST", "/nodes/pve2/qemu/800/status/start", nil).(string)
	if got := e.waitTask(upid); got != "OK" {
		t.Fatal(got)
	}
	r = e.do("POST", "/nodes/pve2/network", vals("iface", "vmbr1", "type", "bridge"))
	if r.status != 400 || r.errors["iface"] != "interface already exists" {
		t.Fatalf("duplicate iface: %d %v", r.status, r.errors)
	}
}

func TestDownloadAndLXC(t *testing.T) {
	e := newEnv(t, Options{})
	upid := e.ok("POST", "/nodes/pve3/storage/local/download-url", vals("url", "https://example.com/img/alpine.iso", "filename", "alpine.iso", "content", "iso")).(string)
	if !strings.Contains(upid, ":download:alpine.iso:") {
		t.Fatal(upid)
	}
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	isos := e.ok("GET", "/nodes/pve3/storage/local/content", vals("content", "iso")).([]any)
	found := false
	for _, i := range isos {
		if i.(map[string]any)["volid"] == "local:iso/alpine.iso" {
			found = true
		}
	}
	if !found {
		t.Fatalf("iso not added: %v", isos)
	}
	r := e.do("POST", "/nodes/pve3/storage/local-lvm/download-url", vals("url", "https://example.com/x.iso", "filename", "x.iso", "content", "iso"))
	if r.status != 500 {
		t.Fatalf("download to lvmthin: %d", r.status)
	}

	upid = e.ok("POST", "/nodes/pve3/lxc", vals("vmid", "900", "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
		"hostname", "ct900", "rootfs", "local-lvm:8", "net0", "name=eth0,bridge=vmbr0,ip=dhcp", "unprivileged", "1", "start", "1")).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	e.advance(5 * time.Second)
	st := e.ok("GET", "/nodes/pve3/lxc/900/status/current", nil).(map[string]any)
	if st["status"] != "running" || st["type"] != "lxc" {
		t.Fatalf("ct: %v", st)
	}
	c := e.ok("GET", "/nodes/pve3/lxc/900/config", nil).(map[string]any)
	if c["rootfs"] != "local-lvm:vm-900-disk-0,size=8G" || c["unprivileged"] != float64(1) || c["ostype"] != "debian" {
		t.Fatalf("ct config: %v", c)
	}
	r = e.do("POST", "/nodes/pve3/lxc/900/status/start", nil)
	if r.status != 500 || r.reason != "CT 900 already running" {
		t.Fatalf("%d %q", r.status, r.reason)
	}
	r = e.do("POST", "/nodes/pve3/lxc", vals("vmid", "901", "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"))
	if r.status != 400 || r.errors["storage"] != "storage 'local' does not support container directories" {
		t.Fatalf("default storage: %d %v", r.status, r.errors)
	}
	upid = e.ok("POST", "/nodes/pve3/lxc/900/status/stop", nil).(string)
	e.waitTask(upid)
	r = e.do("POST", "/nodes/pve3/lxc/900/status/stop", nil)
	if r.status != 500 || r.reason != "CT 900 not running" {
		t.Fatalf("%d %q", r.status, r.reason)
	}
	upid = e.ok("DELETE", "/nodes/pve3/lxc/900", vals("purge", "1")).(string)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
}

func TestMoveDiskProgress(t *testing.T) {
	e := newEnv(t, Options{})
	must(t, e.sim.AddStorage("fast", "lvmthin", []string{"images", "rootdir"}, false))
	upid := e.ok("POST", "/nodes/pve1/qemu/100/move_disk", vals("disk", "scsi0", "storage", "fast", "delete", "0")).(string)
	if !strings.Contains(upid, ":qmmove:100:") {
		t.Fatal(upid)
	}
	e.advance(10 * time.Second)
	mid := e.taskLog(upid)
	if e.waitTask(upid) != "OK" {
		t.Fatal(e.taskLog(upid))
	}
	full := e.taskLog(upid)
	if len(mid) >= len(full) {
		t.Fatalf("log not progressive: %d then %d lines", len(mid), len(full))
	}
	log := strings.Join(full, "\n")
	for _, want := range []string{"drive mirror is starting for drive-scsi0", "mirror-scsi0: transferred 32.0 GiB of 32.0 GiB (100.00%) in 32s, ready",
		"all 'mirror' jobs are ready", "mirror-scsi0: Completed successfully."} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	c := e.ok("GET", "/nodes/pve1/qemu/100/config", nil).(map[string]any)
	if !strings.HasPrefix(c["scsi0"].(string), "fast:vm-100-disk-0,") || c["unused0"] != "local-lvm:vm-100-disk-0" {
		t.Fatalf("config after move: %v", c)
	}
}

func TestTaskWarnings(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("bios", "ovmf"))
	upid := e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
	if got := e.waitTask(upid); got != "WARNINGS: 1" {
		t.Fatalf("exit %q", got)
	}
	log := e.taskLog(upid)
	if log[0] != "WARN: no efidisk configured! Using temporary efivars disk." || log[len(log)-1] != "TASK WARNINGS: 1" {
		t.Fatalf("log %q", log)
	}
	// a start on the wrong node fails inside the task, like qemu-server's worker
	upid = e.ok("POST", "/nodes/pve2/qemu/101/status/start", nil).(string)
	if got := e.waitTask(upid); got != "Configuration file 'nodes/pve2/qemu-server/101.conf' does not exist" {
		t.Fatalf("wrong node start: %q", got)
	}
}
