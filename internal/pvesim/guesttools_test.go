package pvesim

import (
	"reflect"
	"strings"
	"testing"
)

func TestMigratePreflightQemu(t *testing.T) {
	e := newEnv(t, Options{})
	d := e.ok("GET", "/nodes/pve1/qemu/100/migrate", nil).(map[string]any)
	want := []string{"allowed_nodes", "has-dbus-vmstate", "local_disks", "local_resources", "mapped-resource-info", "mapped-resources", "not_allowed_nodes", "running"}
	if got := keysOf(d); !reflect.DeepEqual(got, want) {
		t.Fatalf("fields %v", got)
	}
	if d["running"] != float64(1) || !reflect.DeepEqual(d["allowed_nodes"], []any{"pve2", "pve3"}) ||
		!reflect.DeepEqual(d["not_allowed_nodes"], map[string]any{}) {
		t.Fatalf("nodes: %v", d)
	}
	disks := d["local_disks"].([]any)
	if len(disks) != 1 {
		t.Fatalf("local disks %v", disks)
	}
	disk := disks[0].(map[string]any)
	if disk["volid"] != "local-lvm:vm-100-disk-0" || disk["size"] != float64(32<<30) || disk["drivename"] != "scsi0" ||
		disk["is_attached"] != float64(1) || disk["cdrom"] != float64(0) || disk["is_cloudinit"] != float64(0) {
		t.Fatalf("disk %v", disk)
	}
	// the snapshot references the same volume
	if refs := disk["referenced_in_snapshot"].(map[string]any); refs["before-upgrade"] != float64(1) {
		t.Fatalf("snapshot refs %v", disk)
	}
	// a local ISO is a local disk too (cdrom), a USB pass-through a local resource
	r := e.rootTicket().do("PUT", "/nodes/pve1/qemu/101/config", vals("usb0", "host=1234:5678", "serial0", "socket"))
	if r.status != 200 {
		t.Fatalf("usb: %d %s", r.status, r.raw)
	}
	d = e.ok("GET", "/nodes/pve1/qemu/101/migrate", nil).(map[string]any)
	if !reflect.DeepEqual(d["local_resources"], []any{"usb0"}) || d["running"] != float64(0) {
		t.Fatalf("resources %v", d["local_resources"])
	}
	vols := []string{}
	for _, x := range d["local_disks"].([]any) {
		vols = append(vols, x.(map[string]any)["volid"].(string))
	}
	if !reflect.DeepEqual(vols, []string{"local-lvm:vm-101-disk-0", "local:iso/debian-12.8.0-amd64-netinst.iso"}) {
		t.Fatalf("vols %v", vols)
	}
	// errors: another node's guest, a lock
	if r := e.do("GET", "/nodes/pve2/qemu/100/migrate", nil); r.status != 500 || r.message != "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist\n" {
		t.Fatalf("wrong node: %d %q", r.status, r.message)
	}
	e.sim.mu.Lock()
	e.sim.st.guests[103].conf["lock"] = "backup"
	e.sim.mu.Unlock()
	if r := e.do("GET", "/nodes/pve3/qemu/103/migrate", nil); r.status != 500 || r.message != "VM is locked (backup)\n" {
		t.Fatalf("locked: %d %q", r.status, r.message)
	}
}

func TestMigratePreflightReleases(t *testing.T) {
	e := newEnv(t, Options{Schema: "7.4"})
	d := e.ok("GET", "/nodes/pve1/qemu/100/migrate", nil).(map[string]any)
	if got := keysOf(d); !reflect.DeepEqual(got, []string{"local_disks", "local_resources", "running"}) {
		t.Fatalf("7.4 running: %v", got)
	}
	disk := d["local_disks"].([]any)[0].(map[string]any)
	if disk["referenced_in_config"] != float64(1) || disk["is_attached"] != nil {
		t.Fatalf("7.4 disk %v", disk)
	}
	d = e.ok("GET", "/nodes/pve1/qemu/101/migrate", nil).(map[string]any)
	if !reflect.DeepEqual(d["not_allowed_nodes"], map[string]any{"pve2": map[string]any{}, "pve3": map[string]any{}}) {
		t.Fatalf("7.4 stopped: %v", d)
	}
	if r := e.do("GET", "/nodes/pve1/lxc/200/migrate", nil); r.status != 501 {
		t.Fatalf("7.4 lxc: %d", r.status)
	}
	e8 := newEnv(t, Options{Schema: "8.4"})
	d = e8.ok("GET", "/nodes/pve1/qemu/100/migrate", nil).(map[string]any)
	if got := keysOf(d); !reflect.DeepEqual(got, []string{"allowed_nodes", "local_disks", "local_resources", "mapped-resource-info",
		"mapped-resources", "not_allowed_nodes", "running"}) {
		t.Fatalf("8.4: %v", got)
	}
	if disk := d["local_disks"].([]any)[0].(map[string]any); disk["is_cloudinit"] != nil || disk["is_attached"] != float64(1) {
		t.Fatalf("8.4 disk %v", disk)
	}
	e9 := newEnv(t, Options{Schema: "9.1"})
	d = e9.ok("GET", "/nodes/pve1/lxc/200/migrate", nil).(map[string]any)
	if got := keysOf(d); !reflect.DeepEqual(got, []string{"allowed-nodes", "not-allowed-nodes", "running"}) || d["running"] != float64(1) {
		t.Fatalf("lxc: %v", d)
	}
}

