package pvesim

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

func (ns *nodeStorage) used() int64 {
	var u int64
	for _, v := range ns.vols {
		u += v.size
	}
	return u
}

// storageOnNode resolves {storage} of a /nodes/{node}/storage/... path.
func (c *call) storageOnNode() (*nodeStorage, error) {
	sid := c.params["storage"]
	ns := c.st.storageOn(c.params["node"], sid)
	if ns == nil {
		return nil, failf("storage '%s' does not exist", sid)
	}
	return ns, nil
}

func (s *Sim) storageInfo(ns *nodeStorage) map[string]any {
	d := ns.def
	used, total := ns.used(), d.total
	switch {
	case ns.twin:
		used, total = used+ns.base, ns.total
	case d.typ == "dir":
		used += 12 << 30 // the root filesystem also holds the OS
	}
	return map[string]any{
		"storage": d.id, "type": d.typ, "content": strings.Join(d.content, ","),
		"shared": b2i(d.shared), "enabled": 1, "active": 1,
		"total": total, "used": used, "avail": total - used,
		"used_fraction": float64(used) / float64(max(total, 1)),
	}
}

func (s *Sim) listStorage(c *call) (any, error) {
	n := c.st.node(c.params["node"])
	content := c.params["content"]
	only := c.params["storage"]
	out := []map[string]any{}
	for _, d := range c.st.storages {
		ns := n.store[d.id]
		if ns == nil || (only != "" && only != d.id) || !s.canSeeStorage(c.authid, d.id) {
			continue
		}
		if content != "" {
			ok := true
			for _, ct := range splitList(content) {
				if !hasContent(d, ct) {
					ok = false
				}
			}
			if !ok {
				continue
			}
		}
		out = append(out, s.storageInfo(ns))
	}
	return out, nil
}

func (s *Sim) storageIndex(c *call) (any, error) {
	if _, err := c.storageOnNode(); err != nil {
		return nil, err
	}
	return c.subdirs("subdir"), nil
}

func (s *Sim) storageStatus(c *call) (any, error) {
	ns, err := c.storageOnNode()
	if err != nil {
		return nil, err
	}
	return s.storageInfo(ns), nil
}

func volumeJSON(v *volume) map[string]any {
	m := map[string]any{"volid": v.volid, "content": v.content, "format": v.format, "size": v.size}
	if v.ctime > 0 {
		m["ctime"] = v.ctime
	}
	if v.vmid > 0 {
		m["vmid"] = v.vmid
	}
	switch v.content {
	case "images", "rootdir":
		m["used"] = v.size / 3
		if strings.Contains(v.volid, "/") && strings.HasSuffix(v.volid, ".raw") {
			m["parent"] = nil
		}
		if v.parent != "" {
			m["parent"] = v.parent
		}
	case "backup":
		m["subtype"] = v.subtype
		if v.notes != "" {
			first, _, _ := strings.Cut(v.notes, "\n")
			m["notes"] = first
		}
		if v.protected {
			m["protected"] = 1
		}
		if v.verify != "" {
			m["verification"] = verifyJSON(v.verify, v.ctime)
		}
	}
	return m
}

func (s *Sim) storageContent(c *call) (any, error) {
	ns, err := c.storageOnNode()
	if err != nil {
		return nil, err
	}
	content := c.params["content"]
	vmid := c.num("vmid")
	vols := make([]*volume, 0, len(ns.vols))
	for _, v := range ns.vols {
		if content != "" && v.content != content {
			continue
		}
		if vmid != 0 && v.vmid != vmid {
			continue
		}
		// the list holds only what the caller may access (check_volume_access)
		if c.checkVolumeAccess(0, v.volid, "") != nil {
			continue
		}
		vols = append(vols, v)
	}
	sort.Slice(vols, func(i, j int) bool { return strings.ToLower(vols[i].volid) < strings.ToLower(vols[j].volid) })
	out := make([]map[string]any, 0, len(vols))
	for _, v := range vols {
		out = append(out, volumeJSON(v))
	}
	return out, nil
}

