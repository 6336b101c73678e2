package guard

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Run each with:
//
//	go test -run '^$' -fuzz FuzzGuardDrive -fuzztime 60s ./internal/guard
//	go test -run '^$' -fuzz FuzzParseVolume -fuzztime 60s ./internal/guard
//
// Crashers the fuzzer writes under testdata/fuzz are replayed by plain go test.

const fuzzDrivePath = "/nodes/pve1/qemu/100/config"

// volumeSeeds are volume ids that once fooled, or could fool, an owner check.
var volumeSeeds = []string{
	"local-lvm:vm-100-disk-1", "local-lvm:vm-101-disk-0", "local-lvm:base-101-disk-0", "local-lvm:vm-0101-disk-0",
	"tank:vm-100-disk-0", "tank:subvol-101-disk-0", "tank:basevol-100-x/subvol-101-x",
	"tank:base-100-disk-0/vm-101-disk-0", "tank:base-101-disk-0/vm-100-disk-0",
	"ceph:base-100-disk-0/vm-101-disk-0", "ceph:-101-x", "ceph:basevm-101-x", "ceph:vm-100-disk-0",
	"nfs:100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2", "nfs:101/base-101-disk-0.qcow2/100/vm-100-disk-0.qcow2",
	"local:100/vm-100-disk-0.raw", "local:100/snap-x.qcow2", "local:100/a.raw/101/b.raw/102/c.raw",
	"vm-100-store:101/vm-101-disk-0.raw", "vm-100-store:100/vm-100-disk-0.raw", "vm-101-store:iso/d.iso",
	"local:iso/../images/101/vm-101-disk-0.raw", "local:100/../101/vm-101-disk-0.raw", "local:iso/..", "local:snippets/..",
	"local:iso/d.iso", "local:vztmpl/d.tar.zst", "local:vztmpl/d.TAR", "local:rootdir/101", "local:snippets/u.yml",
	"local:backup/vzdump-qemu-101-2024_01_01-00_00_00.vma.zst", "local:backup/vzdump-lxc-100-x.tar",
	"local:import/a b.ova/c.vmdk", "local:import/x.qcow2", "pbs:backup/vm/101/2024-01-01T00:00:00Z",
	"pbs:backup/ct/x/2024-01-01T00:00:00Z", "san:0.0.1.scsi-36001405", "san:lun7", "esx:dc/vm/x.vmx",
	"local:0/vm-0-disk-0.raw", "local:0100/vm-100-disk-0.raw", "local:0101/vm-101-disk-0.raw",
	"local-lvm:vm-99999999999999999999-disk-0", "local:18446744073709551716/vm-100-disk-0.raw",
	"local:9223372036854775807/x.raw", "local-lvm:vm-100-disk-0\n", "local:100/vm-100-disk-0.raw\n",
	"local:100/vm-100-disk\v0.raw", "local:iso/a\r.iso", "local:100/a\u00a0b.raw", "local:\u0661\u0660\u0661/vm-101-disk-0.raw",
	"\u212aocal:100/vm-100-disk-0.raw", "local-lvm:vm-101-\u017f", "a:b", "1x:y", "local:", ":x",
}

// driveSeeds are whole scsi1 values: default keys anywhere, aliases,
// duplicates, new disks, paths and import sources.
var driveSeeds = []string{
	"none", "cdrom", "32", "local-lvm:32", "local-lvm:32.5", "local-lvm:99999999999999999999", "a/b:32",
	"iothread=1,local-lvm:vm-101-disk-0", "ssd=1,cache=none,local-lvm:vm-100-disk-0",
	"local-lvm:vm-100-disk-1,local-lvm:vm-101-disk-0", "file=local-lvm:vm-100-disk-1,local-lvm:vm-101-disk-0",
	"volume=local-lvm:vm-101-disk-0", "volume=local-lvm:vm-100-disk-0,file=local-lvm:vm-100-disk-0", "file=a,volume=b",
	"local-lvm:vm-100-disk-0,,iothread=1", " ,local-lvm:vm-100-disk-0", "file=local-lvm:vm-101-disk-0\n",
	"iothread=1\n,local-lvm:vm-101-disk-0", "local-lvm:vm-100-disk-0\n,iothread=1", "/dev/sdb", "file=/etc/shadow",
	"local-lvm:0,import-from=/var/lib/vz/images/101/vm-101-disk-0.raw", "local-lvm:0,import-from=local:101/vm-101-disk-0.qcow2",
	"local-lvm:0,import-from=local:100/vm-100-disk-0.qcow2", "local:iso/d.iso,media=cdrom", "local-lvm:cloudinit", "cloudinit", "vm-101-store:cloudinit", "local:cloudinit/x", "local-lvm:vm-100-disk-0,size=99999999999T",
}

