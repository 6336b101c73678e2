package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Volume ids and names as pve-storage parses them (Plugin.pm parse_volume_id
// and each plugin's parse_volname): the owner of a volume is what its name
// says, not who references it.

var volidRe = lazyre.New(`^(` + pveid.StorageRE + `):(.+)$`)

// parseVolumeID splits "sid:volname"; anything else is a filesystem path.
func parseVolumeID(volid string) (sid, volname string, ok bool) {
	m := volidRe.FindStringSubmatch(volid)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// fileBased tells whether a storage type keeps volumes as files under a path
// (the base Plugin.pm parse_volname and path layout).
func fileBased(typ string) bool {
	switch typ {
	case "dir", "nfs", "cifs", "cephfs", "glusterfs", "btrfs":
		return true
	}
	return false
}

var (
	dirLinkedRe  = lazyre.New(`^(\d+)/(\S+)/(\d+)/(\S+)$`)
	dirImageRe   = lazyre.New(`^(\d+)/(\S+)$`)
	dirISORe     = lazyre.New(`(?i)^iso/[^/]+\.(?:iso|img)$`)
	dirVztmplRe  = lazyre.New(`(?i)^vztmpl/[^/]+\.(?:tar|tar\.(?:gz|xz|zst|bz2))$`)
	dirBackupRe  = lazyre.New(`^backup/([^/]+\.(?:tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?))$`)
	backupOwner  = lazyre.New(`^vzdump-(?:openvz|lxc|qemu)-(\d+)-.+`)
	dirSnippetRe = lazyre.New(`^snippets/[^/]+$`)
	dirOVARe     = lazyre.New(`^import/[ a-zA-Z0-9\-.+=_]+\.ova/[ a-zA-Z0-9\-.+=_]+\.(?:qcow2|raw|vmdk)$`)
	dirImportRe  = lazyre.New(`^import/[ a-zA-Z0-9\-.+=_]+\.(?:ova|ovf|qcow2|raw|vmdk)$`)
	dirRootdirRe = lazyre.New(`^rootdir/(\d+)$`) // PVE 8 and older
	nameDirRe    = lazyre.New(`^(?:base-)?[^/\s]+\.(?:raw|qcow2|vmdk|subvol)$`)
	lvmNameRe    = lazyre.New(`(?i)^[a-z0-9][a-z0-9\-_.]*[a-z0-9]$`)
	lvmThinRe    = lazyre.New(`^(?:vm|base)-(\d+)-\S+$`)
	lvmRe        = lazyre.New(`^vm-(\d+)-\S+$`)
	zfsRe        = lazyre.New(`^(?:(?:base|basevol)-\d+-\S+/)?(?:base|basevol|vm|subvol)-(\d+)-\S+$`)
	rbdRe        = lazyre.New(`^(?:base-\d+-\S+/)?(?:base)?(?:vm)?-(\d+)-\S+$`)
	pbsRe        = lazyre.New(`^backup/[^\s_]+/([^\s_]+)/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	iscsiRe      = lazyre.New(`^\d+\.\d+\.\d+\.[^/\s]+$`)
)

// parseVolname is the storage plugin's parse_volname: the content type
// (vtype) and the owner vmid (0 for none). major is the PVE major version.
func parseVolname(typ, volname string, major int) (vtype string, owner int, err error) {
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch typ {
	case "lvmthin", "lvm":
		if !lvmNameRe.MatchString(volname) {
			return "", 0, fmt.Errorf("lvm name '%s' contains illegal characters", volname)
		}
		re := lvmRe
		if typ == "lvmthin" {
			re = lvmThinRe
		}
		if m := re.FindStringSubmatch(volname); m != nil {
			return "images", num(m[1]), nil
		}
		return "", 0, fmt.Errorf("unable to parse lvm volume name '%s'", volname)
	case "zfspool", "zfs":
		if m := zfsRe.FindStringSubmatch(volname); m != nil {
			return "images", num(m[1]), nil
		}
		return "", 0, fmt.Errorf("unable to parse zfs volume name '%s'", volname)
	case "rbd":
		if m := rbdRe.FindStringSubmatch(volname); m != nil {
			return "images", num(m[1]), nil
		}
		return "", 0, fmt.Errorf("unable to parse rbd volume name '%s'", volname)
	case "pbs":
		if m := pbsRe.FindStringSubmatch(volname); m != nil {
			return "backup", num(m[1]), nil // a non-numeric backup id has no owner
		}
		return "", 0, fmt.Errorf("unable to parse PBS volume name '%s'", volname)
	case "iscsi":
		if iscsiRe.MatchString(volname) {
			return "images", 0, nil
		}
		return "", 0, fmt.Errorf("unable to parse iscsi volume name '%s'", volname)
	}
	return parseDirVolname(volname, major)
}

// parseDirVolname is the base Plugin.pm parse_volname (dir, nfs, cifs, ...):
// the owner of a linked clone "100/base-100-disk-0.raw/101/vm-101-disk-0.qcow2"
// is the last vmid, 101.
func parseDirVolname(volname string, major int) (string, int, error) {
	nameOK := func(name string) error {
		if strings.HasPrefix(name, "snap-") && strings.HasSuffix(name, ".qcow2") && major >= 9 {
			//lint:ignore ST1005 Proxmox's own text
			return fmt.Errorf("'%s' is a snapshot filename, not a volume!", name)
		}
		if !nameDirRe.MatchString(name) {
			return fmt.Errorf("unable to parse volume filename '%s'", name)
		}
		return nil
	}
	if m := dirLinkedRe.FindStringSubmatch(volname); m != nil {
		if err := nameOK(m[2]); err != nil {
			return "", 0, err
		}
		if err := nameOK(m[4]); err != nil {
			return "", 0, err
		}
		owner, _ := strconv.Atoi(m[3])
		return "images", owner, nil
	}
	if m := dirImageRe.FindStringSubmatch(volname); m != nil {
		if err := nameOK(m[2]); err != nil {
			return "", 0, err
		}
		owner, _ := strconv.Atoi(m[1])
		return "images", owner, nil
	}
	switch {
	case dirISORe.MatchString(volname):
		return "iso", 0, nil
	case dirVztmplRe.MatchString(volname):
		return "vztmpl", 0, nil
	case dirSnippetRe.MatchString(volname):
		return "snippets", 0, nil
	case dirOVARe.MatchString(volname), dirImportRe.MatchString(volname):
		return "import", 0, nil
	}
	if m := dirBackupRe.FindStringSubmatch(volname); m != nil {
		owner := 0
		if o := backupOwner.FindStringSubmatch(m[1]); o != nil {
			owner, _ = strconv.Atoi(o[1])
		}
		return "backup", owner, nil
	}
	if m := dirRootdirRe.FindStringSubmatch(volname); m != nil && major <= 8 {
		owner, _ := strconv.Atoi(m[1])
		return "rootdir", owner, nil
	}
	return "", 0, fmt.Errorf("unable to parse directory volume name '%s'", volname)
}

// storageDef finds a storage of storage.cfg.
func (st *state) storageDef(id string) *storageDef {
	for _, d := range st.storages {
		if d.id == id {
			return d
		}
	}
	return nil
}

// parseVolid is PVE::Storage::parse_volname: the storage must exist.
func (c *call) parseVolid(volid string) (vtype string, owner int, err error) {
	sid, volname, ok := parseVolumeID(volid)
	if !ok {
		return "", 0, failf("unable to parse volume ID '%s'", volid)
	}
	d := c.st.storageDef(sid)
	if d == nil {
		return "", 0, failf("storage '%s' does not exist", sid)
	}
	vtype, owner, err = parseVolname(d.typ, volname, c.s.major())
	if err != nil {
		return "", 0, failf("%s", err)
	}
	return vtype, owner, nil
}

// volumeOwner is the vmid a volume's name belongs to, 0 when it has none or
// cannot be parsed (paths, unknown storages).
func (st *state) volumeOwner(volid string, major int) int {
	sid, volname, ok := parseVolumeID(volid)
	if !ok {
		return 0
	}
	d := st.storageDef(sid)
	if d == nil {
		return 0
	}
	_, owner, err := parseVolname(d.typ, volname, major)
	if err != nil {
		return 0
	}
	return owner
}

// checkVolumeAccess is PVE::Storage::check_volume_access. vmid 0 means no
// target guest; want "" means any content type.
func (c *call) checkVolumeAccess(vmid int, volid, want string) error {
	sid, _, ok := parseVolumeID(volid)
	if !ok {
		if c.authid != rootUser {
			// die without "\n": Perl appends where it died
			return failf("%s", c.s.perlDie("Only root can pass arbitrary filesystem paths.", "PVE/Storage.pm", storagePathLines))
		}
		return nil
	}
	vtype, owner, err := c.parseVolid(volid)
	if err != nil {
		return err
	}
	if want != "" && vtype != want && (want != "rootdir" || vtype != "images") {
		return failf("unable to use volume %s - content type needs to be '%s'", volid, want)
	}
	sp := "/storage/" + sid
	if c.s.has(c.authid, sp, "Datastore.Allocate") {
		return nil
	}
	switch {
	case vtype == "iso" || vtype == "vztmpl" || vtype == "import":
		return c.checkAny(sp, "Datastore.AllocateSpace", "Datastore.Audit")
	case owner > 0 && vmid > 0 && owner == vmid:
		return nil
	case vtype == "backup" && owner > 0:
		if err := c.checkPriv(sp, "Datastore.AllocateSpace"); err != nil {
			return err
		}
		return c.checkPriv("/vms/"+strconv.Itoa(owner), "VM.Backup")
	case (vtype == "images" || vtype == "rootdir") && owner > 0:
		if err := c.checkPriv(sp, "Datastore.Audit"); err != nil {
			return err
		}
		return c.checkPriv("/vms/"+strconv.Itoa(owner), "VM.Config.Disk")
	}
	return failf("missing privileges to access %s", volid)
}

// volumeParam turns {volume} (a full volid or a volume name) into a volid,
// as Content.pm's real_volume_id does.
func (c *call) volumeParam() (string, error) {
	v, sid := c.params["volume"], c.params["storage"]
	if !strings.Contains(v, ":") {
		return sid + ":" + v, nil
	}
	vs, _, ok := parseVolumeID(v)
	if !ok {
		return "", paramErr("volume", "unable to parse volume ID '"+v+"'\n")
	}
	if vs != sid {
		return "", paramErr("volume", fmt.Sprintf("storage ID mismatch (%s != %s)\n", vs, sid))
	}
	return v, nil
}

// checkVolumeDelete is Content.pm's delete rule: a guest's backup needs
// Datastore.AllocateSpace and VM.Backup on the guest, anything else
// Datastore.Allocate on the storage.
func (c *call) checkVolumeDelete(volid string) error {
	sid, _, _ := parseVolumeID(volid)
	vtype, owner, err := c.parseVolid(volid)
	if err != nil {
		return err
	}
	sp := "/storage/" + sid
	if vtype == "backup" && owner > 0 {
		if err := c.checkPriv(sp, "Datastore.AllocateSpace"); err != nil {
			return err
		}
		return c.checkPriv("/vms/"+strconv.Itoa(owner), "VM.Backup")
	}
	return c.checkPriv(sp, "Datastore.Allocate")
}

const rootUser = "root@pam"

// storagePathLines is the line of that die in /usr/share/perl5/PVE/Storage.pm
// per PVE major (libpve-storage-perl 7.4-3, 8.3.6, 9.1.x).
var storagePathLines = map[int]int{7: 542, 8: 569, 9: 651}

// perlDie renders a die message without a trailing newline the way Perl
// does: " at /usr/share/perl5/FILE line N.".
func (s *Sim) perlDie(msg, file string, lines map[int]int) string {
	n, ok := lines[s.major()]
	if !ok {
		n = lines[9]
	}
	return fmt.Sprintf("%s at /usr/share/perl5/%s line %d.", msg, file, n)
}

// isBaseVolume tells whether a volume name's last component is a base image.
func isBaseVolume(volid string) bool {
	_, name, _ := strings.Cut(volid, ":")
	return strings.HasPrefix(name[strings.LastIndex(name, "/")+1:], "base-")
}

// baseVolid is the volid a guest's volume gets when the guest becomes a
// template ("vm-" becomes "base-" in the last component), "" if none.
func baseVolid(volid string) string {
	sid, name, ok := strings.Cut(volid, ":")
	i := strings.LastIndex(name, "/") + 1
	if !ok || !strings.HasPrefix(name[i:], "vm-") {
		return ""
	}
	return sid + ":" + name[:i] + "base-" + strings.TrimPrefix(name[i:], "vm-")
}

// storageOn returns the storage on a node, nil if the node has no such storage.
func (st *state) storageOn(nodeName, id string) *nodeStorage {
	n := st.node(nodeName)
	if n == nil {
		return nil
	}
	return n.store[id]
}

// findVolume looks a volid up on a node.
func (st *state) findVolume(nodeName, volid string) *volume {
	sid, _, ok := strings.Cut(volid, ":")
	if !ok {
		return nil
	}
	ns := st.storageOn(nodeName, sid)
	if ns == nil {
		return nil
	}
	return ns.vols[volid]
}

func (st *state) removeVolume(nodeName, volid string) {
	sid, _, _ := strings.Cut(volid, ":")
	if ns := st.storageOn(nodeName, sid); ns != nil {
		delete(ns.vols, volid)
	}
}

func (st *state) addVolume(nodeName string, v *volume) {
	sid, _, _ := strings.Cut(v.volid, ":")
	if ns := st.storageOn(nodeName, sid); ns != nil {
		ns.vols[v.volid] = v
	}
}

// allocDisk creates a new raw image volume for vmid on a storage and
// returns its volid.
func (st *state) allocDisk(nodeName, sid string, vmid int, size int64, content string, base bool, now time.Time) (string, error) {
	return st.allocDiskFormat(nodeName, sid, vmid, size, content, base, "", now)
}

// allocDiskFormat is allocDisk with a format ("" = the storage's default):
// file storages keep raw, qcow2 and vmdk images, LVM only raw.
func (st *state) allocDiskFormat(nodeName, sid string, vmid int, size int64, content string, base bool, format string, now time.Time) (string, error) {
	ns := st.storageOn(nodeName, sid)
	if ns == nil {
		return "", fmt.Errorf("storage '%s' does not exist", sid)
	}
	if !hasContent(ns.def, content) && !(content == "rootdir" && hasContent(ns.def, "images")) {
		return "", fmt.Errorf("storage '%s' does not support %s", sid, contentWord(content))
	}
	if format == "" {
		format = "raw"
	}
	if !fileBased(ns.def.typ) && format != "raw" {
		return "", fmt.Errorf("unsupported format '%s'", format)
	}
	prefix := "vm"
	if base {
		prefix = "base"
	}
	for i := 0; ; i++ {
		name := fmt.Sprintf("%s-%d-disk-%d", prefix, vmid, i)
		volid := sid + ":" + name
		if fileBased(ns.def.typ) {
			volid = fmt.Sprintf("%s:%d/%s.%s", sid, vmid, name, format)
		}
		if st.diskNameUsed(ns, vmid, i) {
			continue
		}
		ns.vols[volid] = &volume{volid: volid, content: content, format: format, size: size, vmid: vmid, ctime: now.Unix()}
		return volid, nil
	}
}

func (st *state) diskNameUsed(ns *nodeStorage, vmid, i int) bool {
	for _, p := range []string{"vm", "base"} {
		name := fmt.Sprintf("%s-%d-disk-%d", p, vmid, i)
		for volid := range ns.vols {
			if strings.HasSuffix(volid, ":"+name) || strings.HasSuffix(volid, "/"+name) {
				return true
			}
			for _, ext := range []string{".raw", ".qcow2", ".vmdk"} {
				if strings.HasSuffix(volid, "/"+name+ext) {
					return true
				}
			}
		}
	}
	return false
}
