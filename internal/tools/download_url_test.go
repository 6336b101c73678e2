package tools

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

// urlNames is a Resolver answering from a map; other names are not found,
// as a real resolver says.
type urlNames map[string][]string

func (n urlNames) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	addrs, ok := n[host]
	if !ok || network != "ip" {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

var testNames = urlNames{
	"cdimage.debian.org":    {"151.101.2.132", "2a04:4e42::644"},
	"public6.example":       {"2606:4700::1111"},
	"xn--bcher-kva.example": {"93.184.215.14"},
	"intranet.example":      {"10.1.2.3"},
	"mixed.example":         {"93.184.215.14", "10.0.0.5"},
	"rebind.example":        {"::ffff:127.0.0.1"},
	"ip127.nip.example":     {"127.0.0.1"},
	"docs.example":          {"192.0.2.10"},
	"reserved.example":      {"240.0.0.1"},
	"wireserver.example":    {"168.63.129.16"},
	"nat64.example":         {"93.184.215.14", "64:ff9b::5db8:d70e"},
	"teredo.example":        {"2001:0:5db8:d70e::80ff:fffe"},
	"sitelocal.example":     {"fec0::5"},
	"xn--fa-hia.example":    {"93.184.215.14"}, // faß, nontransitional
	"fass.example":          {"10.0.0.7"},      // faß, transitional
}

// Outcomes: accepted, refused as internal (errRefused, hint), or invalid.
const (
	accepted = "ok"
	internal = "refused"
	invalid  = "invalid"
)

// downloadURLCases: class, URL, outcome, and whether the code before this
// change accepted it (oldOK with a refusal now marks a closed bypass).
var downloadURLCases = []struct {
	class, url, want string
	oldOK            bool
}{
	{"scheme", "file:///etc/passwd", invalid, false},
	{"scheme", "ftp://cdimage.debian.org/x.iso", invalid, false},
	{"scheme", "gopher://cdimage.debian.org/", invalid, false},
	{"scheme", "HTTPS://CDIMAGE.DEBIAN.ORG/x.iso", accepted, true},
	{"host", "http:///x.iso", invalid, false},
	{"host", "http:127.0.0.1/x.iso", invalid, false},
	{"host", "http://127.0.0.1../x.iso", invalid, true},
	{"port", "http://cdimage.debian.org:0/x.iso", invalid, true},
	{"port", "http://cdimage.debian.org:65536/x.iso", invalid, true},
	{"port", "http://cdimage.debian.org:/x.iso", invalid, true},
	{"port", "https://cdimage.debian.org:8443/x.iso", accepted, true},
	{"userinfo", "https://user:s3cretpw@cdimage.debian.org/x.iso", invalid, false},
	{"userinfo", "https://user@cdimage.debian.org/x.iso", invalid, false},
	{"userinfo", "ftp://user:s3cretpw@cdimage.debian.org/x.iso", invalid, false},
	{"userinfo", "http://user:s3cretpw@[::1/x.iso", invalid, false},

	{"idna", "http://１２７．０．０．１/x.iso", internal, true},
	{"idna", "http://127。0。0。1/x.iso", internal, true},
	{"idna", "http://127｡0｡0｡1/x.iso", internal, true},
	{"idna", "http://①②⑦.0.0.1/x.iso", internal, true},
	{"idna", "http://%EF%BC%91%EF%BC%92%EF%BC%97.0.0.1/x.iso", internal, true},
	{"idna", "http://１６９．２５４．１６９．２５４/latest/meta-data/", internal, true},
	{"idna", "http://１０．０．０．１/x.iso", internal, true},
	{"idna", "http://１２７．１/x.iso", internal, true},
	{"idna", "http://０ｘ７ｆ０００００１/x.iso", internal, true},
	{"idna", "http://ＬＯＣＡＬＨＯＳＴ/x.iso", internal, true},
	{"idna", "http://local\u00adhost/x.iso", internal, true},
	{"idna", "http://localhost%E3%80%82/x.iso", internal, true},
	{"idna", "http://faß.example/x.iso", internal, true},
	{"idna", "http://127.0.0.1%EF%BC%8F/x.iso", invalid, true},
	{"idna", "http://xn--a.example/x.iso", invalid, true},
	{"idna", "http://bücher.example/x.iso", accepted, true},

	{"numeric", "http://127.1/x.iso", internal, false},
	{"numeric", "http://2130706433/x.iso", internal, false},
	{"numeric", "http://0x7f000001/x.iso", internal, false},
	{"numeric", "http://0177.0.0.1/x.iso", internal, false},
	{"numeric", "http://0X7F.1/x.iso", internal, false},
	{"numeric", "http://0/x.iso", internal, false},
	{"numeric", "http://127.0.0.1.5/x.iso", internal, true},
	{"numeric", "http://1572395022/x.iso", internal, false},

	{"ipv4", "http://127.0.0.1/x.iso", internal, false},
	{"ipv4", "http://127.0.0.1./x.iso", internal, false},
	{"ipv4", "http://10.0.0.1/x.iso", internal, false},
	{"ipv4", "http://172.31.255.255/x.iso", internal, false},
	{"ipv4", "http://192.168.1.10/x.iso", internal, false},
	{"ipv4", "http://100.64.1.1/x.iso", internal, false},
	{"ipv4", "http://0.0.0.0/x.iso", internal, false},
	{"ipv4", "http://0.1.2.3/x.iso", internal, true},
	{"ipv4", "http://255.255.255.255/x.iso", internal, true},
	{"ipv4", "http://239.1.2.3/x.iso", internal, true},
	{"ipv4", "http://240.0.0.1/x.iso", internal, true},
	{"ipv4", "http://198.18.0.1/x.iso", internal, true},
	{"ipv4", "http://192.0.2.1/x.iso", internal, true},
	{"ipv4", "http://198.51.100.7/x.iso", internal, true},
	{"ipv4", "http://203.0.113.9/x.iso", internal, true},
	{"ipv4", "http://192.0.0.8/x.iso", internal, true},
	{"ipv4", "http://192.88.99.1/x.iso", internal, true},
	{"ipv4", "http://93.184.215.14/x.iso", accepted, true},
	{"ipv4", "http://172.32.0.1/x.iso", accepted, true},

	{"metadata", "http://169.254.169.254/latest/meta-data/", internal, false},
	{"metadata", "http://100.100.100.200/latest/meta-data/", internal, false},
	{"metadata", "http://[fd00:ec2::254]/latest/meta-data/", internal, false},
	{"metadata", "http://192.0.0.192/latest/", internal, true},
	{"metadata", "http://168.63.129.16/machine?comp=goalstate", internal, true},
	{"metadata", "http://metadata/computeMetadata/v1/", internal, true},
	{"metadata", "http://metadata.google.internal/computeMetadata/v1/", internal, true},
	{"metadata", "http://instance-data/latest/meta-data/", internal, true},
	{"metadata", "http://instance-data.ec2.internal/latest/", internal, true},
	{"metadata", "http://metadata.tencentyun.com/latest/meta-data/", internal, true},
	{"metadata", "http://rancher-metadata/latest/", internal, true},

	{"ipv6", "http://[::]/x.iso", internal, false},
	{"ipv6", "http://[::1]/x.iso", internal, false},
	{"ipv6", "http://[fd12:3456::1]/x.iso", internal, false},
	{"ipv6", "http://[fe80::1]/x.iso", internal, false},
	{"ipv6", "http://[fe80::1%25eth0]/x.iso", invalid, false},
	{"ipv6", "http://[2606:4700::1111%25eth0]/x.iso", invalid, true},
	{"ipv6", "http://[fec0::1]/x.iso", internal, true},
	{"ipv6", "http://[ff05::1]/x.iso", internal, true},
	{"ipv6", "http://[ff0e::1]/x.iso", internal, true},
	{"ipv6", "http://[100::1]/x.iso", internal, true},
	{"ipv6", "http://[2001:db8::1]/x.iso", internal, true},
	{"ipv6", "http://[3fff::1]/x.iso", internal, true},
	{"ipv6", "http://[2001:2::1]/x.iso", internal, true},
	{"ipv6", "http://[2001:10::1]/x.iso", internal, true},
	{"ipv6", "http://[2001:20::1]/x.iso", internal, true},
	{"ipv6", "http://[4000::1]/x.iso", internal, true},
	{"ipv6", "http://[2606:4700::1111]/x.iso", accepted, true},
	{"ipv6", "http://[2a00:1450:4001:82a::200e]/x.iso", accepted, true},

	{"embedded", "http://[::ffff:127.0.0.1]/x.iso", internal, false},
	{"embedded", "http://[::ffff:93.184.215.14]/x.iso", internal, true},
	{"embedded", "http://[::127.0.0.1]/x.iso", internal, false},
	{"embedded", "http://[::93.184.215.14]/x.iso", internal, true},
	{"embedded", "http://[::2]/x.iso", internal, true},
	{"embedded", "http://[64:ff9b::a9fe:a9fe]/x.iso", internal, false},
	{"embedded", "http://[64:ff9b::5db8:d70e]/x.iso", internal, true},
	{"embedded", "http://[64:ff9b:1::a00:1]/x.iso", internal, true},
	{"embedded", "http://[2002:7f00:1::1]/x.iso", internal, true},
	{"embedded", "http://[2002:a9fe:a9fe::1]/x.iso", internal, true},
	{"embedded", "http://[2002:5db8:d70e::1]/x.iso", accepted, true},
	{"embedded", "http://[2001:0:5db8:d70e::80ff:fffe]/x.iso", internal, true},
	{"embedded", "http://[2001:0:a00:1::a247:28f0]/x.iso", internal, true},
	{"embedded", "http://[2001:0:5db8:d70e::a247:28f0]/x.iso", accepted, true},

	{"name", "http://localhost:8080/x.iso", internal, false},
	{"name", "http://LOCALHOST/x.iso", internal, false},
	{"name", "http://pve.localhost/x.iso", internal, false},
	{"name", "http://nas/x.iso", internal, true},
	{"name", "https://proxmox-backup:8007/x.iso", internal, true},
	{"name", "http://printer.local/x.iso", internal, true},
	{"name", "http://db.internal/x.iso", internal, true},
	{"name", "http://router.home.arpa/x.iso", internal, true},
	{"name", "http://1.0.0.127.in-addr.arpa/x.iso", internal, true},
	{"name", "http://files.lan/x.iso", internal, true},
	{"name", "http://srv.localdomain/x.iso", internal, true},
	{"name", "http://wiki.intranet/x.iso", internal, true},
	{"name", "http://share.corp/x.iso", internal, true},
	{"name", "http://box.private/x.iso", internal, true},
	{"name", "http://DB.Internal./x.iso", internal, true},
	{"name", "https://cdimage.debian.org/x.iso", accepted, true},
	{"name", "https://unresolvable.example/x.iso", accepted, true},

	{"resolved", "https://intranet.example/x.iso", internal, false},
	{"resolved", "https://mixed.example/x.iso", internal, false},
	{"resolved", "https://rebind.example/x.iso", internal, false},
	{"resolved", "https://ip127.nip.example/x.iso", internal, false},
	{"resolved", "https://docs.example/x.iso", internal, true},
	{"resolved", "https://reserved.example/x.iso", internal, true},
	{"resolved", "https://wireserver.example/x.iso", internal, true},
	{"resolved", "https://nat64.example/x.iso", internal, true},
	{"resolved", "https://teredo.example/x.iso", internal, true},
	{"resolved", "https://sitelocal.example/x.iso", internal, true},
	{"resolved", "https://public6.example/x.iso", accepted, true},
}

func TestDownloadURLTable(t *testing.T) {
	ctx := context.Background()
	for _, c := range downloadURLCases {
		err := checkDownloadURL(ctx, c.url, false, testNames)
		got := accepted
		if errors.Is(err, errRefused) {
			got = internal
		} else if err != nil {
			got = invalid
		}
		if got != c.want {
			t.Errorf("%s %s: got %s, want %s (err: %v)", c.class, c.url, got, c.want, err)
			continue
		}
		if err == nil {
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `"url"`) || strings.Contains(msg, "s3cretpw") || strings.Contains(msg, "user") {
			t.Errorf("%s: error does not name \"url\" or echoes credentials: %v", c.url, err)
		}
		if got == internal {
			u, _ := url.Parse(c.url)
			if !strings.Contains(msg, strconv.Quote(u.Hostname())) || !strings.Contains(msg, "PVE_ALLOW_PRIVATE_DOWNLOADS=true") {
				t.Errorf("%s: error does not name the host or the setting: %v", c.url, err)
			}
		}
	}
}

// TestDownloadURLTableCoverage keeps the table honest: enough cases, and in
// every class a case the old code accepted that is now refused.
func TestDownloadURLTableCoverage(t *testing.T) {
	if len(downloadURLCases) < 60 {
		t.Errorf("%d cases, want at least 60", len(downloadURLCases))
	}
	closed := map[string]bool{}
	for _, c := range downloadURLCases {
		closed[c.class] = closed[c.class] || (c.oldOK && c.want != accepted)
	}
	for class, ok := range closed {
		if !ok && class != "scheme" && class != "userinfo" {
			t.Errorf("class %s has no case the old code accepted and that is now refused", class)
		}
	}
}

func TestDownloadURLAllowPrivate(t *testing.T) {
	ctx := context.Background()
	for raw, ok := range map[string]bool{
		"http://10.0.0.1/x.iso":                   true,
		"http://nas/x.iso":                        true,
		"http://１２７．０．０．１/x.iso":                  true,
		"http://[fd00::1]:8080/x.iso":             true,
		"https://intranet.example/x.iso":          true,
		"http://127.1/x.iso":                      true,
		"http://cdimage.debian.org:0/x.iso":       false,
		"http://xn--a.example/x.iso":              false,
		"http://127.0.0.1%EF%BC%8F/x.iso":         false,
		"http://[fe80::1%25vmbr0]/x.iso":          false,
		"https://user:s3cretpw@10.0.0.1/x.iso":    false,
		"ftp://10.0.0.1/x.iso":                    false,
		"http://cdimage.debian.org:65536/x.iso":   false,
		"https://cdimage.debian.org:443/x.iso":    true,
		"http://[2001:0:a00:1::a247:28f0]/x.iso":  true,
		"http://metadata.google.internal/x.iso":   true,
		"http://169.254.169.254/latest/meta-data": true,
	} {
		if err := checkDownloadURL(ctx, raw, true, testNames); (err == nil) != ok || errors.Is(err, errRefused) {
			t.Errorf("%s with private downloads allowed: ok=%v err=%v", raw, ok, err)
		}
	}
}

func TestDownloadURLCanceledLookup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := checkDownloadURL(ctx, "https://unresolvable.example/x.iso", false, testNames); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestShownURLRedacts(t *testing.T) {
	for _, raw := range []string{"ftp://user:s3cretpw@host/x", "user:s3cretpw@host", "http://user:s3cretpw@[::1/x", "user:s3cretpw://x@y", "http://u:s3cretpw@h/?a=b@c"} {
		if got := shownURL(raw); strings.Contains(got, "s3cretpw") {
			t.Errorf("shownURL(%q) = %s", raw, got)
		}
	}
	if got := shownURL(strings.Repeat("a", 500)); len(got) > 210 {
		t.Errorf("not shortened: %d bytes", len(got))
	}
}

func FuzzDownloadURL(f *testing.F) {
	for _, c := range downloadURLCases {
		f.Add(c.url)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		err := checkDownloadURL(ctx, raw, false, urlNames{})
		if err != nil {
			if u, perr := url.Parse(raw); perr == nil && u.User != nil && u.User.String() != "" && strings.Contains(err.Error(), u.User.String()+"@") {
				t.Fatalf("error echoes userinfo: %v", err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil {
			t.Fatalf("accepted %q that does not parse: %v", raw, perr)
		}
		host := u.Hostname()
		for _, p := range []*idna.Profile{idna.Lookup, idna.Display, idna.New(idna.MapForLookup(), idna.Transitional(true), idna.StrictDomainName(false))} {
			s, _ := p.ToASCII(host) // judged even when invalid: a client may map part
			s = strings.TrimSuffix(strings.ToLower(s), ".")
			if a, ok := looseAddr(s); ok && obviouslyInternal(a) {
				t.Fatalf("accepted %q: host %q reads as %q, address %s", raw, host, s, a)
			}
		}
	})
}

// looseAddr reads s as an address the way inet_aton and inet_pton do,
// including 127.1, 2130706433, 0x7f.1 and 0177.0.0.1.
func looseAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a, true
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v []uint64
	for _, p := range parts {
		base, digits := 10, p
		switch {
		case strings.HasPrefix(p, "0x"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		n, err := strconv.ParseUint(digits, base, 32)
		if err != nil || strings.ContainsAny(digits, "+-_") {
			return netip.Addr{}, false
		}
		v = append(v, n)
	}
	var x uint64
	for i, n := range v[:len(v)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
		x |= n << (24 - 8*i)
	}
	last := v[len(v)-1]
	if last >= 1<<(32-8*(len(v)-1)) {
		return netip.Addr{}, false
	}
	x |= last
	return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}), true
}

// obviouslyInternal is a check written apart from internalRanges, from the
// standard library's predicates and the best known extra blocks.
func obviouslyInternal(a netip.Addr) bool {
	a = a.WithZone("")
	if a.Is4In6() || netip.MustParsePrefix("::/96").Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, p := range []string{"0.0.0.0/8", "100.64.0.0/10", "240.0.0.0/4", "198.18.0.0/15", "192.0.0.0/24", "168.63.129.16/32", "64:ff9b::/96", "fec0::/10", "2001:db8::/32"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return true
		}
	}
	return !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast()
}

// TestDownloadURLMappedDigitsAndDots tries every code point that UTS-46
// maps to ASCII digits or dots (１, ①, ⒈, 。...) in a loopback address.
func TestDownloadURLMappedDigitsAndDots(t *testing.T) {
	if testing.Short() {
		t.Skip("walks all of Unicode")
	}
	ctx := context.Background()
	profiles := []*idna.Profile{idna.Lookup, idna.New(idna.MapForLookup(), idna.Transitional(true), idna.StrictDomainName(false))}
	found := 0
	for r := rune(0x80); r <= 0x10ffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		for _, p := range profiles {
			m, err := p.ToASCII("a" + string(r) + "b")
			if err != nil || len(m) < 3 || strings.Trim(m[1:len(m)-1], ".0123456789") != "" {
				continue
			}
			found++
			raw := "http://127.0.0." + string(r) + "/x.iso" // 127.0.0.1, 127.0.0.1. or 127.0.0.10.
			if m[1:len(m)-1] == "." {
				raw = "http://127" + string(r) + "0" + string(r) + "0" + string(r) + "1/x.iso"
			}
			if err := checkDownloadURL(ctx, raw, false, nil); !errors.Is(err, errRefused) {
				t.Errorf("U+%04X (maps to %q): %s not refused: %v", r, m[1:len(m)-1], raw, err)
			}
			break
		}
	}
	if found < 100 {
		t.Errorf("only %d code points map to digits or dots; the profiles changed?", found)
	}
}
