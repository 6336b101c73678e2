package pveschema

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Every pattern of every schema must compile as Go regexp after the Perl
// conversion; otherwise we would silently skip it.
func TestAllSchemaPatternsCompile(t *testing.T) {
	for _, v := range Versions() {
		s := mustLoad(t, v)
		n := 0
		var walk func(where string, p *Param)
		walk = func(where string, p *Param) {
			if p.re != nil {
				n++
				if _, err := p.re.get(); err != nil {
					t.Errorf("%s %s: pattern %q: %v", v, where, p.Pattern, err)
				}
			}
			for k, sp := range p.Props {
				walk(where+"."+k, sp)
			}
			if p.Items != nil {
				walk(where+"[]", p.Items)
			}
		}
		for _, e := range s.Endpoints() {
			for name, p := range e.Params {
				walk(e.Method+" "+e.Path+" "+name, p)
			}
		}
		if n < 100 {
			t.Errorf("%s: only %d patterns seen", v, n)
		}
	}
}

// The named formats we do not check (accepted unchecked). Keep this list
// in sync: a new entry means a schema grew a format worth implementing.
func TestUncheckedFormats(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range Versions() {
		s := mustLoad(t, v)
		var walk func(p *Param)
		walk = func(p *Param) {
			if p.Format != "" && p.Props == nil && !KnownFormat(p.Format) {
				seen[p.Format] = true
			}
			for _, sp := range p.Props {
				walk(sp)
			}
			if p.Items != nil {
				walk(p.Items)
			}
		}
		for _, e := range s.Endpoints() {
			for _, p := range e.Params {
				walk(p)
			}
		}
	}
	var got []string
	for f := range seen {
		got = append(got, f)
	}
	sort.Strings(got)
	want := []string{
		"IPorCIDR", "IPorCIDRorAlias", "graphite-path", "mac-prefix", "pem-certificate-chain", "pem-string",
		"proxmox-remote", "pve-acme-alias", "pve-acme-domain", "pve-acme-domain-list", "pve-command-batch",
		"pve-fw-addr-spec", "pve-fw-conntrack-helper", "pve-fw-dport-spec", "pve-fw-icmp-type-spec",
		"pve-fw-protocol-spec", "pve-fw-sport-spec", "pve-ha-group-node-list", "pve-ha-node-list",
		"pve-ha-resource-id-list", "pve-ha-resource-or-vm-id", "pve-qemu-sev-fmt", "pve-qemu-tdx-fmt",
		"pve-qm-smbios1", "pve-qm-usb-device", "pve-sdn-bgp-rt-list",
		"pve-sdn-controller-id", "pve-sdn-dhcp-range", "pve-sdn-dns-id", "pve-sdn-fabric-id", "pve-sdn-ipam-id",
		"pve-sdn-isis-net", "pve-sdn-subnet-id", "pve-sdn-vnet-id", "pve-sdn-zone-id",
		"pve-tfa-config", "realm-sync-options", "string-alist",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unchecked named formats changed (-want +got):\n%s", diff)
	}
}

