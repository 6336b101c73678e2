package pvesim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// guestToolRoutes: guest pre-flight reads, cloud-init, unlink, uploads and appliance templates.
func (s *Sim) guestToolRoutes() []route {
	q := "/nodes/{node}/qemu/{vmid}"
	l := "/nodes/{node}/lxc/{vmid}"
	lxcMigrate := route{method: "GET", tmpl: l + "/migrate", h: s.lxcMigratePreflight}
	lxcMigrate.since = "9.1"
	return []route{
		{method: "GET", tmpl: q + "/migrate", h: s.qemuMigratePreflight},
		lxcMigrate,
		kindRoute(kindQemu, "GET", q+"/feature", s.guestFeature),
		kindRoute(kindLXC, "GET", l+"/feature", s.guestFeature),
		kindRoute(kindQemu, "GET", q+"/cloudinit", s.cloudinitPending),
		kindRoute(kindQemu, "PUT", q+"/cloudinit", s.cloudinitUpdate),
		kindRoute(kindQemu, "GET", q+"/cloudinit/dump", s.cloudinitDump),
		kindRoute(kindQemu, "PUT", q+"/unlink", s.unlinkDisks),
		{method: "GET", tmpl: "/nodes/{node}/vzdump/extractconfig", h: s.extractConfig},
		{method: "POST", tmpl: "/nodes/{node}/storage/{storage}/upload", h: s.uploadFile},
		{method: "GET", tmpl: "/nodes/{node}/aplinfo", h: s.aplinfoList},
		{method: "POST", tmpl: "/nodes/{node}/aplinfo", h: s.aplDownload},
	}
}

// extractConfig is GET /nodes/{node}/vzdump/extractconfig: the guest
// config stored in a backup archive, as `vma config` or tar prints it.
func (s *Sim) extractConfig(c *call) (any, error) {
	volid := c.params["volume"]
	if err := c.checkVolumeAccess(0, volid, "backup"); err != nil {
		return nil, err
	}
	var v *volume
	var path string
	if sid, _, ok := parseVolumeID(volid); ok {
		_, owner, _ := c.parseVolid(volid)
		vmPath := "/vms/"
		if owner > 0 {
			vmPath += strconv.Itoa(owner)
		}
		if err := c.checkPriv(vmPath, "VM.Backup"); err != nil {
			return nil, err
		}
		ns := c.st.storageOn(c.params["node"], sid)
		if ns == nil {
			return nil, failf("storage '%s' is not available on node '%s'", sid, c.params["node"])
		}
		v = ns.vols[volid]
		path = volumePath(ns.def, &volume{volid: volid, content: "backup"})
	} else {
		path = volid
		for _, ns := range c.st.node(c.params["node"]).store {
			for _, x := range ns.vols {
				if x.content == "backup" && volumePath(ns.def, x) == path {
					v = x
				}
			}
		}
	}
	isLXC := strings.Contains(path, "vzdump-lxc-") || strings.Contains(path, "vzdump-openvz-")
	if !isLXC && !strings.Contains(path, "vzdump-qemu-") {
		return nil, failf("cannot determine backup guest type for backup archive '%s'", volid)
	}
	if v == nil || v.backupConf == nil {
		if isLXC || strings.HasSuffix(path, ".vma") {
			return nil, failf("ERROR: file '%s' does not exist", path)
		}
		tool := map[string]string{".zst": "zstd", ".gz": "gzip", ".lzo": "lzop"}[path[strings.LastIndex(path, "."):]]
		return nil, failf("Failed to extract config from VMA archive: %s: %s: No such file or directory", tool, path)
	}
	if isLXC {
		return renderConf(v.backupConf, nil), nil
	}
	return renderConf(v.backupConf, func(k string) bool { return isIndexed(k, "unused") }) + qmdumpMap(c.st, v.backupConf), nil
}

// renderConf writes a config as its .conf file: the description as '#'
// comment lines, then the keys in order.
func renderConf(conf map[string]string, skip func(string) bool) string {
	var b strings.Builder
	if d := conf["description"]; d != "" {
		for _, line := range strings.Split(d, "\n") {
			b.WriteString("#" + encodeConfText(line) + "\n")
		}
	}
	for _, k := range sortedKeys(conf) {
		if k == "description" || k == "lock" || k == "parent" || (skip != nil && skip(k)) {
			continue
		}
		b.WriteString(k + ": " + conf[k] + "\n")
	}
	return b.String()
}

