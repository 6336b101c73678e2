package pvesim

import (
	"fmt"
	"sort"
	"time"
)

// A twin is a simulator loaded with what was read of a real cluster, so a
// call can be rehearsed on it (the plan of issue 20). It holds only what it
// was given: nothing of the standard seed.

// TwinState is the part of a cluster a twin is built from.
type TwinState struct {
	Nodes    []TwinNode
	Storages []TwinStorage
	Volumes  []TwinVolume
	Guests   []TwinGuest
	Pools    []TwinPool
}

// TwinNode is a node of /cluster/resources, with its network when read.
type TwinNode struct {
	Name    string
	Offline bool
	CPUs    int
	Memory  int64
	Uptime  int64
	Ifaces  []TwinIface
}

// TwinIface is an item of /nodes/{node}/network.
type TwinIface struct {
	Name, Type string
	Options    map[string]string
}

// TwinStorage is a storage.cfg entry and, per node, its size and use.
type TwinStorage struct {
	ID, Type         string
	Content          []string
	Shared           bool
	Path             string
	VGName, ThinPool string
	Nodes            []TwinStorageNode
}

// TwinStorageNode is the storage as one node reports it.
type TwinStorageNode struct {
	Node        string
	Total, Used int64
}

// TwinVolume is an item of a storage's content on a node.
type TwinVolume struct {
	Node, VolID, Content, Format string
	Size                         int64
	VMID                         int
	CTime                        int64
	Notes                        string
	Protected                    bool
	Subtype                      string
}

// TwinGuest is a guest with its config as the .conf file holds it (strings),
// without digest; Snapshots in creation order.
type TwinGuest struct {
	VMID      int
	Type      string // qemu, lxc
	Node      string
	Config    map[string]string
	Running   bool
	Uptime    int64
	Snapshots []TwinSnapshot
	Pool      string
}

// TwinSnapshot is a snapshot with its config.
type TwinSnapshot struct {
	Name, Description, Parent string
	SnapTime                  int64
	VMState                   bool
	Config                    map[string]string
}

// TwinPool is a resource pool with its members ("qemu/100", "storage/local").
type TwinPool struct {
	ID, Comment string
	Members     []string
}

// NewTwin builds a simulator holding st. o.Nodes, o.Guests and o.Ceph are
// ignored; o.Schema should be the real cluster's release.
func NewTwin(st TwinState, o Options) (*Sim, error) {
	if len(st.Nodes) == 0 {
		return nil, fmt.Errorf("pvesim: a twin needs at least one node")
	}
	o.Nodes, o.Guests, o.Ceph = len(st.Nodes), 0, false
	return newSim(o, func(o Options, now time.Time) (*state, error) { return twinState(st, now, o.Seed) })
}

