package tools

import (
	"net/url"
	"strings"
	"testing"
)

const testSSHKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6+QmBv8cFSRwuGqAe1wCkHzsVtc6Pn0Ym/3Ur admin@laptop"

func TestIPConfigValue(t *testing.T) {
	for _, tc := range []struct {
		in   ciIPConfig
		want string // the value, or "!" and a part of the error
	}{
		{ciIPConfig{IP: "dhcp"}, "ip=dhcp"},
		{ciIPConfig{IP: "10.0.0.5/8", GW: "10.0.0.1", IP6: "auto"}, "ip=10.0.0.5/8,gw=10.0.0.1,ip6=auto"},
		{ciIPConfig{IP6: "2001:DB8::5/64", GW6: "2001:db8::1"}, "ip6=2001:db8::5/64,gw6=2001:db8::1"},
		{ciIPConfig{IP: "10.0.0.1/31"}, "ip=10.0.0.1/31"},
		{ciIPConfig{}, "!give ip"},
		{ciIPConfig{GW: "10.0.0.1"}, "!needs a static ip"},
		{ciIPConfig{IP: "dhcp", GW: "10.0.0.1"}, "!together with DHCP"},
		{ciIPConfig{IP: "10.0.0.255/24"}, "!broadcast"},
		{ciIPConfig{IP: "10.0.0.5/24", GW: "10.0.0.5"}, "!own address"},
		{ciIPConfig{IP6: "dhcp", GW6: "2001:db8::1"}, "!static ip6"},
		{ciIPConfig{IP6: "2001:db8:::5/64"}, "!not an IPv6 address"},
		{ciIPConfig{IP6: "::ffff:10.0.0.1/64"}, "!not an IPv6 address"},
		{ciIPConfig{IP6: "2001:db8::5/64", GW6: "10.0.0.1"}, "!not an IPv6 address"},
	} {
		got, err := tc.in.value(0)
		if msg, bad := strings.CutPrefix(tc.want, "!"); bad {
			if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "ipconfig[0].") {
				t.Errorf("%+v: %q, %v; want an error with %q", tc.in, got, err, msg)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("%+v: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestSSHKeysEncoded(t *testing.T) {
	got, err := sshKeysValue([]SSHKey{testSSHKey + "\r\n\n" + testSSHKey, " " + testSSHKey})
	want := "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6%2BQmBv8cFSRwuGqAe1wCkHzsVtc6Pn0Ym%2F3Ur%20admin%40laptop%0A"
	if err != nil || got != want {
		t.Fatalf("%q, %v", got, err)
	}
	if keys := decodeSSHKeys(got); len(keys) != 1 || keys[0] != testSSHKey {
		t.Errorf("decoded: %q", keys)
	}
	if e := encodeURIComponent("a b+c/d!~*'()é"); e != "a%20b%2Bc%2Fd!~*'()%C3%A9" {
		t.Errorf("encodeURIComponent: %s", e)
	}
	if _, err := sshKeysValue([]SSHKey{"\n"}); err == nil || !strings.Contains(err.Error(), "delete") {
		t.Errorf("empty: %v", err)
	}
}

func TestCloudinitForm(t *testing.T) {
	form := url.Values{}
	s := ciSettings{CIUser: "admin", CIPassword: "pw", Nameserver: []IPAddr{"1.1.1.1", "2606:4700::1111"}, Searchdomain: []DNSName{"a.example", "b.example"},
		IPConfig: []ciIPConfig{{IP: "dhcp"}, {Net: 1, IP6: "auto"}}}
	if err := s.form(form); err != nil {
		t.Fatal(err)
	}
	if form.Encode() != "cipassword=pw&ciuser=admin&ipconfig0=ip%3Ddhcp&ipconfig1=ip6%3Dauto&nameserver=1.1.1.1+2606%3A4700%3A%3A1111&searchdomain=a.example+b.example" {
		t.Errorf("form: %s", form.Encode())
	}
	bad := ciSettings{IPConfig: []ciIPConfig{{IP: "dhcp"}, {IP: "dhcp"}}}
	if err := bad.form(url.Values{}); err == nil || !strings.Contains(err.Error(), "net 0 is given twice") {
		t.Errorf("twice: %v", err)
	}
	bad = ciSettings{CIPassword: "a\nb"}
	if err := bad.form(url.Values{}); err == nil || strings.Contains(err.Error(), "a\nb") {
		t.Errorf("password: %v", err)
	}
}

func TestMaskSecrets(t *testing.T) {
	in := "#cloud-config\nuser: x\npassword: $5$abc$def\n  \"admin_pass\": \"plain\",\nCRYPTED_PASSWORD_BASE64=eHl6\nchpasswd:\n"
	want := "#cloud-config\nuser: x\npassword: **********\n  \"admin_pass\": **********\nCRYPTED_PASSWORD_BASE64=**********\nchpasswd:\n"
	if got := maskSecrets(in); got != want {
		t.Errorf("masked:\n%s", got)
	}
}

// A bad list item is named by its list, with the value when the schema
// error tells it; a password never.
func TestListItemErrors(t *testing.T) {
	s := inputSchema[vmCloudinitArgs]()
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string]string{
		`{"node":"pve1","vmid":100,"ipconfig":[{"ip":"dhcp"},{"ip":"10.0.0.300/8"}]}`:     `invalid argument "ipconfig[].ip": got "10.0.0.300/8"; expected dhcp, or an IPv4 address`,
		`{"node":"pve1","vmid":100,"sshkeys":[""]}`:                                       `invalid argument "sshkeys[]": got ""; expected an OpenSSH public key line`,
		`{"node":"pve1","vmid":100,"cipassword":` + `"` + strings.Repeat("x", 300) + `"}`: `invalid argument "cipassword": got (hidden)`,
	} {
		_, _, err := decodeInput[vmCloudinitArgs](s, rs, []byte(raw))
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}
