package tools

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/idna"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Resolver looks host names up; net.DefaultResolver fits.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = net.DefaultResolver

// checkDownloadURL refuses what a node should not be asked to fetch: other
// schemes, credentials, malformed hosts, and unless allowed, hosts inside
// the network (the node would fetch them from there). The host is judged
// the way the node's wget reads it: IDNA-mapped, so that fullwidth digits
// and ideographic dots are the address they map to. Names that do not
// resolve here pass: the node has its own resolver.
func checkDownloadURL(ctx context.Context, raw string, allowPrivate bool, r Resolver) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("invalid argument \"url\": %s is not an http or https URL", shownURL(raw))
	}
	if u.User != nil {
		return fmt.Errorf("invalid argument \"url\": credentials in the URL are not accepted")
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("invalid argument \"url\": %s has no host", shownURL(raw))
	}
	if err := checkPort(u); err != nil {
		return err
	}
	host := u.Hostname()
	if strings.Contains(host, ":") {
		// url.Parse accepts brackets around valid IPv6 addresses only.
		if strings.Contains(host, "%") {
			return fmt.Errorf("invalid argument \"url\": host %q has an IPv6 zone id; zone ids are not accepted", host)
		}
		if allowPrivate {
			return nil
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return fmt.Errorf("invalid argument \"url\": host %q is not a valid IPv6 address", host)
		}
		if why := internalAddr(a); why != "" {
			return privateRefusal(host, "", why)
		}
		return nil
	}
	forms, err := hostForms(host)
	if err != nil {
		return err
	}
	if allowPrivate {
		return nil
	}
	for _, form := range forms {
		if err := checkHostForm(ctx, host, form, r); err != nil {
			return err
		}
	}
	return nil
}

func checkPort(u *url.URL) error {
	p := u.Port()
	if p == "" && !strings.HasSuffix(u.Host, ":") {
		return nil
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("invalid argument \"url\": port %q is not a number from 1 to 65535", p)
	}
	return nil
}

// Current wget maps a host with UTS-46 nontransitional processing and falls
// back to transitional; older wget uses transitional only. Both forms are
// judged. Not STD3-strict, as libidn2 is not: the results are checked below.
// Made on first use: only pve_download_iso needs them.
var idnaProfiles = sync.OnceValue(func() []*idna.Profile {
	return []*idna.Profile{
		idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false), idna.StrictDomainName(false)),
		idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(true), idna.StrictDomainName(false)),
	}
})

var hostCharsRe = lazyre.New(`^[a-z0-9_.-]+$`)

// hostForms gives the one or two ASCII forms a client may look host up as:
// IDNA-mapped, lowercase, without one trailing dot.
func hostForms(host string) ([]string, error) {
	var forms []string
	var idnaErr error
	for _, p := range idnaProfiles() {
		s, err := p.ToASCII(host)
		if err != nil {
			idnaErr = err
			continue
		}
		s = strings.TrimSuffix(strings.ToLower(s), ".")
		if len(forms) == 0 || forms[0] != s {
			forms = append(forms, s)
		}
	}
	if len(forms) == 0 {
		return nil, fmt.Errorf("invalid argument \"url\": host %q is not a valid host name (%v)", host, idnaErr)
	}
	for _, s := range forms {
		switch {
		case s == "":
			return nil, fmt.Errorf("invalid argument \"url\": host %q is empty once normalised", host)
		case !hostCharsRe.MatchString(s):
			return nil, fmt.Errorf("invalid argument \"url\": host %q reads as %q, which is not a host name: only letters, digits, '-', '_' and '.' can be in one", host, s)
		case strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, ".."):
			return nil, fmt.Errorf("invalid argument \"url\": host %q has an empty label", host)
		}
	}
	return forms, nil
}

// inet_aton reads 127.1, 2130706433, 0x7f000001 and 0177.0.0.1 as IPv4
// addresses; the node's resolver would too.
var (
	numericHostRe  = lazyre.New(`^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$`)
	numericLabelRe = lazyre.New(`^(0x[0-9a-f]*|[0-9]+)$`)
)

// Suffixes that public DNS does not answer for, but a network's own
// resolver may (RFC 6761, RFC 8375, ICANN name-collision lists, habit).
var internalSuffixes = []string{
	"local", "internal", "home.arpa", "arpa", "lan", "localdomain",
	"intranet", "corp", "private", "home", "test",
}

