package guard

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

type guardCase struct {
	name         string
	method, path string
	form         url.Values
	want         string   // "refused", "consent" or "ok"
	has          []string // substrings of the error or question
	noReads      bool     // refused before any request, reads included
}

var (
	vmConfig  = "/nodes/pve1/qemu/100/config"
	vmCreate  = "/nodes/pve1/qemu"
	ctCreate  = "/nodes/pve1/lxc"
	ctConfig  = "/nodes/pve1/lxc/200/config"
	guestsSet = Options{Allow: NewAllowlist(nil, []int{100, 200})}
	nodesSet  = Options{Allow: NewAllowlist([]string{"pve1"}, nil)}
)

func runGuardCases(t *testing.T, o Options, cases []guardCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, o)
			out := e.send(tc.method, tc.path, tc.form)
			text := ""
			switch tc.want {
			case "refused":
				if out.err == nil || !errors.Is(out.err, ErrRefused) {
					t.Fatalf("want a refusal, got err=%v question=%q", out.err, out.question)
				}
				if out.wrote(tc.method, tc.path) {
					t.Fatalf("refused, yet the request was sent: %v", out.sent)
				}
				if tc.noReads && len(out.sent) > 0 {
					t.Fatalf("refused after reading the cluster: %v", out.sent)
				}
				text = out.err.Error()
			case "consent":
				if out.err != nil || out.question == "" {
					t.Fatalf("want consent asked, got err=%v question=%q", out.err, out.question)
				}
				text = out.question
			case "ok":
				if out.err != nil || out.question != "" {
					t.Fatalf("want it let through, got err=%v question=%q", out.err, out.question)
				}
			}
			for _, h := range tc.has {
				if !strings.Contains(text, h) {
					t.Errorf("%q lacks %q", text, h)
				}
			}
		})
	}
}

// Finding 1: a key-less item is the default key wherever it stands.
func TestDefaultKeyAnywhere(t *testing.T) {
	runGuardCases(t, guestsSet, []guardCase{
		{"scsi default key second", "PUT", vmConfig, form("scsi1", "iothread=1,local-lvm:vm-101-disk-0"), "refused", []string{"scsi1.file", "101", "PVE_VMID_ALLOWLIST"}, true},
		{"scsi default key last", "POST", vmCreate, form("vmid", "100", "scsi1", "ssd=1,cache=none,local-lvm:vm-101-disk-0"), "refused", []string{"101"}, true},
		{"rootfs default key second", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "unprivileged", "1", "rootfs", "size=8G,local-lvm:vm-201-disk-0"), "refused", []string{"rootfs.volume", "201"}, true},
		{"mp bind mount default key second", "PUT", ctConfig, form("mp0", "mp=/host,/"), "refused", []string{"mp0.volume", "PVE_ALLOW_HOST_ACCESS"}, true},
		{"two default items", "PUT", vmConfig, form("scsi1", "local-lvm:vm-100-disk-1,local-lvm:vm-101-disk-0"), "refused", []string{"duplicate key"}, true},
		{"file then default", "PUT", vmConfig, form("scsi1", "file=local-lvm:vm-100-disk-1,local-lvm:vm-101-disk-0"), "refused", []string{"duplicate key"}, true},
		{"import-from another guest", "POST", vmCreate, form("vmid", "100", "scsi0", "local-lvm:0,import-from=local-lvm:vm-101-disk-0"), "refused", []string{"scsi0.import-from", "101"}, true},
		{"efidisk of another guest", "PUT", vmConfig, form("efidisk0", "efitype=4m,local-lvm:vm-101-disk-1"), "refused", []string{"efidisk0.file", "101"}, true},
		{"unused of another guest", "PUT", vmConfig, form("unused0", "local-lvm:vm-101-disk-1"), "refused", []string{"101"}, true},
		{"cicustom of another guest", "PUT", vmConfig, form("cicustom", "user=local:snippets/u.yml,meta=local-lvm:vm-101-disk-1"), "refused", []string{"cicustom.meta", "101"}, true},
		{"own disk anywhere", "PUT", vmConfig, form("scsi1", "iothread=1,local-lvm:vm-100-disk-1"), "consent", []string{"scsi1"}, false},
		{"new disk", "POST", vmCreate, form("vmid", "100", "scsi0", "iothread=1,local-lvm:32"), "ok", nil, false},
		{"iso", "POST", vmCreate, form("vmid", "100", "ide2", "media=cdrom,local:iso/d.iso"), "ok", nil, false},
		{"cloud-init drive", "POST", vmCreate, form("vmid", "100", "ide3", "local-lvm:cloudinit"), "ok", nil, false},
		{"own zfs disk", "POST", vmCreate, form("vmid", "100", "scsi1", "tank:vm-100-disk-0"), "ok", nil, false},
		{"own rbd disk", "POST", vmCreate, form("vmid", "100", "scsi1", "ceph:vm-100-disk-0"), "ok", nil, false},
		{"zfs subvol of another guest", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "unprivileged", "1", "rootfs", "local-lvm:8", "mp0", "mp=/data,tank:subvol-201-disk-0"), "refused", []string{"mp0.volume", "201", "PVE_VMID_ALLOWLIST"}, true},
	})
}

