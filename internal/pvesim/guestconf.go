package pvesim

import (
	"strconv"
)

// How each kind's config reads: the name, disk size, memory and CPUs that
// lists and status reads show. The guest's methods take the kind's reader.

func (g *guest) name() string   { return byKind(g.kind, qemuName, lxcName)(g) }
func (g *guest) maxDisk() int64 { return byKind(g.kind, qemuMaxDisk, lxcMaxDisk)(g) }
func (g *guest) maxMem() int64  { return byKind(g.kind, qemuMaxMem, lxcMaxMem)(g) }
func (g *guest) cpus() int      { return byKind(g.kind, qemuCPUs, lxcCPUs)(g) }

func lxcName(g *guest) string {
	if h := g.conf["hostname"]; h != "" {
		return h
	}
	return "CT" + strconv.Itoa(g.vmid)
}

func qemuName(g *guest) string {
	if n := g.conf["name"]; n != "" {
		return n
	}
	return "VM " + strconv.Itoa(g.vmid)
}

// lxcMaxDisk is the root file system's size.
func lxcMaxDisk(g *guest) int64 {
	if s := sizeBytes(propValue(g.conf["rootfs"], "volume", "size")); s > 0 {
		return s
	}
	return 4 << 30
}

// qemuMaxDisk is the boot disk's size, as PVE reports it: the first disk
// of the usual buses, else the first disk at all.
func qemuMaxDisk(g *guest) int64 {
	for _, k := range [...]string{"scsi0", "virtio0", "sata0", "ide0"} {
		if v, ok := g.conf[k]; ok && propValue(v, "file", "media") != "cdrom" {
			return sizeBytes(propValue(v, "file", "size"))
		}
	}
	for _, k := range sortedKeys(g.conf) {
		if g.kind.diskSlot(k) && !isIndexed(k, "unused") {
			ps := parsePropString(g.conf[k], "file")
			if ps.get("media") != "cdrom" {
				return sizeBytes(ps.get("size"))
			}
		}
	}
	return 0
}

func lxcMaxMem(g *guest) int64 {
	m, _ := strconv.ParseInt(g.conf["memory"], 10, 64)
	if m == 0 {
		m = 512
	}
	return m << 20
}

// qemuMaxMem reads memory's "current" (PVE 8.1+ writes memory as a
// property string).
func qemuMaxMem(g *guest) int64 {
	m, _ := strconv.ParseInt(propValue(g.conf["memory"], "current", "current"), 10, 64)
	if m == 0 {
		m = 512
	}
	return m << 20
}

func lxcCPUs(g *guest) int {
	c, _ := strconv.Atoi(g.conf["cores"])
	if c == 0 {
		c = 2
	}
	return c
}

func qemuCPUs(g *guest) int {
	if v, _ := strconv.Atoi(g.conf["vcpus"]); v > 0 {
		return v
	}
	c, _ := strconv.Atoi(g.conf["cores"])
	if c == 0 {
		c = 1
	}
	so, _ := strconv.Atoi(g.conf["sockets"])
	if so == 0 {
		so = 1
	}
	return c * so
}
