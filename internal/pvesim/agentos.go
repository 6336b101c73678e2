package pvesim

import (
	"strconv"
	"strings"
	"time"
)

// agentState is what the guest agents of the VMs know: each VM's operating
// system as the agent reports it, with the files written into it.
type agentState struct {
	guests map[int]*guestOS
}

func (st *state) agent() *agentState {
	if st.agentS == nil {
		st.agentS = &agentState{guests: map[int]*guestOS{}}
	}
	return st.agentS
}

// guestOS is the operating system inside one VM. Its disk (files) survives
// reboots; what runs (freeze state, processes, kernel hostname) belongs to
// one boot and is reset when the VM started again.
type guestOS struct {
	g      *guest // a recreated vmid is another guest with a fresh OS
	win    bool
	dist   *distro
	files  map[string][]byte
	dirs   map[string]bool
	booted time.Time // startedAt of the boot the runtime state belongs to

	hostname string
	frozen   bool
	procs    map[int]*guestProc
	nextPID  int
}

// distro is what a Linux or Windows release reports.
type distro struct {
	id, name, pretty, version, versionID, kernelRel, kernelVer, variant string
	agentVersion                                                        string
	osRelease                                                           string
}

var (
	debian12 = &distro{id: "debian", name: "Debian GNU/Linux", pretty: "Debian GNU/Linux 12 (bookworm)",
		version: "12 (bookworm)", versionID: "12", kernelRel: "6.1.0-28-amd64",
		kernelVer: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)", agentVersion: "7.2.15",
		osRelease: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n" +
			"VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n" +
			"SUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n"}
	ubuntu2404 = &distro{id: "ubuntu", name: "Ubuntu", pretty: "Ubuntu 24.04.1 LTS",
		version: "24.04.1 LTS (Noble Numbat)", versionID: "24.04", kernelRel: "6.8.0-49-generic",
		kernelVer: "#49-Ubuntu SMP PREEMPT_DYNAMIC Mon Nov  4 02:06:24 UTC 2024", agentVersion: "8.2.2",
		osRelease: "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\n" +
			"VERSION=\"24.04.1 LTS (Noble Numbat)\"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n" +
			"HOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\n" +
			"BUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nUBUNTU_CODENAME=noble\nLOGO=ubuntu-logo\n"}
	// Windows releases by ostype, as qemu-ga-win reports them
	windows = map[string]*distro{
		"win11": winDistro("Windows 11 Pro", "Microsoft Windows 11", "11", "22631", "10.0", "client"),
		"win10": winDistro("Windows 10 Pro", "Microsoft Windows 10", "10", "19045", "10.0", "client"),
		"win8":  winDistro("Windows Server 2012 R2 Standard", "Microsoft Windows Server 2012 R2", "2012r2", "9600", "6.3", "server"),
		"win7":  winDistro("Windows 7 Professional", "Microsoft Windows 7", "7", "7601", "6.1", "client"),
		"w2k8":  winDistro("Windows Server 2008 Standard", "Microsoft Windows Server 2008", "2008", "6003", "6.0", "server"),
	}
)

func winDistro(pretty, version, versionID, kernelRel, kernelVer, variant string) *distro {
	return &distro{id: "mswindows", name: "Microsoft Windows", pretty: pretty, version: version, versionID: versionID,
		kernelRel: kernelRel, kernelVer: kernelVer, variant: variant, agentVersion: "108.0.2"}
}

// guestOS returns the VM's operating system, brought to its current boot.
func (st *state) guestOS(g *guest) *guestOS {
	a := st.agent()
	os := a.guests[g.vmid]
	if os == nil || os.g != g {
		os = newGuestOS(g)
		a.guests[g.vmid] = os
	}
	if !os.booted.Equal(g.startedAt) {
		os.booted = g.startedAt
		os.frozen = false
		os.procs = map[int]*guestProc{}
		os.nextPID = 1100 + g.vmid%400
		os.hostname = strings.TrimSpace(string(os.files["/etc/hostname"]))
		if os.win {
			os.hostname = windowsHostname(g)
		}
	}
	return os
}