// Metadata services reached by name. Single labels and .internal names are
// refused anyway; they are listed for a clearer error. The public names
// answer differently from inside their cloud.
var metadataNames = map[string]bool{
	"metadata": true, "metadata.google.internal": true, // GCP
	"instance-data": true, "instance-data.ec2.internal": true, // AWS
	"rancher-metadata":             true,
	"metadata.tencentyun.com":      true, // 169.254.0.23 inside Tencent Cloud
	"metadata.platformequinix.com": true, // Equinix Metal: knows the caller by its address
	"metadata.packet.net":          true, // Equinix Metal's older name
}

// checkHostForm judges one normalised form of host.
func checkHostForm(ctx context.Context, host, form string, r Resolver) error {
	if a, err := netip.ParseAddr(form); err == nil {
		if why := internalAddr(a); why != "" {
			return privateRefusal(host, form, why)
		}
		return nil
	}
	labels := strings.Split(form, ".")
	switch last := labels[len(labels)-1]; {
	case numericHostRe.MatchString(form):
		return privateRefusal(host, form, "a numeric address in a non-canonical form, which the node reads as an IPv4 address")
	case numericLabelRe.MatchString(last):
		return privateRefusal(host, form, "neither an IPv4 address nor a host name (no top-level domain is numeric)")
	case form == "localhost" || strings.HasSuffix(form, ".localhost"):
		return privateRefusal(host, form, "a loopback name")
	case metadataNames[form]:
		return privateRefusal(host, form, "a cloud metadata name")
	case len(labels) == 1:
		return privateRefusal(host, form, "a single-label name, which the node's search domains would resolve inside the network")
	}
	for _, s := range internalSuffixes {
		if strings.HasSuffix(form, "."+s) {
			return privateRefusal(host, form, "under ."+s+", a suffix only resolved inside a network")
		}
	}
	if r == nil {
		return nil
	}
	addrs, err := r.LookupNetIP(ctx, "ip", form)
	if err != nil {
		// Unresolvable here still passes (see checkDownloadURL); a call
		// that was given up does not.
		return ctx.Err()
	}
	for _, a := range addrs {
		if why := internalAddr(a.Unmap()); why != "" {
			return privateRefusal(host, form, "resolved to "+a.Unmap().String()+", "+why)
		}
	}
	return nil
}

// privateRefusal names the host as given and, if different, as read.
func privateRefusal(host, form, why string) error {
	shown := strconv.Quote(host)
	if form != "" && form != host {
		shown += " (read as " + form + ")"
	}
	return fmt.Errorf("%w: invalid argument \"url\": host %s is %s; the node would fetch it from inside the network. Set PVE_ALLOW_PRIVATE_DOWNLOADS=true to allow such URLs", errRefused, shown, why)
}

var schemeRe = lazyre.New(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// shownURL is raw as an error may quote it: nothing before its last '@'
// (a user and password) but the scheme, and at most 200 bytes.
func shownURL(raw string) string {
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		scheme := schemeRe.FindString(raw[:at])
		raw = scheme + "…" + raw[at:]
	}
	if len(raw) > 200 {
		raw = strings.ToValidUTF8(raw[:200], "") + "…"
	}
	return strconv.Quote(raw)
}

// addrRange is a block of addresses a node must not be sent to, with the
// reason an error gives.
type addrRange struct {
	prefix netip.Prefix
	why    string
}

