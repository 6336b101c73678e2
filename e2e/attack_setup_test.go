package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// The attack suite's cluster: what the attacker may and may not touch.

// attackFx is what the suite set up on the cluster before the attacks.
type attackFx struct {
	shared         string   // a storage shared by every node, with images and backups
	seededShared   []string // shared storages of the simulator's own seed, with backups
	disk103        string   // a disk of guest 103 (on pve3, outside the node allowlist) on shared
	backup103      string   // a backup of 103 on shared
	seeded103      []string // backups of 103 on the seeded shared storages
	backup100      string   // a backup of 100 on shared
	backup100local string   // a backup of 100 on pve1's local
	backup200local string   // a backup of 200 on pve1's local
	zfsStore       string   // a ZFS pool storage on every node
	zfs100         string   // a disk of 100 on it
	rbd100         string   // a disk of 100 on an RBD storage
	migrate103     string   // a task of guest 103 run on pve1 (its migration back to pve3)
	task100        string   // a task of guest 100 on pve1
	task101        string   // a task of forbidden guest 101 on pve1
	taskNet        string   // a task of no guest (srvreload) on pve1
	taskPve3       string   // a task on pve3
}

type atkTaskEntry struct {
	UPID string `json:"upid"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

type atkVolEntry struct {
	Volid   string `json:"volid"`
	VMID    int    `json:"vmid"`
	Content string `json:"content"`
}

// atkAttackSetup puts the suite's fixtures on the cluster with a connection
// that has no allowlists: a shared storage holding a disk and a backup of
// guest 103 (which lives on pve3) and a backup of 100, and a task of 103 on
// pve1.
func atkAttackSetup(t *testing.T, cl *cluster, admin *client) attackFx {
	t.Helper()
	// The seed's shared storage with images and backups, if it has one;
	// else one of the suite's own.
	var fx attackFx
	var stores []map[string]any
	admin.ok("pve_cluster_resources", m("type", "storage"), &stores)
	for _, s := range stores {
		id, _ := s["storage"].(string)
		content, _ := s["content"].(string)
		if s["node"] != "pve1" || s["shared"] != float64(1) || !strings.Contains(content, "backup") {
			continue
		}
		if fx.shared == "" && strings.Contains(content, "images") {
			fx.shared = id
		} else {
			fx.seededShared = append(fx.seededShared, id)
		}
	}
	if fx.shared == "" {
		fx.shared = "attack-shared"
		if err := cl.sim.AddStorage(fx.shared, "dir", []string{"images", "rootdir", "backup", "iso", "vztmpl"}, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("shared storage for class 5: %s (others with backups: %v)", fx.shared, fx.seededShared)

	// Disks of 100 on ZFS and RBD storage, whose names only those read.
	fx.zfsStore = "attack-zfs"
	for _, s := range []struct{ id, typ, slot string }{{fx.zfsStore, "zfspool", "scsi5"}, {"attack-rbd", "rbd", "scsi6"}} {
		if err := cl.sim.AddStorage(s.id, s.typ, []string{"images", "rootdir"}, false); err != nil {
			t.Fatal(err)
		}
		admin.ok("pve_vm_set_config", m("node", "pve1", "vmid", 100, "confirm", true, "extra", m(s.slot, s.id+":1")), nil)
		v, _ := admin.config("vm", "pve1", 100)[s.slot].(string)
		v, _, _ = strings.Cut(v, ",")
		if !strings.HasPrefix(v, s.id+":vm-100-disk-") {
			t.Fatalf("100's disk on %s: %q", s.id, v)
		}
		if s.typ == "zfspool" {
			fx.zfs100 = v
		} else {
			fx.rbd100 = v
		}
	}

	admin.ok("pve_vm_set_config", m("node", "pve3", "vmid", 103, "confirm", true, "extra", m("scsi1", fx.shared+":1")), nil)
	cfg := admin.config("vm", "pve3", 103)
	scsi1, _ := cfg["scsi1"].(string)
	fx.disk103, _, _ = strings.Cut(scsi1, ",")
	if !strings.HasPrefix(fx.disk103, fx.shared+":") {
		t.Fatalf("103's new disk: %q", scsi1)
	}
	admin.task("pve_backup_now", m("node", "pve3", "vmid", 103, "storage", fx.shared))
	admin.task("pve_backup_now", m("node", "pve1", "vmid", 100, "storage", fx.shared))
	for _, s := range fx.seededShared {
		admin.task("pve_backup_now", m("node", "pve3", "vmid", 103, "storage", s))
	}
	backupOn := func(storage string, vmid int) string {
		var vols []atkVolEntry
		admin.ok("pve_list_backups", m("node", "pve1", "storage", storage), &vols)
		for _, v := range vols {
			if v.VMID == vmid {
				return v.Volid
			}
		}
		t.Fatalf("no backup of %d on %s: %v", vmid, storage, vols)
		return ""
	}
	fx.backup103, fx.backup100 = backupOn(fx.shared, 103), backupOn(fx.shared, 100)
	for _, s := range fx.seededShared {
		fx.seeded103 = append(fx.seeded103, backupOn(s, 103))
	}
	fx.backup100local, fx.backup200local = admin.backupOf(100), admin.backupOf(200)

	// A migration there and back leaves a task of 103 in pve1's list.
	admin.task("pve_vm_migrate", m("node", "pve3", "vmid", 103, "target", "pve1", "withLocalDisks", true))
	admin.task("pve_vm_migrate", m("node", "pve1", "vmid", 103, "target", "pve3", "withLocalDisks", true))
	if g, ok := admin.findGuest(103); !ok || g.Node != "pve3" {
		t.Fatalf("103 is not back on pve3: %+v", g)
	}
	var tasks []atkTaskEntry
	admin.ok("pve_list_tasks", m("node", "pve1", "limit", 500), &tasks)
	for _, tk := range tasks {
		switch {
		case tk.Type == "qmigrate" && tk.ID == "103" && fx.migrate103 == "":
			fx.migrate103 = tk.UPID
		case tk.Type == "qmstart" && tk.ID == "100" && fx.task100 == "":
			fx.task100 = tk.UPID
		case tk.ID == "101" && fx.task101 == "":
			fx.task101 = tk.UPID
		case tk.Type == "srvreload" && fx.taskNet == "":
			fx.taskNet = tk.UPID
		}
	}
	var pve3 []atkTaskEntry
	admin.ok("pve_list_tasks", m("node", "pve3", "limit", 5), &pve3)
	if len(pve3) > 0 {
		fx.taskPve3 = pve3[0].UPID
	}
	if fx.migrate103 == "" || fx.task100 == "" || fx.task101 == "" || fx.taskNet == "" || fx.taskPve3 == "" {
		t.Fatalf("tasks missing from the fixtures: %+v\npve1: %v", fx, tasks)
	}
	return fx
}

// atkWithout returns a check that a list result holds no entry of the given
// guests nor of the given nodes, and (with must) holds each of must.
func atkWithout(vmids []int, nodes []string, must ...string) func(t *testing.T, text string) {
	return func(t *testing.T, text string) {
		t.Helper()
		var items []map[string]any
		if err := json.Unmarshal([]byte(text), &items); err != nil {
			t.Fatalf("decode list %q: %v", text, err)
		}
		for _, it := range items {
			id := 0
			switch v := it["vmid"].(type) {
			case float64:
				id = int(v)
			case string:
				id = atkAtoiOr0(v)
			}
			if tid, ok := it["id"].(string); ok && it["upid"] != nil {
				id = atkAtoiOr0(tid) // a task: its id is the guest's
			}
			for _, f := range vmids {
				if id == f {
					t.Errorf("list shows an entry of guest %d: %v", f, it)
				}
			}
			for _, n := range nodes {
				if it["node"] == n {
					t.Errorf("list shows an entry on node %s: %v", n, it)
				}
			}
		}
		for _, w := range must {
			if !strings.Contains(text, w) {
				t.Errorf("list lacks %q (the filter hides too much): %s", w, text)
			}
		}
	}
}

func atkAtoiOr0(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func atkShorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
