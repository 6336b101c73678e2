package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// newDiskRe is qemu-server's NEW_DISK_RE: "[storage:]size" in GiB.
var newDiskRe = lazyre.New(`^(([^/:\s]+):)?(\d+(\.\d+)?)$`)

// diskPlan is a disk parameter resolved before the worker runs.
type diskPlan struct {
	key     string
	prop    *propString
	newSize int64  // >0: allocate a new volume of this size
	storage string // for new volumes
	cdrom   bool
	volid   string // existing or allocated volume
	// cloudinit is the storage of a new cloud-init drive ("sid:cloudinit", cloudinit.go)
	cloudinit string
}

// planDisks checks the new disks of a create or config update
// (synchronously): storages exist on the node, support the content and the
// caller may allocate space there.
func (c *call) planDisks(kind guestKind, params map[string]string, defStorage string) ([]*diskPlan, error) {
	var plans []*diskPlan
	for _, k := range sortedKeys(params) {
		if !kind.diskSlot(k) || isIndexed(k, "unused") {
			continue
		}
		defKey := kind.diskKey()
		p := parsePropString(params[k], defKey)
		file := p.get(defKey)
		pl := &diskPlan{key: k, prop: p}
		file = kind.newVolumeSpec(file, defStorage)
		if sid, ok := newCloudinitDrive(kind, file, defStorage); ok {
			if sid == "" {
				return nil, failf("no storage ID specified (and no default storage)")
			}
			pl.cloudinit = sid
			plans = append(plans, pl)
			continue
		}
		if kind.isCDROM(p) {
			pl.cdrom = true
			pl.volid = file
			plans = append(plans, pl)
			continue
		}
		if m := newDiskRe.FindStringSubmatch(file); m != nil {
			sid := m[2]
			if sid == "" {
				sid = defStorage
			}
			if sid == "" {
				return nil, failf("no storage ID specified (and no default storage)")
			}
			if err := c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
				return nil, err
			}
			ns := c.st.storageOn(c.params["node"], sid)
			if ns == nil {
				return nil, failf("storage '%s' does not exist", sid)
			}
			if !hasContent(ns.def, kind.volContent()) {
				return nil, kind.traits().noContent(sid)
			}
			gib, _ := strconv.ParseFloat(m[3], 64)
			size := int64(gib * (1 << 30))
			if strings.HasPrefix(k, "efidisk") || strings.HasPrefix(k, "tpmstate") {
				size = 4 << 20
			}
			if size == 0 {
				size = kind.traits().emptyDiskSize
			}
			pl.newSize, pl.storage = size, sid
		} else {
			// access to existing volumes is checked by the callers
			// (check_volume_access), as qemu-server and pve-container do
			pl.volid = file
		}
		plans = append(plans, pl)
	}
	return plans, nil
}

// allocate creates the planned volumes and returns the log lines a real
// worker prints, the new drive strings and the allocated volids.
func (st *state) allocate(nodeName string, vmid int, kind guestKind, plans []*diskPlan, now time.Time) (lines []string, drives map[string]string, vols []string, err error) {
	drives = map[string]string{}
	defKey := kind.diskKey()
	for _, pl := range plans {
		if pl.cloudinit != "" {
			volid, drive, line, cerr := st.allocCloudinit(nodeName, vmid, pl, now)
			if cerr != nil {
				return lines, drives, vols, cerr
			}
			drives[pl.key], vols, lines = drive, append(vols, volid), append(lines, line...)
			continue
		}
		if pl.cdrom {
			drives[pl.key] = pl.prop.String()
			continue
		}
		if pl.newSize == 0 {
			if v := st.findVolume(nodeName, pl.volid); v != nil && !pl.prop.has("size") {
				pl.prop.set("size", formatSize(v.size))
			}
			drives[pl.key] = pl.prop.String()
			continue
		}
		volid, aerr := st.allocDisk(nodeName, pl.storage, vmid, pl.newSize, kind.volContent(), false, now)
		if aerr != nil {
			return lines, drives, vols, aerr
		}
		vols = append(vols, volid)
		lines = append(lines, allocLines(st, nodeName, volid, pl.newSize)...)
		pl.prop.set(defKey, volid)
		pl.prop.set("size", formatSize(pl.newSize))
		pl.volid = volid
		drives[pl.key] = pl.prop.String()
		if kind.traits().logsDrives {
			lines = append(lines, fmt.Sprintf("%s: successfully created disk '%s'", pl.key, drives[pl.key]))
		}
	}
	return lines, drives, vols, nil
}

// allocLines is what the storage tools print when a volume is created.
func allocLines(st *state, nodeName, volid string, size int64) []string {
	sid, name, _ := strings.Cut(volid, ":")
	ns := st.storageOn(nodeName, sid)
	if ns != nil && fileBased(ns.def.typ) {
		return []string{fmt.Sprintf("Formatting '%s/images/%s', fmt=raw size=%d preallocation=off", ns.def.path, name, size)}
	}
	return []string{fmt.Sprintf("  Logical volume \"%s\" created.", name)}
}

func freeLines(volid string) string {
	_, name, _ := strings.Cut(volid, ":")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return fmt.Sprintf("  Logical volume \"%s\" successfully removed.", name)
}

// normalizeTags is get_unique_tags: split, drop duplicates, sort, join with ';'.
func normalizeTags(s string) string {
	seen := map[string]bool{}
	var out []string
	for _, t := range splitList(s) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ";")
}