func twinState(in TwinState, now time.Time, seed int64) (*state, error) {
	st := emptyState(seed, 0x7419)
	st.nextPID = 0x2A000 + uint32(st.rng.IntN(0x4000))
	for i, tn := range in.Nodes {
		n := &node{name: tn.Name, id: i + 1, ip: fmt.Sprintf("192.0.2.%d", 10+i), boot: now.Add(-time.Duration(tn.Uptime) * time.Second),
			cpus: max(tn.CPUs, 1), memory: max(tn.Memory, 1<<30), store: map[string]*nodeStorage{}, net: twinNetwork(tn.Ifaces),
			offline: tn.Offline}
		st.nodes = append(st.nodes, n)
		st.nodeByName[n.name] = n
	}
	for _, ts := range in.Storages {
		d := &storageDef{id: ts.ID, typ: ts.Type, content: ts.Content, path: ts.Path, vgname: ts.VGName, thinpool: ts.ThinPool, shared: ts.Shared}
		st.storages = append(st.storages, d)
		var shared *nodeStorage
		for _, sn := range ts.Nodes {
			n := st.nodeByName[sn.Node]
			if n == nil {
				continue
			}
			d.total = max(d.total, sn.Total)
			if ts.Shared && shared != nil {
				n.store[d.id] = shared
				continue
			}
			ns := &nodeStorage{def: d, vols: map[string]*volume{}, total: sn.Total, base: sn.Used, twin: true}
			n.store[d.id] = ns
			if ts.Shared {
				shared = ns
			}
		}
	}
	for _, v := range in.Volumes {
		st.addVolume(v.Node, &volume{volid: v.VolID, content: v.Content, format: v.Format, size: v.Size, vmid: v.VMID,
			ctime: v.CTime, notes: v.Notes, protected: v.Protected, subtype: v.Subtype})
	}
	// What the storages use beyond the volumes listed (other guests' disks,
	// the OS) stays counted, so free space is the real one.
	seen := map[*nodeStorage]bool{}
	for _, n := range st.nodes {
		for _, ns := range n.store {
			if !seen[ns] {
				seen[ns] = true
				ns.base -= ns.used()
			}
		}
	}
	for _, tg := range in.Guests {
		if err := st.addTwinGuest(tg, now); err != nil {
			return nil, err
		}
	}
	for _, tp := range in.Pools {
		p := &pool{id: tp.ID, comment: tp.Comment, members: map[string]bool{}}
		for _, m := range tp.Members {
			p.members[m] = true
		}
		st.pools[tp.ID] = p
	}
	return st, nil
}

func (st *state) addTwinGuest(tg TwinGuest, now time.Time) error {
	kind := guestKind(tg.Type)
	if !kind.isQemu() && !kind.isLXC() {
		return fmt.Errorf("pvesim: guest %d: type %q is neither qemu nor lxc", tg.VMID, tg.Type)
	}
	if st.nodeByName[tg.Node] == nil {
		return fmt.Errorf("pvesim: guest %d: node %q is not in the twin", tg.VMID, tg.Node)
	}
	if _, dup := st.guests[tg.VMID]; dup {
		return fmt.Errorf("pvesim: guest %d given twice", tg.VMID)
	}
	g := &guest{vmid: tg.VMID, kind: kind, node: tg.Node, conf: copyConf(tg.Config), load: guestLoad(tg.VMID),
		running: tg.Running, pool: tg.Pool}
	if g.running {
		g.startedAt = now.Add(-time.Duration(tg.Uptime) * time.Second)
	}
	delete(g.conf, "digest")
	for _, ts := range tg.Snapshots {
		conf := copyConf(ts.Config)
		// The API shows the section's own keys with the config; the
		// simulator keeps them apart, as a rollback leaves them out
		// (PVE::AbstractConfig::__snapshot_copy_config).
		for _, k := range []string{"digest", "snapstate", "snaptime", "description", "vmstate", "parent", "lock"} {
			delete(conf, k)
		}
		g.snaps = append(g.snaps, &snapshot{name: ts.Name, description: ts.Description, snaptime: ts.SnapTime,
			vmstate: ts.VMState, parent: ts.Parent, conf: conf})
	}
	st.guests[g.vmid] = g
	return nil
}

func twinNetwork(ifaces []TwinIface) *netState {
	ns := &netState{}
	sorted := append([]TwinIface(nil), ifaces...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	for i, tf := range sorted {
		opts := map[string]string{}
		for k, v := range tf.Options {
			opts[k] = v
		}
		ns.cur = append(ns.cur, &iface{name: tf.Name, typ: tf.Type, priority: i + 1, exists: tf.Type == "eth", opts: opts})
	}
	if len(ns.cur) == 0 {
		// Nothing read: the usual bridge, so a guest's net0 still starts.
		ns.cur = []*iface{{name: "vmbr0", typ: "bridge", priority: 1, opts: map[string]string{"autostart": "1"}}}
	}
	return ns
}

// Now is the simulated time.
func (s *Sim) Now() time.Time { return s.now() }
