package pvesim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// guestKind is what a guest is, a QEMU VM or an LXC container; what differs
// between the two lives in its methods, so handlers shared by both branch
// here only.
type guestKind string

const (
	kindQemu guestKind = "qemu"
	kindLXC  guestKind = "lxc"
)

func (k guestKind) isQemu() bool { return k == kindQemu }
func (k guestKind) isLXC() bool  { return k == kindLXC }

// kindOfTask is the kind of guest a task type names (vz...: a container).
func kindOfTask(typ string) guestKind {
	if strings.HasPrefix(typ, "vz") {
		return kindLXC
	}
	return kindQemu
}

// task names the worker task of an operation the way each kind's code does:
// mostly qm/vz + op (qmclone, vzclone), with the irregular names kept.
func (k guestKind) task(op string) string {
	switch {
	case k.isQemu() && op == "migrate":
		return "qmigrate"
	case k.isLXC() && op == "move":
		return "move_volume"
	}
	return byKind(k, "qm", "vz") + op
}

// byKind picks what a kind has of two: the route table uses it to bind each
// kind's own handler where qemu-server and pve-container differ.
func byKind[T any](k guestKind, qemu, lxc T) T {
	if k.isLXC() {
		return lxc
	}
	return qemu
}

// netDefaultKey is the key a NIC's property string may leave out: the
// model of a VM's NIC ("virtio=MAC"); a container's names every key.
func (k guestKind) netDefaultKey() string { return byKind(k, "model", "") }

// typeName is how messages name the guest: "VM" or "CT".
func (k guestKind) typeName() string {
	if k.isLXC() {
		return "CT"
	}
	return "VM"
}

// volContent is the storage content type of the kind's disks.
func (k guestKind) volContent() string {
	if k.isLXC() {
		return "rootdir"
	}
	return "images"
}

// diskKey is the default key of a disk's property string ("file" for qemu
// drives, "volume" for container mount points).
func (k guestKind) diskKey() string {
	if k.isLXC() {
		return "volume"
	}
	return "file"
}

// diskSlot tells whether a config key names a disk of this kind.
func (k guestKind) diskSlot(key string) bool { return pveid.DiskSlot(string(k), key) }

// confPath is the pmxcfs path named in "does not exist" errors.
func (k guestKind) confPath(nodeName string, vmid int) string {
	if k.isLXC() {
		return fmt.Sprintf("nodes/%s/lxc/%d.conf", nodeName, vmid)
	}
	return fmt.Sprintf("nodes/%s/qemu-server/%d.conf", nodeName, vmid)
}

// lockTimeout is the error of a config lock that cannot be taken.
func (k guestKind) lockTimeout(vmid int) string {
	if k.isLXC() {
		return fmt.Sprintf("can't lock file '/run/lock/lxc/pve-config-%d.lock' - got timeout", vmid)
	}
	return fmt.Sprintf("can't lock file '/var/lock/qemu-server/lock-%d.conf' - got timeout", vmid)
}

// id is the guest's resource id, "qemu/100".
func (k guestKind) id(vmid int) string { return string(k) + "/" + strconv.Itoa(vmid) }

// visibleDiskUse is the used space of a running guest's disks as the node
// sees it: a container's file system is the node's, a VM's disk is opaque
// (PVE reports 0 without the guest agent).
func (k guestKind) visibleDiskUse(maxDisk int64) int64 {
	if k.isLXC() {
		return maxDisk / 4
	}
	return 0
}

// pressure is the value of a PSI field: pvestatd reports containers' as
// strings ("0.00") and VMs' as numbers.
func (k guestKind) pressure() any {
	if k.isLXC() {
		return "0.00"
	}
	return 0
}

// addStats adds the status fields only one kind has: a container's type,
// swap and I/O counters, a VM's host memory (PVE 9), I/O counters in the
// full status only, and serial flag.
func (k guestKind) addStats(m map[string]any, g *guest, u usage, full bool, major int) {
	if k.isLXC() {
		m["type"] = string(k)
		m["swap"] = 0
		m["maxswap"] = atoi64Default(g.conf["swap"], 512) << 20
		m["diskread"], m["diskwrite"] = u.diskread, u.diskwrite
		return
	}
	if major >= 9 {
		m["memhost"] = k.hostMem(u, g.running)
	}
	if full {
		m["diskread"], m["diskwrite"] = u.diskread, u.diskwrite
		m["qmpstatus"] = g.qmpStatus()
	}
	if _, ok := g.conf["serial0"]; ok {
		m["serial"] = 1
	}
}

// hostMem is the memhost field of /cluster/resources in PVE 9: what the
// host spends on a VM; containers report 0 there.
func (k guestKind) hostMem(u usage, running bool) int64 {
	if k.isLXC() || !running {
		return 0
	}
	return u.mem + 64<<20
}

