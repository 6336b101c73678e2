package pvesim

import (
	"strings"
	"testing"
)

// TestCephNotInstalled: by default no node has Ceph, and every Ceph read
// dies as check_ceph_inited does on a node without the packages.
func TestCephNotInstalled(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{"/cluster/ceph/status", "/nodes/pve1/ceph/status", "/nodes/pve2/ceph/osd", "/nodes/pve3/ceph/pool"} {
		r := e.do("GET", p, nil)
		if r.status != 500 || r.message != "binary not installed: /usr/bin/ceph-mon\n" {
			t.Errorf("%s: %d %q", p, r.status, r.message)
		}
	}
	idx := e.ok("GET", "/nodes/pve1/ceph", nil).([]any)
	if len(idx) != 3 {
		t.Errorf("node ceph index: %v", idx)
	}
}

// TestCephSeeded: with Options.Ceph the status, OSD tree and pools read as
// Proxmox's, an offline node's OSD and monitor are down, and a token without
// Sys.Audit or Datastore.Audit is refused.
func TestCephSeeded(t *testing.T) {
	e := newEnv(t, Options{Ceph: true})
	st := e.ok("GET", "/cluster/ceph/status", nil).(map[string]any)
	if h := st["health"].(map[string]any); h["status"] != "HEALTH_OK" {
		t.Errorf("health: %v", h)
	}
	if om := st["osdmap"].(map[string]any); om["num_osds"] != float64(3) || om["num_up_osds"] != float64(3) {
		t.Errorf("osdmap: %v", om)
	}
	if mons := st["monmap"].(map[string]any)["mons"].([]any); len(mons) != 3 {
		t.Errorf("mons: %v", mons)
	}
	tree := e.ok("GET", "/nodes/pve1/ceph/osd", nil).(map[string]any)
	root := tree["root"].(map[string]any)["children"].([]any)[0].(map[string]any)
	hosts := root["children"].([]any)
	osd := hosts[1].(map[string]any)["children"].([]any)[0].(map[string]any)
	if root["name"] != "default" || len(hosts) != 3 || osd["name"] != "osd.1" || osd["host"] != "pve2" || osd["status"] != "up" {
		t.Errorf("tree: %v", tree)
	}
	pools := e.ok("GET", "/nodes/pve1/ceph/pool", nil).([]any)
	if len(pools) != 2 || pools[1].(map[string]any)["pool_name"] != "ceph-vm" || pools[1].(map[string]any)["type"] != "replicated" {
		t.Errorf("pools: %v", pools)
	}

	if _, err := e.sim.AddFault(Fault{Kind: FaultOffline, Node: "pve3"}); err != nil {
		t.Fatal(err)
	}
	st = e.ok("GET", "/cluster/ceph/status", nil).(map[string]any)
	h := st["health"].(map[string]any)
	if h["status"] != "HEALTH_WARN" || !strings.Contains(e.do("GET", "/cluster/ceph/status", nil).raw, "1 osds down") {
		t.Errorf("with pve3 offline: %v", h)
	}
	if om := st["osdmap"].(map[string]any); om["num_up_osds"] != float64(2) {
		t.Errorf("osdmap with pve3 offline: %v", om)
	}

	must(t, e.sim.AddToken("root@pam!none", "n0ne", true))
	r := e.doAuth("GET", "/cluster/ceph/status", nil, "PVEAPIToken=root@pam!none=n0ne")
	if r.status != 403 || !strings.Contains(r.message, "Permission check failed") {
		t.Errorf("no privileges: %d %q", r.status, r.message)
	}
	e.ok("GET", "/nodes/pve1/ceph/status", nil)
}
