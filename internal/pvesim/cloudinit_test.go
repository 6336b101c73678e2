package pvesim

import (
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSHA256Crypt(t *testing.T) {
	// what `openssl passwd -5 -salt saltstring` prints
	if got := sha256Crypt("Hello world!", "saltstring"); got != "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5" {
		t.Fatalf("sha256crypt: %s", got)
	}
}

const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6+QmBv8cFSRwuGqAe1wCkHzsVtc6Pn0Ym/3Ur admin@laptop"

func TestCloudinit(t *testing.T) {
	e := newEnv(t, Options{})
	const vm = "/nodes/pve1/qemu/101"
	ci := func() []any { return e.ok("GET", vm+"/cloudinit", nil).([]any) }
	// no drive yet: regenerating is a no-op
	if d := e.ok("PUT", vm+"/cloudinit", nil); d != nil {
		t.Fatalf("no drive: %v", d)
	}
	e.ok("PUT", vm+"/config", vals("ide2", "local-lvm:cloudinit", "ciuser", "admin", "cipassword", "s3cret",
		"sshkeys", pveEscape(testKey+"\n"), "ipconfig0", "ip=192.168.100.50/24,gw=192.168.100.1",
		"nameserver", "1.1.1.1", "searchdomain", "example.com"))
	conf := e.ok("GET", vm+"/config", nil).(map[string]any)
	if conf["ide2"] != "local-lvm:vm-101-cloudinit,media=cdrom" || conf["cipassword"] != "**********" {
		t.Fatalf("config: %v", conf)
	}
	vols := e.ok("GET", "/nodes/pve1/storage/local-lvm/content", vals("vmid", "101")).([]any)
	if len(vols) != 2 || vols[0].(map[string]any)["volid"] != "local-lvm:vm-101-cloudinit" || vols[0].(map[string]any)["size"] != float64(4<<20) {
		t.Fatalf("volumes: %v", vols)
	}
	want := []any{
		map[string]any{"key": "cipassword", "pending": "**********"},
		map[string]any{"key": "ciuser", "pending": "admin"},
		map[string]any{"key": "ipconfig0", "pending": "ip=192.168.100.50/24,gw=192.168.100.1"},
		map[string]any{"key": "nameserver", "pending": "1.1.1.1"},
		map[string]any{"key": "searchdomain", "pending": "example.com"},
		map[string]any{"key": "sshkeys", "pending": pveEscape(testKey + "\n")},
	}
	if got := ci(); !reflect.DeepEqual(got, want) {
		t.Fatalf("pending: %v", got)
	}
	e.ok("PUT", vm+"/cloudinit", nil)
	if got := ci(); len(got) != 5 || !reflect.DeepEqual(got[1], map[string]any{"key": "ciuser", "value": "admin"}) {
		t.Fatalf("after regenerate: %v", got)
	}
	e.ok("PUT", vm+"/config", vals("ciuser", "ops", "delete", "nameserver"))
	got := ci()
	if !reflect.DeepEqual(got[1], map[string]any{"key": "ciuser", "value": "admin", "pending": "ops"}) ||
		!reflect.DeepEqual(got[len(got)-1], map[string]any{"key": "nameserver", "delete": float64(1)}) {
		t.Fatalf("changed: %v", got)
	}
	dump := func(typ string) string { return e.ok("GET", vm+"/cloudinit/dump", vals("type", typ)).(string) }
	user := dump("user")
	if !regexp.MustCompile(`^#cloud-config\nhostname: db01\nmanage_etc_hosts: true\nfqdn: db01.example.com\nuser: ops\npassword: \$5\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{43}\nssh_authorized_keys:\n  - ` +
		regexp.QuoteMeta(testKey) + `\nchpasswd:\n  expire: False\nusers:\n  - default\npackage_upgrade: true\n$`).MatchString(user) {
		t.Fatalf("user-data:\n%s", user)
	}
	mac := strings.ToLower(strings.TrimPrefix(strings.Split(conf["net0"].(string), ",")[0], "virtio="))
	network := dump("network")
	if network != "version: 1\nconfig:\n    - type: physical\n      name: eth0\n      mac_address: '"+mac+"'\n      subnets:\n"+
		"      - type: static\n        address: '192.168.100.50'\n        netmask: '255.255.255.0'\n        gateway: '192.168.100.1'\n"+
		"    - type: nameserver\n      address:\n      - '192.168.100.1'\n      search:\n      - 'example.com'\n" {
		t.Fatalf("network-config:\n%s", network)
	}
	if meta := dump("meta"); !regexp.MustCompile(`^instance-id: [0-9a-f]{40}\n$`).MatchString(meta) {
		t.Fatalf("meta-data: %q", meta)
	}
	// an auditor sees the password masked (9.x)
	must(t, e.sim.AddAuditorToken("audit@pve!ro", "s"))
	r := e.doAuth("GET", vm+"/cloudinit/dump", vals("type", "user"), "PVEAPIToken=audit@pve!ro=s")
	if !strings.Contains(r.data.(string), "password: **********\n") {
		t.Fatalf("masked: %v", r.data)
	}
	if r := e.doAuth("PUT", vm+"/cloudinit", nil, "PVEAPIToken=audit@pve!ro=s"); r.status != 403 || r.message != "Permission check failed (/vms/101, VM.Config.Cloudinit)\n" {
		t.Fatalf("perm: %d %q", r.status, r.message)
	}
	// starting the VM regenerates the image
	upid := e.ok("POST", vm+"/status/start", nil).(string)
	if e.waitTask(upid) != "OK" || e.taskLog(upid)[0] != "generating cloud-init ISO" {
		t.Fatalf("start: %v", e.taskLog(upid))
	}
	for _, item := range ci() {
		if m := item.(map[string]any); m["pending"] != nil || m["delete"] != nil {
			t.Fatalf("still pending after start: %v", m)
		}
	}
	// the drive goes with unlink, and its volume
	e.ok("PUT", vm+"/unlink", vals("idlist", "ide2"))
	if vols := e.ok("GET", "/nodes/pve1/storage/local-lvm/content", vals("vmid", "101")).([]any); len(vols) != 1 {
		t.Fatalf("cloudinit volume left: %v", vols)
	}
	if r := e.do("GET", "/nodes/pve1/qemu/4242/cloudinit", nil); r.status != 500 || r.message != "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist\n" {
		t.Fatalf("missing: %d %q", r.status, r.message)
	}
}

func TestCloudinitReleases(t *testing.T) {
	e := newEnv(t, Options{Schema: "7.4"})
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("ide2", "local-lvm:cloudinit", "ciuser", "admin"))
	d := e.ok("GET", "/nodes/pve1/qemu/101/cloudinit", nil).(map[string]any)
	if !reflect.DeepEqual(d, map[string]any{"ciuser": map[string]any{"new": "admin"}}) {
		t.Fatalf("7.4 pending: %v", d)
	}
	user := e.ok("GET", "/nodes/pve1/qemu/101/cloudinit/dump", vals("type", "user")).(string)
	if user != "#cloud-config\nhostname: db01\nmanage_etc_hosts: true\nuser: admin\nchpasswd:\n  expire: False\nusers:\n  - default\npackage_upgrade: true\n" {
		t.Fatalf("7.4 user-data:\n%s", user)
	}
	// configdrive2 for Windows guests
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("ostype", "win11", "ipconfig0", "ip=dhcp"))
	net := e.ok("GET", "/nodes/pve1/qemu/101/cloudinit/dump", vals("type", "network")).(string)
	if net != "auto lo\niface lo inet loopback\n\n        dns_nameservers 192.168.100.1\n        dns_search lan\nauto eth0\niface eth0 inet dhcp\n" {
		t.Fatalf("configdrive2:\n%s", net)
	}
	meta := e.ok("GET", "/nodes/pve1/qemu/101/cloudinit/dump", vals("type", "meta")).(string)
	if !strings.HasPrefix(meta, "{\n     \"uuid\": \"") {
		t.Fatalf("configdrive2 meta: %q", meta)
	}
}