func TestGuestFeature(t *testing.T) {
	e := newEnv(t, Options{})
	feat := func(path string, kv ...string) map[string]any {
		return e.ok("GET", path+"/feature", vals(kv...)).(map[string]any)
	}
	d := feat("/nodes/pve1/qemu/100", "feature", "snapshot")
	if d["hasFeature"] != float64(1) || !reflect.DeepEqual(d["nodes"], []any{"pve1"}) {
		t.Fatalf("snapshot: %v", d)
	}
	// a linked clone needs a base volume: the template has one, a VM not
	if d := feat("/nodes/pve1/qemu/9000", "feature", "clone"); d["hasFeature"] != float64(1) {
		t.Fatalf("template clone: %v", d)
	}
	if d := feat("/nodes/pve1/qemu/100", "feature", "clone"); d["hasFeature"] != float64(0) {
		t.Fatalf("vm clone: %v", d)
	}
	if d := feat("/nodes/pve1/qemu/100", "feature", "clone", "snapname", "before-upgrade"); d["hasFeature"] != float64(1) {
		t.Fatalf("clone from snapshot: %v", d)
	}
	if d := feat("/nodes/pve1/lxc/200", "feature", "snapshot"); !reflect.DeepEqual(d, map[string]any{"hasFeature": float64(1)}) {
		t.Fatalf("lxc: %v", d)
	}
	if r := e.do("GET", "/nodes/pve1/qemu/100/feature", vals("feature", "snapshot", "snapname", "nope")); r.status != 500 || r.message != "snapshot 'nope' does not exist\n" {
		t.Fatalf("no snap: %d %q", r.status, r.message)
	}
	// a raw disk on the NFS storage: no snapshot feature, and snapshot agrees
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("scsi1", SharedStorage+":1"))
	if d := feat("/nodes/pve1/qemu/101", "feature", "snapshot"); d["hasFeature"] != float64(0) {
		t.Fatalf("nfs raw: %v", d)
	}
	upid := e.ok("POST", "/nodes/pve1/qemu/101/snapshot", vals("snapname", "s1")).(string)
	if exit := e.waitTask(upid); exit != "snapshot feature is not available" {
		t.Fatalf("snapshot task: %q", exit)
	}
	// only shared storage: every node
	e.ok("PUT", "/nodes/pve1/qemu/101/unlink", vals("idlist", "scsi0,ide2", "force", "1"))
	if d := feat("/nodes/pve1/qemu/101", "feature", "copy"); !reflect.DeepEqual(d["nodes"], []any{"pve1", "pve2", "pve3"}) || d["hasFeature"] != float64(1) {
		t.Fatalf("shared: %v", d)
	}
}