// Finding 3: aliases are resolved (cdrom is ide2, volume is file).
func TestAliases(t *testing.T) {
	runGuardCases(t, guestsSet, []guardCase{
		{"cdrom alias", "PUT", vmConfig, form("cdrom", "local-lvm:vm-101-disk-0"), "refused", []string{"cdrom.file", "101"}, true},
		{"cdrom alias on create", "POST", vmCreate, form("vmid", "100", "cdrom", "local-lvm:vm-101-disk-0"), "refused", []string{"101"}, true},
		{"volume alias of file", "PUT", vmConfig, form("scsi2", "volume=local-lvm:vm-101-disk-0"), "refused", []string{"scsi2.file", "101"}, true},
		{"cdrom alias own iso asks", "PUT", vmConfig, form("cdrom", "local:iso/d.iso"), "consent", []string{"cdrom"}, false},
	})
}

// Finding 4: the owner is read as the storage plugins read it.
func TestVolumeOwners(t *testing.T) {
	only101 := Options{Allow: NewAllowlist(nil, []int{101})}
	runGuardCases(t, only101, []guardCase{
		{"zfs linked clone belongs to 101", "PUT", "/nodes/pve1/qemu/101/config", form("scsi1", "tank:base-100-disk-0/vm-101-disk-0"), "consent", nil, false},
		{"dir linked clone belongs to 101", "PUT", "/nodes/pve1/qemu/101/config", form("scsi1", "nfs:100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2"), "consent", nil, false},
		{"rbd linked clone belongs to 101", "PUT", "/nodes/pve1/qemu/101/config", form("scsi1", "ceph:base-100-disk-0/vm-101-disk-0"), "consent", nil, false},
	})
	runGuardCases(t, guestsSet, []guardCase{
		{"zfs linked clone of 101 refused", "PUT", vmConfig, form("scsi1", "tank:base-100-disk-0/vm-101-disk-0"), "refused", []string{"101"}, true},
		{"dir linked clone of 101 refused", "PUT", vmConfig, form("scsi1", "nfs:100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2"), "refused", []string{"101"}, true},
		{"storage id named like a guest", "PUT", vmConfig, form("scsi1", "vm-100-store:101/vm-101-disk-0.raw"), "refused", []string{"101"}, true},
		{"storage id named like a guest, iso", "POST", vmCreate, form("vmid", "100", "ide2", "vm-101-store:iso/d.iso,media=cdrom"), "refused", []string{"vm-101-store", "not configured"}, false},
		{"dot-dot in an iso path", "PUT", vmConfig, form("ide2", "local:iso/../images/101/vm-101-disk-0.raw,media=cdrom"), "refused", []string{"'..'"}, true},
		{"unparseable name", "PUT", vmConfig, form("scsi1", "local:images/whatever"), "refused", []string{"no storage type reads"}, true},
		{"name of another type on the real storage", "PUT", vmConfig, form("scsi1", "local-lvm:100/vm-100-disk-0.qcow2"), "refused", []string{"unable to parse lvm volume name"}, false},
		{"unknown storage", "PUT", vmConfig, form("scsi1", "nope:vm-100-disk-0"), "refused", []string{"storage nope is not configured on node pve1"}, false},
		{"iscsi LUN has no owner", "PUT", vmConfig, form("scsi1", "san:0.0.1.scsi-36001405"), "refused", []string{"cannot be told"}, false},
		{"restore another guest's backup", "POST", vmCreate, form("vmid", "100", "archive", "local:backup/vzdump-qemu-101-2024_01_01-00_00_00.vma.zst", "force", "1"), "refused", []string{"archive", "101"}, true},
		{"restore another guest's PBS backup", "POST", vmCreate, form("vmid", "100", "archive", "pbs:backup/vm/101/2024-01-01T00:00:00Z"), "refused", []string{"101"}, true},
		{"ct from another guest's backup", "POST", ctCreate, form("vmid", "200", "unprivileged", "1", "ostemplate", "local:backup/vzdump-lxc-201-2024_01_01-00_00_00.tar.zst"), "refused", []string{"ostemplate", "201"}, true},
		{"restore own backup asks", "POST", vmCreate, form("vmid", "100", "archive", "local:backup/vzdump-qemu-100-2024_01_01-00_00_00.vma.zst", "force", "1"), "consent", []string{"force"}, false},
		{"storage content of another guest", "GET", "/nodes/pve1/storage/local-lvm/content/local-lvm:vm-101-disk-0", nil, "refused", []string{"101"}, true},
	})
}