// pveEscape encodes sshkeys as the clients do (Python's quote(safe=”)).
func pveEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// A clone gets its own cloud-init drive; a migration takes the drive along.
func TestCloudinitCloneAndMigrate(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("ide2", "local-lvm:cloudinit", "ciuser", "admin"))
	if exit := e.waitTask(e.ok("POST", "/nodes/pve1/qemu/101/clone", vals("newid", "120")).(string)); exit != "OK" {
		t.Fatalf("clone: %q", exit)
	}
	conf := e.ok("GET", "/nodes/pve1/qemu/120/config", nil).(map[string]any)
	if conf["ide2"] != "local-lvm:vm-120-cloudinit,media=cdrom" || e.volumeOf("pve1", "local-lvm", "local-lvm:vm-120-cloudinit") == nil {
		t.Fatalf("clone drive: %v", conf["ide2"])
	}
	if exit := e.waitTask(e.ok("POST", "/nodes/pve1/qemu/101/migrate", vals("target", "pve2")).(string)); exit != "OK" {
		t.Fatalf("migrate: %q", exit)
	}
	if e.volumeOf("pve2", "local-lvm", "local-lvm:vm-101-cloudinit") == nil || e.volumeOf("pve1", "local-lvm", "local-lvm:vm-101-cloudinit") != nil {
		t.Fatal("cloud-init volume did not move")
	}
}

