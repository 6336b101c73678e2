package pvesim

import (
	"regexp"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Pre-flight reads: GET .../migrate (migrate_vm_precondition) and GET
// .../feature (vm_feature), answering from the same model the POST
// endpoints act on.

// volumeHasFeature is PVE::Storage::volume_has_feature for the storage
// types the simulator models: lvmthin (snapshot, clone of base or snapshot,
// copy) and the file based plugins (qcow2 snapshots, base images cloned,
// raw/qcow2/vmdk copied). lxc asks with targets {raw, subvol}, which the
// file plugins' clone (always qcow2) cannot give.
func (st *state) volumeHasFeature(nodeName, feature, volid, snapname string, lxcTargets bool) bool {
	sid, volname, ok := parseVolumeID(volid)
	if !ok {
		return false
	}
	d := st.storageDef(sid)
	if d == nil {
		return false
	}
	key := "current"
	base := isBaseVolume(volid)
	if snapname != "" {
		key = "snap"
	} else if base {
		key = "base"
	}
	switch d.typ {
	case "lvmthin":
		return map[string]map[string]bool{
			"snapshot": {"current": true},
			"clone":    {"base": true, "snap": true},
			"template": {"current": true},
			"copy":     {"base": true, "current": true, "snap": true},
		}[feature][key]
	case "lvm", "iscsi":
		return feature == "copy" && key != "snap"
	}
	if !fileBased(d.typ) {
		// zfs, rbd: snapshots and clones everywhere
		return feature != "template" || key == "current"
	}
	if feature == "clone" && lxcTargets {
		return false
	}
	format := volumeFormat(st, nodeName, volid, volname)
	supported := map[string]map[string]map[string]bool{
		"snapshot": {"current": {"qcow2": true}, "snap": {"qcow2": true}},
		"clone":    {"base": {"qcow2": true, "raw": true, "vmdk": true}},
		"template": {"current": {"qcow2": true, "raw": true, "vmdk": true, "subvol": true}},
		"copy": {"base": {"qcow2": true, "raw": true, "vmdk": true}, "current": {"qcow2": true, "raw": true, "vmdk": true},
			"snap": {"qcow2": true}},
	}
	return supported[feature][key][format]
}

var volExtRe = lazyre.New(`\.(raw|qcow2|vmdk|subvol)$`)

// volumeFormat is the format of a volume: its name's extension on file
// storages, else what the storage recorded.
func volumeFormat(st *state, nodeName, volid, volname string) string {
	if m := volExtRe.FindStringSubmatch(volname); m != nil {
		return m[1]
	}
	if v := st.findVolume(nodeName, volid); v != nil && v.format != "" {
		return v.format
	}
	return "raw"
}

// guestHasFeature is has_feature of QemuConfig / LXC::Config: every volume
// (qemu: not the CD-ROMs) of the config or snapshot must support it.
func (st *state) guestHasFeature(g *guest, conf map[string]string, feature, snapname string) bool {
	for _, k := range sortedKeys(conf) {
		if !g.kind.diskSlot(k) || isIndexed(k, "unused") {
			continue
		}
		p := parsePropString(conf[k], g.kind.diskKey())
		if g.kind.isCDROM(p) {
			continue
		}
		if !st.volumeHasFeature(g.node, feature, p.get(g.kind.diskKey()), snapname, g.kind.clonesToRawOrSubvol()) {
			return false
		}
	}
	return true
}

func (s *Sim) guestFeature(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	conf := g.conf
	snapname := c.params["snapname"]
	if snapname != "" {
		sn := g.snapshot(snapname)
		if sn == nil {
			return nil, failf("snapshot '%s' does not exist", snapname)
		}
		conf = sn.conf
	}
	has := b2i(c.st.guestHasFeature(g, conf, c.params["feature"], snapname))
	if !kind.featureListsNodes() {
		return map[string]any{"hasFeature": has}, nil
	}
	return map[string]any{"hasFeature": has, "nodes": c.st.sharedNodes(g, conf)}, nil
}

// sharedNodes is QemuServer::shared_nodes: every node when all volumes
// (CD-ROM images included) are on shared storage, else only this one.
func (st *state) sharedNodes(g *guest, conf map[string]string) []string {
	all := true
	for _, k := range sortedKeys(conf) {
		if !g.kind.diskSlot(k) {
			continue
		}
		sid, _, ok := parseVolumeID(parsePropString(conf[k], "file").get("file"))
		if !ok {
			continue
		}
		if d := st.storageDef(sid); d != nil && !d.shared {
			all = false
		}
	}
	out := []string{}
	for _, n := range st.nodes {
		if all || n.name == g.node {
			out = append(out, n.name)
		}
	}
	return out
}

// qemuMigratePreflight is GET .../qemu/{vmid}/migrate: running, the nodes
// the storages allow, the local disks (every volume of config, pending and
// snapshots not on shared storage) and the local resources that block a
// migration; the field set follows the release.
func (s *Sim) qemuMigratePreflight(c *call) (any, error) {
	g, err := c.guestOnNode(kindQemu)
	if err != nil {
		return nil, err
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	local, mapped := localResources(g, s.major())
	allowed, notAllowed := s.migrationTargets(c, g, func(node string) map[string]any {
		why := map[string]any{}
		if missing := c.st.unavailableStorages(g, node); len(missing) > 0 {
			why["unavailable_storages"] = missing
		}
		// the cluster has no resource mappings: a mapped device is
		// missing on every node
		if len(mapped) > 0 && s.major() >= 8 {
			why["unavailable-resources"] = sortedKeys(mapped)
		}
		return why
	})
	res := map[string]any{"running": b2i(g.running)}
	if s.major() >= 8 || !g.running {
		res["allowed_nodes"] = allowed
		res["not_allowed_nodes"] = notAllowed
	}
	res["local_disks"] = s.localDisks(g)
	res["local_resources"] = local
	if s.major() >= 8 {
		names := sortedKeys(mapped)
		res["mapped-resources"] = append([]string{}, names...)
		res["mapped-resource-info"] = mapped
	}
	if s.major() >= 9 {
		res["has-dbus-vmstate"] = 1
		if c.st.haManaged(g.vmid) != nil {
			res["dependent-ha-resources"] = []string{}
		}
	}
	return res, nil
}

// lxcMigratePreflight is GET .../lxc/{vmid}/migrate (9.x): running and the
// allowed nodes; pve-container checks no storages there.
func (s *Sim) lxcMigratePreflight(c *call) (any, error) {
	g, err := c.guestOnNode(kindLXC)
	if err != nil {
		return nil, err
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	allowed, notAllowed := s.migrationTargets(c, g, func(string) map[string]any { return nil })
	res := map[string]any{"running": b2i(g.running), "allowed-nodes": allowed, "not-allowed-nodes": notAllowed}
	if c.st.haManaged(g.vmid) != nil {
		res["dependent-ha-resources"] = []string{}
	}
	return res, nil
}

// migrationTargets sorts the other nodes into allowed ones and the others
// with why (what blocks returns; empty allows); 7.x lists every node in
// not_allowed_nodes.
func (s *Sim) migrationTargets(c *call, g *guest, blocks func(node string) map[string]any) ([]string, map[string]any) {
	allowed := []string{}
	notAllowed := map[string]any{}
	for _, n := range c.st.nodes {
		if n.name == g.node {
			continue
		}
		if why := blocks(n.name); len(why) > 0 {
			notAllowed[n.name] = why
			continue
		}
		if s.major() < 8 {
			notAllowed[n.name] = map[string]any{} // 7.x lists every node
		}
		allowed = append(allowed, n.name)
	}
	return allowed, notAllowed
}

// unavailableStorages lists the storages of a guest's volumes that the
// target node does not have (check_local_storage_availability).
func (st *state) unavailableStorages(g *guest, target string) []string {
	seen := map[string]bool{}
	for _, k := range sortedKeys(g.conf) {
		if !g.kind.diskSlot(k) {
			continue
		}
		sid, _, ok := parseVolumeID(parsePropString(g.conf[k], g.kind.diskKey()).get(g.kind.diskKey()))
		if ok && st.storageDef(sid) != nil && st.storageOn(target, sid) == nil {
			seen[sid] = true
		}
	}
	return sortedKeys(seen)
}

// localDisks is check_vm_disks_local over foreach_volid: one entry per
// volume not on shared storage, with the attributes the release collects.
func (s *Sim) localDisks(g *guest) []map[string]any {
	major := s.major()
	vols := map[string]map[string]any{}
	visit := func(key, val, snapname string, pending bool) {
		p := parsePropString(val, "file")
		volid := p.get("file")
		if volid == "" {
			return
		}
		a := vols[volid]
		if a == nil {
			a = map[string]any{"volid": volid, "cdrom": 1, "replicate": 0, "shared": 0, "is_unused": 0, "is_vmstate": 0, "is_tpmstate": 0}
			if major >= 9 {
				a["is_cloudinit"] = 0
			}
			if major >= 8 {
				a["is_attached"] = 0
			} else {
				a["referenced_in_config"] = 0
			}
			vols[volid] = a
		}
		if p.get("media") != "cdrom" {
			a["cdrom"] = 0
		}
		if major >= 9 && isCloudinitVolume(volid) {
			a["is_cloudinit"] = 1
		}
		if p.get("replicate") != "0" {
			a["replicate"] = 1
		}
		if p.get("shared") == "1" {
			a["shared"] = 1
		}
		if isIndexed(key, "unused") {
			a["is_unused"] = 1
		}
		switch {
		case major >= 8 && a["is_unused"] == 0 && snapname == "" && !pending:
			a["is_attached"] = 1
		case major < 8 && snapname == "":
			a["referenced_in_config"] = 1
		}
		if snapname != "" {
			refs, _ := a["referenced_in_snapshot"].(map[string]any)
			if refs == nil {
				refs = map[string]any{}
				a["referenced_in_snapshot"] = refs
			}
			refs[snapname] = 1
		}
		if pending && major >= 8 {
			a["referenced_in_pending"] = 1
		}
		if _, ok := a["size"]; !ok {
			if sz := sizeBytes(p.get("size")); sz > 0 {
				a["size"] = sz
			}
		}
		if key == "tpmstate0" {
			a["is_tpmstate"] = 1
		}
		if !isIndexed(key, "unused") {
			a["drivename"] = key
		}
	}
	walk := func(conf map[string]string, snapname string, pending bool) {
		for _, k := range sortedKeys(conf) {
			if g.kind.diskSlot(k) {
				visit(k, conf[k], snapname, pending)
			}
		}
	}
	walk(g.conf, "", false)
	walk(g.pending, "", true)
	for _, sn := range g.snaps {
		walk(sn.conf, sn.name, false)
	}
	out := []map[string]any{}
	for _, volid := range sortedKeys(vols) {
		a := vols[volid]
		if sid, _, ok := parseVolumeID(volid); ok {
			if d := s.st.storageDef(sid); d != nil && d.shared {
				continue
			}
		}
		if a["shared"] == 1 || (a["cdrom"] == 1 && volid == "none") {
			continue
		}
		out = append(out, a)
	}
	return out
}

// localResources is check_local_resources: pass-through devices, real
// serial and parallel ports and the like; mapped devices are listed apart
// (8.x+) and block only a live migration.
func localResources(g *guest, major int) ([]string, map[string]any) {
	local := []string{}
	mapped := map[string]any{}
	if g.running && major >= 8 {
		if g.conf["amd-sev"] != "" {
			local = append(local, "amd-sev")
		}
		if major >= 9 && g.conf["intel-tdx"] != "" {
			local = append(local, "intel-tdx")
		}
	}
	if g.conf["ivshmem"] != "" {
		local = append(local, "ivshmem")
	}
	for _, k := range sortedKeys(g.conf) {
		v := g.conf[k]
		p := parsePropString(v, "host")
		switch {
		case strings.HasPrefix(k, "usb"):
			if strings.EqualFold(p.get("host"), "spice") || (major < 8 && strings.HasPrefix(v, "spice")) {
				continue
			}
			if m := p.get("mapping"); m != "" && major >= 8 {
				mapped[k] = map[string]any{"name": m}
			}
		case strings.HasPrefix(k, "hostpci") && major >= 8:
			if m := parsePropString(v, "host").get("mapping"); m != "" {
				mapped[k] = map[string]any{"name": m}
				if !g.running {
					continue
				}
			}
		case strings.HasPrefix(k, "serial") && v == "socket":
			continue
		}
		if regexp.MustCompile(`^(usb|hostpci|serial|parallel|virtiofs)\d+$`).MatchString(k) {
			local = append(local, k)
		}
	}
	if g.running && major == 8 && strings.Contains(g.conf["vga"], "clipboard=vnc") {
		local = append(local, "clipboard=vnc")
	}
	return local, mapped
}

// isCloudinitVolume is drive_is_cloudinit on a volid.
func isCloudinitVolume(volid string) bool {
	return cloudinitVolRe.MatchString(volid)
}

var cloudinitVolRe = lazyre.New(`[:/](?:vm-\d+-)?cloudinit(?:\.(?:raw|cow|qcow|qed|qcow2|vmdk|cloop))?$`)