func TestExtractConfig(t *testing.T) {
	e := newEnv(t, Options{})
	var qemuVol, lxcVol string
	for _, v := range e.ok("GET", "/nodes/pve1/storage/local/content", vals("content", "backup")).([]any) {
		id := v.(map[string]any)["volid"].(string)
		switch {
		case strings.Contains(id, "qemu-100"):
			qemuVol = id
		case strings.Contains(id, "lxc-200"):
			lxcVol = id
		}
	}
	text := e.ok("GET", "/nodes/pve1/vzdump/extractconfig", vals("volume", qemuVol)).(string)
	if !strings.Contains(text, "name: web01\n") || !strings.HasSuffix(text, "#qmdump#map:scsi0:drive-scsi0:local-lvm:raw:\n") ||
		strings.Contains(text, "parent:") || !strings.HasPrefix(text, "agent: enabled=1\n") {
		t.Fatalf("qemu config:\n%s", text)
	}
	text = e.ok("GET", "/nodes/pve1/vzdump/extractconfig", vals("volume", lxcVol)).(string)
	if !strings.Contains(text, "hostname: proxy\n") || !strings.Contains(text, "rootfs: local-lvm:vm-200-disk-0,size=8G\n") || strings.Contains(text, "#qmdump") {
		t.Fatalf("lxc config:\n%s", text)
	}
	if r := e.do("GET", "/nodes/pve1/vzdump/extractconfig", vals("volume", SeedISOs[0])); r.status != 500 ||
		r.message != "unable to use volume "+SeedISOs[0]+" - content type needs to be 'backup'\n" {
		t.Fatalf("iso: %d %q", r.status, r.message)
	}
	missing := "local:backup/vzdump-qemu-100-2025_01_01-00_00_00.vma.zst"
	if r := e.do("GET", "/nodes/pve1/vzdump/extractconfig", vals("volume", missing)); r.status != 500 ||
		!strings.HasPrefix(r.message, "Failed to extract config from VMA archive: zstd: /var/lib/vz/dump/vzdump-qemu-100-") {
		t.Fatalf("missing: %d %q", r.status, r.message)
	}
	// VM.Backup on the guest is needed
	must(t, e.sim.AddToken("ops@pve!tk", "x", false))
	must(t, e.sim.SetACL("/storage/local", "ops@pve", "PVEDatastoreUser", true))
	r := e.doAuth("GET", "/nodes/pve1/vzdump/extractconfig", vals("volume", qemuVol), "PVEAPIToken=ops@pve!tk=x")
	if r.status != 403 || r.message != "Permission check failed (/vms/100, VM.Backup)\n" {
		t.Fatalf("perm: %d %q", r.status, r.message)
	}
}

func TestUnlink(t *testing.T) {
	e := newEnv(t, Options{})
	contentHas := func(volid string) bool {
		for _, v := range e.ok("GET", "/nodes/pve1/storage/local-lvm/content", nil).([]any) {
			if v.(map[string]any)["volid"] == volid {
				return true
			}
		}
		return false
	}
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("scsi1", "local-lvm:2", "scsi2", "local-lvm:2"))
	// without force: unusedN, the volume stays
	e.ok("PUT", "/nodes/pve1/qemu/101/unlink", vals("idlist", "scsi1"))
	conf := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
	if conf["scsi1"] != nil || conf["unused0"] != "local-lvm:vm-101-disk-1" || !contentHas("local-lvm:vm-101-disk-1") {
		t.Fatalf("detach: %v", conf)
	}
	// unusedN and force: the volume is freed
	e.ok("PUT", "/nodes/pve1/qemu/101/unlink", vals("idlist", "unused0,scsi2", "force", "1"))
	conf = e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
	if conf["unused0"] != nil || conf["scsi2"] != nil || contentHas("local-lvm:vm-101-disk-1") || contentHas("local-lvm:vm-101-disk-2") {
		t.Fatalf("force: %v", conf)
	}
	// a snapshot still uses the volume
	r := e.do("PUT", "/nodes/pve1/qemu/100/unlink", vals("idlist", "scsi0", "force", "1"))
	if r.status != 500 || r.message != "unable to delete 'local-lvm:vm-100-disk-0' - volume is still in use (snapshot?)\n" {
		t.Fatalf("in use: %d %q", r.status, r.message)
	}
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("protection", "1"))
	r = e.do("PUT", "/nodes/pve1/qemu/101/unlink", vals("idlist", "scsi0"))
	if r.status != 500 || r.message != "can't remove drive 'scsi0' - protection mode enabled\n" {
		t.Fatalf("protected: %d %q", r.status, r.message)
	}
	must(t, e.sim.AddAuditorToken("audit@pve!ro", "s"))
	r = e.doAuth("PUT", "/nodes/pve1/qemu/101/unlink", vals("idlist", "scsi0"), "PVEAPIToken=audit@pve!ro=s")
	if r.status != 403 || r.message != "Permission check failed (/vms/101, VM.Config.Disk)\n" {
		t.Fatalf("perm: %d %q", r.status, r.message)
	}
}

