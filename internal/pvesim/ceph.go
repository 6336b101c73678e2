package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

// Ceph reads (pve-manager's API2/Ceph.pm, Ceph/OSD.pm, Ceph/Pool.pm,
// API2/Cluster/Ceph.pm). By default no node has Ceph: every call dies in
// check_ceph_inited as on a node without the packages. Options.Ceph seeds a
// hyper-converged cluster: a monitor, a manager and one OSD on each node,
// the .mgr pool and an rbd pool; an offline node's OSD is down.

// cephState is the seeded Ceph cluster.
type cephState struct {
	fsid  string
	pools []cephPool
}

type cephPool struct {
	id            int
	name, app     string
	size, minSize int
	pgNum         int
	bytesUsed     int64
}

// cephOSDBytes is each OSD's size (a 1 TB SSD), cephOSDUsed what it holds.
const (
	cephOSDBytes = 960195723264
	cephOSDUsed  = 86417615094
)

func seedCeph(st *state) *cephState {
	return &cephState{fsid: st.uuid(), pools: []cephPool{
		{id: 1, name: ".mgr", app: "mgr", size: 3, minSize: 2, pgNum: 1, bytesUsed: 1769472},
		{id: 2, name: "ceph-vm", app: "rbd", size: 3, minSize: 2, pgNum: 32, bytesUsed: 259252845282},
	}}
}

func (s *Sim) cephRoutes() []route {
	n := "/nodes/{node}/ceph"
	return []route{
		{method: "GET", tmpl: "/cluster/ceph", h: indexOf("name")},
		{method: "GET", tmpl: "/cluster/ceph/status", h: s.cephStatus},
		{method: "GET", tmpl: n, h: indexOf("name")},
		{method: "GET", tmpl: n + "/status", h: s.cephStatus},
		{method: "GET", tmpl: n + "/osd", h: s.cephOSDs},
		{method: "GET", tmpl: n + "/pool", h: s.cephPools},
	}
}

// cephInited is check_ceph_inited: without the packages, the binary check
// of ceph-mon dies first.
func (c *call) cephInited() (*cephState, error) {
	if c.st.cephS == nil {
		return nil, failf("binary not installed: /usr/bin/ceph-mon")
	}
	return c.st.cephS, nil
}

// cephRelease is the Ceph each PVE major ships (its ceph-fuse package).
func (s *Sim) cephRelease() (version, name string) {
	switch s.major() {
	case 7:
		return "15.2.17", "octopus"
	case 8:
		return "17.2.8", "quincy"
	}
	return "19.2.3", "squid"
}

func (s *Sim) cephOSDsUp(st *state) (up int) {
	for _, n := range st.nodes {
		if !n.offline {
			up++
		}
	}
	return up
}

// cephStatus is ceph_cluster_status: 'ceph status' with the health detail
// and, since octopus, the monmap and mgrmap re-added.
func (s *Sim) cephStatus(c *call) (any, error) {
	cs, err := c.cephInited()
	if err != nil {
		return nil, err
	}
	total, up := len(c.st.nodes), s.cephOSDsUp(c.st)
	health := map[string]any{"status": "HEALTH_OK", "checks": map[string]any{}, "mutes": []any{}}
	if down := total - up; down > 0 {
		health["status"] = "HEALTH_WARN"
		health["checks"] = map[string]any{
			"OSD_DOWN": map[string]any{"severity": "HEALTH_WARN", "muted": false,
				"summary": map[string]any{"message": fmt.Sprintf("%d osds down", down), "count": down}, "detail": []any{}},
			"MON_DOWN": map[string]any{"severity": "HEALTH_WARN", "muted": false,
				"summary": map[string]any{"message": fmt.Sprintf("%d/%d mons down, quorum %s", down, total, strings.Join(s.cephQuorum(c.st), ",")), "count": down}, "detail": []any{}},
		}
	}
	var mons []map[string]any
	for i, n := range c.st.nodes {
		mons = append(mons, map[string]any{"rank": i, "name": n.name, "public_addr": n.ip + ":6789/0", "addr": n.ip + ":6789/0"})
	}
	version, release := s.cephRelease()
	var pgs, objects int
	var used int64
	for _, p := range cs.pools {
		pgs += p.pgNum
		objects += int(p.bytesUsed / 3 / (4 << 20))
		used += p.bytesUsed
	}
	start := c.st.nodes[0].boot.Unix()
	return map[string]any{
		"fsid": cs.fsid, "health": health, "election_epoch": 24, "quorum": s.cephRanks(c.st), "quorum_names": s.cephQuorum(c.st),
		"quorum_age": c.now.Unix() - start,
		"monmap":     map[string]any{"epoch": 3, "fsid": cs.fsid, "min_mon_release_name": release, "num_mons": total, "mons": mons},
		"osdmap": map[string]any{"epoch": 120, "num_osds": total, "num_up_osds": up, "osd_up_since": start,
			"num_in_osds": total, "osd_in_since": start, "num_remapped_pgs": 0},
		"pgmap": map[string]any{"pgs_by_state": []any{map[string]any{"state_name": "active+clean", "count": pgs}},
			"num_pgs": pgs, "num_pools": len(cs.pools), "num_objects": objects, "data_bytes": used / 3,
			"bytes_used": int64(total) * cephOSDUsed, "bytes_avail": int64(total) * (cephOSDBytes - cephOSDUsed),
			"bytes_total": int64(total) * cephOSDBytes},
		"fsmap":           map[string]any{"epoch": 1, "by_rank": []any{}, "up:standby": 0},
		"mgrmap":          map[string]any{"available": up > 0, "num_standbys": max(up-1, 0), "active_name": c.st.nodes[0].name, "modules": []any{"iostat", "nfs", "restful"}},
		"servicemap":      map[string]any{"epoch": 5, "modified": "", "services": map[string]any{}},
		"progress_events": map[string]any{}, "ceph_version": version,
	}, nil
}

