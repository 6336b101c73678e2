package pveschema

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Regular expressions of pve-common (JSONSchema.pm, ParseUtils.pm), written
// for Go's RE2. Anchored with ^...$; matched with Perl's "$" semantics.
const (
	ipv4Octet = `(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9])`
	ipv4RE    = `(?:(?:` + ipv4Octet + `\.){3}` + ipv4Octet + `)`
	ipv6H16   = `(?:[0-9a-fA-F]{1,4})`
	ipv6LS32  = `(?:(?:` + ipv4RE + `|` + ipv6H16 + `:` + ipv6H16 + `))`
	ipv6RE    = `(?:` +
		`(?:(?:(?:` + ipv6H16 + `:){6})` + ipv6LS32 + `)|` +
		`(?:(?:::(?:` + ipv6H16 + `:){5})` + ipv6LS32 + `)|` +
		`(?:(?:(?:` + ipv6H16 + `)?::(?:` + ipv6H16 + `:){4})` + ipv6LS32 + `)|` +
		`(?:(?:(?:(?:` + ipv6H16 + `:){0,1}` + ipv6H16 + `)?::(?:` + ipv6H16 + `:){3})` + ipv6LS32 + `)|` +
		`(?:(?:(?:(?:` + ipv6H16 + `:){0,2}` + ipv6H16 + `)?::(?:` + ipv6H16 + `:){2})` + ipv6LS32 + `)|` +
		`(?:(?:(?:(?:` + ipv6H16 + `:){0,3}` + ipv6H16 + `)?::(?:` + ipv6H16 + `:){1})` + ipv6LS32 + `)|` +
		`(?:(?:(?:(?:` + ipv6H16 + `:){0,4}` + ipv6H16 + `)?::)` + ipv6LS32 + `)|` +
		`(?:(?:(?:(?:` + ipv6H16 + `:){0,5}` + ipv6H16 + `)?::)` + ipv6H16 + `)|` +
		`(?:(?:(?:(?:` + ipv6H16 + `:){0,6}` + ipv6H16 + `)?::)))`
	emailUserRE = `[\w\+\-\~]+(\.[\w\+\-\~]+)*`
	emailRE     = emailUserRE + `@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*`
	dnsLabel    = `(` + pveid.DNSLabelRE + `)`
	configIDRE  = `[a-zA-Z][a-zA-Z0-9_-]+`
	tagRE       = `[a-zA-Z0-9_][a-zA-Z0-9_\-\+\.]*`
)

var (
	reURLEncoded  = lazyre.New(`^[-%a-zA-Z0-9_.!~*'()]*$`)
	reConfigID    = lazyre.New(`^` + configIDRE + `$`)
	reBridgeID    = lazyre.New(`^[-_.\w\d]+$`)
	reIDChars     = lazyre.New(pveid.StoragePattern)
	reVMID        = lazyre.New(pveid.VMIDPattern)
	reNodeName    = lazyre.New(pveid.NodePattern)
	reMAC         = lazyre.New(`^(?i)[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$`)
	reIPv4        = lazyre.New(`^(?:` + ipv4RE + `)$`)
	reIPv6        = lazyre.New(`^(?:` + ipv6RE + `)$`)
	reIP          = lazyre.New(`^(?:(?:` + ipv4RE + `)|(?:` + ipv6RE + `))$`)
	reLDAPAttr    = lazyre.New(`^[a-zA-Z0-9]+$`)
	reCIDRv4      = lazyre.New(`^(?:` + ipv4RE + `)(?:/(\d+))$`)
	reCIDRv6      = lazyre.New(`^(?:` + ipv6RE + `)(?:/(\d+))$`)
	reIPv4CfgWord = lazyre.New(`^(?:dhcp|manual)$`)
	reIPv6CfgWord = lazyre.New(`^(?:auto|dhcp|manual)$`)
	reEmail       = lazyre.New(`^` + emailRE + `$`)
	reEmailUser   = lazyre.New(`^` + emailUserRE + `$`)
	reDNSName     = lazyre.New(`^(` + dnsLabel + `\.)*` + dnsLabel + `$`)
	reIface       = lazyre.New(`^(?i)[a-z][a-z0-9_]{1,20}([:\.]\d+)?$`)
	reVLANRange   = lazyre.New(`^(\d+)(?:-(\d+))?$`)
	reSize        = lazyre.New(`^(\d+(\.\d+)?)([KMGT](?:iB)?)?$`)
	reTag         = lazyre.New(`^` + tagRE + `$`)
	reTaskStatus  = lazyre.New(`^(?i)(ok|error|warning|unknown)$`)
	reStartOrder  = lazyre.New(`^(order=)?(\d+)$`)
	reStartUp     = lazyre.New(`^up=(\d+)$`)
	reStartDown   = lazyre.New(`^down=(\d+)$`)
	reIDPair      = lazyre.New(`^([^:]+):([^:]+)$`)
	reTFASecretV2 = lazyre.New(`^v2-0x[0-9a-fA-F]{16,128}$|^v2-[A-Z2-7=]{16,128}$|^(?:[A-Z2-7=]{16}|[A-Fa-f0-9]{40})$`)
)

