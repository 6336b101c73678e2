package pvesim

import (
	"sort"
	"strings"
)

// Export returns the cluster's guests, storages and volumes in the form a
// twin is built from: what a plan compares before and after a rehearsal,
// and what tests compare a plan against.
func (s *Sim) Export() TwinState {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	st := s.st
	var out TwinState
	for _, n := range st.nodes {
		out.Nodes = append(out.Nodes, TwinNode{Name: n.name, Offline: n.offline, CPUs: n.cpus, Memory: n.memory})
	}
	seen := map[*nodeStorage]bool{}
	for _, d := range st.storages {
		ts := TwinStorage{ID: d.id, Type: d.typ, Content: append([]string(nil), d.content...), Shared: d.shared,
			Path: d.path, VGName: d.vgname, ThinPool: d.thinpool}
		for _, n := range st.nodes {
			ns := n.store[d.id]
			if ns == nil {
				continue
			}
			info := s.storageInfo(ns)
			ts.Nodes = append(ts.Nodes, TwinStorageNode{Node: n.name, Total: info["total"].(int64), Used: info["used"].(int64)})
			if seen[ns] {
				continue
			}
			seen[ns] = true
			for _, v := range sortedKeys(ns.vols) {
				vol := ns.vols[v]
				out.Volumes = append(out.Volumes, TwinVolume{Node: n.name, VolID: vol.volid, Content: vol.content, Format: vol.format,
					Size: vol.size, VMID: vol.vmid, CTime: vol.ctime, Notes: vol.notes, Protected: vol.protected, Subtype: vol.subtype})
			}
		}
		out.Storages = append(out.Storages, ts)
	}
	ids := make([]int, 0, len(st.guests))
	for id := range st.guests {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		g := st.guests[id]
		tg := TwinGuest{VMID: id, Type: string(g.kind), Node: g.node, Config: copyConf(g.conf), Running: g.running, Pool: g.pool}
		for k, v := range g.pending {
			tg.Config["pending."+k] = v // a change that waits for a reboot is a change too
		}
		if len(g.pendDel) > 0 {
			tg.Config["pending.delete"] = strings.Join(g.pendDel, ",")
		}
		for _, sn := range g.snaps {
			tg.Snapshots = append(tg.Snapshots, TwinSnapshot{Name: sn.name, Description: sn.description, Parent: sn.parent,
				SnapTime: sn.snaptime, VMState: sn.vmstate, Config: copyConf(sn.conf)})
		}
		out.Guests = append(out.Guests, tg)
	}
	for _, id := range sortedKeys(st.pools) {
		p := st.pools[id]
		out.Pools = append(out.Pools, TwinPool{ID: id, Comment: p.comment, Members: sortedKeys(p.members)})
	}
	return out
}

// TaskRecord is a task as a plan reports it.
type TaskRecord struct {
	UPID, Node, Type, ID string
	Done                 bool
	Exit                 string
	Log                  []string
}

// TasksFrom returns the tasks started after the first n (in start order)
// with their logs so far, and how many there are now.
func (s *Sim) TasksFrom(n int) ([]TaskRecord, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	now := s.now()
	var out []TaskRecord
	for i := n; i < len(s.st.tasks); i++ {
		t := s.st.tasks[i]
		out = append(out, TaskRecord{UPID: t.upid, Node: t.node, Type: t.typ, ID: t.id, Done: t.done, Exit: t.exit,
			Log: t.logLines(now)})
	}
	return out, len(s.st.tasks)
}
