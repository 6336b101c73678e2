package pvesim

import (
	"sort"
	"strings"
)

// aptPkg is a package as APT.pm's assemble_pkginfo describes it.
type aptPkg struct {
	name, version, newVersion    string // installed, candidate after an update ("" = none)
	title, section, origin, prio string
}

// installedPackages of each major release, as pveversion -v lists them for
// the release the simulator reports ("name version", kernel packages first).
var installedPackages = map[int]string{
	9: `proxmox-ve 9.1.0
pve-manager 9.1.3
proxmox-kernel-6.14.11-4-pve-signed 6.14.11-4
proxmox-kernel-6.14 6.14.11-4
amd64-microcode 3.20250311.1
ceph-fuse 19.2.3-pve2
corosync 3.1.9-pve2
criu 4.1.1-1
ifupdown2 3.3.0-1+pmx11
ksm-control-daemon 1.5-1
libjs-extjs 7.0.0-5
libknet1 1.30-pve3
libproxmox-acme-perl 1.7.0
libproxmox-backup-qemu0 2.0.1
libproxmox-rs-perl 0.4.1
libpve-access-control 9.0.4
libpve-apiclient-perl 3.4.2
libpve-cluster-api-perl 9.0.7
libpve-cluster-perl 9.0.7
libpve-common-perl 9.0.15
libpve-guest-common-perl 6.0.2
libpve-http-server-perl 6.0.5
libpve-network-perl 1.2.3
libpve-notify-perl 9.0.7
libpve-rs-perl 0.11.3
libpve-storage-perl 9.1.0
libqb0 2.0.8-1
libspice-server1 0.15.2-1+b1
lvm2 2.03.31-2+pmx1
lxc-pve 6.0.5-3
lxcfs 6.0.4-pve1
novnc-pve 1.6.0-3
proxmox-backup-client 4.0.20-1
proxmox-backup-file-restore 4.0.20-1
proxmox-backup-restore-image 1.0.0
proxmox-firewall 1.2.1
proxmox-kernel-helper 9.0.4
proxmox-mail-forward 1.0.2
proxmox-mini-journalreader 1.6
proxmox-offline-mirror-helper 0.7.3
proxmox-widget-toolkit 5.1.2
pve-cluster 9.0.7
pve-container 6.0.18
pve-docs 9.1.1
pve-edk2-firmware 4.2025.05-2
pve-esxi-import-tools 1.0.1
pve-firewall 6.0.4
pve-firmware 3.17-2
pve-ha-manager 5.0.8
pve-i18n 3.6.2
pve-qemu-kvm 10.1.2-4
pve-xtermjs 5.5.0-3
qemu-server 9.1.0
smartmontools 7.4-pve1
spiceterm 3.4.1
swtpm 0.8.0+pve3
vncterm 1.9.1
zfsutils-linux 2.3.4-pve1`,
	8: `proxmox-ve 8.4.0
pve-manager 8.4.14
proxmox-kernel-6.8.12-15-pve-signed 6.8.12-15
proxmox-kernel-6.8 6.8.12-15
amd64-microcode 3.20240820.1~deb12u1
ceph-fuse 17.2.8-pve2
corosync 3.1.9-pve1
criu 3.17.1-2+deb12u2
ifupdown2 3.2.0-1+pmx11
ksm-control-daemon 1.5-1
libjs-extjs 7.0.0-5
libknet1 1.30-pve2
libproxmox-acme-perl 1.6.0
libproxmox-backup-qemu0 1.5.2
libproxmox-rs-perl 0.3.5
libpve-access-control 8.2.2
libpve-apiclient-perl 3.3.2
libpve-cluster-api-perl 8.1.2
libpve-cluster-perl 8.1.2
libpve-common-perl 8.3.4
libpve-guest-common-perl 5.2.2
libpve-http-server-perl 5.2.2
libpve-network-perl 0.11.2
libpve-notify-perl 8.1.2
libpve-rs-perl 0.9.4
libpve-storage-perl 8.3.7
libqb0 1.0.5-1
libspice-server1 0.15.1-1
lvm2 2.03.16-2
lxc-pve 6.0.0-1
lxcfs 6.0.0-pve2
novnc-pve 1.6.0-2
proxmox-backup-client 3.4.7-1
proxmox-backup-file-restore 3.4.7-1
proxmox-backup-restore-image 0.7.0
proxmox-firewall 0.7.1
proxmox-kernel-helper 8.1.4
proxmox-mail-forward 0.3.3
proxmox-mini-journalreader 1.5
proxmox-offline-mirror-helper 0.6.8
proxmox-widget-toolkit 4.3.13
pve-cluster 8.1.2
pve-container 5.3.3
pve-docs 8.4.1
pve-edk2-firmware 4.2025.02-4~bpo12+1
pve-esxi-import-tools 0.7.4
pve-firewall 5.1.2
pve-firmware 3.16-3
pve-ha-manager 4.0.7
pve-i18n 3.4.5
pve-qemu-kvm 9.2.0-7
pve-xtermjs 5.5.0-2
qemu-server 8.4.4
smartmontools 7.3-pve1
spiceterm 3.3.1
swtpm 0.8.0+pve1
vncterm 1.8.0
zfsutils-linux 2.2.8-pve1`,
	7: `proxmox-ve 7.4-1
pve-manager 7.4-16
pve-kernel-5.15.158-2-pve 5.15.158-2
pve-kernel-5.15 7.4-15
ceph-fuse 15.2.17-pve1
corosync 3.1.7-pve1
criu 3.15-1+pve-1
ifupdown2 3.1.0-1+pmx4
ksm-control-daemon 1.4-1
libjs-extjs 7.0.0-1
libknet1 1.24-pve2
libproxmox-acme-perl 1.4.4
libproxmox-backup-qemu0 1.3.1-1
libproxmox-rs-perl 0.2.1
libpve-access-control 7.4.1
libpve-apiclient-perl 3.2-1
libpve-common-perl 7.4-2
libpve-guest-common-perl 4.2-4
libpve-http-server-perl 4.2-3
libpve-rs-perl 0.7.7
libpve-storage-perl 7.4-3
libqb0 1.0.5-1
libspice-server1 0.14.3-2.1
lvm2 2.03.11-2.1
lxc-pve 5.0.2-2
lxcfs 5.0.3-pve1
novnc-pve 1.4.0-1
proxmox-backup-client 2.4.3-1
proxmox-backup-file-restore 2.4.3-1
proxmox-kernel-helper 7.4-1
proxmox-mail-forward 0.1.1-1
proxmox-mini-journalreader 1.3-1
proxmox-widget-toolkit 3.7.3
pve-cluster 7.3-3
pve-container 4.4-6
pve-docs 7.4-2
pve-edk2-firmware 3.20230228-4~bpo11+1
pve-firewall 4.3-5
pve-firmware 3.6-5
pve-ha-manager 3.6.1
pve-i18n 2.12-1
pve-qemu-kvm 7.2.0-8
pve-xtermjs 4.16.0-2
qemu-server 7.4-4
smartmontools 7.2-pve3
spiceterm 3.2-2
swtpm 0.8.0~bpo11+3
vncterm 1.7-1
zfsutils-linux 2.1.11-pve1`,
}