// internalRanges is read top to bottom and the first match names the
// reason, so single metadata addresses come before the blocks holding them.
// Sources: the IANA IPv4 and IPv6 special-purpose address registries and
// the clouds' metadata documentation. Built once, never changed.
var internalRanges = []addrRange{
	// Cloud metadata services: credentials and user data of the machine.
	{mustPrefix("169.254.169.254/32"), "a cloud metadata address (AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack...)"},
	{mustPrefix("169.254.170.2/32"), "a cloud metadata address (AWS ECS task metadata)"},
	{mustPrefix("168.63.129.16/32"), "a cloud metadata address (Azure WireServer)"}, // public-looking, answered inside Azure only
	{mustPrefix("100.100.100.200/32"), "a cloud metadata address (Alibaba Cloud)"},
	{mustPrefix("192.0.0.192/32"), "a cloud metadata address (Oracle Cloud Classic)"},
	{mustPrefix("fd00:ec2::254/128"), "a cloud metadata address (AWS, IPv6)"},
	{mustPrefix("fe80::a9fe:a9fe/128"), "a cloud metadata address (OpenStack, IPv6)"},

	// IPv4.
	{mustPrefix("0.0.0.0/8"), "a \"this network\" address"},
	{mustPrefix("10.0.0.0/8"), "a private address"},
	{mustPrefix("100.64.0.0/10"), "a shared (CGNAT) address"},
	{mustPrefix("127.0.0.0/8"), "a loopback address"},
	{mustPrefix("169.254.0.0/16"), "a link-local address"},
	{mustPrefix("172.16.0.0/12"), "a private address"},
	{mustPrefix("192.0.0.0/24"), "an IETF protocol assignment address"},
	{mustPrefix("192.0.2.0/24"), "a documentation address"},
	{mustPrefix("192.88.99.0/24"), "a 6to4 relay anycast address"},
	{mustPrefix("192.168.0.0/16"), "a private address"},
	{mustPrefix("198.18.0.0/15"), "a benchmarking address"},
	{mustPrefix("198.51.100.0/24"), "a documentation address"},
	{mustPrefix("203.0.113.0/24"), "a documentation address"},
	{mustPrefix("224.0.0.0/4"), "a multicast address"},
	{mustPrefix("255.255.255.255/32"), "the broadcast address"},
	{mustPrefix("240.0.0.0/4"), "a reserved address"},

	// IPv6. Outside 2000::/3 all else is refused as reserved (see below).
	{mustPrefix("::/128"), "an unspecified address"},
	{mustPrefix("::1/128"), "a loopback address"},
	{mustPrefix("::ffff:0:0/96"), "an IPv4-mapped IPv6 address"},
	{mustPrefix("::/96"), "an IPv4-compatible IPv6 address"},
	{mustPrefix("64:ff9b::/96"), "a NAT64 address"}, // the translator sits inside the network
	{mustPrefix("64:ff9b:1::/48"), "a local-use NAT64 address"},
	{mustPrefix("100::/64"), "a discard-only address"},
	{mustPrefix("2001:2::/48"), "a benchmarking address"},
	{mustPrefix("2001:10::/28"), "an ORCHID address"},
	{mustPrefix("2001:20::/28"), "an ORCHIDv2 address"},
	{mustPrefix("2001::/23"), "an IETF protocol assignment address"},
	{mustPrefix("2001:db8::/32"), "a documentation address"},
	{mustPrefix("3fff::/20"), "a documentation address"},
	{mustPrefix("fc00::/7"), "a private (unique local) address"},
	{mustPrefix("fe80::/10"), "a link-local address"},
	{mustPrefix("fec0::/10"), "a site-local address"},
	{mustPrefix("ff00::/8"), "a multicast address"},
}

var (
	globalUnicast6 = mustPrefix("2000::/3")
	sixToFour      = mustPrefix("2002::/16")
	teredo         = mustPrefix("2001::/32")
	mappedCompat   = mustPrefix("::/96")
	nat64          = mustPrefix("64:ff9b::/96")
)

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// internalAddr says why the node must not be sent to a, or "" if it may.
// 6to4 and Teredo addresses carry IPv4 addresses a relay would reach, so
// those are judged too.
func internalAddr(a netip.Addr) string {
	a = a.WithZone("")
	if a.Is6() {
		b := a.As16()
		switch {
		case sixToFour.Contains(a):
			return embeddedInternal("a 6to4 address for", [4]byte(b[2:6]))
		case a.Is4In6() || nat64.Contains(a) || (mappedCompat.Contains(a) && !a.IsLoopback() && !a.IsUnspecified()):
			// Refused whatever they embed; the embedded address names why best.
			if why := embeddedInternal("an IPv6 address embedding", [4]byte(b[12:16])); why != "" {
				return why
			}
		case teredo.Contains(a):
			if why := embeddedInternal("a Teredo address with server", [4]byte(b[4:8])); why != "" {
				return why
			}
			// The client address is stored with its bits inverted.
			return embeddedInternal("a Teredo address for", [4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		}
	}
	for _, r := range internalRanges {
		if r.prefix.Contains(a) {
			return r.why
		}
	}
	if a.Is6() && !globalUnicast6.Contains(a) {
		return "a reserved IPv6 address"
	}
	return ""
}

func embeddedInternal(what string, v4 [4]byte) string {
	a := netip.AddrFrom4(v4)
	if why := internalAddr(a); why != "" {
		return fmt.Sprintf("%s %s, %s", what, a, why)
	}
	return ""
}

// URLChecker is the guard's check of a URL a request makes a node fetch:
// the rule pve_download_iso applies, for every path to such an endpoint.
func URLChecker(allowPrivate bool, r Resolver) func(context.Context, string) error {
	return func(ctx context.Context, raw string) error { return checkDownloadURL(ctx, raw, allowPrivate, r) }
}
