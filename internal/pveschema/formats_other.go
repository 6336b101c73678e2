package pveschema

import (
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveacl"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Named formats registered outside pve-common: pve-storage, qemu-server,
// pve-container, pve-guest-common and pve-access-control. Messages are the
// die texts of those sources.

var (
	reVolumeID    = lazyre.New(`^(` + pveid.StorageRE + `):(.+)$`)
	reStoragePath = lazyre.New(`^/[^;\(\)]+`)
	reLVMName     = lazyre.New(`^(?i)[a-z0-9][a-z0-9\-\_\.]*[a-z0-9]$`)
	reNonSpace    = lazyre.New(`^\S+$`)
	reDirOverride = lazyre.New(`^([a-z]+)=([^.]*(?:\.?[^.]+)+)$`)
	reRealm       = lazyre.New(pveid.RealmPattern)
	reUserID      = lazyre.New(pveid.UserIDPattern)
	reTokenID     = lazyre.New(pveid.TokenIDPattern)
	reGroupName   = lazyre.New(pveid.GroupPattern)
	reRoleName    = lazyre.New(pveid.RolePattern)
	rePoolName    = lazyre.New(pveid.PoolIDPattern)
	reReplJobID   = lazyre.New(`^(\d+)-(\d+)$`)
	rePathInProp  = lazyre.New(`^/[^;,=\(\)]+`)
	reLLIface     = lazyre.New(`^(fe80:[^%]+)%(.*)$`)
	reMPBad1      = lazyre.New(`/\.\.?/`)
	reMPBad2      = lazyre.New(`/\.\.?$`)
	reMPBad3      = lazyre.New(`^\.\./`)
	reDevBad      = lazyre.New(`/\.\.?(?:/|$)`)
	reDevPrefix   = lazyre.New(`^/dev/`)
	reCPURange    = lazyre.New(`^\s*(\d+)(?:-(\d+))?\s*$`)
	reHotplug     = lazyre.New(`^(network|disk|cpu|memory|usb|cloudinit)$`)
	rePhysBits    = lazyre.New(`^(host|\d{1,2})$`)
	reBootDev     = lazyre.New(`^(net|usb|hostpci)(\d+)$`)
	reDOWRange    = lazyre.New(`^(?i)(mon|tue|wed|thu|fri|sat|sun)-(mon|tue|wed|thu|fri|sat|sun)$`)
	reDOW         = lazyre.New(`^(?i)(mon|tue|wed|thu|fri|sat|sun|[0-7])$`)
	reHostPort1   = lazyre.New(`^(` + ipv4RE + `|[[:alnum:]\-.]+)(?::(\d+))?$`)
	reHostPort2   = lazyre.New(`^\[(` + ipv6RE + `|` + ipv4RE + `|[[:alnum:]\-.]+)\](?::(\d+))?$`)
	reHostPort3   = lazyre.New(`^(` + ipv6RE + `)(?:\.(\d+))?$`)
)

// storageContentTypes is what the dir plugin supports (the union of all).
var storageContentTypes = map[string]bool{
	"images": true, "rootdir": true, "vztmpl": true, "iso": true, "backup": true,
	"snippets": true, "none": true, "import": true,
}

// bootDevLimits are the counts of the devices other than drives that boot
// may name (qemu-server; the drives' counts are pveid's).
var bootDevLimits = map[string]int{"net": 32, "usb": 14, "hostpci": 16}

var otherFormats = map[string]formatFunc{
	// pve-storage src/PVE/Storage/Plugin.pm
	"pve-volume-id": verifyVolumeID,
	"pve-storage-path": func(v string) string {
		return unless(reStoragePath.MatchString(v), "value does not look like a valid absolute path")
	},
	"pve-storage-server": func(v string) string {
		return unless(pmatch(reIP, v) || pmatch(reDNSName, v), "value does not look like a valid server name or IP address")
	},
	"pve-storage-vgname": func(v string) string {
		return unless(pmatch(reLVMName, v), "lvm name '"+v+"' contains illegal characters")
	},
	"pve-storage-portal-dns": func(v string) string {
		ok := pmatch(reHostPort1, v) || pmatch(reHostPort2, v) || pmatch(reHostPort3, v)
		return unless(ok, "value does not look like a valid portal address")
	},
	"pve-storage-content": verifyContent,
	"pve-storage-format": func(v string) string {
		switch strings.TrimSuffix(v, "\n") {
		case "raw", "qcow2", "vmdk", "subvol":
			return ""
		}
		return "invalid format '" + v + "'"
	},
	"pve-storage-options": func(v string) string { return unless(pmatch(reNonSpace, v), "invalid options '"+v+"'") },
	"pve-dir-override":    verifyDirOverride,

	// qemu-server
	"pve-volume-id-or-qm-path": func(v string) string {
		if v == "none" || v == "cdrom" {
			return ""
		}
		return verifyVolumeIDOrAbsPath(v)
	},
	"pve-volume-id-or-absolute-path": verifyVolumeIDOrAbsPath,
	"pve-cpuset":                     verifyCPUSet,
	"pve-hotplug-features":           verifyHotplug,
	"pve-qm-bootdisk": func(v string) string {
		return unless(isDriveName(v, false), "invalid boot disk '"+v+"'")
	},
	"pve-qm-bootdev": verifyBootDev,
	"pve-phys-bits": func(v string) string {
		const msg = "value must be an integer between 8 and 64 or 'host'"
		if !pmatch(rePhysBits, v) {
			return msg
		}
		if n, err := strconv.Atoi(strings.TrimSuffix(v, "\n")); err == nil && (n < 8 || n > 64) {
			return msg
		}
		return ""
	},

	// pve-container src/PVE/LXC/Config.pm
	"lxc-ip-with-ll-iface": func(v string) string {
		if m := reLLIface.FindStringSubmatch(v); m != nil && pmatch(reIP, m[1]) && pmatch(reIface, m[2]) {
			return ""
		}
		return unless(pmatch(reIP, v), "value does not look like a valid IP address")
	},
	"pve-ct-timezone": func(v string) string {
		if v == "host" {
			return ""
		}
		return verifyTimezone(v)
	},
	"pve-lxc-mp-string": func(v string) string {
		bad := reMPBad1.MatchString(v) || pmatch(reMPBad2, v) || reMPBad3.MatchString(v)
		return unless(!bad, v+" contains illegal character sequences")
	},
	"pve-lxc-dev-string": func(v string) string {
		bad := pmatch(reDevBad, v) || !reDevPrefix.MatchString(v)
		return unless(!bad, v+" is not a valid device path")
	},

	// pve-guest-common
	"pve-replication-job-id": verifyReplicationJobID,
	"pve-storage-path-in-property-string": func(v string) string {
		return unless(rePathInProp.MatchString(v),
			"Value does not look like a valid absolute path. These symbols are currently not allowed in path: ;,=()")
	},
	"pve-day-of-week": verifyDayOfWeek,

	// pve-access-control
	"pve-realm":  func(v string) string { return unless(pmatch(reRealm, v), "value does not look like a valid realm") },
	"pve-userid": verifyUserID,
	"pve-tokenid": func(v string) string {
		return unless(pmatch(reTokenID, v), "value '"+v+"' does not look like a valid token ID")
	},
	"pve-groupid": func(v string) string {
		return unless(pmatch(reGroupName, v), "group name '"+v+"' contains invalid characters")
	},
	"pve-roleid": func(v string) string {
		return unless(pmatch(reRoleName, v), "role name '"+v+"' contains invalid characters")
	},
	"pve-poolid": verifyPoolID,
	"pve-priv": func(v string) string {
		return unless(pveacl.IsPrivilege(v), "invalid privilege '"+v+"'")
	},

	// pve-common src/PVE/CalendarEvent.pm (parser in proxmox-time)
	"pve-calendar-event": verifyCalendarEvent,
}

func verifyVolumeID(v string) string {
	return unless(pmatch(reVolumeID, v), "unable to parse volume ID '"+v+"'")
}

func verifyVolumeIDOrAbsPath(v string) string {
	if strings.HasPrefix(v, "/") {
		return ""
	}
	return verifyVolumeID(v)
}

func verifyContent(v string) string {
	if v == "import" || storageContentTypes[v] {
		return ""
	}
	return "invalid content type '" + v + "'"
}

func verifyDirOverride(v string) string {
	if m := reDirOverride.FindStringSubmatch(v); m != nil && verifyContent(m[1]) == "" {
		rel := m[2]
		ok := utf8Len(rel) < 1023
		for _, part := range strings.Split(rel, "/") {
			if utf8Len(part) >= 255 {
				ok = false
			}
		}
		if ok {
			return ""
		}
	}
	return "invalid override '" + v + "'"
}

func verifyCPUSet(v string) string {
	for _, part := range strings.Split(v, ",") {
		m := reCPURange.FindStringSubmatch(part)
		if m == nil {
			return "unable to parse cpuset option"
		}
		from, _ := strconv.Atoi(m[1])
		to := from
		if m[2] != "" {
			to, _ = strconv.Atoi(m[2])
		}
		if to < from {
			return "unable to parse cpuset option"
		}
	}
	return ""
}

func verifyHotplug(v string) string {
	if v == "0" || v == "1" {
		return ""
	}
	for _, f := range splitList(v) {
		if !reHotplug.MatchString(f) {
			return "invalid hotplug feature '" + f + "'"
		}
	}
	return ""
}

// isDriveName mirrors Drive.pm is_valid_drivename (boot=true also allows
// net/usb/hostpci and forbids efidisk/tpmstate, like verify_bootdev).
func isDriveName(v string, boot bool) bool {
	if pveid.QemuDrive(v) {
		return !boot || !strings.HasPrefix(v, "efidisk") && !strings.HasPrefix(v, "tpmstate")
	}
	m := reBootDev.FindStringSubmatch(v)
	if !boot || m == nil || (len(m[2]) > 1 && m[2][0] == '0') {
		return false
	}
	n, err := strconv.Atoi(m[2])
	return err == nil && n < bootDevLimits[m[1]]
}

func verifyBootDev(v string) string {
	return unless(isDriveName(v, true), "invalid boot device '"+v+"'")
}

func verifyReplicationJobID(v string) string {
	msg := "invalid replication job id '" + v + "'"
	m := reReplJobID.FindStringSubmatch(strings.TrimSuffix(v, "\n"))
	if m == nil {
		return msg
	}
	if guest, err := strconv.Atoi(m[1]); err == nil && guest < 100 {
		return msg + " (guest IDs < 100 are reserved)"
	}
	return ""
}

func verifyDayOfWeek(v string) string {
	if v == "*" {
		return ""
	}
	for _, day := range splitList(v) {
		if !reDOWRange.MatchString(day) && !reDOW.MatchString(day) {
			return "unable to parse day of week '" + v + "'"
		}
	}
	return ""
}

func verifyUserID(v string) string {
	n := utf8Len(v)
	if n < pveid.MinUserIDLen {
		return "user name '" + v + "' is too short"
	}
	if n > pveid.MaxUserIDLen {
		return "user name '" + v + "' is too long (" + strconv.Itoa(n) + " > " + strconv.Itoa(pveid.MaxUserIDLen) + ")"
	}
	return unless(pmatch(reUserID, v), "value '"+v+"' does not look like a valid user name")
}

func verifyPoolID(v string) string {
	// Perl's split drops trailing empty fields.
	parts := strings.Split(v, "/")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 3 {
		return "pool name '" + v + "' nested too deeply (max levels = 3)"
	}
	return unless(pmatch(rePoolName, v), "pool name '"+v+"' contains invalid characters")
}
