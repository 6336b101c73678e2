package tools

import (
	"context"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestContainerSnapshotNetworkBackupRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	snap := func(extra map[string]any) map[string]any {
		m := map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "before"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	e.refused(t, "pve_lxc_stop", map[string]any{"node": "pve1", "vmid": 200}, "confirm: true")
	e.refused(t, "pve_lxc_delete", map[string]any{"node": "pve1", "vmid": 200, "confirm": true, "confirmVmid": 201}, "201")
	e.refused(t, "pve_snapshot_rollback", snap(map[string]any{"confirmName": "before"}), "confirm: true")
	e.refused(t, "pve_snapshot_rollback", snap(map[string]any{"confirm": true, "confirmName": "after"}), `"after"`, `"before"`)
	e.refused(t, "pve_snapshot_delete", snap(map[string]any{"confirm": true}), "confirmName")
	e.refused(t, "pve_snapshot_create", map[string]any{"node": "pve1", "vmid": 100, "type": "lxc", "snapname": "x1", "vmstate": true}, "vmstate")
	e.refused(t, "pve_snapshot_create", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "current"}, "reserved")
	e.refused(t, "pve_snapshot_create", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "a/../b"}, "snapname")
	e.refused(t, "pve_apply_network", map[string]any{"node": "pve1"}, "confirm: true")
	e.refused(t, "pve_create_bridge", map[string]any{"node": "pve1", "iface": "eth0"}, "iface")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "archive": "local:backup/x.vma.zst", "confirmVmid": 100}, "confirm: true")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "archive": "local:backup/x.vma.zst", "confirm": true, "confirmVmid": 101}, "101")
	e.refused(t, "pve_storage_content", map[string]any{"node": "pve1", "storage": "../x"}, "storage")
	e.refused(t, "pve_schedule_backup", map[string]any{"schedule": "daily", "storage": "local"}, "vmids")
	if w := e.fake.log(); len(w) != 0 {
		t.Fatalf("requests sent: %v", w)
	}
}

func TestScheduleBackupAllowlist(t *testing.T) {
	e := newEnv(t, envOpts{vmids: []int{100, 101}})
	e.refused(t, "pve_schedule_backup", map[string]any{"schedule": "daily", "storage": "local", "all": true}, "PVE_VMID_ALLOWLIST")
	e.refused(t, "pve_schedule_backup", map[string]any{"schedule": "daily", "storage": "local", "vmids": []int{100, 300}}, "300")
	got := e.ok(t, "pve_schedule_backup", map[string]any{"schedule": "sun 01:00", "storage": "local", "vmids": []int{100, 101}})
	if got != `{"action":"schedule_backup","schedule":"sun 01:00","result":"ok"}` {
		t.Errorf("result %s", got)
	}
	f := form(e.fake.writes()[0])
	if f.Get("vmid") != "100,101" || f.Get("enabled") != "1" || f.Get("compress") != "zstd" || f.Get("mode") != "snapshot" || f.Has("all") {
		t.Errorf("sent %v", f)
	}
}

func TestScheduleBackupNodeAllowlist(t *testing.T) {
	e := newEnv(t, envOpts{nodes: []string{"pve1"}})
	e.fake.routes["GET /cluster/resources"] = `[{"type":"qemu","vmid":100,"node":"pve1"},{"type":"qemu","vmid":105,"node":"pve2"}]`
	// These look the guests' nodes up (a read) and write nothing.
	for _, c := range []struct {
		ids  []int
		want string
	}{{[]int{100, 105}, "pve2"}, {[]int{100, 999}, "999"}} {
		res, text := e.call(t, "pve_schedule_backup", map[string]any{"schedule": "daily", "storage": "local", "vmids": c.ids})
		if !res.IsError || !strings.Contains(text, c.want) || len(e.fake.writes()) != 0 {
			t.Errorf("%v: %v %s %v", c.ids, res.IsError, text, e.fake.writes())
		}
	}
	e.refused(t, "pve_schedule_backup", map[string]any{"schedule": "daily", "storage": "local", "all": true}, "PVE_NODE_ALLOWLIST")
	e.ok(t, "pve_schedule_backup", map[string]any{"schedule": "daily", "storage": "local", "vmids": []int{100}})
}

