package pvesim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// SharedStorage is an NFS storage every node mounts (images, rootdir,
// backup, snippets); SeedHookscript is a snippet on it.
const (
	SharedStorage  = "nas"
	SeedHookscript = SharedStorage + ":snippets/hookscript.pl"
)

// Seeded content, identical on every node's "local" storage.
var (
	SeedISOs = []string{
		"local:iso/debian-12.8.0-amd64-netinst.iso",
		"local:iso/ubuntu-24.04.1-live-server-amd64.iso",
	}
	SeedTemplates = []string{
		"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
		"local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
		"local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz",
	}
)

// seedState builds the standard cluster: nodes pve1..pveN with "local" (dir:
// iso, vztmpl, backup), "local-lvm" (lvmthin: images, rootdir) and the shared
// NFS storage "nas" (images, rootdir, backup, snippets), vmbr0 on
// every node, guests of both kinds (running, stopped, a template), snapshots,
// backups, a backup job and a task history; plus opts.Guests extra guests.
func seedState(o Options, now time.Time) *state {
	st := emptyState(o.Seed, 0x5eed)
	st.nextPID = 0x1A000 + uint32(st.rng.IntN(0x4000))
	st.storages = []*storageDef{
		{id: "local", typ: "dir", content: []string{"iso", "vztmpl", "backup"}, path: "/var/lib/vz", total: 100861726720},
		{id: "local-lvm", typ: "lvmthin", content: []string{"images", "rootdir"}, vgname: "pve", thinpool: "data", total: 1836996034560},
		{id: SharedStorage, typ: "nfs", content: []string{"images", "rootdir", "backup", "snippets"}, path: "/mnt/pve/" + SharedStorage,
			shared: true, total: 4398046511104},
	}
	shared := map[string]*nodeStorage{}
	for i := 1; i <= o.Nodes; i++ {
		n := &node{
			name:   "pve" + strconv.Itoa(i),
			id:     i,
			ip:     fmt.Sprintf("192.168.100.%d", 10+i),
			boot:   now.Add(-time.Duration(86400*(10+i)) * time.Second),
			cpus:   32,
			memory: 128 << 30,
			store:  map[string]*nodeStorage{},
			net:    seedNetwork(i),
		}
		for _, d := range st.storages {
			if !d.shared {
				n.store[d.id] = &nodeStorage{def: d, vols: map[string]*volume{}}
				continue
			}
			// one content for all nodes
			if shared[d.id] == nil {
				shared[d.id] = &nodeStorage{def: d, vols: map[string]*volume{}}
			}
			n.store[d.id] = shared[d.id]
		}
		st.nodes = append(st.nodes, n)
		st.nodeByName[n.name] = n
		for j, v := range SeedISOs {
			st.addVolume(n.name, &volume{volid: v, content: "iso", format: "iso", size: int64(661651456 + j*2000000000), ctime: now.Add(-30 * 24 * time.Hour).Unix()})
		}
		for j, v := range SeedTemplates {
			f := "tzst"
			if j == 2 {
				f = "txz"
			}
			st.addVolume(n.name, &volume{volid: v, content: "vztmpl", format: f, size: int64(126515062 + j*10000000), ctime: now.Add(-60 * 24 * time.Hour).Unix()})
		}
	}
	st.addVolume(st.nodes[0].name, &volume{volid: SeedHookscript, content: "snippets", format: "snippet", size: 512,
		ctime: now.Add(-30 * 24 * time.Hour).Unix()})
	st.pools["prod"] = &pool{id: "prod", comment: "Production guests", members: map[string]bool{}}
	seedGuests(st, now)
	seedPBS(st, now)
	seedExtra(st, o.Guests, now)
	seedHistory(st, now)
	if o.Ceph {
		st.cephS = seedCeph(st)
	}
	return st
}

// emptyState is a cluster without nodes, its generator seeded by seed and
// stream.
func emptyState(seed int64, stream uint64) *state {
	return &state{
		clusterName: "pve-cluster",
		nodeByName:  map[string]*node{},
		guests:      map[int]*guest{},
		taskByUPID:  map[string]*task{},
		pools:       map[string]*pool{},
		rng:         rand.New(rand.NewPCG(uint64(seed), stream)),
	}
}

