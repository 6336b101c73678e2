package tools

import (
	"net/url"
	"strings"
	"testing"
)

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

func TestBackupNowWithoutTask(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["POST /nodes/pve1/vzdump"] = `"OK"`
	res, text := e.call(t, "pve_backup_now", map[string]any{"node": "pve1", "vmid": 100, "storage": "local"})
	if !res.IsError || !strings.Contains(text, "Proxmox started no task on node pve1") || strings.Contains(text, "is not on node") {
		t.Fatalf("got %v %s", res.IsError, text)
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