// formatFuncs holds the named string formats we check. Messages are the
// die texts of the PVE sources named in each comment.
var formatFuncs = map[string]formatFunc{
	// pve-common src/PVE/JSONSchema.pm
	"string":     func(string) string { return "" },
	"urlencoded": func(v string) string { return unless(pmatch(reURLEncoded, v), "invalid urlencoded string: "+v) },
	"pve-configid": func(v string) string {
		return unless(pmatch(reConfigID, v), "invalid configuration ID '"+v+"'")
	},
	"pve-storage-id": verifyStorageID,
	"acme-plugin-id": func(v string) string { return verifyID(v, "ACME plugin") },
	"pve-bridge-id":  verifyBridgeID,
	"pve-vmid":       matcher(reVMID, "value does not look like a valid VM ID"),
	"pve-node":       matcher(reNodeName, "value does not look like a valid node name"),
	"mac-addr":       matcher(reMAC, "value does not look like a valid unicast MAC address"),
	"ipv4":           matcher(reIPv4, "value does not look like a valid IPv4 address"),
	"ipv6":           matcher(reIPv6, "value does not look like a valid IPv6 address"),
	"ip":             matcher(reIP, "value does not look like a valid IP address"),
	"ldap-simple-attr": func(v string) string {
		return unless(pmatch(reLDAPAttr, v), "value '"+v+"' does not look like a simple ldap attribute name")
	},
	"ipv4mask": func(v string) string {
		return unless(ipv4MaskBits(v) >= 0, "value does not look like a valid IP netmask")
	},
	"CIDRv4": func(v string) string {
		return unless(isCIDRv4(v), "value does not look like a valid IPv4 CIDR network")
	},
	"CIDRv6": func(v string) string {
		return unless(isCIDRv6(v), "value does not look like a valid IPv6 CIDR network")
	},
	"CIDR": func(v string) string {
		return unless(isCIDRv4(v) || isCIDRv6(v), "value does not look like a valid CIDR network")
	},
	"pve-ipv4-config": func(v string) string {
		return unless(pmatch(reIPv4CfgWord, v) || isCIDRv4(v), "value does not look like a valid ipv4 network configuration")
	},
	"pve-ipv6-config": func(v string) string {
		return unless(pmatch(reIPv6CfgWord, v) || isCIDRv6(v), "value does not look like a valid ipv6 network configuration")
	},
	"email": matcher(reEmail, "value does not look like a valid email address"),
	"email-or-username": func(v string) string {
		return unless(pmatch(reEmail, v) || pmatch(reEmailUser, v), "value does not look like a valid email address or user name")
	},
	"dns-name":             matcher(reDNSName, "value does not look like a valid DNS name"),
	"pve-iface":            func(v string) string { return unless(pmatch(reIface, v), "invalid network interface name '"+v+"'") },
	"pve-vlan-id-or-range": verifyVLANRange,
	"address": func(v string) string {
		return unless(pmatch(reIP, v) || pmatch(reDNSName, v), "value does not look like a valid address: "+v)
	},
	"disk-size": func(v string) string {
		_, ok := ParseSize(v)
		return unless(ok, "value does not look like a valid disk size: "+v)
	},
	"pve-startup-order": func(v string) string {
		return unless(startupOrderOK(v), "unable to parse startup options")
	},
	"pve-tag":              func(v string) string { return unless(pmatch(reTag, v), "invalid characters in tag") },
	"pve-tfa-secret":       func(v string) string { return unless(pmatch(reTFASecretV2, v), "unable to decode TFA secret") },
	"pve-task-status-type": func(v string) string { return unless(pmatch(reTaskStatus, v), "invalid status '"+v+"'") },
	"storage-pair":         func(v string) string { return verifyIDPair(v, verifyStorageID) },
	"bridge-pair":          func(v string) string { return verifyIDPair(v, verifyBridgeID) },
	"timezone":             verifyTimezone,
}

func utf8Len(s string) int { return utf8.RuneCountInString(s) }

func unless(ok bool, msg string) string {
	if ok {
		return ""
	}
	return msg
}