// Finding 5: with only a node allowlist, volumes and backups of guests on
// other nodes (on shared storage) are refused, and lists hide them.
func TestNodeOfOwner(t *testing.T) {
	runGuardCases(t, nodesSet, []guardCase{
		{"disk of a guest on pve2 via shared nfs", "PUT", vmConfig, form("scsi1", "nfs:105/vm-105-disk-0.qcow2"), "refused", []string{"105", "pve2", "PVE_NODE_ALLOWLIST"}, false},
		{"backup of a guest on pve3 restored", "POST", vmCreate, form("vmid", "100", "archive", "nfs:backup/vzdump-qemu-300-2024_01_01-00_00_00.vma.zst"), "refused", []string{"300", "pve3"}, false},
		{"orphan volume", "PUT", vmConfig, form("scsi1", "nfs:999/vm-999-disk-0.qcow2"), "refused", []string{"999", "not in the cluster"}, false},
		{"disk of a guest on pve1", "PUT", vmConfig, form("scsi1", "nfs:101/vm-101-disk-0.qcow2"), "consent", nil, false},
		{"backup job of a guest on pve2", "POST", "/cluster/backup", form("schedule", "daily", "storage", "nfs", "vmid", "100,105"), "refused", []string{"105", "pve2"}, false},
		{"backup job of all", "POST", "/cluster/backup", form("schedule", "daily", "storage", "nfs", "all", "1"), "refused", []string{"every guest"}, true},
		{"clone to pve2", "POST", "/nodes/pve1/qemu/100/clone", form("newid", "150", "target", "pve2"), "refused", []string{"target", "pve2"}, true},
		{"path node", "GET", "/nodes/pve2/qemu/105/status/current", nil, "refused", []string{"pve2"}, true},
		{"task of a guest now on pve2", "GET", "/nodes/pve1/tasks/UPID:pve1:0001A2B3:0012D687:6650F00D:qmigrate:105:root@pam!mcp:/status", nil, "refused", []string{"105", "pve2"}, false},
		{"task of a deleted guest", "GET", "/nodes/pve1/tasks/UPID:pve1:0001A2B3:0012D687:6650F00D:qmdestroy:777:root@pam!mcp:/status", nil, "ok", nil, false},
		{"restore over a guest on pve2", "POST", vmCreate, form("vmid", "105", "archive", "nfs:backup/vzdump-qemu-105-2024_01_01-00_00_00.vma.zst", "force", "1"), "refused", []string{"105", "pve2"}, false},
		{"task of another node", "GET", "/nodes/pve2/tasks/UPID:pve2:0001A2B3:0012D687:6650F00D:qmstart:105:root@pam!mcp:/status", nil, "refused", []string{"pve2"}, true},
	})
	e := newTestEnv(t, nodesSet)
	c := e.g.Call(nil)
	for id, want := range map[int]bool{100: true, 101: true, 105: false, 300: false, 999: false} {
		if got := c.GuestAllowed(t.Context(), id); got != want {
			t.Errorf("GuestAllowed(%d) = %v, want %v", id, got, want)
		}
	}
}

