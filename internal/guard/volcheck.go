package guard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// What a parameter holding a volume may hold besides a volume id.
const (
	volDrive   = "drive"   // qemu drive file: also none, cdrom, STORAGE:SIZE, a host path
	volImport  = "import"  // import-from: a volume or a host path
	volPlain   = "volume"  // a volume id only
	volMount   = "mount"   // lxc rootfs/mp volume: also STORAGE:SIZE, a host path (bind or device mount)
	volArchive = "archive" // a backup archive to restore: also a host path or "-" (stdin)
)

// reNewDisk is STORAGE:SIZE, which allocates a new volume (qemu-server and
// pve-container both read it so).
var reNewDisk = lazyre.New(`^(?:([^\t\n\v\f\r :/]+):)?(\d+(?:\.\d+)?)$`)

// reCloudInit is a new cloud-init drive: cloudinit or STORAGE:cloudinit.
var reCloudInit = lazyre.New(`^(?:[^\t\n\v\f\r :/]+:)?cloudinit$`)

// volumeParam tells whether top-level parameter k holds a volume. The schema
// types most; the rest are Proxmox facts the schema leaves untyped.
func volumeParam(r *request, k string, p *pveschema.Param) string {
	switch {
	case p.Format == "pve-volume-id":
		return volPlain
	case r.create && r.kind == "qemu" && k == "archive":
		return volArchive
	case r.create && r.kind == "lxc" && k == "ostemplate":
		return volArchive
	case k == "volume" && r.inPath[k] && strings.HasPrefix(r.ep.Path, "/nodes/{node}/storage/{storage}/content/"):
		return volPlain
	}
	return ""
}

// propertyVolume tells whether key k of a property string holds a volume.
func propertyVolume(k string, p *pveschema.Param) string {
	switch p.Format {
	case "pve-volume-id-or-qm-path":
		return volDrive
	case "pve-volume-id-or-absolute-path":
		return volImport
	case "pve-volume-id":
		return volPlain
	case "pve-lxc-mp-string":
		if k == "volume" { // "mp" is the path inside the container
			return volMount
		}
	}
	return ""
}

// judgeProperties parses a property string as Proxmox does (a key-less item
// is the default key wherever it stands, aliases resolved) and judges each
// volume it names.
func (c *Call) judgeProperties(ctx context.Context, r *request, k, val string, p *pveschema.Param, v *verdict) {
	// Validate has checked every value; only the keys are read again here.
	res, err := pveschema.ReadPropertyString(p, val)
	if err != nil {
		v.refuse("%s = %q: Proxmox would refuse it: %s", c.arg(k), val, strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " ")))
		return
	}
	props := pveschema.PropertyKeys(p)
	keys := make([]string, 0, len(res))
	for key := range res {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		sub := props[key]
		if sub == nil {
			continue
		}
		if kind := propertyVolume(key, sub); kind != "" {
			c.judgeVolume(ctx, r, c.arg(k)+"."+key, res[key], kind, v)
		}
	}
	c.judgePropertyHostLevel(r, k, res, v)
}

// judgeVolume checks one volume: its form, whether it is a path on the node,
// and with an allowlist set, its owner and the node the owner lives on.
func (c *Call) judgeVolume(ctx context.Context, r *request, arg, val, kind string, v *verdict) {
	a := c.g.opts.Allow
	switch {
	case kind == volDrive && val == "none":
		return
	case kind == volDrive && val == "cdrom":
		c.hostLevel(v, arg+" = cdrom", "passes the node's physical CD drive to the VM (Proxmox wants Sys.Console on /)")
		return
	case kind == volArchive && val == "-":
		c.hostLevel(v, arg, "reads the archive from the node's standard input")
		return
	case strings.HasPrefix(val, "/"):
		why := "is a path on the node"
		if kind == volMount {
			why = "mounts the node's " + val + " into the container (a bind or device mount)"
		}
		c.hostLevel(v, arg+" = "+quote(val), why)
		return
	case (kind == volDrive || kind == volMount) && reNewDisk.MatchString(val):
		return // a new volume on that storage
	case kind == volDrive && reCloudInit.MatchString(val):
		return // a new cloud-init drive
	}
	sid, name, err := pveid.ParseVolumeID(val)
	if err != nil {
		v.refuse("%s = %q: %v; expected STORAGE:VOLUME, e.g. local-lvm:vm-100-disk-0", arg, val, err)
		return
	}
	if hasDotDot(name) {
		v.refuse("%s = %q: a volume name must not hold a '..' or '.' component", arg, val)
		return
	}
	if !a.Any() {
		return // nothing to check the owner against; Proxmox reads the name
	}
	// First without asking the cluster: the owners the name has under the
	// storage's type when the guard knows it, else under any type, must all
	// be allowed, so most refusals send nothing.
	owners, exact, err := c.candidateOwners(r.node, Volume{ID: val, Storage: sid, Name: name})
	if err != nil {
		v.refuse("%s = %q: %v", arg, val, err)
		return
	}
	for _, o := range owners {
		if o != r.vmid {
			if err := a.VMID(arg+"'s owner", o); err != nil {
				v.refuse("%s = %q: %s", arg, val, trimRefused(err))
				return
			}
		}
	}
	v.later = append(v.later, func() { c.judgeVolumeOnCluster(ctx, r, arg, val, sid, exact, v) })
}