func TestStorageContentFiltered(t *testing.T) {
	e := newEnv(t, envOpts{vmids: []int{100}})
	e.fake.routes["GET /nodes/pve1/storage/local/content"] = `[{"volid":"local:iso/a.iso"},{"volid":"local:backup/vzdump-qemu-100.vma.zst","vmid":100},{"volid":"local:backup/vzdump-qemu-101.vma.zst","vmid":101}]`
	got := e.ok(t, "pve_list_backups", map[string]any{"node": "pve1", "storage": "local"})
	if strings.Contains(got, "101") || !strings.Contains(got, "qemu-100") {
		t.Errorf("backups not filtered: %s", got)
	}
	if q := form(e.fake.log()[0]); q.Get("content") != "backup" {
		t.Errorf("sent %v", q)
	}
}

func TestBackupNowWithoutTask(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["POST /nodes/pve1/vzdump"] = `"OK"`
	res, text := e.call(t, "pve_backup_now", map[string]any{"node": "pve1", "vmid": 100, "storage": "local"})
	if !res.IsError || !strings.Contains(text, "Proxmox started no task on node pve1") || strings.Contains(text, "is not on node") {
		t.Fatalf("got %v %s", res.IsError, text)
	}
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	return f[host], nil
}

func TestDownloadURLChecks(t *testing.T) {
	r := fakeResolver{"intranet.example": {netip.MustParseAddr("10.1.2.3")}, "cdn.example": {netip.MustParseAddr("93.184.216.34")}}
	ctx := context.Background()
	for raw, ok := range map[string]bool{
		"https://cdn.example/x.iso":               true,
		"https://unresolvable.example/x.iso":      true,
		"file:///etc/passwd":                      false,
		"ftp://cdn.example/x.iso":                 false,
		"http://127.0.0.1/x.iso":                  false,
		"http://localhost:8080/x.iso":             false,
		"http://169.254.169.254/latest/meta-data": false,
		"http://[::1]/x.iso":                      false,
		"http://[fe80::1]/x.iso":                  false,
		"https://intranet.example/x.iso":          false,
		"http://192.168.1.10/x.iso":               false,
		"https://user:pw@cdn.example/x.iso":       false,
		"http://[::ffff:127.0.0.1]/x.iso":         false,
		"http://100.64.1.1/x.iso":                 false,
		"http://127.1/x.iso":                      false,
		"http://2130706433/x.iso":                 false,
		"http://0x7f000001/x.iso":                 false,
		"http://0177.0.0.1/x.iso":                 false,
		"http://[::127.0.0.1]/x.iso":              false,
		"http://[64:ff9b::a9fe:a9fe]/x.iso":       false,
		"http://[2606:4700::1111]/x.iso":          true,
	} {
		err := checkDownloadURL(ctx, raw, false, r)
		if (err == nil) != ok {
			t.Errorf("%s: ok=%v err=%v", raw, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("credentials echoed: %v", err)
		}
	}
	if err := checkDownloadURL(ctx, "http://10.0.0.1/x.iso", true, r); err != nil {
		t.Errorf("allowed private: %v", err)
	}
}

func TestDownloadVersionGate(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /version"] = `{"version":"7.1-10","release":"7.1","repoid":"abc"}`
	args := map[string]any{"node": "pve1", "storage": "local", "url": "https://93.184.216.34/x.iso", "filename": "x.iso"}
	res, text := e.call(t, "pve_download_iso", args)
	if !res.IsError || !strings.Contains(text, "7.2") || !strings.Contains(text, "7.1-10") {
		t.Fatalf("got %v %s", res.IsError, text)
	}
	if len(e.fake.writes()) != 0 {
		t.Fatal("download-url called on an old node")
	}
	e.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"abc"}`
	e2 := newEnv(t, envOpts{})
	e2.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"abc"}`
	e2.ok(t, "pve_download_iso", args)
	f := form(e2.fake.writes()[0])
	if f.Get("content") != "iso" || f.Get("filename") != "x.iso" || f.Get("url") != "https://93.184.216.34/x.iso" {
		t.Errorf("sent %v", f)
	}
}

func TestLXCCreateParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok(t, "pve_lxc_create", map[string]any{
		"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/debian-12.tar.zst", "hostname": "ct1",
		"rootfs":   map[string]any{"storage": "local-lvm", "sizeGb": 4},
		"net":      map[string]any{"ip": "10.0.0.5/24", "gateway": "10.0.0.1"},
		"password": "hunter22", "sshPublicKeys": "ssh-ed25519 AAAA x@y",
	})
	f := form(e.fake.writes()[0])
	for k, want := range map[string]string{
		"vmid": "300", "ostemplate": "local:vztmpl/debian-12.tar.zst", "rootfs": "local-lvm:4", "swap": "512",
		"unprivileged": "1", "net0": "name=eth0,bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1", "ssh-public-keys": "ssh-ed25519 AAAA x@y",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestRestoreParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	base := map[string]any{"node": "pve1", "vmid": 300, "archive": "local:backup/vzdump-lxc-300.tar.zst", "confirm": true, "confirmVmid": 300}
	base["type"] = "lxc"
	e.ok(t, "pve_restore", base)
	f := form(e.fake.writes()[0])
	if !strings.HasPrefix(e.fake.writes()[0], "POST /nodes/pve1/lxc?") || f.Get("ostemplate") != base["archive"] || f.Get("restore") != "1" || f.Get("force") != "1" {
		t.Errorf("lxc restore sent %v", e.fake.writes()[0])
	}
	base["type"] = "qemu"
	e.ok(t, "pve_restore", base)
	f = form(e.fake.writes()[1])
	if !strings.HasPrefix(e.fake.writes()[1], "POST /nodes/pve1/qemu?") || f.Get("archive") != base["archive"] {
		t.Errorf("qemu restore sent %v", e.fake.writes()[1])
	}
}

func TestDownloadChecksNodeVersionAndName(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve2/version"] = `{"version":"7.1-10","release":"7.1","repoid":"abc"}`
	e.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"abc"}`
	args := map[string]any{"node": "pve2", "storage": "local", "url": "https://93.184.216.34/x.iso", "filename": "x.iso"}
	res, text := e.call(t, "pve_download_iso", args)
	if !res.IsError || !strings.Contains(text, "pve2 runs 7.1-10") || len(e.fake.writes()) != 0 {
		t.Errorf("old node: %v %s", res.IsError, text)
	}
	args["filename"], args["node"] = "x.tar.zst", "pve1"
	e.refused(t, "pve_download_iso", args, "filename", ".iso")
}

func TestSecretArgumentsNotEchoed(t *testing.T) {
	e := newEnv(t, envOpts{})
	pw := strings.Repeat("s3cr3t", 20)
	_, text := e.call(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/x.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}, "password": pw})
	if strings.Contains(text, pw) || !strings.Contains(text, "password") {
		t.Errorf("error: %s", text)
	}
}

// TestBackupNowKeepsOlderBackups: vzdump prunes by the storage's retention
// unless told not to; a one-off backup must not delete anything.
func TestBackupNowKeepsOlderBackups(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["POST /nodes/pve1/vzdump"] = `"OK"`
	e.call(t, "pve_backup_now", map[string]any{"node": "pve1", "vmid": 100, "storage": "local"})
	var sent url.Values
	for _, l := range e.fake.log() {
		if strings.HasPrefix(l, "POST /nodes/pve1/vzdump") {
			sent = form(l)
		}
	}
	if sent == nil || sent.Get("remove") != "0" {
		t.Fatalf("vzdump sent %v, want remove=0", sent)
	}
}