func seedNetwork(i int) *netState {
	return &netState{cur: []*iface{
		{name: "eno1", typ: "eth", priority: 3, exists: true, opts: map[string]string{}},
		{name: "eno2", typ: "eth", priority: 4, exists: true, opts: map[string]string{}},
		{name: "vmbr0", typ: "bridge", priority: 5, opts: map[string]string{
			"address": fmt.Sprintf("192.168.100.%d", 10+i), "netmask": "24", "cidr": fmt.Sprintf("192.168.100.%d/24", 10+i),
			"gateway": "192.168.100.1", "bridge_ports": "eno1", "bridge_stp": "off", "bridge_fd": "0", "autostart": "1"}},
	}}
}

// nodeFor spreads the standard seed over the nodes that exist.
func (st *state) nodeFor(i int) string { return st.nodes[(i-1)%len(st.nodes)].name }

type seedGuest struct {
	vmid     int
	kind     guestKind
	node     int // 1-based, wrapped onto existing nodes
	conf     map[string]string
	diskGiB  int64
	running  bool
	snaps    []string
	template bool
	pool     string
}

func seedGuests(st *state, now time.Time) {
	list := []seedGuest{
		{vmid: 100, kind: kindQemu, node: 1, running: true, diskGiB: 32, snaps: []string{"before-upgrade"}, pool: "prod", conf: map[string]string{
			"name": "web01", "cores": "2", "sockets": "1", "memory": "4096", "ostype": "l26", "scsihw": "virtio-scsi-single",
			"cpu": "x86-64-v2-AES", "numa": "0", "onboot": "1", "agent": "enabled=1", "tags": "prod;web",
			"ide2": "none,media=cdrom", "boot": "order=scsi0;ide2;net0"}},
		{vmid: 101, kind: kindQemu, node: 1, diskGiB: 64, conf: map[string]string{
			"name": "db01", "cores": "4", "sockets": "1", "memory": "8192", "ostype": "l26", "scsihw": "virtio-scsi-single",
			"cpu": "x86-64-v2-AES", "tags": "db", "ide2": "local:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom,size=631M",
			"boot": "order=scsi0;ide2;net0"}},
		{vmid: 102, kind: kindQemu, node: 2, running: true, diskGiB: 16, snaps: []string{"clean", "pre-update"}, conf: map[string]string{
			"name": "dev01", "cores": "2", "sockets": "1", "memory": "2048", "ostype": "l26", "scsihw": "virtio-scsi-single",
			"cpu": "host", "tags": "dev", "ide2": "none,media=cdrom", "boot": "order=scsi0;ide2;net0"}},
		{vmid: 103, kind: kindQemu, node: 3, diskGiB: 32, conf: map[string]string{
			"name": "build01", "cores": "8", "sockets": "1", "memory": "16384", "ostype": "l26", "scsihw": "virtio-scsi-single",
			"cpu": "host", "ide2": "none,media=cdrom", "boot": "order=scsi0;ide2;net0"}},
		{vmid: 200, kind: kindLXC, node: 1, running: true, diskGiB: 8, snaps: []string{"initial"}, pool: "prod", conf: map[string]string{
			"hostname": "proxy", "cores": "1", "memory": "512", "swap": "512", "ostype": "debian", "arch": "amd64",
			"unprivileged": "1", "features": "nesting=1", "onboot": "1", "tags": "prod"}},
		{vmid: 201, kind: kindLXC, node: 2, diskGiB: 4, conf: map[string]string{
			"hostname": "dns", "cores": "1", "memory": "256", "swap": "256", "ostype": "alpine", "arch": "amd64", "unprivileged": "1"}},
		{vmid: 9000, kind: kindQemu, node: 1, diskGiB: 10, template: true, conf: map[string]string{
			"name": "debian-12-template", "cores": "2", "sockets": "1", "memory": "2048", "ostype": "l26",
			"scsihw": "virtio-scsi-single", "agent": "enabled=1", "ide2": "none,media=cdrom", "boot": "order=scsi0;ide2;net0",
			"description": "Debian 12 cloud template"}},
	}
	for _, sg := range list {
		nodeName := st.nodeFor(sg.node)
		g := &guest{vmid: sg.vmid, kind: sg.kind, node: nodeName, conf: copyConf(sg.conf), load: guestLoad(sg.vmid), running: sg.running}
		if sg.running {
			g.startedAt = now.Add(-time.Duration(3600*(sg.vmid%50+1)) * time.Second)
		}
		size := sg.diskGiB << 30
		volid, _ := st.allocDisk(nodeName, "local-lvm", sg.vmid, size, sg.kind.volContent(), sg.template, now.Add(-90*24*time.Hour))
		byKind(sg.kind, seedQemuDevices, seedLXCDevices)(st, g.conf, volid, size, now)
		if sg.template {
			g.conf["template"] = "1"
		}
		st.guests[sg.vmid] = g
		if sg.pool != "" {
			st.pools[sg.pool].members[sg.kind.id(sg.vmid)] = true
			g.pool = sg.pool
		}
		parent := ""
		for i, name := range sg.snaps {
			conf := copyConf(g.conf)
			sn := &snapshot{name: name, description: "seeded snapshot " + name, snaptime: now.Add(-time.Duration(10-i) * 24 * time.Hour).Unix(),
				parent: parent, conf: conf}
			g.snaps = append(g.snaps, sn)
			parent = name
		}
		if parent != "" {
			g.conf["parent"] = parent
		}
	}
	// backups of 100 and 200 on the first node's "local", and a backup job
	first := st.nodes[0].name
	ns := st.storageOn(first, "local")
	for _, b := range []struct {
		vmid int
		ago  time.Duration
	}{{100, 48 * time.Hour}, {100, 24 * time.Hour}, {200, 24 * time.Hour}} {
		g := st.guests[b.vmid]
		at := time.Date(now.Year(), now.Month(), now.Day(), 3, 0, 1, 0, time.Local).Add(-b.ago)
		it := &backupItem{g: g, vmid: b.vmid, size: g.maxDisk()}
		it.volid = "local:backup/" + backupName(g.kind, b.vmid, at, "zstd")
		_, format := backupExt(g.kind, "zstd")
		conf := copyConf(g.conf)
		delete(conf, "parent")
		ns.vols[it.volid] = &volume{volid: it.volid, content: "backup", format: format, size: archiveSize(it), vmid: b.vmid,
			ctime: at.Unix(), notes: g.name(), subtype: string(g.kind), backupConf: conf}
	}
	st.jobs = append(st.jobs, &backupJob{id: "backup-1a2b3c4d-5e6f", opts: map[string]string{
		"schedule": "sun 01:00", "storage": "local", "vmid": "100,200", "mode": "snapshot", "compress": "zstd",
		"enabled": "1", "notes-template": "{{guestname}}", "mailnotification": "always"}})
}