// candidateOwners parses a volume as its storage's type reads it when that
// is known without a request, else as every storage type would, and returns
// the owners it has under those that accept it; an error when none does.
func (c *Call) candidateOwners(node string, v Volume) (owners []int, exact *Volume, err error) {
	types := pluginTypes
	if plugin, ok := c.view.cachedType(node, v.Storage); ok {
		vol, err := parseVolname(v, plugin)
		if err != nil {
			return nil, nil, err
		}
		if vol.Owner != 0 {
			owners = []int{vol.Owner}
		}
		return owners, &vol, nil
	}
	var errs []string
	for _, plugin := range types {
		vol, err := parseVolname(v, plugin)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if vol.Owner != 0 && !slices.Contains(owners, vol.Owner) {
			owners = append(owners, vol.Owner)
		}
	}
	if len(errs) == len(types) {
		return nil, nil, fmt.Errorf("no storage type reads this volume name (%s)", errs[0])
	}
	return owners, nil, nil
}

// pluginTypes are the storage types whose volume names the guard reads.
var pluginTypes = []string{"dir", "lvm", "lvmthin", "zfspool", "rbd", "iscsi", "pbs"}

// judgeVolumeOnCluster reads the volume by its storage's real type, and
// checks the node its owner lives on.
func (c *Call) judgeVolumeOnCluster(ctx context.Context, r *request, arg, val, sid string, exact *Volume, v *verdict) {
	if exact != nil {
		c.judgeOwnerNode(ctx, r, arg, val, *exact, v)
		return
	}
	plugin, ok, err := c.view.storageType(ctx, r.node, sid)
	switch {
	case err != nil:
		v.refuse("%s = %q: cannot check the volume's owner: %v", arg, val, err)
		return
	case !ok:
		where := "the cluster"
		if r.node != "" {
			where = "node " + r.node
		}
		v.refuse("%s = %q: storage %s is not configured on %s (pve_list_storage lists them)", arg, val, sid, where)
		return
	}
	vol, err := ParseVolume(val, plugin)
	if err != nil {
		v.refuse("%s = %q: %v", arg, val, err)
		return
	}
	c.judgeOwnerNode(ctx, r, arg, val, vol, v)
}

// judgeOwnerNode refuses volumes whose owner cannot be told, and those of
// guests living on nodes outside PVE_NODE_ALLOWLIST.
func (c *Call) judgeOwnerNode(ctx context.Context, r *request, arg, val string, vol Volume, v *verdict) {
	a := c.g.opts.Allow
	if vol.Owner == 0 {
		if vol.Type == "images" || vol.Type == "rootdir" || vol.Type == "backup" {
			v.refuse("%s = %q: whose guest this %s volume belongs to cannot be told, and an allowlist is set; "+
				"use a volume named for its guest (vm-ID-..., vzdump-TYPE-ID-...)", arg, val, vol.Type)
		}
		return
	}
	if vol.Owner == r.vmid || !a.HasNodes() {
		return
	}
	node, found, err := c.view.guestNode(ctx, vol.Owner)
	switch {
	case err != nil:
		v.refuse("%s = %q: cannot tell which node guest %d is on: %v", arg, val, vol.Owner, err)
	case !found:
		v.refuse("%s = %q: belongs to guest %d, which is not in the cluster, and PVE_NODE_ALLOWLIST is set", arg, val, vol.Owner)
	case !a.NodeAllowed(node):
		v.refuse("%s = %q: belongs to guest %d on node %s, which is not in PVE_NODE_ALLOWLIST (%s)", arg, val, vol.Owner, node, strings.Join(a.nodes, ", "))
	}
}

func hasDotDot(name string) bool {
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." || seg == "." {
			return true
		}
	}
	return false
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