// FuzzGuardDrive: a scsi1 value the guard lets through (guest allowlist
// {100}) is one pveschema parses, whose file and import-from are none, cdrom,
// a new disk, or a volume of guest 100 or of no guest, without '..' and never
// a path on the node. What pveschema refuses, the guard refuses.
func FuzzGuardDrive(f *testing.F) {
	for _, s := range append(driveSeeds, volumeSeeds...) {
		f.Add(s)
	}
	e := newTestEnv(f, Options{Allow: NewAllowlist(nil, []int{100})})
	s, err := testSchemas.Load("9.1")
	if err != nil {
		f.Fatal(err)
	}
	ep, _, ok := s.Lookup("PUT", fuzzDrivePath)
	if !ok {
		f.Fatal("no PUT config endpoint")
	}
	p, ok := ep.Param("scsi1")
	if !ok {
		f.Fatal("no scsi1 parameter")
	}
	types := fakeStorageTypes(f, "pve1")
	f.Fuzz(func(t *testing.T, val string) {
		out := e.send("PUT", fuzzDrivePath, url.Values{"scsi1": {val}})
		e.fake.mu.Lock()
		e.fake.requests = nil // keep a long run's memory flat
		e.fake.mu.Unlock()
		res, perr := pveschema.ParsePropertyString(p, val)
		if out.err != nil {
			if !errors.Is(out.err, ErrRefused) {
				t.Fatalf("scsi1 = %q: an error that is no refusal: %v", val, out.err)
			}
			if out.wrote("PUT", fuzzDrivePath) {
				t.Fatalf("scsi1 = %q refused, yet sent: %v", val, out.sent)
			}
			return
		}
		if !out.wrote("PUT", fuzzDrivePath) {
			t.Fatalf("scsi1 = %q let through, yet not sent: %v", val, out.sent)
		}
		if perr != nil {
			t.Fatalf("scsi1 = %q let through, but pveschema refuses it: %v", val, perr)
		}
		for _, key := range []string{"file", "import-from"} {
			if v, ok := res[key]; ok {
				if why := badDriveVolume(v, types); why != "" {
					t.Fatalf("scsi1 = %q let through, but %s = %q %s", val, key, v, why)
				}
			}
		}
	})
}

// perlNewDisk is qemu-server's NEW_DISK_RE.
var perlNewDisk = perl(`^(([^/:\s]+):)?(\d+(\.\d+)?)$`)

// badDriveVolume says what is wrong with a drive's file or import-from value
// for a guest-100-only allowlist, or "" when nothing is.
func badDriveVolume(v string, types map[string]string) string {
	switch {
	case v == "none" || v == "cdrom" || perlNewDisk.MatchString(v):
		return ""
	case strings.HasPrefix(v, "/"):
		return "is a path on the node"
	}
	m := perlVolumeID.FindStringSubmatch(v)
	switch {
	case v == "cloudinit" || m != nil && m[2] == "cloudinit":
		return "" // a new cloud-init drive, which Proxmox does not check
	case m == nil:
		return "is no volume id"
	}
	for _, seg := range strings.Split(m[2], "/") {
		if seg == ".." {
			return "has a '..' component"
		}
	}
	// By Proxmox's regexes for the storage's real type (which the guard
	// reads once it knows the type; before, it refuses any type's reading
	// of another owner, which is stricter), the owner is 100 or none. Not
	// by every type's: "tank:base-100-x/-1-0" is guest 1's as an rbd name
	// but guest 100's on tank, a zfspool, which is how Proxmox reads it.
	plugin, ok := types[m[1]]
	if !ok {
		return "is on a storage node pve1 does not have"
	}
	if ref, ok, _ := perlParseVolume(v, plugin); ok {
		if n, _ := strconv.Atoi(ref.owner); n != 0 && n != 100 {
			return "belongs to guest " + ref.owner + " by Proxmox's " + plugin + " regexes"
		}
	}
	return ""
}