func verifyStorageID(v string) string { return verifyID(v, "storage") }

func verifyBridgeID(v string) string {
	return unless(pmatch(reBridgeID, v), "invalid bridge ID '"+v+"'")
}

// verifyID mirrors JSONSchema.pm parse_id.
func verifyID(id, kind string) string {
	if len(id) < 2 {
		return kind + " ID '" + id + "' cannot be shorter than 2 characters"
	}
	if !pmatch(reIDChars, id) {
		return kind + " ID '" + id + "' contains illegal characters"
	}
	return ""
}

var ipv4Masks = func() map[string]int {
	m := map[string]int{}
	for bits := 0; bits <= 32; bits++ {
		var mask uint32
		if bits > 0 {
			mask = ^uint32(0) << (32 - bits)
		}
		m[fmt.Sprintf("%d.%d.%d.%d", mask>>24, mask>>16&255, mask>>8&255, mask&255)] = bits
	}
	return m
}()

func ipv4MaskBits(mask string) int {
	if b, ok := ipv4Masks[mask]; ok {
		return b
	}
	return -1
}

func cidrBits(re *lazyre.Regexp, v string) (int, bool) {
	m := re.FindStringSubmatch(v)
	if m == nil {
		if t, ok := strings.CutSuffix(v, "\n"); ok {
			m = re.FindStringSubmatch(t)
		}
	}
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	return n, true
}

func isCIDRv4(v string) bool {
	n, ok := cidrBits(reCIDRv4, v)
	return ok && n > 7 && n <= 32
}

func isCIDRv6(v string) bool {
	n, ok := cidrBits(reCIDRv6, v)
	return ok && n > 7 && n <= 128
}

func verifyVLANRange(v string) string {
	m := reVLANRange.FindStringSubmatch(strings.TrimSuffix(v, "\n"))
	if m == nil {
		return "invalid VLAN configuration '" + v + "'"
	}
	start, _ := strconv.Atoi(m[1])
	if start < 2 || start > 4094 {
		return "invalid VLAN tag '" + m[1] + "'"
	}
	if m[2] != "" && perlTruthy(m[2]) {
		end, _ := strconv.Atoi(m[2])
		if end < 2 || end > 4094 {
			return "invalid VLAN tag '" + m[2] + "'"
		}
		if start >= end {
			return "VLAN range must go from lower to higher tag '" + v + "'"
		}
	}
	return ""
}

// ParseSize parses a PVE size ("32G", "528K", "1.5T", "1024") into bytes,
// like JSONSchema.pm parse_size.
func ParseSize(v string) (int64, bool) {
	m := reSize.FindStringSubmatch(v)
	if m == nil {
		if t, ok := strings.CutSuffix(v, "\n"); ok {
			m = reSize.FindStringSubmatch(t)
		}
	}
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	switch m[3] {
	case "K", "KiB":
		f *= 1 << 10
	case "M", "MiB":
		f *= 1 << 20
	case "G", "GiB":
		f *= 1 << 30
	case "T", "TiB":
		f *= 1 << 40
	}
	return int64(f), true
}

// startupOrderOK mirrors pve_parse_startup_order (an empty or "0" value fails).
func startupOrderOK(v string) bool {
	if !perlTruthy(v) {
		return false
	}
	for _, p := range strings.Split(v, ",") {
		if isBlank(p) {
			continue
		}
		if !pmatch(reStartOrder, p) && !pmatch(reStartUp, p) && !pmatch(reStartDown, p) {
			return false
		}
	}
	return true // Perl returns the (possibly empty) result hash, which is true
}

// verifyIDPair mirrors parse_idmap for one storage-pair/bridge-pair entry.
func verifyIDPair(entry string, check formatFunc) string {
	if entry == "1" {
		return ""
	}
	if m := reIDPair.FindStringSubmatch(entry); m != nil {
		for _, id := range []string{m[1], m[2]} {
			if msg := check(id); msg != "" {
				return "entry '" + entry + "' contains invalid ID - " + msg + "\n\n"
			}
		}
		return ""
	}
	if msg := check(entry); msg != "" {
		return "entry '" + entry + "' contains invalid ID - " + msg + "\n\n"
	}
	return ""
}

var reZone = lazyre.New(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$`)

// verifyTimezone approximates the zone.tab lookup: we have no zone.tab, so
// any Area/Location-shaped name passes.
func verifyTimezone(v string) string {
	if v == "UTC" || pmatch(reZone, v) && strings.Contains(v, "/") {
		return ""
	}
	return "invalid time zone '" + v + "'"
}
