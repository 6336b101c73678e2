package tools

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// The typed cloud-init settings pve_vm_cloudinit and pve_vm_provision share,
// and how they become qemu-server's config keys.

// ciIPConfig is one interface's ipconfigN.
type ciIPConfig struct {
	Net int    `json:"net,omitempty" minimum:"0" maximum:"31" jsonschema:"NIC index: 0 for net0 (default)"`
	IP  CIIPv4 `json:"ip,omitempty" jsonschema:"dhcp or an IPv4 CIDR, e.g. 192.168.1.50/24"`
	GW  IPv4   `json:"gw,omitempty" jsonschema:"IPv4 gateway (with a static ip)"`
	IP6 CIIPv6 `json:"ip6,omitempty" jsonschema:"dhcp, auto or an IPv6 CIDR"`
	GW6 IPv6   `json:"gw6,omitempty" jsonschema:"IPv6 gateway (with a static ip6)"`
}

// ciSettings are the cloud-init keys a call sets.
type ciSettings struct {
	CIUser       CIUser       `json:"ciuser,omitempty" jsonschema:"user to create"`
	CIPassword   string       `json:"cipassword,omitempty" maxLength:"256" jsonschema:"the user's password (never shown back)"`
	SSHKeys      []SSHKey     `json:"sshkeys,omitempty" jsonschema:"plain OpenSSH public keys, one per item or line"`
	IPConfig     []ciIPConfig `json:"ipconfig,omitempty" jsonschema:"addresses per NIC"`
	Nameserver   []IPAddr     `json:"nameserver,omitempty" jsonschema:"DNS servers (default: the node's)"`
	Searchdomain []DNSName    `json:"searchdomain,omitempty" jsonschema:"DNS search domains (default: the node's)"`
	CIType       string       `json:"citype,omitempty" enum:"nocloud,configdrive2,opennebula" jsonschema:"format (default nocloud; configdrive2 for Windows)"`
}

// ciKeys are the config keys the typed settings and deletes may touch.
func isCIKey(k string) bool {
	switch k {
	case "ciuser", "cipassword", "sshkeys", "nameserver", "searchdomain", "citype", "cicustom", "ciupgrade":
		return true
	}
	return strings.HasPrefix(k, "ipconfig")
}

func (s ciSettings) empty() bool {
	return s.CIUser == "" && s.CIPassword == "" && len(s.SSHKeys) == 0 && len(s.IPConfig) == 0 &&
		len(s.Nameserver) == 0 && len(s.Searchdomain) == 0 && s.CIType == ""
}

// form checks the settings and adds them to form as Proxmox's keys.
func (s ciSettings) form(form url.Values) error {
	if s.CIUser != "" {
		form.Set("ciuser", string(s.CIUser))
	}
	if s.CIPassword != "" {
		if strings.ContainsAny(s.CIPassword, "\r\n\x00") {
			return fmt.Errorf("invalid argument \"cipassword\": it must be one line (the value is not shown)")
		}
		form.Set("cipassword", s.CIPassword)
	}
	if len(s.SSHKeys) > 0 {
		keys, err := sshKeysValue(s.SSHKeys)
		if err != nil {
			return err
		}
		form.Set("sshkeys", keys)
	}
	seen := map[int]bool{}
	for i, ipc := range s.IPConfig {
		if seen[ipc.Net] {
			return fmt.Errorf("invalid argument \"ipconfig\": net %d is given twice; one item per NIC", ipc.Net)
		}
		seen[ipc.Net] = true
		v, err := ipc.value(i)
		if err != nil {
			return err
		}
		form.Set("ipconfig"+strconv.Itoa(ipc.Net), v)
	}
	if len(s.Nameserver) > 0 {
		var list []string
		for _, ns := range s.Nameserver {
			if _, err := netip.ParseAddr(string(ns)); err != nil {
				return fmt.Errorf("invalid argument \"nameserver\": %q is not an IP address", ns)
			}
			list = append(list, string(ns))
		}
		form.Set("nameserver", strings.Join(list, " "))
	}
	if len(s.Searchdomain) > 0 {
		var list []string
		for _, d := range s.Searchdomain {
			list = append(list, string(d))
		}
		form.Set("searchdomain", strings.Join(list, " "))
	}
	if s.CIType != "" {
		form.Set("citype", s.CIType)
	}
	return nil
}

