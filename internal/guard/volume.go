package guard

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Volume is a volume id read the way Proxmox's storage plugins read it
// (PVE::Storage::parse_volume_id and each plugin's parse_volname).
type Volume struct {
	ID        string // STORAGE:VOLNAME as given
	Storage   string
	Name      string // the volname
	Type      string // images, rootdir, iso, vztmpl, backup, snippets, import
	Owner     int    // guest that owns it (the last component of a linked clone); 0: none
	BaseOwner int    // guest whose base image a linked clone is built on; 0: none
}

// Perl's \s is [\t\n\v\f\r ] on byte strings; Go's \s lacks \v, so the
// classes are spelled out to read names exactly as Proxmox does.
const (
	nonSpace = `[^\t\n\v\f\r ]`
	isoExt   = `(?i:\.(?:iso|img))`                             // ISO_EXT_RE_0
	tmplExt  = `(?i:\.(?:tar|tar\.(?:gz|xz|zst|bz2)))`          // VZTMPL_EXT_RE_1 (anchored: "tar" not followed by ".")
	backExt  = `\.(?:tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)` // BACKUP_EXT_RE_2
	safeChar = `[ a-zA-Z0-9\-.+=_]`                             // SAFE_CHAR_WITH_WHITESPACE_CLASS_RE
	importEx = `\.(?:ova|ovf|qcow2|raw|vmdk)`                   // IMPORT_EXT_RE_1
)

var (
	// Plugin.pm (dir, nfs, cifs, glusterfs, cephfs, btrfs)
	reDirLinked   = lazyre.New(`^(\d+)/(` + nonSpace + `+)/(\d+)/(` + nonSpace + `+)$`)
	reDirImage    = lazyre.New(`^(\d+)/(` + nonSpace + `+)$`)
	reDirFile     = lazyre.New(`^((base-)?[^/\t\n\v\f\r ]+\.(raw|qcow2|vmdk|subvol))$`)
	reDirSnapFile = lazyre.New(`^snap-.*\.qcow2$`)
	reDirISO      = lazyre.New(`^iso/([^/]+` + isoExt + `)$`)
	reDirTemplate = lazyre.New(`^vztmpl/([^/]+` + tmplExt + `)$`)
	reDirRootdir  = lazyre.New(`^rootdir/(\d+)$`)
	reDirBackup   = lazyre.New(`^backup/([^/]+` + backExt + `)$`)
	reBackupOwner = lazyre.New(`^vzdump-(?:openvz|lxc|qemu)-(\d+)-.+`)
	reDirSnippet  = lazyre.New(`^snippets/([^/]+)$`)
	reDirImport   = lazyre.New(`^import/(` + safeChar + `+` + importEx + `)$`)
	reDirOVA      = lazyre.New(`^import/(` + safeChar + `+\.ova/` + safeChar + `+\.(?:qcow2|raw|vmdk))$`)

	// LVMPlugin.pm and LvmThinPlugin.pm (parse_lvm_name first)
	reLVMName = lazyre.New(`(?i)^[a-z0-9][a-z0-9\-_.]*[a-z0-9]$`)
	reLVM     = lazyre.New(`^(vm-(\d+)-` + nonSpace + `+)$`)
	reLVMThin = lazyre.New(`^((vm|base)-(\d+)-` + nonSpace + `+)$`)
	// ZFSPoolPlugin.pm (and ZFSPlugin.pm)
	reZFS = lazyre.New(`^(((base|basevol)-(\d+)-` + nonSpace + `+)/)?((base|basevol|vm|subvol)-(\d+)-` + nonSpace + `+)$`)
	// RBDPlugin.pm
	reRBD = lazyre.New(`^((base-(\d+)-` + nonSpace + `+)/)?((base)?(vm)?-(\d+)-` + nonSpace + `+)$`)
	// ISCSIPlugin.pm, ISCSIDirectPlugin.pm: LUNs, owned by no guest
	reISCSI       = lazyre.New(`^\d+\.\d+\.\d+\.([^/\t\n\v\f\r ]+)$`)
	reISCSIDirect = lazyre.New(`^lun(\d+)$`)
	// PBSPlugin.pm
	rePBS = lazyre.New(`^backup/([^\t\n\v\f\r _]+)/([^\t\n\v\f\r _]+)/([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)$`)
	// ESXiPlugin.pm: import sources, owned by no guest
	reESXi = lazyre.New(`^([^/]+)/([^/]+)/(.+)$`)
)

// dirTypes are the plugins that use Plugin.pm's directory layout.
var dirTypes = map[string]bool{"dir": true, "nfs": true, "cifs": true, "glusterfs": true, "cephfs": true, "btrfs": true}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// ParseVolume reads a volume id on a storage of the given plugin type. The
// errors are Proxmox's own texts.
func ParseVolume(volid, plugin string) (Volume, error) {
	sid, name, err := pveid.ParseVolumeID(volid)
	if err != nil {
		return Volume{}, err
	}
	return parseVolname(Volume{ID: volid, Storage: sid, Name: name}, plugin)
}