func (s *Sim) volumeAttrs(c *call) (any, error) {
	volid, err := c.volumeParam()
	if err != nil {
		return nil, err
	}
	if err := c.checkVolumeAccess(0, volid, ""); err != nil {
		return nil, err
	}
	ns, err := c.storageOnNode()
	if err != nil {
		return nil, err
	}
	v := ns.vols[volid]
	if v == nil {
		return nil, failf("volume '%s' does not exist", volid)
	}
	m := map[string]any{"path": volumePath(ns.def, v), "size": v.size, "used": v.size / 3, "format": v.format}
	if v.notes != "" {
		m["notes"] = v.notes
	}
	m["protected"] = b2i(v.protected)
	return m, nil
}

func volumePath(d *storageDef, v *volume) string {
	_, name, _ := strings.Cut(v.volid, ":")
	switch {
	case d.typ == "lvmthin":
		return "/dev/" + d.vgname + "/" + path.Base(name)
	case v.content == "iso":
		return d.path + "/template/iso/" + strings.TrimPrefix(name, "iso/")
	case v.content == "vztmpl":
		return d.path + "/template/cache/" + strings.TrimPrefix(name, "vztmpl/")
	case v.content == "backup":
		return d.path + "/dump/" + strings.TrimPrefix(name, "backup/")
	}
	return d.path + "/images/" + name
}

func (s *Sim) deleteVolume(c *call) (any, error) {
	volid, err := c.volumeParam()
	if err != nil {
		return nil, err
	}
	if err := c.checkVolumeDelete(volid); err != nil {
		return nil, err
	}
	ns, err := c.storageOnNode()
	if err != nil {
		return nil, err
	}
	v := ns.vols[volid]
	if v == nil {
		return nil, failf("volume '%s' does not exist", volid)
	}
	if v.protected {
		return nil, failf("volume '%s' is protected", volid)
	}
	if g := c.st.volumeUser(c.params["node"], volid); g != nil {
		return nil, failf("unable to delete '%s' - volume is still in use (VM %d)", volid, g.vmid)
	}
	nodeName := c.params["node"]
	id := ""
	if v.vmid > 0 {
		id = fmt.Sprintf("%d@%s", v.vmid, ns.def.id)
	}
	line := "Removed volume '" + volid + "'"
	if ns.def.typ == "lvmthin" {
		line = freeLines(volid)
	}
	return c.startTask(taskSpec{typ: "imgdel", id: id, dur: 500 * time.Millisecond,
		lines: at(0.5, line),
		onOK:  func(time.Time) error { c.st.removeVolume(nodeName, volid); return nil }})
}

// volumeUser finds the guest on a node whose config references volid.
func (st *state) volumeUser(nodeName, volid string) *guest {
	for _, g := range st.guests {
		if g.node != nodeName {
			continue
		}
		for _, v := range volumesOf(g) {
			if v == volid {
				return g
			}
		}
	}
	return nil
}

func (s *Sim) allocVolume(c *call) (any, error) {
	ns, err := c.storageOnNode()
	if err != nil {
		return nil, err
	}
	if err := c.checkPriv("/storage/"+ns.def.id, "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	vmid := c.vmid()
	size := sizeBytes(c.params["size"])
	if size == 0 {
		size = sizeBytes(c.params["size"] + "K")
	}
	name := c.params["filename"]
	if !regexp.MustCompile(`^(vm|base|subvol)-` + strconv.Itoa(vmid) + `-`).MatchString(name) {
		return nil, paramErr("filename", fmt.Sprintf("illegal name '%s' - should be 'vm-%d-*'", name, vmid))
	}
	volid := ns.def.id + ":" + name
	if fileBased(ns.def.typ) {
		volid = fmt.Sprintf("%s:%d/%s", ns.def.id, vmid, name)
	}
	if ns.vols[volid] != nil {
		return nil, failf("volume '%s' already exists", volid)
	}
	ns.vols[volid] = &volume{volid: volid, content: "images", format: "raw", size: size, vmid: vmid, ctime: c.now.Unix()}
	return volid, nil
}

var isoExtRe = lazyre.New(`(?i)\.(iso|img)$`)
var vztmplExtRe = lazyre.New(`\.tar\.(gz|xz|zst|bz2)$`)
