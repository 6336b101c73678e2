package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// state is the whole simulated cluster. Every access holds Sim.mu.
type state struct {
	clusterName string
	nodes       []*node
	nodeByName  map[string]*node
	storages    []*storageDef // storage.cfg, in config order
	guests      map[int]*guest
	jobs        []*backupJob
	tasks       []*task // all nodes, in start order
	taskByUPID  map[string]*task
	pools       map[string]*pool
	rng         *rand.Rand
	nextPID     uint32
	dcOpts      *dcOptions      // datacenter.cfg, built by datacenter()
	haS         *haState        // HA resources, groups, rules; replication jobs (ha.go)
	agentS      *agentState     // guest agents' view of the VMs (agentos.go)
	sysS        *nodeSysState   // node system settings (nodesys.go)
	fwS         *fwState        // firewall.go, built on first use
	sdnS        *sdnState       // sdn.go, built on first use
	ciS         *cloudinitState // cloudinit.go
	cephS       *cephState      // ceph.go: nil, Ceph on no node, unless Options.Ceph
}

type node struct {
	name   string
	id     int
	ip     string
	boot   time.Time
	cpus   int
	memory int64
	store  map[string]*nodeStorage // storage id -> content on this node
	net    *netState
	// offline is set by the offline fault: the node answers 595 and shows offline.
	offline bool
}

type pool struct {
	id, comment string
	members     map[string]bool // "qemu/100", "storage/local"
}

type storageDef struct {
	id       string
	typ      string // dir, lvmthin
	content  []string
	path     string
	vgname   string
	thinpool string
	shared   bool
	total    int64
}

type nodeStorage struct {
	def  *storageDef
	vols map[string]*volume // by volid
	// A twin's storage (twin.go) has its node's size, and counts what the
	// real one uses beyond the volumes it was given.
	total, base int64
	twin        bool
}

type volume struct {
	volid     string
	content   string // iso, vztmpl, backup, images, rootdir
	format    string
	size      int64
	vmid      int
	ctime     int64
	notes     string
	protected bool
	subtype   string // backups: qemu|lxc
	parent    string // linked clone base
	// backups carry the guest config they were taken from (for restore)
	backupConf map[string]string
	verify     string // PBS backups: the last verification's state
}

// guest is a VM or container. conf holds config file values as strings,
// exactly as they would be written to the .conf file.
type guest struct {
	vmid      int
	kind      guestKind
	node      string
	conf      map[string]string
	pending   map[string]string // qemu pending changes (running VM, non-hotpluggable)
	pendDel   []string
	snaps     []*snapshot // creation order
	running   bool
	paused    bool
	startedAt time.Time
	pool      string
	// counters grow while running; fixed per guest for stable output
	load float64
}

type snapshot struct {
	name        string
	description string
	snaptime    int64
	vmstate     bool
	parent      string
	conf        map[string]string
	state       string // "prepare"/"delete" while a task works on it
}

type backupJob struct {
	id   string
	opts map[string]string // as given (strings), converted on output
}

func (st *state) node(name string) *node { return st.nodeByName[name] }

// lock returns the guest's config lock ("" when unlocked).
func (g *guest) lock() string { return g.conf["lock"] }

func (g *guest) typeName() string { return g.kind.typeName() }

func (g *guest) isTemplate() bool { return g.conf["template"] == "1" }

// digest is the SHA1 of the serialized config file including snapshot and
// pending sections, as the real node computes it.
func (g *guest) digest() string {
	var b strings.Builder
	writeSection(&b, g.conf)
	if len(g.pending) > 0 || len(g.pendDel) > 0 {
		b.WriteString("\n[PENDING]\n")
		writeSection(&b, g.pending)
		if len(g.pendDel) > 0 {
			b.WriteString("delete: " + strings.Join(g.pendDel, ",") + "\n")
		}
	}
	for _, sn := range g.snaps {
		b.WriteString("\n[" + sn.name + "]\n")
		writeSection(&b, sn.conf)
	}
	sum := sha1.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

func writeSection(b *strings.Builder, m map[string]string) {
	keys := sortedKeys(m)
	for _, k := range keys {
		b.WriteString(k + ": " + m[k] + "\n")
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func copyConf(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func contentWord(c string) string {
	switch c {
	case "rootdir":
		return "container directories"
	case "images":
		return "VM images"
	}
	return c
}

func hasContent(d *storageDef, c string) bool {
	for _, x := range d.content {
		if x == c {
			return true
		}
	}
	return false
}

// nextVMID returns the lowest free vmid from 100.
func (st *state) nextVMID() int {
	for id := 100; ; id++ {
		if _, ok := st.guests[id]; !ok {
			return id
		}
	}
}

func (st *state) macAddr() string {
	return fmt.Sprintf("BC:24:11:%02X:%02X:%02X", st.rng.IntN(256), st.rng.IntN(256), st.rng.IntN(256))
}

func (st *state) uuid() string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		case 14:
			b[i] = '4'
		default:
			b[i] = hexd[st.rng.IntN(16)]
		}
	}
	return string(b)
}

// volumesOf lists the volids a config references (disks, rootfs, mount points,
// unused), skipping CD-ROMs and "none".
func volumesOf(g *guest) []string {
	var out []string
	seen := map[string]bool{}
	add := func(conf map[string]string) {
		for _, k := range sortedKeys(conf) {
			if !g.kind.diskSlot(k) {
				continue
			}
			v := conf[k]
			ps := parsePropString(v, g.kind.diskKey())
			file := ps.get(g.kind.diskKey())
			if ps.get("media") == "cdrom" && !isCloudinitVolume(file) {
				continue // a cloud-init drive's volume is the guest's own
			}
			if file == "" || file == "none" || !strings.Contains(file, ":") || seen[file] {
				continue
			}
			seen[file] = true
			out = append(out, file)
		}
	}
	add(g.conf)
	return out
}

// isIndexed tells whether k is prefix followed by digits only.
func isIndexed(k, prefix string) bool {
	if !strings.HasPrefix(k, prefix) || len(k) == len(prefix) {
		return false
	}
	for _, c := range k[len(prefix):] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