func TestTemplateAndResizeConsistency(t *testing.T) {
	e := newEnv(t, Options{})
	if exit := e.waitTask(e.ok("POST", "/nodes/pve1/qemu/9000/status/start", nil).(string)); exit != "you can't start a vm if it's a template" {
		t.Fatalf("template start: %q", exit)
	}
	used := func() float64 {
		return e.ok("GET", "/nodes/pve1/storage/local-lvm/status", nil).(map[string]any)["used"].(float64)
	}
	before := used()
	upid := e.ok("PUT", "/nodes/pve1/qemu/101/resize", vals("disk", "scsi0", "size", "+2G")).(string)
	if exit := e.waitTask(upid); exit != "OK" {
		t.Fatalf("resize: %q", exit)
	}
	conf := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
	if !strings.Contains(conf["scsi0"].(string), "size=66G") || used()-before != float64(2<<30) {
		t.Fatalf("resize: %v %v", conf["scsi0"], used()-before)
	}
	for _, v := range e.ok("GET", "/nodes/pve1/storage/local-lvm/content", vals("vmid", "101")).([]any) {
		if m := v.(map[string]any); m["volid"] == "local-lvm:vm-101-disk-0" && m["size"] != float64(66<<30) {
			t.Fatalf("content size %v", m)
		}
	}
	// qemu (8.x+) checks in the worker
	upid = e.ok("PUT", "/nodes/pve1/qemu/101/resize", vals("disk", "scsi0", "size", "10G")).(string)
	if exit := e.waitTask(upid); exit != "shrinking disks is not supported" {
		t.Fatalf("shrink: %q", exit)
	}
	if r := e.do("PUT", "/nodes/pve2/lxc/201/resize", vals("disk", "rootfs", "size", "1G")); r.status != 500 || r.message != "unable to shrink disk size\n" {
		t.Fatalf("lxc shrink: %d %q", r.status, r.message)
	}
	e7 := newEnv(t, Options{Schema: "7.4"})
	if r := e7.do("PUT", "/nodes/pve1/qemu/101/resize", vals("disk", "scsi0", "size", "10G")); r.status != 500 || r.message != "shrinking disks is not supported\n" {
		t.Fatalf("7.4 shrink: %d %q", r.status, r.message)
	}
	if d := e7.ok("PUT", "/nodes/pve1/qemu/101/resize", vals("disk", "scsi0", "size", "+1G")); d != nil {
		t.Fatalf("7.4 resize answers %v", d)
	}
}

func TestGuestToolsPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	must(t, e.sim.AddToken("ops@pve!tk", "x", true))
	auth := "PVEAPIToken=ops@pve!tk=x"
	for _, c := range []struct{ method, path, priv string }{
		{"GET", "/nodes/pve1/qemu/100/migrate", "/vms/100, VM.Migrate"},
		{"GET", "/nodes/pve1/lxc/200/migrate", "/vms/200, VM.Migrate"},
		{"GET", "/nodes/pve1/qemu/100/feature?feature=snapshot", "/vms/100, VM.Audit"},
		{"GET", "/nodes/pve1/lxc/200/feature?feature=clone", "/vms/200, VM.Audit"},
		{"GET", "/nodes/pve1/qemu/100/cloudinit", "/vms/100, VM.Audit"},
		{"GET", "/nodes/pve1/qemu/100/cloudinit/dump?type=user", "/vms/100, VM.Audit"},
	} {
		if r := e.doAuth(c.method, c.path, nil, auth); r.status != 403 || r.message != "Permission check failed ("+c.priv+")\n" {
			t.Errorf("%s %s: %d %q", c.method, c.path, r.status, r.message)
		}
	}
	// 7.4 uploads know no import content
	e7 := newEnv(t, Options{Schema: "7.4"})
	body, ct := multipartUpload([][2]string{{"content", "import"}}, "filename", "disk.qcow2", []byte("q"))
	if r := e7.upload("pve1", "local", e7.token, body, ct); r.status != 400 || r.errors["content"] == "" {
		t.Errorf("7.4 import: %d %s", r.status, r.raw)
	}
}

func TestMigratePreflightMappedDevice(t *testing.T) {
	e := newEnv(t, Options{})
	if r := e.rootTicket().do("PUT", "/nodes/pve1/qemu/101/config", vals("hostpci0", "mapping=gpu")); r.status != 200 {
		t.Fatalf("hostpci: %d %s", r.status, r.raw)
	}
	d := e.ok("GET", "/nodes/pve1/qemu/101/migrate", nil).(map[string]any)
	// offline: a mapped device is no local resource, but no node has the mapping
	if !reflect.DeepEqual(d["local_resources"], []any{}) || !reflect.DeepEqual(d["mapped-resources"], []any{"hostpci0"}) ||
		!reflect.DeepEqual(d["mapped-resource-info"], map[string]any{"hostpci0": map[string]any{"name": "gpu"}}) ||
		!reflect.DeepEqual(d["allowed_nodes"], []any{}) ||
		!reflect.DeepEqual(d["not_allowed_nodes"].(map[string]any)["pve2"], map[string]any{"unavailable-resources": []any{"hostpci0"}}) {
		t.Fatalf("mapped: %v", d)
	}
}