func newGuestOS(g *guest) *guestOS {
	ostype := g.conf["ostype"]
	os := &guestOS{g: g, files: map[string][]byte{}, dirs: map[string]bool{}}
	if strings.HasPrefix(ostype, "w") {
		os.win = true
		os.dist = windows[ostype]
		if os.dist == nil {
			os.dist = windows["win10"]
		}
		for _, d := range []string{`C:\`, `C:\Windows`, `C:\Windows\System32`, `C:\Windows\System32\drivers`,
			`C:\Windows\System32\drivers\etc`, `C:\Users`, `C:\Users\Administrator`, `C:\Program Files`, `C:\Temp`} {
			os.dirs[strings.ToLower(d)] = true
		}
		os.files[`c:\windows\system32\drivers\etc\hosts`] = []byte("# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n" +
			"# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n#\r\n" +
			"# localhost name resolution is handled within DNS itself.\r\n#\t127.0.0.1       localhost\r\n#\t::1             localhost\r\n")
		return os
	}
	os.dist = debian12
	hint := strings.ToLower(g.conf["name"] + " " + g.conf["description"] + " " + g.conf["ide2"])
	if strings.Contains(hint, "ubuntu") {
		os.dist = ubuntu2404
	}
	host := g.conf["name"]
	if host == "" {
		host = os.dist.id
	}
	for _, d := range []string{"/", "/bin", "/boot", "/dev", "/etc", "/home", "/mnt", "/opt", "/proc", "/root",
		"/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/bin", "/usr/sbin", "/usr/local", "/var", "/var/log", "/var/tmp"} {
		os.dirs[d] = true
	}
	if u := g.conf["ciuser"]; u != "" && u != "root" {
		os.dirs["/home/"+u] = true
	}
	os.files["/etc/hostname"] = []byte(host + "\n")
	os.files["/etc/hosts"] = []byte("127.0.0.1\tlocalhost\n127.0.1.1\t" + host + "\n\n" +
		"# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\n" +
		"ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n")
	os.files["/etc/os-release"] = []byte(os.dist.osRelease)
	os.files["/etc/timezone"] = []byte("Etc/UTC\n")
	os.files["/etc/machine-id"] = []byte(machineID(g) + "\n")
	if os.dist == debian12 {
		os.files["/etc/debian_version"] = []byte("12.8\n")
	}
	os.files["/etc/fstab"] = []byte("# /etc/fstab: static file system information.\n" +
		"# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n" +
		"UUID=" + fsUUID(g) + " /               ext4    errors=remount-ro 0       1\n")
	return os
}

func windowsHostname(g *guest) string {
	h := strings.ToUpper(g.conf["name"])
	if h == "" {
		h = "WIN-" + strconv.Itoa(g.vmid)
	}
	if len(h) > 15 {
		h = h[:15] // NetBIOS names
	}
	return h
}

// machineID is stable per VM: its SMBIOS UUID without dashes.
func machineID(g *guest) string {
	u := strings.ReplaceAll(parsePropString(g.conf["smbios1"], "").get("uuid"), "-", "")
	for len(u) < 32 {
		u += strconv.FormatInt(int64(g.vmid%16), 16)
	}
	return u[:32]
}

func fsUUID(g *guest) string {
	m := machineID(g)
	return m[:8] + "-" + m[8:12] + "-" + m[12:16] + "-" + m[16:20] + "-" + m[20:32]
}

// filesystem is one mounted file system of the guest.
type filesystem struct {
	name, mount, typ string
	total, used      int64
	dev              string // partition device
	disk             guestDisk
}

type guestDisk struct {
	key     string // scsi0
	bus     string // scsi, virtio, sata, ide
	unit    int
	dev     string // /dev/sda
	size    int64
	serial  string
	pciSlot int
}

// rootDisk is the disk the guest boots from: the first non-CD-ROM disk of
// the boot order, else the first disk slot in use.
func rootDisk(g *guest) (guestDisk, bool) {
	keys := strings.Split(parsePropString(g.conf["boot"], "legacy").get("order"), ";")
	keys = append(keys, "scsi0", "virtio0", "sata0", "ide0")
	for _, k := range keys {
		v, ok := g.conf[k]
		if !ok || !g.kind.diskSlot(k) {
			continue
		}
		ps := parsePropString(v, "file")
		if ps.get("media") == "cdrom" {
			continue
		}
		d := guestDisk{key: k, size: sizeBytes(ps.get("size"))}
		for _, bus := range []string{"scsi", "virtio", "sata", "ide"} {
			if strings.HasPrefix(k, bus) {
				d.bus = bus
				d.unit, _ = strconv.Atoi(strings.TrimPrefix(k, bus))
			}
		}
		d.dev, d.serial = "/dev/sda", "0QEMU_QEMU_HARDDISK_drive-"+k
		if d.bus == "virtio" {
			d.dev, d.serial = "/dev/vda", ps.get("serial")
		}
		d.pciSlot = 1 + d.unit
		return d, true
	}
	return guestDisk{}, false
}

// filesystems are the guest's mounted file systems: the root disk's
// partitions (an EFI system partition with OVMF, swap left out).
func (os *guestOS) filesystems() []filesystem {
	d, ok := rootDisk(os.g)
	if !ok {
		return nil
	}
	const gib = int64(1) << 30
	round := func(b int64) int64 { return b / 4096 * 4096 }
	var out []filesystem
	rest := d.size
	part := 1
	if os.win {
		total := round(d.size - 600<<20)
		used := min(total*7/10, 18*gib+int64(os.g.vmid%9)*gib)
		return []filesystem{{name: `\\?\Volume{` + fsUUID(os.g) + `}\`, mount: `C:\`, typ: "NTFS", total: total, used: used,
			dev: `\\.\PhysicalDrive0`, disk: d}}
	}
	if os.g.conf["bios"] == "ovmf" {
		out = append(out, filesystem{name: "", mount: "/boot/efi", typ: "vfat", total: 535805952, used: 6148096, dev: d.dev + "1", disk: d})
		rest -= 512 << 20
		part = 2
	}
	swap := min(int64(1)<<30, rest/8)
	total := round((rest - swap) * 98 / 100)
	used := min(total*8/10, round(1900<<20+int64(os.g.vmid%7)*600<<20))
	out = append(out, filesystem{mount: "/", typ: "ext4", total: total, used: used, dev: d.dev + strconv.Itoa(part), disk: d})
	for i := range out {
		out[i].name = strings.TrimPrefix(out[i].dev, "/dev/")
	}
	// the root file system is listed first, as /proc/self/mountinfo has it
	if len(out) == 2 {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// users logged in: one interactive session some minutes after boot.
func (os *guestOS) users(now time.Time) []map[string]any {
	user := "root"
	if u := os.g.conf["ciuser"]; u != "" {
		user = u
	}
	if os.win {
		user = "Administrator"
	}
	at := os.booted.Add(time.Duration(90+os.g.vmid%600) * time.Second)
	if at.After(now) {
		return []map[string]any{}
	}
	login := float64(at.Unix()) + float64(os.g.vmid%1000)/1000 + 0.000217
	u := map[string]any{"user": user, "login-time": login}
	if os.win {
		u["domain"] = os.hostname
	}
	return []map[string]any{u}
}