// pendingUpdates are what the next apt update finds ("name old new"):
// Proxmox point releases and a Debian security update.
var pendingUpdates = map[int]string{
	9: `libpve-common-perl 9.0.15 9.0.16
pve-qemu-kvm 10.1.2-4 10.1.2-5
proxmox-widget-toolkit 5.1.2 5.1.5
openssl 3.5.4-1~deb13u1 3.5.4-1~deb13u2
libssl3t64 3.5.4-1~deb13u1 3.5.4-1~deb13u2`,
	8: `libpve-common-perl 8.3.4 8.3.5
pve-qemu-kvm 9.2.0-7 9.2.0-8
proxmox-widget-toolkit 4.3.13 4.3.14
openssl 3.0.17-1~deb12u2 3.0.17-1~deb12u3
libssl3 3.0.17-1~deb12u2 3.0.17-1~deb12u3`,
	7: `libpve-common-perl 7.4-2 7.4-3
tzdata 2024a-0+deb11u1 2025b-0+deb11u1
openssl 1.1.1w-0+deb11u1 1.1.1w-0+deb11u2
libssl1.1 1.1.1w-0+deb11u1 1.1.1w-0+deb11u2`,
}

// packageTitles: the short descriptions (ShortDesc) of the packages listed.
var packageTitles = map[string]string{
	"proxmox-ve":              "Proxmox Virtual Environment",
	"pve-manager":             "Proxmox Virtual Environment Management Tools",
	"qemu-server":             "Qemu Server Tools",
	"pve-container":           "Proxmox VE Container management tool",
	"pve-qemu-kvm":            "Full virtualization on x86 hardware",
	"pve-cluster":             "\"pmxcfs\" distributed cluster filesystem for Proxmox Virtual Environment.",
	"pve-firewall":            "Proxmox VE Firewall",
	"pve-ha-manager":          "Proxmox VE HA Manager",
	"libpve-common-perl":      "Proxmox VE base library",
	"libpve-storage-perl":     "Proxmox VE storage management library",
	"libpve-access-control":   "Proxmox VE access control library",
	"proxmox-widget-toolkit":  "Core Widgets and ExtJS Helper Classes for Proxmox Web UIs",
	"corosync":                "cluster engine daemon and utilities",
	"lxc-pve":                 "Linux containers userspace tools",
	"lxcfs":                   "FUSE based filesystem for LXC",
	"zfsutils-linux":          "command-line tools to manage OpenZFS filesystems",
	"smartmontools":           "control and monitor storage systems using S.M.A.R.T.",
	"proxmox-backup-client":   "Proxmox Backup Client tools",
	"openssl":                 "Secure Sockets Layer toolkit - cryptographic utility",
	"libssl3t64":              "Secure Sockets Layer toolkit - shared libraries",
	"libssl3":                 "Secure Sockets Layer toolkit - shared libraries",
	"libssl1.1":               "Secure Sockets Layer toolkit - shared libraries",
	"tzdata":                  "time zone and daylight-saving time data",
	"amd64-microcode":         "Processor microcode firmware for AMD CPUs",
	"lvm2":                    "Linux Logical Volume Manager",
	"ifupdown2":               "Network Interface Management tool similar to ifupdown",
	"pve-docs":                "Proxmox VE Documentation",
	"pve-firmware":            "Binary firmware code for the pve-kernel",
	"proxmox-kernel-helper":   "Function for various kernel maintenance tasks.",
	"proxmox-mail-forward":    "Proxmox mail forward helper",
	"libpve-http-server-perl": "Proxmox Asynchrounous HTTP Server Implementation",
}