// encodeConfText is PVE::Tools::encode_text: control and high bytes and ':'
// as %XX.
func encodeConfText(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x20 || c == ':' || c > 0x7e {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// qmdumpMap is the "#qmdump#map:" line vzdump appends per backed up disk,
// in qemu-server's drive order.
func qmdumpMap(st *state, conf map[string]string) string {
	var b strings.Builder
	for _, k := range qemuDriveOrder(conf) {
		p := parsePropString(conf[k], "file")
		file := p.get("file")
		if p.get("media") == "cdrom" || p.get("backup") == "0" || !strings.Contains(file, ":") {
			continue
		}
		sid, volname, _ := strings.Cut(file, ":")
		format := "raw"
		if m := volExtRe.FindStringSubmatch(volname); m != nil {
			format = m[1]
		}
		dev := "drive-" + k
		if k == "tpmstate0" {
			dev = "drive-tpmstate0-backup"
		}
		fmt.Fprintf(&b, "#qmdump#map:%s:%s:%s:%s:\n", k, dev, sid, format)
	}
	return b.String()
}

// qemuDriveOrder lists a config's drive keys as valid_drive_names orders
// them: ide, sata, scsi, virtio, efidisk0, tpmstate0.
func qemuDriveOrder(conf map[string]string) []string {
	var out []string
	for _, bus := range []struct {
		prefix string
		n      int
	}{{"ide", 4}, {"sata", 6}, {"scsi", 31}, {"virtio", 16}, {"efidisk", 1}, {"tpmstate", 1}} {
		for i := 0; i < bus.n; i++ {
			k := bus.prefix + strconv.Itoa(i)
			if _, ok := conf[k]; ok {
				out = append(out, k)
			}
		}
	}
	return out
}

// unlinkDisks is PUT .../unlink: update_vm with delete=idlist. Without
// force a disk becomes unusedN; with force (and always for unusedN) the
// guest's own volume is freed, unless a snapshot still uses it.
func (s *Sim) unlinkDisks(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	force := c.flag("force")
	c.params["delete"] = c.params["idlist"]
	delete(c.params, "idlist")
	u, err := c.prepareConfig(kind, g)
	if err != nil {
		return nil, err
	}
	if u.writeErr != nil {
		return nil, u.writeErr
	}
	var rest []string
	for _, k := range u.del {
		val, ok := g.conf[k]
		if !ok || !pveid.DiskSlot("qemu", k) {
			rest = append(rest, k)
			continue
		}
		p := parsePropString(val, "file")
		file := p.get("file")
		what := fmt.Sprintf("can't remove drive '%s'", k)
		if isIndexed(k, "unused") {
			what = fmt.Sprintf("can't remove unused disk '%s'", file)
		}
		if g.conf["protection"] == "1" {
			return nil, failf("%s - protection mode enabled", what)
		}
		cloudinit := isCloudinitVolume(file)
		if !force && !cloudinit && !isIndexed(k, "unused") {
			rest = append(rest, k)
			continue
		}
		if p.get("media") != "cdrom" || cloudinit {
			if c.st.volumeOwner(file, s.major()) == g.vmid {
				sid, _, _ := strings.Cut(file, ":")
				if err := c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
					return nil, err
				}
				if volumeInSnapshot(g, k, file) {
					return nil, failf("unable to delete '%s' - volume is still in use (snapshot?)", file)
				}
				c.st.removeVolume(g.node, file)
			}
		}
		if cloudinit {
			c.st.cloudinitGenerated(g)
		}
		delete(g.conf, k)
	}
	u.del = rest
	if len(u.del) > 0 || len(u.set) > 0 {
		if _, err := c.st.applyConfig(g, u, c.now); err != nil {
			return nil, failf("%s", err)
		}
	}
	return nil, nil
}

// volumeInSnapshot is is_volume_in_use: another key or a snapshot uses it.
func volumeInSnapshot(g *guest, key, volid string) bool {
	uses := func(conf map[string]string, skip string) bool {
		for k, v := range conf {
			if k != skip && g.kind.diskSlot(k) && parsePropString(v, "file").get("file") == volid {
				return true
			}
		}
		return false
	}
	if uses(g.conf, key) {
		return true
	}
	for _, sn := range g.snaps {
		if uses(sn.conf, "") {
			return true
		}
	}
	return false
}
