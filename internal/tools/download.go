package tools

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
)

// Resolver looks host names up; net.DefaultResolver fits.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// checkDownloadURL refuses what a node should not be asked to fetch: other
// schemes, and unless allowed, hosts inside the network (the node would
// fetch them from there). Names that do not resolve here pass: the node has
// its own resolver.
func checkDownloadURL(ctx context.Context, raw string, allowPrivate bool, r Resolver) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid argument \"url\": %q is not an http or https URL", raw)
	}
	if u.User != nil {
		return fmt.Errorf("invalid argument \"url\": credentials in the URL are not accepted")
	}
	if allowPrivate {
		return nil
	}
	host := strings.TrimSuffix(u.Hostname(), ".")
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if numericHostRe.MatchString(host) {
		// 127.1, 2130706433, 0x7f000001: the node's resolver reads these as
		// IPv4 addresses (inet_aton) even though they are not canonical.
		return privateRefusal(host, "a numeric address in a non-canonical form")
	} else if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return privateRefusal(host, "a loopback name")
	} else if r != nil {
		addrs, _ = r.LookupNetIP(ctx, "ip", host)
	}
	for _, a := range addrs {
		if why := internalAddr(a.Unmap()); why != "" {
			return privateRefusal(host, why+" ("+a.String()+")")
		}
	}
	return nil
}

func privateRefusal(host, why string) error {
	return fmt.Errorf("%w: invalid argument \"url\": host %s is %s; the node would fetch it from inside the network. Set PVE_ALLOW_PRIVATE_DOWNLOADS=true to allow such URLs", errRefused, host, why)
}

var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254"), netip.MustParseAddr("100.100.100.200"),
}

var numericHostRe = regexp.MustCompile(`^(?i)(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$`)

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

func internalAddr(a netip.Addr) string {
	if why := internalPlain(a); why != "" {
		return why
	}
	// IPv4 addresses embedded in IPv6 (::a.b.c.d, NAT64) are judged as IPv4.
	if b := a.As16(); a.Is6() && (nat64.Contains(a) || isZero(b[:12])) {
		return internalPlain(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	return ""
}

func internalPlain(a netip.Addr) string {
	for _, m := range metadataAddrs {
		if a == m {
			return "a cloud metadata address"
		}
	}
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsPrivate():
		return "a private address"
	case a.IsUnspecified():
		return "an unspecified address"
	case a.Is4() && netip.MustParsePrefix("100.64.0.0/10").Contains(a):
		return "a shared (CGNAT) address"
	}
	return ""
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

var _ Resolver = net.DefaultResolver