// seedExtra adds n guests (ids from 1000) spread over the nodes; every third
// is a container, every second runs.
func seedExtra(st *state, n int, now time.Time) {
	for i := 0; i < n; i++ {
		vmid := 1000 + i
		nodeName := st.nodes[i%len(st.nodes)].name
		kind := kindQemu
		if i%3 == 2 {
			kind = kindLXC
		}
		g := &guest{vmid: vmid, kind: kind, node: nodeName, load: guestLoad(vmid), running: i%2 == 0}
		if g.running {
			g.startedAt = now.Add(-time.Duration(600+i%86400) * time.Second)
		}
		size := int64(8+i%4*8) << 30
		disk := fmt.Sprintf("local-lvm:vm-%d-disk-0", vmid)
		st.nodeByName[nodeName].store["local-lvm"].vols[disk] = &volume{volid: disk, content: kind.volContent(), format: "raw", size: size, vmid: vmid, ctime: now.Unix()}
		mac := fmt.Sprintf("BC:24:11:%02X:%02X:%02X", vmid>>16&0xff, vmid>>8&0xff, vmid&0xff)
		g.conf = byKind(kind, benchQemuConf, benchLXCConf)(vmid, disk, mac, size)
		st.guests[vmid] = g
	}
}

// seedHistory adds finished tasks (OK, warnings, an error) on every node.
func seedHistory(st *state, now time.Time) {
	for _, n := range st.nodes {
		hist := []struct {
			typ, id, exit string
			ago, dur      time.Duration
			lines         []string
		}{
			{"vzdump", "100", "OK", 30 * time.Hour, 2 * time.Minute, []string{"INFO: starting new backup job: vzdump 100 --mode snapshot --storage local --compress zstd", "INFO: Backup job finished successfully"}},
			{"qmstart", "100", "WARNINGS: 1", 20 * time.Hour, 2 * time.Second, []string{"WARN: no efidisk configured! Using temporary efivars disk."}},
			{"qmshutdown", "101", "VM quit/powerdown failed - got timeout", 10 * time.Hour, 60 * time.Second, nil},
			{"srvreload", "networking", "OK", 5 * time.Hour, time.Second, nil},
			{"qmstart", "102", "OK", 2 * time.Hour, time.Second, nil},
		}
		for _, h := range hist {
			st.nextPID += uint32(1 + st.rng.IntN(500))
			start := now.Add(-h.ago)
			t := &task{node: n.name, typ: h.typ, id: h.id, user: "root@pam", pid: st.nextPID,
				pstart: uint32(start.Sub(n.boot).Seconds() * 100), start: start, dur: h.dur, done: true,
				end: start.Add(h.dur), exit: h.exit}
			t.upid = pveid.UPID{Node: n.name, PID: uint64(t.pid), PStart: uint64(t.pstart), StartTime: uint64(start.Unix()),
				Type: t.typ, ID: t.id, User: t.user}.String()
			t.log = append(t.log, h.lines...)
			switch {
			case h.exit == "OK":
				t.log = append(t.log, "TASK OK")
			case len(h.exit) > 9 && h.exit[:9] == "WARNINGS:":
				t.log = append(t.log, "TASK "+h.exit)
			default:
				t.log = append(t.log, "TASK ERROR: "+h.exit)
			}
			st.tasks = append(st.tasks, t)
			st.taskByUPID[t.upid] = t
		}
	}
}