func TestOlderSchemasLackNewThings(t *testing.T) {
	s91, s84, s74 := mustLoad(t, "9.1"), mustLoad(t, "8.4"), mustLoad(t, "7.4")
	// SDN fabrics are new in 9.
	if _, _, ok := s91.Lookup("GET", "/cluster/sdn/fabrics"); !ok {
		t.Error("9.1 lacks /cluster/sdn/fabrics")
	}
	for _, s := range []*Schema{s84, s74} {
		if _, _, ok := s.Lookup("GET", "/cluster/sdn/fabrics"); ok {
			t.Errorf("%s has /cluster/sdn/fabrics", s.Version())
		}
	}
	// virtiofs (8.3+) and LXC device passthrough (8.1+) are missing in 7.4.
	e74, _, _ := s74.Lookup("POST", "/nodes/pve1/qemu")
	e91, _, _ := s91.Lookup("POST", "/nodes/pve1/qemu")
	if _, ok := e91.Param("virtiofs0"); !ok {
		t.Error("9.1 create_vm lacks virtiofs0")
	}
	if errs := e74.Validate(map[string]string{"node": "pve1", "vmid": "100", "virtiofs0": "share"}); errs["virtiofs0"] != MsgNotInSchema {
		t.Errorf("7.4 accepted virtiofs0: %v", errs)
	}
	l74, _, _ := s74.Lookup("POST", "/nodes/pve1/lxc")
	if _, ok := l74.Param("dev0"); ok {
		t.Error("7.4 create_ct has dev0")
	}
	// the same basic calls validate on every version
	for _, s := range []*Schema{s91, s84, s74} {
		e, p, ok := s.Lookup("POST", "/nodes/pve1/qemu/100/status/start")
		if !ok {
			t.Fatalf("%s lacks vm_start", s.Version())
		}
		if errs := e.Validate(p); errs != nil {
			t.Errorf("%s vm_start: %v", s.Version(), errs)
		}
		e, p, _ = s.Lookup("POST", "/nodes/pve1/qemu")
		p["vmid"], p["net0"], p["scsi0"] = "100", "virtio,bridge=vmbr0", "local-lvm:32"
		if errs := e.Validate(p); errs != nil {
			t.Errorf("%s create_vm: %v", s.Version(), errs)
		}
	}
	if len(s74.Endpoints()) >= len(s84.Endpoints()) || len(s84.Endpoints()) >= len(s91.Endpoints()) {
		t.Error("endpoint counts should grow with versions")
	}
}

func TestParsePropertyString(t *testing.T) {
	s := mustLoad(t, "9.1")
	e, _ := s.Endpoint("POST", "/nodes/{node}/qemu")
	net, _ := e.Param("net0")
	scsi, _ := e.Param("scsi0")
	boot, _ := e.Param("boot")
	cases := []struct {
		p    *Param
		in   string
		want map[string]string
		err  string
	}{
		{net, "virtio=BC:24:11:2C:69:EC,bridge=vmbr0,firewall=on", map[string]string{"model": "virtio", "macaddr": "BC:24:11:2C:69:EC", "bridge": "vmbr0", "firewall": "1"}, ""},
		{net, "model=e1000,link_down=no", map[string]string{"model": "e1000", "link_down": "0"}, ""},
		{net, "virtio,bridge=vmbr0,bridge=vmbr1", nil, "duplicate key in comma-separated list property: bridge\n"},
		{net, "virtio,e1000", nil, "duplicate key in comma-separated list property: model\n"},
		{net, "virtio,bridge=", nil, "missing key in comma-separated list property\n"},
		{net, "virtio,queues=99", nil, "format error\nqueues: value must have a maximum value of 64\n"},
		{net, "virtio,macaddr=BC:24:11:2C:69:EC,model=virtio", nil, "duplicate key in comma-separated list property: model\n"},
		{scsi, "local-lvm:32", map[string]string{"file": "local-lvm:32"}, ""},
		{scsi, "volume=local-lvm:vm-100-disk-0,ssd=1", map[string]string{"file": "local-lvm:vm-100-disk-0", "ssd": "1"}, ""},
		{scsi, "file=local-lvm:1,volume=local-lvm:2", nil, "key 'file' is already defined (via alias)\n"},
		{scsi, "none,media=cdrom", map[string]string{"file": "none", "media": "cdrom"}, ""},
		{scsi, "local:iso/x.iso,media=cdrom,size=112M", map[string]string{"file": "local:iso/x.iso", "media": "cdrom", "size": "112M"}, ""},
		{scsi, "/dev/disk/by-id/ata-X,backup=0", map[string]string{"file": "/dev/disk/by-id/ata-X", "backup": "0"}, ""},
		{scsi, "local-lvm:32,wwn=0x5000c500a1b2c3d4", map[string]string{"file": "local-lvm:32", "wwn": "0x5000c500a1b2c3d4"}, ""},
		{scsi, "local-lvm:32,wwn=5000c500a1b2c3d4", nil, "format error\nwwn: value does not match the regex pattern\n"},
		{boot, "order=scsi0;net0", map[string]string{"order": "scsi0;net0"}, ""},
		{boot, "cdn", map[string]string{"legacy": "cdn"}, ""},
	}
	for _, tc := range cases {
		got, err := ParsePropertyString(tc.p, tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParsePropertyString(%s, %q) error = %v, want %q", tc.p.Name, tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePropertyString(%s, %q): %v", tc.p.Name, tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("ParsePropertyString(%s, %q) (-want +got):\n%s", tc.p.Name, tc.in, diff)
		}
	}
	vmid, _ := e.Param("vmid")
	if _, err := ParsePropertyString(vmid, "100"); err == nil {
		t.Error("ParsePropertyString on a plain parameter succeeded")
	}
}