// purgesUnreferenced is what destroying a guest does with disks of its
// vmid that its config does not name, when the caller does not say:
// pve-container frees them, qemu-server keeps them.
func (k guestKind) purgesUnreferenced() bool { return k.isLXC() }

// locksBeforeWorker: pve-container checks a config lock before it forks
// the worker of a destroy (an API error); qemu-server checks in the worker
// (a failed task).
func (k guestKind) locksBeforeWorker() bool { return byKind(k, false, true) }

// warnsForeignVolumes: pve-container logs each volume of another guest it
// leaves in place on destroy; qemu-server skips them silently.
func (k guestKind) warnsForeignVolumes() bool { return byKind(k, false, true) }

// templateAnswersUPID: qemu-server answers a template conversion with the
// worker's UPID; pve-container answers null.
func (k guestKind) templateAnswersUPID() bool { return byKind(k, true, false) }

// hasPending: a running VM queues changes that cannot be hot-plugged as
// pending until it restarts; a container applies or refuses them at once.
func (k guestKind) hasPending() bool { return byKind(k, true, false) }

// keepsOnlyOwnUnused: qemu-server registers a detached disk as unusedN
// only when the VM owns it; pve-container keeps any volume.
func (k guestKind) keepsOnlyOwnUnused() bool { return byKind(k, true, false) }

// addCurrent adds the fields only the kind's status/current has.
func (k guestKind) addCurrent(m map[string]any, g *guest, major int) {
	byKind(k, addQemuCurrent, func(map[string]any, *guest, int) {})(m, g, major)
}

// nameKey is the config key of the guest's name.
func (k guestKind) nameKey() string { return byKind(k, "name", "hostname") }

// pausable: a VM can be paused (and a paused VM is resumed rather than
// started, and must be resumed before a shutdown); a container is frozen
// only by suspend, which the bulk actions leave to VMs.
func (k guestKind) pausable() bool { return byKind(k, true, false) }

// startTakesTimeout: qemu-server's start has a timeout parameter.
func (k guestKind) startTakesTimeout() bool { return byKind(k, true, false) }

// liveMigrates: a running VM migrates online (with its local disks if
// asked); a running container is shut down and restarted on the target.
func (k guestKind) liveMigrates() bool { return byKind(k, true, false) }

// runningMigrateParam is the migrate parameter that moves a running guest.
func (k guestKind) runningMigrateParam() string { return byKind(k, "online", "restart") }

// hasCloudinit: only VMs have cloud-init drives.
func (k guestKind) hasCloudinit() bool { return byKind(k, true, false) }

// gatewayKey is the config key holding a guest's IPv4 gateway: the VM's
// cloud-init ipconfig0, the container's net0.
func (k guestKind) gatewayKey() string { return byKind(k, "ipconfig0", "net0") }

// nicDevice is the host's name of a guest's NIC: tap100i0, veth200i0.
func (k guestKind) nicDevice(vmid, n int) string {
	return byKind(k, "tap", "veth") + strconv.Itoa(vmid) + "i" + strconv.Itoa(n)
}

// clonesToRawOrSubvol: pve-container asks the storage for clone targets
// raw or subvol, which file storages' clones (always qcow2) cannot give.
func (k guestKind) clonesToRawOrSubvol() bool { return byKind(k, false, true) }

// featureListsNodes: qemu-server's feature answer lists the nodes the
// guest could run on with it; pve-container's only says yes or no.
func (k guestKind) featureListsNodes() bool { return byKind(k, true, false) }

// resizeMode is when the kind's resize checks and applies (see resize.go).
func (k guestKind) resizeMode(major int) resizeMode {
	if k.isLXC() {
		return resizeForkAfterChecks
	}
	if major >= 8 {
		return resizeInWorker
	}
	return resizeSync
}

// digestMismatch is the error of a write whose digest is stale.
func (k guestKind) digestMismatch() string {
	return byKind(k, "checksum mismatch (file change by other user?)",
		"detected modified configuration - file changed by other user? Try again.")
}

// resizeRefusal is the kind's refusal of a new disk size: no kind shrinks;
// pve-container also refuses the size the disk already has.
func (k guestKind) resizeRefusal(cur, newLen int64) error {
	switch {
	case newLen < cur:
		return failf("%s", byKind(k, "shrinking disks is not supported", "unable to shrink disk size"))
	case newLen == cur && k.isLXC():
		return failf("disk is already at specified size")
	}
	return nil
}

// writesHostMem: pvestatd records a VM's host memory (memhost, PVE 9);
// containers write none.
func (k guestKind) writesHostMem() bool { return byKind(k, true, false) }
