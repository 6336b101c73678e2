package e2e

import (
	"strings"
	"testing"
)

// What one endpoint changes, the others show, through the sim command over
// HTTPS: a resized disk in the config and the storage's content, a template
// flag refusing a start, a suspended VM's status, the next free id.
func TestSimAPIGuestState(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	volSize := func(volid string) float64 {
		for _, it := range a.ok("GET", "/nodes/pve1/storage/local-lvm/content", nil).([]any) {
			if m := it.(map[string]any); m["volid"] == volid {
				return m["size"].(float64)
			}
		}
		t.Fatalf("%s not in local-lvm's content", volid)
		return 0
	}
	before := volSize("local-lvm:vm-101-disk-0")
	upid, _ := a.ok("PUT", "/nodes/pve1/qemu/101/resize", form("disk", "scsi0", "size", "+2G")).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("resize: %s", exit)
	}
	if after := volSize("local-lvm:vm-101-disk-0"); after != before+2<<30 {
		t.Errorf("volume size %v -> %v, want +2 GiB", before, after)
	}
	conf := a.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
	if !strings.Contains(conf["scsi0"].(string), "size=66G") {
		t.Errorf("scsi0 after resize: %v", conf["scsi0"])
	}
	if ans := a.do("PUT", "/nodes/pve1/qemu/101/resize", form("disk", "scsi0", "size", "10G")); ans.Status != 200 {
		t.Fatalf("shrink request: %d %s", ans.Status, ans.Raw)
	} else if exit := a.waitTask("pve1", ans.Data.(string)); exit != "shrinking disks is not supported" {
		t.Errorf("shrink ended %q", exit)
	}

	upid, _ = a.ok("POST", "/nodes/pve1/qemu/101/template", nil).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("template: %s", exit)
	}
	upid, _ = a.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
	if exit := a.waitTask("pve1", upid); exit != "you can't start a vm if it's a template" {
		t.Errorf("start of a template ended %q", exit)
	}

	upid, _ = a.ok("POST", "/nodes/pve1/qemu/100/status/suspend", nil).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("suspend: %s", exit)
	}
	st := a.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any)
	if st["qmpstatus"] != "paused" || st["status"] != "running" {
		t.Errorf("after suspend: status %v, qmpstatus %v", st["status"], st["qmpstatus"])
	}
	upid, _ = a.ok("POST", "/nodes/pve1/qemu/100/status/resume", nil).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("resume: %s", exit)
	}
	if st := a.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any); st["qmpstatus"] != "running" {
		t.Errorf("after resume: qmpstatus %v", st["qmpstatus"])
	}
	if id := a.ok("GET", "/cluster/nextid", nil); id != "104" {
		t.Errorf("nextid = %v", id)
	}
	if ans := a.do("GET", "/cluster/nextid", form("vmid", "100")); ans.Status != 400 || !strings.Contains(ans.Errors["vmid"], "already exists") {
		t.Errorf("nextid vmid=100: %d %s", ans.Status, ans.Raw)
	}
}