func TestValidateForm(t *testing.T) {
	s := mustLoad(t, "9.1")
	e, _, _ := s.Lookup("PUT", "/nodes/pve1/qemu/100/config")
	v := url.Values{"node": {"pve1"}, "vmid": {"100"}, "delete": {"net1", "ide2"}}
	if errs := e.ValidateForm(v); errs != nil {
		t.Errorf("repeated -list key: %v", errs)
	}
	v = url.Values{"node": {"pve1"}, "vmid": {"100"}, "cores": {"1", "2"}}
	if diff := cmp.Diff(map[string]string{"cores": "type check ('integer') failed - got ARRAY"}, e.ValidateForm(v)); diff != "" {
		t.Errorf("repeated scalar key:\n%s", diff)
	}
	b, _, _ := s.Lookup("POST", "/cluster/backup")
	v = url.Values{"all": {"1"}, "exclude-path": {"/tmp", "/var/cache"}}
	if errs := b.ValidateForm(v); errs != nil {
		t.Errorf("array parameter: %v", errs)
	}
}

func TestFormatsDirect(t *testing.T) {
	ok := func(format, v string) {
		t.Helper()
		if msg, bad := checkFormat(format, "", v); bad {
			t.Errorf("%s %q refused: %q", format, v, msg)
		}
	}
	bad := func(format, v, want string) {
		t.Helper()
		msg, isBad := checkFormat(format, "", v)
		if !isBad || msg != want+"\n" {
			t.Errorf("%s %q = %v %q, want %q", format, v, isBad, msg, want)
		}
	}
	ok("pve-node", "pve-1")
	bad("pve-node", "-pve", "value does not look like a valid node name")
	ok("pve-node", "pve1\n") // Perl's $ matches before a final newline
	ok("pve-vmid", "999999999")
	bad("pve-vmid", "1000000000", "value does not look like a valid VM ID")
	ok("pve-vmid-list", "100, 101;102")
	ok("pve-vmid-list", "") // empty lists are allowed
	ok("ipv6", "fe80::1")
	ok("ipv6", "2001:db8::ffff:10.0.0.1")
	bad("ipv6", "fe80:::1", "value does not look like a valid IPv6 address")
	ok("ip", "10.0.0.1")
	bad("ip", "10.0.0.256", "value does not look like a valid IP address")
	ok("CIDR", "fd00::/8")
	bad("CIDRv6", "fd00::/7", "value does not look like a valid IPv6 CIDR network")
	ok("mac-addr", "02:00:00:00:00:01")
	ok("email", "a.b+c@example.com")
	bad("email", "a@", "value does not look like a valid email address")
	ok("email-or-username-list", "root,ops@example.com")
	ok("pve-userid", "root@pam")
	bad("pve-userid", "root", "value 'root' does not look like a valid user name")
	bad("pve-userid", "r@", "user name 'r@' is too short")
	ok("pve-tokenid", "root@pam!mcp")
	bad("pve-tokenid", "root@pam!m", "value 'root@pam!m' does not look like a valid token ID")
	ok("pve-poolid", "a/b/c")
	bad("pve-poolid", "a b", "pool name 'a b' contains invalid characters")
	ok("pve-realm", "pve")
	ok("pve-priv-list", "VM.Audit,Sys.Audit")
	bad("pve-priv-list", "VM.Audit,VM.Fly", "invalid privilege 'VM.Fly'")
	ok("pve-storage-id", "local-lvm")
	bad("pve-storage-id", "local lvm", "storage ID 'local lvm' contains illegal characters")
	ok("pve-volume-id", "local:iso/x.iso")
	bad("pve-volume-id", "x.iso", "unable to parse volume ID 'x.iso'")
	ok("pve-volume-id-or-qm-path", "cdrom")
	ok("pve-volume-id-or-absolute-path", "/dev/sdb")
	ok("disk-size", "1.5T")
	ok("disk-size", "1024")
	bad("disk-size", "1.5TB", "value does not look like a valid disk size: 1.5TB")
	ok("pve-startup-order", "order=1,up=30,down=60")
	bad("pve-startup-order", "first", "unable to parse startup options")
	ok("pve-tag-list", "a;b c")
	ok("pve-configid", "ab")
	bad("pve-configid", "a", "invalid configuration ID 'a'")
	ok("pve-calendar-event", "*/15")
	ok("pve-calendar-event", "daily")
	ok("pve-calendar-event", "mon,wed..fri 02:30")
	ok("pve-calendar-event", "2024-*-01 00:00:00 UTC")
	bad("pve-calendar-event", "25:00", "invalid calendar event '25:00' - unable to parse calendar event")
	bad("pve-calendar-event", "", "invalid calendar event '' - unable to parse calendar event - event is empty\n")
	ok("pve-day-of-week-list", "mon-fri,sun")
	ok("pve-iface", "eno1.100")
	ok("pve-storage-content-list", "iso,vztmpl,images")
	bad("pve-storage-content", "isos", "invalid content type 'isos'")
	ok("pve-qm-bootdisk", "efidisk0")
	bad("pve-qm-bootdisk", "scsi31", "invalid boot disk 'scsi31'")
	ok("pve-hotplug-features", "0")
	bad("pve-hotplug-features", "disk,gpu", "invalid hotplug feature 'gpu'")
	ok("pve-lxc-mp-string", "/mnt/data")
	bad("pve-lxc-mp-string", "/mnt/../etc", "/mnt/../etc contains illegal character sequences")
	ok("pve-replication-job-id", "100-0")
	bad("pve-replication-job-id", "99-0", "invalid replication job id '99-0' (guest IDs < 100 are reserved)")
	ok("urlencoded", "a%20b")
	bad("urlencoded", "a b", "invalid urlencoded string: a b")
	ok("no-such-format", "anything")
}

func TestPerlPatternConversion(t *testing.T) {
	for in, want := range map[string]string{
		`(?^:\d+)`:              `^(?:\d+)$`,
		`(?^i:[a-z]+)`:          `^(?i:[a-z]+)$`,
		`[A-Za-z0-9\-_\s]{,16}`: `^[A-Za-z0-9\-_\s]{0,16}$`,
		`a|b`:                   `^a|b$`,
		`\(?^:x)`:               `^\(?^:x)$`,
	} {
		if got := perlPatternToGo(in); got != want {
			t.Errorf("perlPatternToGo(%q) = %q, want %q", in, got, want)
		}
	}
	re := regexp.MustCompile(perlPatternToGo(`a|b`))
	if !perlMatch(re, "axx") || perlMatch(re, "xax") {
		t.Error("top-level alternation must bind to the anchors as in Perl")
	}
	if !strings.HasSuffix(perlNumber(0.5), "0.5") || perlNumber(100) != "100" || perlNumber(4294967295) != "4294967295" {
		t.Errorf("perlNumber: %s %s %s", perlNumber(0.5), perlNumber(100), perlNumber(4294967295))
	}
}