// A download is saved under Proxmox's normalised name, so that is the file
// it may replace.
func TestReplaceByNormalisedName(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.fake.content = `[{"volid":"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"}]`
	out := e.send("POST", "/nodes/pve1/storage/local/download-url", form("content", "vztmpl", "url", "https://example.org/t.tar.zst",
		"filename", "debian-12-standard+12.7-1+amd64.tar.zst"))
	if out.err != nil || !strings.Contains(out.question, "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst") {
		t.Fatalf("err=%v question=%q", out.err, out.question)
	}
}

// Long unknown keys are refused at once, without suggestions or echo.
func TestLongKeyRefusedCheaply(t *testing.T) {
	e := newTestEnv(t, Options{})
	out := e.send("PUT", vmConfig, form(strings.Repeat("a", 1<<20), "1"))
	if out.err == nil || len(out.err.Error()) > 300 {
		t.Fatalf("err of %d bytes: %.200v", len(out.err.Error()), out.err)
	}
}

// Raw LXC keys (lxc.*) are no API parameter: Proxmox keeps them to root
// editing the config file, and the guard refuses them as unknown.
func TestRawLXCKeyRefused(t *testing.T) {
	runGuardCases(t, Options{AllowHostAccess: true}, []guardCase{
		{"lxc.apparmor.profile", "PUT", ctConfig, form("lxc.apparmor.profile", "unconfined"), "refused", []string{"has no parameter", "lxc.apparmor.profile"}, true},
		{"lxc.mount.entry on create", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "unprivileged", "1", "lxc.mount.entry", "/ mnt none bind 0 0"), "refused", []string{"has no parameter"}, true},
	})
}

// GET /cluster/nextid?vmid=N asks whether N is free: no guest is acted on,
// so PVE_NODE_ALLOWLIST needs no node for it; PVE_VMID_ALLOWLIST still holds.
func TestNextIDUnderAllowlists(t *testing.T) {
	runGuardCases(t, nodesSet, []guardCase{
		{"free id", "GET", "/cluster/nextid", form("vmid", "777"), "ok", nil, false},
		{"id on another node", "GET", "/cluster/nextid", form("vmid", "300"), "ok", nil, false},
	})
	runGuardCases(t, guestsSet, []guardCase{
		{"id outside the guest allowlist", "GET", "/cluster/nextid", form("vmid", "777"), "refused", []string{"777", "PVE_VMID_ALLOWLIST"}, true},
	})
}

// VMIDs gives the guest-id allowlist sorted and without repeats, for the
// tools' searches and messages.
func TestAllowlistVMIDs(t *testing.T) {
	a := NewAllowlist(nil, []int{150, 100, 101, 100})
	if got := a.VMIDs(); !slices.Equal(got, []int{100, 101, 150}) {
		t.Errorf("VMIDs %v", got)
	}
	if got := NewAllowlist(nil, nil).VMIDs(); len(got) != 0 {
		t.Errorf("no allowlist: %v", got)
	}
}
