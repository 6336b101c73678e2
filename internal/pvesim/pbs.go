package pvesim

import (
	"fmt"
	"time"
)

// Proxmox Backup Server storages (type pbs): a datastore on a backup
// server, shared by every node, holding backups only. Their volumes are
// snapshots, backup/{vm|ct}/ID/TIME (UTC), in format pbs-vm or pbs-ct,
// and carry the server's verification state and protection.

// PBSStorage is the seeded PBS storage.
const PBSStorage = "pbs"

func pbsType(k guestKind) string {
	if k == kindLXC {
		return "ct"
	}
	return "vm"
}

// pbsVolname is the snapshot a backup of the guest at t makes.
func pbsVolname(k guestKind, vmid int, t time.Time) string {
	return fmt.Sprintf("backup/%s/%d/%s", pbsType(k), vmid, t.UTC().Format("2006-01-02T15:04:05Z"))
}

func pbsFormat(k guestKind) string { return "pbs-" + pbsType(k) }

// pbsConfig adds a PBS storage's config keys (/storage) to m.
func pbsConfig(m map[string]any, d *storageDef) {
	if d.typ != "pbs" {
		return
	}
	m["server"], m["datastore"], m["username"] = "192.168.100.60", "store1", "backup@pbs"
	m["fingerprint"] = "4a:1b:9c:2d:7e:3f:60:85:a4:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90:a1:b2:c3:d4:e5:f6:07:18"
	m["prune-backups"] = "keep-daily=7,keep-last=3,keep-weekly=4"
}

// verifyJSON is list_volumes' verification: the state of the last verify
// job and its task.
func verifyJSON(state string, ctime int64) map[string]any {
	return map[string]any{"state": state,
		"upid": fmt.Sprintf("UPID:pbs:000004D2:0000162E:00000000:%08X:verificationjob:store1\\x3av-daily:root@pam:", ctime+3600)}
}

// seedPBS adds the PBS storage "pbs" with backups of 100 (verified),
// 101 (verification failed, older) and 200 (protected, not yet verified).
func seedPBS(st *state, now time.Time) {
	d := &storageDef{id: PBSStorage, typ: "pbs", content: []string{"backup"}, shared: true, total: 8 << 40}
	st.storages = append(st.storages, d)
	ns := &nodeStorage{def: d, vols: map[string]*volume{}}
	for _, n := range st.nodes {
		n.store[d.id] = ns
	}
	for _, b := range []struct {
		vmid      int
		ago       time.Duration
		verify    string
		protected bool
	}{{100, 3 * 24 * time.Hour, "ok", false}, {101, 12 * 24 * time.Hour, "failed", false}, {200, 30 * time.Hour, "", true}} {
		g := st.guests[b.vmid]
		if g == nil {
			continue
		}
		at := time.Date(now.Year(), now.Month(), now.Day(), 2, 0, 4, 0, time.UTC).Add(-b.ago)
		conf := copyConf(g.conf)
		delete(conf, "parent")
		v := &volume{volid: d.id + ":" + pbsVolname(g.kind, b.vmid, at), content: "backup", format: pbsFormat(g.kind),
			size: g.maxDisk() / 5, vmid: b.vmid, ctime: at.Unix(), notes: g.name(), protected: b.protected,
			subtype: string(g.kind), backupConf: conf, verify: b.verify}
		ns.vols[v.volid] = v
	}
}