// fakeStorageTypes reads the fake cluster's storages of node as id -> type.
func fakeStorageTypes(tb testing.TB, node string) map[string]string {
	var res []resource
	if err := json.Unmarshal([]byte(testResources), &res); err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range res {
		if r.Type == "storage" && r.Node == node {
			out[r.Storage] = r.PluginType
		}
	}
	return out
}

// fuzzPlugins are the storage types ParseVolume knows, and one it does not.
var fuzzPlugins = []string{"dir", "nfs", "cifs", "glusterfs", "cephfs", "btrfs", "lvm", "lvmthin",
	"zfspool", "zfs", "rbd", "iscsi", "iscsidirect", "pbs", "esxi", "unknown"}

// FuzzParseVolume: ParseVolume never panics nor gives a negative guest, and
// reads every volume id as Proxmox's own regexes (perlParseVolume) do.
func FuzzParseVolume(f *testing.F) {
	for _, s := range volumeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, volid string) {
		for _, plugin := range fuzzPlugins {
			v, err := ParseVolume(volid, plugin)
			if err == nil && (v.Owner < 0 || v.BaseOwner < 0) {
				t.Fatalf("ParseVolume(%q, %s) = %+v: a negative guest id", volid, plugin, v)
			}
			ref, ok, known := perlParseVolume(volid, plugin)
			switch {
			case !known:
				if err == nil {
					t.Fatalf("ParseVolume(%q, %s) accepted a type no plugin has: %+v", volid, plugin, v)
				}
			case ok && err == nil:
				owner, _ := strconv.Atoi(ref.owner) // "" (undef) is 0, as in Go
				base, _ := strconv.Atoi(ref.base)
				if v.Owner != owner || v.BaseOwner != base || v.Type != ref.vtype {
					t.Fatalf("ParseVolume(%q, %s) = %s owner %d base %d; Proxmox reads %s owner %q base %q",
						volid, plugin, v.Type, v.Owner, v.BaseOwner, ref.vtype, ref.owner, ref.base)
				}
			case !ok && err == nil && isASCII(volid):
				// Non-ASCII is left out: Proxmox decodes parameters to
				// characters, where \s, \d and /i are Unicode-wide.
				t.Fatalf("ParseVolume(%q, %s) = %+v, but Proxmox refuses that name", volid, plugin, v)
			case ok && err != nil && !strings.ContainsAny(volid, "\x00\r\n") && fitsInt(ref.owner) && fitsInt(ref.base):
				// Refusing CR, LF and NUL, and guest numbers past int, is
				// the guard's choice; anything else Proxmox reads, it must.
				t.Fatalf("ParseVolume(%q, %s): %v; Proxmox reads it as %s owner %q base %q", volid, plugin, err, ref.vtype, ref.owner, ref.base)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func fitsInt(s string) bool {
	_, err := strconv.Atoi(s)
	return s == "" || err == nil
}

// The reference below is written from the Perl in pve-storage (see
// pve-guard-facts.md §1), not from volume.go: patterns are quoted as Perl
// has them and translated by perl(); Perl's /i on byte strings is spelled
// out as ASCII classes ([a-zA-Z], ci("iso")).

// perl compiles a Perl pattern: \S and \s are Perl's byte-string classes
// ([\t\n\v\f\r ], Go's \s lacks \v), and a final $ also matches before a
// trailing newline, as Perl's does.
func perl(p string) *regexp.Regexp {
	p = strings.NewReplacer(`\S`, `[^\t\n\v\f\r ]`, `\s`, `\t\n\v\f\r `).Replace(p)
	if t, ok := strings.CutSuffix(p, "$"); ok {
		p = t + `\n?\z`
	}
	return regexp.MustCompile(p)
}

// ci is a word matched case-insensitively, ASCII only.
func ci(w string) string {
	var b strings.Builder
	for _, c := range w {
		if up := strings.ToUpper(string(c)); up != string(c) {
			b.WriteString("[" + string(c) + up + "]")
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

var (
	isoExtRE    = `\.(?:` + ci("iso") + `|` + ci("img") + `)` // ISO_EXT_RE_0
	vztmplExtRE = `\.(?:` + ci("tar") + `|` + ci("tar") + `\.(?:` + ci("gz") + `|` + ci("xz") + `|` + ci("zst") + `|` + ci("bz2") + `))`
	backupExtRE = `\.(tgz|(?:tar|vma)(?:\.(gz|lzo|zst|bz2))?)` // BACKUP_EXT_RE_2
	safeWSRE    = `[ a-zA-Z0-9\-\.\+\=\_]`                     // SAFE_CHAR_WITH_WHITESPACE_CLASS_RE
	importExtRE = `\.(ova|ovf|qcow2|raw|vmdk)`                 // IMPORT_EXT_RE_1

	perlVolumeID   = perl(`^([a-zA-Z][a-zA-Z0-9\-\_\.]*[a-zA-Z0-9]):(.+)$`)
	perlDirLinked  = perl(`^(\d+)/(\S+)/(\d+)/(\S+)$`)
	perlDirImage   = perl(`^(\d+)/(\S+)$`)
	perlDirISO     = perl(`^iso/([^/]+` + isoExtRE + `)$`)
	perlDirVztmpl  = perl(`^vztmpl/([^/]+` + vztmplExtRE + `)$`) // (tar)(?!\.) before $ is plain tar
	perlDirRootdir = perl(`^rootdir/(\d+)$`)                     // PVE <= 8
	perlDirBackup  = perl(`^backup/([^/]+` + backupExtRE + `)$`)
	perlVzdump     = perl(`^vzdump-(openvz|lxc|qemu)-(\d+)-.+`)
	perlDirSnippet = perl(`^snippets/([^/]+)$`)
	perlDirOVA     = perl(`^import/(` + safeWSRE + `+\.ova\/` + safeWSRE + `+\.(qcow2|raw|vmdk))$`)
	perlDirImport  = perl(`^import/(` + safeWSRE + `+` + importExtRE + `)$`)
	perlNameDir1   = perl(`^((vm-|base-|subvol-)(\d+)-[^/\s]+\.(raw|qcow2|vmdk|subvol))$`)
	perlNameSnap   = perl(`^snap-.*\.qcow2$`)
	perlNameDir2   = perl(`^((base-)?[^/\s]+\.(raw|qcow2|vmdk|subvol))$`)
	perlLVMName    = perl(`^[a-zA-Z0-9][a-zA-Z0-9\-\_\.]*[a-zA-Z0-9]$`)
	perlLVM        = perl(`^(vm-(\d+)-\S+)$`)
	perlLVMThin    = perl(`^((vm|base)-(\d+)-\S+)$`)
	perlZFS        = perl(`^(((base|basevol)-(\d+)-\S+)\/)?((base|basevol|vm|subvol)-(\d+)-\S+)$`)
	perlRBD        = perl(`^((base-(\d+)-\S+)\/)?((base)?(vm)?-(\d+)-\S+)$`)
	perlISCSI      = perl(`^\d+\.\d+\.\d+\.([^/\s]+)$`)
	perlISCSIDir   = perl(`^lun(\d+)$`)
	perlPBS        = perl(`^backup/([^\s_]+)/([^\s_]+)/([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)$`)
	perlDigits     = perl(`^\d+$`)
	perlESXi       = perl(`^([^/]+)/([^/]+)/(.+)$`)
	perlVMX        = perl(`\.vmx$`)
)

// perlVol is what parse_volname returns that the guard uses; "" is undef.
type perlVol struct{ vtype, owner, base string }

// perlParseVolume is PVE::Storage::parse_volname on a storage of type plugin:
// ok is false where Proxmox dies, known false for a type it has no plugin for.
func perlParseVolume(volid, plugin string) (v perlVol, ok, known bool) {
	m := perlVolumeID.FindStringSubmatch(volid)
	name := ""
	if m != nil {
		name = m[2]
	}
	known = true
	switch plugin {
	case "dir", "nfs", "cifs", "glusterfs", "cephfs", "btrfs":
		v, ok = perlDir(name)
	case "lvm", "lvmthin":
		re, owner := perlLVM, 2
		if plugin == "lvmthin" {
			re, owner = perlLVMThin, 3
		}
		if n := re.FindStringSubmatch(name); n != nil && perlLVMName.MatchString(name) {
			v, ok = perlVol{vtype: "images", owner: n[owner]}, true
		}
	case "zfspool", "zfs":
		if n := perlZFS.FindStringSubmatch(name); n != nil {
			v, ok = perlVol{vtype: "images", owner: n[7], base: n[4]}, true
		}
	case "rbd":
		if n := perlRBD.FindStringSubmatch(name); n != nil {
			v, ok = perlVol{vtype: "images", owner: n[7], base: n[3]}, true
		}
	case "iscsi", "iscsidirect":
		re := perlISCSI
		if plugin == "iscsidirect" {
			re = perlISCSIDir
		}
		v, ok = perlVol{vtype: "images"}, re.MatchString(name)
	case "pbs":
		if n := perlPBS.FindStringSubmatch(name); n != nil {
			v, ok = perlVol{vtype: "backup"}, true
			if perlDigits.MatchString(n[2]) {
				v.owner = n[2]
			}
		}
	case "esxi":
		v, ok = perlVol{vtype: "images"}, perlESXi.MatchString(name)
		if perlVMX.MatchString(name) {
			v.vtype = "import"
		}
	default:
		known = false
	}
	return v, ok && m != nil, known
}

// perlDir is Plugin.pm's parse_volname (PVE 9, plus the rootdir/N of <= 8).
func perlDir(name string) (perlVol, bool) {
	if m := perlDirLinked.FindStringSubmatch(name); m != nil {
		return perlVol{vtype: "images", owner: m[3], base: m[1]}, perlNameDir(m[2]) && perlNameDir(m[4])
	}
	if m := perlDirImage.FindStringSubmatch(name); m != nil {
		return perlVol{vtype: "images", owner: m[1]}, perlNameDir(m[2])
	}
	switch {
	case perlDirISO.MatchString(name):
		return perlVol{vtype: "iso"}, true
	case perlDirVztmpl.MatchString(name):
		return perlVol{vtype: "vztmpl"}, true
	case perlDirRootdir.MatchString(name):
		return perlVol{vtype: "rootdir", owner: perlDirRootdir.FindStringSubmatch(name)[1]}, true
	case perlDirBackup.MatchString(name):
		v := perlVol{vtype: "backup"}
		if m := perlVzdump.FindStringSubmatch(perlDirBackup.FindStringSubmatch(name)[1]); m != nil {
			v.owner = m[2]
		}
		return v, true
	case perlDirSnippet.MatchString(name):
		return perlVol{vtype: "snippets"}, true
	case perlDirOVA.MatchString(name), perlDirImport.MatchString(name):
		return perlVol{vtype: "import"}, true
	}
	return perlVol{}, false
}

// perlNameDir is parse_name_dir: false where it dies.
func perlNameDir(name string) bool {
	switch {
	case perlNameDir1.MatchString(name):
		return true
	case perlNameSnap.MatchString(name):
		return false
	}
	return perlNameDir2.MatchString(name)
}