func (s *Sim) cephQuorum(st *state) []string {
	var out []string
	for _, n := range st.nodes {
		if !n.offline {
			out = append(out, n.name)
		}
	}
	return out
}

func (s *Sim) cephRanks(st *state) []int {
	var out []int
	for i, n := range st.nodes {
		if !n.offline {
			out = append(out, i)
		}
	}
	return out
}

// cephOSDs is the OSD tree: root default, a host bucket per node, its OSD.
func (s *Sim) cephOSDs(c *call) (any, error) {
	if _, err := c.cephInited(); err != nil {
		return nil, err
	}
	version, release := s.cephRelease()
	long := fmt.Sprintf("ceph version %s (%s) %s (stable)", version, "c6c2bd6cba6b5a9e3c4b4e2d6e8a39a6f2d5b0c1", release)
	var hosts []any
	for i, n := range c.st.nodes {
		status := "up"
		if n.offline {
			status = "down"
		}
		osd := map[string]any{"id": i, "name": "osd." + strconv.Itoa(i), "type": "osd", "status": status, "in": 1,
			"crush_weight": 0.87329, "reweight": 1, "device_class": "ssd", "pgs": 33, "host": n.name, "leaf": 1,
			"total_space": cephOSDBytes, "bytes_used": cephOSDUsed, "percent_used": 100 * float64(cephOSDUsed) / cephOSDBytes,
			"commit_latency_ms": 0, "apply_latency_ms": 0, "osdtype": "bluestore", "blfsdev": "/dev/sdb",
			"ceph_version": long, "ceph_version_short": version}
		hosts = append(hosts, map[string]any{"id": -3 - 2*i, "name": n.name, "type": "host", "leaf": 0,
			"version": version, "children": []any{osd}})
	}
	root := map[string]any{"id": -1, "name": "default", "type": "root", "leaf": 0, "children": hosts}
	return map[string]any{"root": map[string]any{"leaf": 0, "children": []any{root}},
		"flags": "sortbitwise,recovery_deletes,purged_snapdirs,pglog_hardlimit"}, nil
}

// cephPools is lspools: 'osd dump' pools with 'df' stats and the rule name.
func (s *Sim) cephPools(c *call) (any, error) {
	cs, err := c.cephInited()
	if err != nil {
		return nil, err
	}
	avail := float64(int64(len(c.st.nodes))*(cephOSDBytes-cephOSDUsed)) / 3
	out := []map[string]any{}
	for _, p := range cs.pools {
		out = append(out, map[string]any{"pool": p.id, "pool_name": p.name, "size": p.size, "min_size": p.minSize,
			"pg_num": p.pgNum, "pg_num_final": p.pgNum, "crush_rule": 0, "crush_rule_name": "replicated_rule",
			"pg_autoscale_mode": "on", "application_metadata": map[string]any{p.app: map[string]any{}},
			"autoscale_status": map[string]any{"pool_name": p.name, "pg_num_target": p.pgNum, "pg_num_final": p.pgNum, "would_adjust": false},
			"bytes_used":       p.bytesUsed, "percent_used": float64(p.bytesUsed) / (float64(p.bytesUsed) + avail), "type": "replicated"})
	}
	return out, nil
}
