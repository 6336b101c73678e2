package pvesim

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// parseIPOrRange reads an IP, a CIDR or a range a-b and returns its version.
func parseIPOrRange(s string) (int, bool) {
	if a, b, ok := strings.Cut(s, "-"); ok {
		x, err1 := netip.ParseAddr(a)
		y, err2 := netip.ParseAddr(b)
		if err1 != nil || err2 != nil || x.Is4() != y.Is4() || y.Less(x) {
			return 0, false
		}
		return ipVer(x), true
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return 0, false
		}
		return ipVer(p.Addr()), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return 0, false
	}
	return ipVer(a), true
}

func ipVer(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

func ipVersionOf(cidr string) int { v, _ := parseIPOrRange(cidr); return v }

// normCIDR is parse_ip_or_cidr's normal form: lower-case IPv6, no host bits
// kept beyond what was given.
func normCIDR(s string) string {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.String()
	}
	return s
}

// fwCheckAddr is parse_address_list plus the ipset/alias lookup: it returns
// the address list's IP version, or the error text.
func (s *Sim) fwCheckAddr(c *call, sc fwScope, v string) (int, string) {
	cluster := c.st.fw().cluster
	var local *fwConf
	if sc.env != "cluster" && sc.env != "group" {
		local = sc.conf(c)
	}
	if strings.HasPrefix(v, "+") {
		m := fwIPSetRef.FindStringSubmatch(v)
		if m == nil {
			return 0, fmt.Sprintf("invalid ipset name '%s'", v)
		}
		if cluster.ipsets[m[2]] == nil && (local == nil || local.ipsets[m[2]] == nil) {
			return 0, fmt.Sprintf("no such ipset '%s'", m[2])
		}
		return 0, ""
	}
	if m := fwAliasRef.FindStringSubmatch(v); m != nil {
		name := strings.ToLower(m[2])
		a := cluster.aliases[name]
		if local != nil && local.aliases[name] != nil && m[1] != "dc/" {
			a = local.aliases[name]
		}
		if a == nil {
			return 0, fmt.Sprintf("no such alias '%s'", v)
		}
		return ipVersionOf(a.cidr), ""
	}
	elems := strings.Split(v, ",")
	ver, ranges := 0, false
	for _, e := range elems {
		ev, ok := parseIPOrRange(e)
		if !ok {
			return 0, fmt.Sprintf("invalid IP address: %s", e)
		}
		ranges = ranges || strings.Contains(e, "-")
		if ver != 0 && ev != ver {
			return 0, fmt.Sprintf("detected mixed ipv4/ipv6 addresses in address list '%s'", v)
		}
		ver = ev
	}
	if ranges && len(elems) > 1 {
		return 0, "you can't use a range in a list"
	}
	return ver, ""
}

var fwPortProtos = map[string]bool{"tcp": true, "udp": true, "udplite": true, "sctp": true, "dccp": true,
	"6": true, "17": true, "136": true, "132": true, "33": true}

// fwServices are the /etc/services names a rule may use for a port.
var fwServices = map[string]bool{"ssh": true, "http": true, "https": true, "domain": true, "ftp": true,
	"smtp": true, "imap": true, "imaps": true, "pop3": true, "pop3s": true, "ntp": true, "snmp": true,
	"ldap": true, "ldaps": true, "submission": true, "telnet": true, "rsync": true, "mysql": true,
	"postgresql": true, "bootps": true, "bootpc": true, "tftp": true, "microsoft-ds": true,
	"netbios-ssn": true, "ms-wbt-server": true, "openvpn": true, "syslog": true, "nfs": true}

// fwCheckPorts is parse_port_name_number_or_range.
func fwCheckPorts(v string, icmpDport bool) string {
	elems := strings.Split(v, ",")
	for _, e := range elems {
		if e == "" {
			return "extraneous commas in list"
		}
		if a, b, ok := strings.Cut(e, ":"); ok {
			p1, err1 := strconv.Atoi(a)
			p2, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil {
				return fmt.Sprintf("invalid port '%s'", e)
			}
			if p1 > 65535 {
				return fmt.Sprintf("invalid port '%d'", p1)
			}
			if p2 > 65535 {
				return fmt.Sprintf("invalid port '%d'", p2)
			}
			if p1 > p2 {
				return fmt.Sprintf("backwards range '%d:%d' not allowed, did you mean '%d:%d'?", p1, p2, p2, p1)
			}
			continue
		}
		if p, err := strconv.Atoi(e); err == nil {
			if p > 65535 {
				return fmt.Sprintf("invalid port '%d'", p)
			}
			continue
		}
		if !fwServices[e] && !icmpDport {
			return fmt.Sprintf("invalid port '%s'", e)
		}
	}
	return ""
}

var fwProtocols = map[string]bool{"tcp": true, "udp": true, "icmp": true, "icmpv6": true, "ipv6-icmp": true,
	"udplite": true, "sctp": true, "dccp": true, "gre": true, "esp": true, "ah": true, "igmp": true,
	"ipv6": true, "ipencap": true, "ospf": true, "vrrp": true, "l2tp": true, "pim": true}

func fwKnownProto(p string) bool {
	if n, err := strconv.Atoi(p); err == nil {
		return n >= 0 && n <= 255
	}
	return fwProtocols[p]
}