func debianOrigin(name string) bool {
	switch name {
	case "openssl", "libssl3t64", "libssl3", "libssl1.1", "tzdata", "amd64-microcode", "libqb0", "libspice-server1", "criu":
		return true
	}
	return false
}

func parsePkgLines(text string) [][]string {
	var out [][]string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			out = append(out, f)
		}
	}
	return out
}

// packagesOf builds the installed package table of a release.
func packagesOf(major int, upgrades []aptPkg) []aptPkg {
	cand := map[string]string{}
	for _, u := range upgrades {
		cand[u.name] = u.newVersion
	}
	var out []aptPkg
	for _, f := range parsePkgLines(installedPackages[major]) {
		p := pkgInfo(f[0], f[1])
		p.newVersion = cand[f[0]]
		out = append(out, p)
	}
	return out
}

func pkgInfo(name, version string) aptPkg {
	p := aptPkg{name: name, version: version, origin: "Proxmox", prio: "optional", section: "admin", title: packageTitles[name]}
	switch {
	case debianOrigin(name):
		p.origin, p.section = "Debian", "libs"
		if name == "openssl" {
			p.section = "utils"
		}
		if name == "tzdata" {
			p.section, p.prio = "localization", "required"
		}
	case strings.HasPrefix(name, "lib"):
		p.section = "perl"
	case strings.Contains(name, "kernel-") && !strings.HasSuffix(name, "helper"):
		p.section = "kernel"
	}
	if p.title == "" {
		switch {
		case strings.Contains(name, "kernel-"):
			p.title = "Proxmox Kernel Image"
			if strings.HasSuffix(name, "-signed") {
				p.title = "Proxmox Kernel Image (signed)"
			}
		default:
			p.title = name + " package for Proxmox VE"
		}
	}
	return p
}

// upgradesFound are the packages the first apt update finds.
func upgradesFound(major int) []aptPkg {
	var out []aptPkg
	for _, f := range parsePkgLines(pendingUpdates[major]) {
		p := pkgInfo(f[0], f[1])
		p.newVersion = f[2]
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// debianSuite is the Debian release under each PVE major.
func debianSuite(major int) string {
	switch major {
	case 7:
		return "bullseye"
	case 8:
		return "bookworm"
	}
	return "trixie"
}