// sshkeys are checked URL-decoded, as qemu-server does, and stored as sent.
func TestCloudinitSSHKeys(t *testing.T) {
	e := newEnv(t, Options{})
	const vm = "/nodes/pve1/qemu/101/config"
	enc := pveEscape(testKey + "\n")
	e.ok("PUT", vm, vals("sshkeys", enc))
	if got := e.ok("GET", vm, nil).(map[string]any)["sshkeys"]; got != enc {
		t.Fatalf("stored: %v", got)
	}
	for _, bad := range []string{pveEscape("ssh-ed25519 AAAA"), pveEscape("not a key"), pveEscape(testKey + "\nssh-rsa")} {
		if r := e.do("PUT", vm, vals("sshkeys", bad)); r.status != 500 || r.message != "SSH public key validation error\n" {
			t.Errorf("%q: %d %q", bad, r.status, r.message)
		}
	}
	// not URL-encoded: the format check refuses it first
	if r := e.do("PUT", vm, vals("sshkeys", testKey)); r.status != 400 || !strings.Contains(r.errors["sshkeys"], "invalid urlencoded string") {
		t.Errorf("plain: %d %q", r.status, r.message)
	}
	if got := uriUnescape("a%20b+c%zz%4"); got != "a b+c%zz%4" {
		t.Errorf("uri_unescape: %q", got)
	}
}

// A clone of template 9000 with a cloud-init drive: its own drive, and an
// agent that answers some seconds after the start with ipconfig0's address
// (or a DHCP lease from its bridge's subnet).
func TestCloudinitProvisionedClone(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("PUT", "/nodes/pve1/qemu/9000/config", vals("ide2", "local-lvm:cloudinit", "ciuser", "admin"))
	for id, ipc := range map[string]string{"120": "ip=192.168.100.77/24,gw=192.168.100.1", "121": "ip=dhcp"} {
		if exit := e.waitTask(e.ok("POST", "/nodes/pve1/qemu/9000/clone", vals("newid", id)).(string)); exit != "OK" {
			t.Fatalf("clone: %s", exit)
		}
		vm := "/nodes/pve1/qemu/" + id
		e.ok("PUT", vm+"/config", vals("ipconfig0", ipc, "sshkeys", pveEscape(testKey)))
		if conf := e.ok("GET", vm+"/config", nil).(map[string]any); conf["ide2"] != "local-lvm:vm-"+id+"-cloudinit,media=cdrom" || conf["ciuser"] != "admin" {
			t.Fatalf("clone %s: %v", id, conf)
		}
		e.waitTask(e.ok("POST", vm+"/status/start", nil).(string))
		wantFail(t, e.do("GET", vm+"/agent/network-get-interfaces", nil), 500, "QEMU guest agent is not running")
		e.advance(20 * time.Second)
		ifaces := e.result("GET", vm+"/agent/network-get-interfaces", nil).([]any)
		addrs := ifaces[1].(map[string]any)["ip-addresses"].([]any)
		got := addrs[0].(map[string]any)["ip-address"]
		if want := map[string]string{"120": "192.168.100.77", "121": "192.168.100.221"}[id]; got != want {
			t.Errorf("clone %s: address %v, want %s", id, got, want)
		}
		if !strings.Contains(e.ok("GET", vm+"/cloudinit/dump", vals("type", "user")).(string), "  - "+testKey+"\n") {
			t.Errorf("clone %s: keys not in user-data", id)
		}
	}
}
