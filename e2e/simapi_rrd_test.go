package e2e

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
)

// A client reading the statistics graphs and the datacenter settings walks
// the indexes to rrddata, renders a graph, reads the cluster log and
// changes and restores an option.
func TestSimAPIRRD(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	hasChild := func(path, key, name string) bool {
		for _, it := range a.ok("GET", path, nil).([]any) {
			if it.(map[string]any)[key] == name {
				return true
			}
		}
		return false
	}
	for _, c := range []struct{ path, key string }{
		{"/nodes/pve1", "name"}, {"/nodes/pve1/qemu/100", "subdir"}, {"/nodes/pve1/lxc/200", "subdir"},
		{"/nodes/pve1/storage/local", "subdir"},
	} {
		if !hasChild(c.path, c.key, "rrddata") || !hasChild(c.path, c.key, "rrd") {
			t.Errorf("%s does not list rrd and rrddata", c.path)
		}
	}
	for _, path := range []string{"/nodes/pve1/rrddata", "/nodes/pve1/qemu/100/rrddata", "/nodes/pve1/lxc/200/rrddata",
		"/nodes/pve1/storage/local-lvm/rrddata"} {
		pts, _ := a.ok("GET", path, form("timeframe", "day", "cf", "AVERAGE")).([]any)
		if len(pts) < 1439 {
			t.Fatalf("%s: %d points", path, len(pts))
		}
		last := pts[len(pts)-1].(map[string]any)
		if _, ok := last["time"].(float64); !ok || len(last) < 3 {
			t.Fatalf("%s newest point %v", path, last)
		}
	}
	g := a.ok("GET", "/nodes/pve1/qemu/100/rrd", form("timeframe", "hour", "ds", "cpu,mem")).(map[string]any)
	if g["filename"] != "/var/lib/rrdcached/db/pve-vm-9.0/100_cpu_mem.png" {
		t.Fatalf("graph %v", g["filename"])
	}
	var img []byte
	for _, r := range g["image"].(string) {
		img = append(img, byte(r))
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(img)); err != nil || cfg.Width != 800 || cfg.Height != 200 {
		t.Fatalf("graph image: %v %+v", err, cfg)
	}
	if ans := a.do("GET", "/nodes/pve1/qemu/4242/rrddata", form("timeframe", "hour")); ans.Status != 500 ||
		!strings.HasPrefix(ans.Message, "RRD error: ") {
		t.Fatalf("unknown vmid: %d %s", ans.Status, ans.Raw)
	}

	// a task shows in the cluster log, newest first
	upid := a.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("start ended %q", exit)
	}
	log := a.ok("GET", "/cluster/log", form("max", "2")).([]any)
	if len(log) != 2 || log[0].(map[string]any)["msg"] != "end task "+upid+" OK" || log[1].(map[string]any)["msg"] != "starting task "+upid {
		t.Fatalf("cluster log %v", log)
	}

	// options: read, change, delete
	opts := a.ok("GET", "/cluster/options", nil).(map[string]any)
	if opts["keyboard"] != "en-us" {
		t.Fatalf("options %v", opts)
	}
	a.ok("PUT", "/cluster/options", form("keyboard", "de", "max_workers", "6", "migration", "secure,network=192.168.100.0/24"))
	opts = a.ok("GET", "/cluster/options", nil).(map[string]any)
	mig, _ := opts["migration"].(map[string]any)
	if opts["keyboard"] != "de" || opts["max_workers"] != "6" || mig["type"] != "secure" || mig["network"] != "192.168.100.0/24" {
		t.Fatalf("options after PUT %v", opts)
	}
	a.ok("PUT", "/cluster/options", form("delete", "max_workers,migration", "keyboard", "en-us"))
	opts = a.ok("GET", "/cluster/options", nil).(map[string]any)
	if _, ok := opts["max_workers"]; ok || opts["migration"] != nil || opts["keyboard"] != "en-us" {
		t.Fatalf("options after delete %v", opts)
	}
	if ans := a.do("PUT", "/cluster/options", form("language", "klingon")); ans.Status != 400 || ans.Errors["language"] == "" {
		t.Fatalf("bad language: %d %s", ans.Status, ans.Raw)
	}
}