// seedQemuDevices gives a seeded VM its disk, NIC and identity.
func seedQemuDevices(st *state, conf map[string]string, volid string, size int64, now time.Time) {
	conf["scsi0"] = volid + ",iothread=1,size=" + formatSize(size)
	conf["net0"] = canonicalQemuNet("virtio,bridge=vmbr0,firewall=1", st.macAddr)
	conf["smbios1"] = "uuid=" + st.uuid()
	conf["vmgenid"] = st.uuid()
	conf["meta"] = fmt.Sprintf("creation-qemu=9.2.0,ctime=%d", now.Add(-90*24*time.Hour).Unix())
}

func seedLXCDevices(st *state, conf map[string]string, volid string, size int64, _ time.Time) {
	conf["rootfs"] = volid + ",size=" + formatSize(size)
	conf["net0"] = canonicalLxcNet("name=eth0,bridge=vmbr0,firewall=1,ip=dhcp,ip6=auto", st.macAddr)
}

func benchQemuConf(vmid int, disk, mac string, size int64) map[string]string {
	return map[string]string{"name": fmt.Sprintf("bench-vm-%d", vmid), "cores": "2", "memory": "2048", "ostype": "l26",
		"scsihw": "virtio-scsi-single", "scsi0": disk + ",iothread=1,size=" + formatSize(size),
		"net0": "virtio=" + mac + ",bridge=vmbr0", "boot": "order=scsi0;net0", "tags": "bench"}
}

func benchLXCConf(vmid int, disk, mac string, size int64) map[string]string {
	return map[string]string{"hostname": fmt.Sprintf("bench-ct-%d", vmid), "cores": "1", "memory": "512", "swap": "512",
		"ostype": "debian", "arch": "amd64", "unprivileged": "1", "rootfs": disk + ",size=" + formatSize(size),
		"net0": "name=eth0,bridge=vmbr0,hwaddr=" + mac + ",ip=dhcp,type=veth", "tags": "bench"}
}