// value composes ipconfigN's property string, with the checks of
// qemu-server's parse_ipconfig made before anything is sent.
func (c ciIPConfig) value(i int) (string, error) {
	arg := func(k string) string { return fmt.Sprintf("invalid argument \"ipconfig[%d].%s\"", i, k) }
	var parts []string
	switch {
	case c.IP == "" && c.GW != "":
		return "", fmt.Errorf("%s: a gateway needs a static ip in the same family", arg("gw"))
	case c.IP == "" && c.IP6 == "":
		return "", fmt.Errorf("%s: give ip (dhcp or a CIDR such as 192.168.1.50/24), ip6, or both", arg("ip"))
	case c.IP == "dhcp" && c.GW != "":
		return "", fmt.Errorf("%s: a gateway with DHCP (Proxmox: gateway specified together with DHCP); leave gw out, DHCP gives it", arg("gw"))
	}
	if c.IP != "" {
		v, err := checkCIDR(string(c.IP), false)
		if err != nil {
			return "", fmt.Errorf("%s: %v", arg("ip"), err)
		}
		parts = append(parts, "ip="+v)
	}
	if c.GW != "" {
		if err := inSubnet(string(c.IP), string(c.GW)); err != nil {
			return "", fmt.Errorf("%s: %v", arg("gw"), err)
		}
		parts = append(parts, "gw="+string(c.GW))
	}
	if c.IP6 != "" {
		v, err := checkCIDR(string(c.IP6), true)
		if err != nil {
			return "", fmt.Errorf("%s: %v", arg("ip6"), err)
		}
		parts = append(parts, "ip6="+v)
	}
	if c.GW6 != "" {
		if c.IP6 == "" || c.IP6 == "dhcp" || c.IP6 == "auto" {
			return "", fmt.Errorf("%s: an IPv6 gateway needs a static ip6 (Proxmox refuses one with dhcp or auto)", arg("gw6"))
		}
		a, err := netip.ParseAddr(string(c.GW6))
		if err != nil || !a.Is6() || a.Is4In6() {
			return "", fmt.Errorf("%s: %q is not an IPv6 address", arg("gw6"), c.GW6)
		}
		parts = append(parts, "gw6="+a.String())
	}
	return strings.Join(parts, ","), nil
}

// checkCIDR reads a static address with its prefix length (or dhcp, auto).
func checkCIDR(v string, six bool) (string, error) {
	if v == "dhcp" || six && v == "auto" {
		return v, nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil || p.Addr().Is6() != six || p.Addr().Is4In6() {
		family, example := "IPv4", "192.168.1.50/24"
		if six {
			family, example = "IPv6", "2001:db8::50/64"
		}
		return "", fmt.Errorf("%q is not an %s address with a prefix length, such as %s", v, family, example)
	}
	if p.Bits() == 0 || (!six && p.Bits() > 32) {
		return "", fmt.Errorf("%q: a prefix length of %d leaves no network", v, p.Bits())
	}
	if !six && p.Bits() < 31 && (p.Addr() == p.Masked().Addr() || p.Addr() == lastAddr(p)) {
		return "", fmt.Errorf("%q is the network's own or broadcast address; give a host address", v)
	}
	return p.Addr().String() + "/" + strconv.Itoa(p.Bits()), nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n |= ^uint32(0) >> p.Bits()
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}

// inSubnet: a gateway outside the address's network cannot be reached.
func inSubnet(cidr, gw string) error {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil // the ip's own check reports it
	}
	a, err := netip.ParseAddr(gw)
	if err != nil || !a.Is4() {
		return fmt.Errorf("%q is not an IPv4 address", gw)
	}
	if !p.Masked().Contains(a) {
		return fmt.Errorf("%s is outside %s, so the guest could not reach it; give a gateway in that network", gw, p.Masked())
	}
	if a == p.Addr() {
		return fmt.Errorf("%s is the guest's own address", gw)
	}
	return nil
}

// sshKeysValue checks the keys and encodes them as qemu-server's sshkeys
// option stores them: one key per line, URL-encoded as the web UI does
// (encodeURIComponent: spaces as %20, never '+').
func sshKeysValue(items []SSHKey) (string, error) {
	var lines []string
	for i, item := range items {
		for _, line := range strings.Split(strings.ReplaceAll(string(item), "\r\n", "\n"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if err := pveid.CheckSSHPublicKey(line); err != nil {
				return "", fmt.Errorf("invalid argument \"sshkeys[%d]\": %v", i, err)
			}
			if !slices.Contains(lines, line) {
				lines = append(lines, line)
			}
		}
	}
	if len(lines) == 0 {
		return "", fmt.Errorf("invalid argument \"sshkeys\": no key given; to remove the keys, put sshkeys in delete")
	}
	return encodeURIComponent(strings.Join(lines, "\n") + "\n"), nil
}

// encodeURIComponent escapes all but A-Z a-z 0-9 - _ . ! ~ * ' ( ), the
// characters pve-common's urlencoded format allows unescaped.
func encodeURIComponent(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// decodeSSHKeys reads a stored sshkeys value back into keys, for output.
func decodeSSHKeys(v string) []string {
	if d, err := url.PathUnescape(v); err == nil {
		v = d
	}
	var out []string
	for _, line := range strings.Split(v, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}