// parseVolname is a plugin's parse_volname of v.Name.
func parseVolname(v Volume, plugin string) (Volume, error) {
	var err error
	name := v.Name
	switch {
	case dirTypes[plugin]:
		err = parseDir(&v)
	case plugin == "lvm":
		err = parseLVM(&v, reLVM, false)
	case plugin == "lvmthin":
		err = parseLVM(&v, reLVMThin, true)
	case plugin == "zfspool" || plugin == "zfs":
		err = parseZFS(&v)
	case plugin == "rbd":
		err = parseRBD(&v)
	case plugin == "iscsi" || plugin == "iscsidirect":
		re := reISCSI
		if plugin == "iscsidirect" {
			re = reISCSIDirect
		}
		if !re.MatchString(name) {
			err = fmt.Errorf("unable to parse iscsi volume name '%s'", name)
		}
		v.Type = "images"
	case plugin == "esxi":
		v.Type = "images"
		switch {
		case !reESXi.MatchString(name):
			err = fmt.Errorf("failed to parse volname '%s'", name)
		case strings.HasSuffix(name, ".vmx"):
			v.Type = "import"
		}
	case plugin == "pbs":
		err = parsePBS(&v)
	default:
		err = fmt.Errorf("storage %s is of type %q, whose volume names this server cannot read", v.Storage, plugin)
	}
	if err == nil && (v.Owner < 0 || v.BaseOwner < 0) {
		err = fmt.Errorf("volume %s names a guest id out of range", v.ID)
	}
	if err != nil {
		return Volume{}, err
	}
	return v, nil
}

// atoi reads a guest id; -1 (out of range) makes ParseVolume refuse the name.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// parseNameDir is Plugin.pm's parse_name_dir: a disk image's file name.
func parseNameDir(name string) error {
	switch {
	case reDirFile.MatchString(name) && !reDirSnapFile.MatchString(name):
		return nil
	case reDirSnapFile.MatchString(name):
		//lint:ignore ST1005 Proxmox's own text
		return fmt.Errorf("'%s' is a snapshot filename, not a volume!", name)
	}
	return fmt.Errorf("unable to parse volume filename '%s'", name)
}

func parseDir(v *Volume) error {
	name := v.Name
	if m := reDirLinked.FindStringSubmatch(name); m != nil {
		if err := parseNameDir(m[2]); err != nil {
			return err
		}
		if err := parseNameDir(m[4]); err != nil {
			return err
		}
		v.Type, v.Owner, v.BaseOwner = "images", atoi(m[3]), atoi(m[1])
		return nil
	}
	if m := reDirImage.FindStringSubmatch(name); m != nil {
		if err := parseNameDir(m[2]); err != nil {
			return err
		}
		v.Type, v.Owner = "images", atoi(m[1])
		return nil
	}
	switch {
	case reDirISO.MatchString(name):
		v.Type = "iso"
	case reDirTemplate.MatchString(name):
		v.Type = "vztmpl"
	case reDirRootdir.MatchString(name):
		v.Type, v.Owner = "rootdir", atoi(reDirRootdir.FindStringSubmatch(name)[1])
	case reDirBackup.MatchString(name):
		v.Type = "backup"
		file := reDirBackup.FindStringSubmatch(name)[1]
		if m := reBackupOwner.FindStringSubmatch(file); m != nil {
			v.Owner = atoi(m[1])
		}
	case reDirSnippet.MatchString(name):
		v.Type = "snippets"
	case reDirOVA.MatchString(name), reDirImport.MatchString(name):
		v.Type = "import"
	default:
		return fmt.Errorf("unable to parse directory volume name '%s'", name)
	}
	return nil
}

func parseLVM(v *Volume, re *lazyre.Regexp, thin bool) error {
	if !reLVMName.MatchString(v.Name) {
		return fmt.Errorf("unable to parse lvm volume name '%s'", v.Name)
	}
	m := re.FindStringSubmatch(v.Name)
	if m == nil {
		return fmt.Errorf("unable to parse lvm volume name '%s'", v.Name)
	}
	v.Type, v.Owner = "images", atoi(m[2])
	if thin {
		v.Owner = atoi(m[3])
	}
	return nil
}

func parseZFS(v *Volume) error {
	m := reZFS.FindStringSubmatch(v.Name)
	if m == nil {
		return fmt.Errorf("unable to parse zfs volume name '%s'", v.Name)
	}
	v.Type, v.Owner, v.BaseOwner = "images", atoi(m[7]), optionalID(m[4])
	return nil
}

// optionalID reads the base guest of a name that may have no base part.
func optionalID(s string) int {
	if s == "" {
		return 0
	}
	return atoi(s)
}

func parseRBD(v *Volume) error {
	m := reRBD.FindStringSubmatch(v.Name)
	if m == nil {
		return fmt.Errorf("unable to parse rbd volume name '%s'", v.Name)
	}
	v.Type, v.Owner, v.BaseOwner = "images", atoi(m[7]), optionalID(m[3])
	return nil
}

func parsePBS(v *Volume) error {
	m := rePBS.FindStringSubmatch(v.Name)
	if m == nil {
		return fmt.Errorf("unable to parse PBS volume name '%s'", v.Name)
	}
	v.Type = "backup"
	if isDigits(m[2]) {
		v.Owner = atoi(m[2])
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
