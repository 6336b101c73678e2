package pvesim

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

const agentPath = "/nodes/pve1/qemu/100/agent"

// result is the {result: ...} of an agent answer.
func (e *env) result(method, path string, params url.Values) any {
	e.t.Helper()
	m, ok := e.ok(method, path, params).(map[string]any)
	if !ok {
		e.t.Fatalf("%s %s: not an object", method, path)
	}
	if _, has := m["result"]; !has || len(m) != 1 {
		e.t.Fatalf("%s %s: %v, want {result}", method, path, m)
	}
	return m["result"]
}

// run execs argv in VM 100 and collects the exited status.
func (e *env) run(argv ...string) map[string]any {
	e.t.Helper()
	ex := e.ok("POST", agentPath+"/exec", url.Values{"command": argv}).(map[string]any)
	pid := strconv.Itoa(int(ex["pid"].(float64)))
	return e.ok("GET", agentPath+"/exec-status", vals("pid", pid)).(map[string]any)
}

func wantFail(t *testing.T, r resp, status int, msg string) {
	t.Helper()
	if r.status != status || r.message != msg+"\n" {
		t.Fatalf("got %d %q, want %d %q", r.status, r.message, status, msg)
	}
}

func TestAgentReads(t *testing.T) {
	e := newEnv(t, Options{})
	idx := e.ok("GET", agentPath, nil).([]any)
	if len(idx) != 25 || idx[0].(map[string]any)["name"] != "exec" || idx[24].(map[string]any)["name"] != "suspend-ram" {
		t.Fatalf("index: %v", idx)
	}
	os := e.result("GET", agentPath+"/get-osinfo", nil).(map[string]any)
	if !reflect.DeepEqual(keysOf(os), []string{"id", "kernel-release", "kernel-version", "machine", "name", "pretty-name", "version", "version-id"}) ||
		os["id"] != "debian" || os["pretty-name"] != "Debian GNU/Linux 12 (bookworm)" {
		t.Fatalf("osinfo: %v", os)
	}
	if h := e.result("GET", agentPath+"/get-host-name", nil); !reflect.DeepEqual(h, map[string]any{"host-name": "web01"}) {
		t.Fatalf("host name: %v", h)
	}
	if tm := e.result("GET", agentPath+"/get-time", nil).(float64); tm != float64(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).UnixNano()) {
		t.Fatalf("time: %v", tm)
	}
	if !strings.Contains(e.do("GET", agentPath+"/get-time", nil).raw, `"result":1748779200000000000`) {
		t.Fatal("get-time is not an integer")
	}
	if tz := e.result("GET", agentPath+"/get-timezone", nil); !reflect.DeepEqual(tz, map[string]any{"offset": float64(0), "zone": "UTC"}) {
		t.Fatalf("timezone: %v", tz)
	}
	// 2 cores: cpu0 cannot go offline
	cpus := e.result("GET", agentPath+"/get-vcpus", nil).([]any)
	if len(cpus) != 2 || cpus[0].(map[string]any)["can-offline"] != false || cpus[1].(map[string]any)["logical-id"] != float64(1) {
		t.Fatalf("vcpus: %v", cpus)
	}
	// 4 GiB on i440fx: 3 GiB below the PCI hole, 1 GiB from 4 GiB on
	blocks := e.result("GET", agentPath+"/get-memory-blocks", nil).([]any)
	if len(blocks) != 32 || blocks[24].(map[string]any)["phys-index"] != float64(32) {
		t.Fatalf("memory blocks: %d %v", len(blocks), blocks[24])
	}
	if bi := e.result("GET", agentPath+"/get-memory-block-info", nil); !reflect.DeepEqual(bi, map[string]any{"size": float64(128 << 20)}) {
		t.Fatalf("block info: %v", bi)
	}
	users := e.result("GET", agentPath+"/get-users", nil).([]any)
	if u := users[0].(map[string]any); len(users) != 1 || u["user"] != "root" || u["login-time"].(float64) < 1.7e9 {
		t.Fatalf("users: %v", users)
	}
	info := e.result("GET", agentPath+"/info", nil).(map[string]any)
	cmds := info["supported_commands"].([]any)
	if info["version"] != "7.2.15" || len(cmds) < 30 {
		t.Fatalf("info: %v", info)
	}
	for _, c := range cmds {
		if c := c.(map[string]any); !reflect.DeepEqual(keysOf(c), []string{"enabled", "name", "success-response"}) || c["enabled"] != true {
			t.Fatalf("command info: %v", c)
		}
	}
	if ping := e.result("POST", agentPath+"/ping", nil); !reflect.DeepEqual(ping, map[string]any{}) {
		t.Fatalf("ping: %v", ping)
	}
	// the generic form runs the same commands
	if h := e.result("POST", agentPath, vals("command", "get-host-name")); !reflect.DeepEqual(h, map[string]any{"host-name": "web01"}) {
		t.Fatalf("generic: %v", h)
	}
	if r := e.do("POST", agentPath, vals("command", "exec")); r.status != 400 {
		t.Fatalf("generic exec: %d", r.status)
	}
}

// The agent's view agrees with the config: disk size, MAC, and one address
// in network-get-interfaces, `ip -br a` and `hostname -I`.
func TestAgentMatchesConfig(t *testing.T) {
	e := newEnv(t, Options{})
	conf := e.ok("GET", "/nodes/pve1/qemu/100/config", nil).(map[string]any)
	fs := e.result("GET", agentPath+"/get-fsinfo", nil).([]any)
	root := fs[0].(map[string]any)
	if !reflect.DeepEqual(keysOf(root), []string{"disk", "mountpoint", "name", "total-bytes", "type", "used-bytes"}) ||
		root["mountpoint"] != "/" || root["type"] != "ext4" {
		t.Fatalf("fsinfo: %v", root)
	}
	if tot := root["total-bytes"].(float64); tot > 32<<30 || tot < 28<<30 || !strings.Contains(conf["scsi0"].(string), "size=32G") {
		t.Fatalf("root fs of %v bytes on %s", tot, conf["scsi0"])
	}
	disk := root["disk"].([]any)[0].(map[string]any)
	if disk["bus-type"] != "scsi" || disk["dev"] != "/dev/sda1" || disk["serial"] != "0QEMU_QEMU_HARDDISK_drive-scsi0" {
		t.Fatalf("disk: %v", disk)
	}
	ifs := e.result("GET", agentPath+"/network-get-interfaces", nil).([]any)
	nic := ifs[1].(map[string]any)
	mac := strings.ToLower(strings.TrimPrefix(strings.Split(conf["net0"].(string), ",")[0], "virtio="))
	if ifs[0].(map[string]any)["name"] != "lo" || nic["name"] != "ens18" || nic["hardware-address"] != mac {
		t.Fatalf("interfaces: %v (net0 %s)", ifs, conf["net0"])
	}
	v4 := nic["ip-addresses"].([]any)[0].(map[string]any)
	ip := v4["ip-address"].(string)
	if v4["ip-address-type"] != "ipv4" || !strings.HasPrefix(ip, "192.168.100.") || v4["prefix"] != float64(24) {
		t.Fatalf("address: %v", v4)
	}
	if st := nic["statistics"].(map[string]any); st["rx-bytes"].(float64) <= 0 {
		t.Fatalf("statistics: %v", st)
	}
	if out := e.run("ip", "-br", "a")["out-data"].(string); !strings.Contains(out, "ens18            UP             "+ip+"/24 fe80::") {
		t.Fatalf("ip -br a:\n%s", out)
	}
	if out := e.run("ip", "r")["out-data"].(string); !strings.HasPrefix(out, "default via 192.168.100.1 dev ens18 proto dhcp src "+ip+" ") {
		t.Fatalf("ip r:\n%s", out)
	}
	if out := e.run("hostname", "-I")["out-data"]; out != ip+" \n" {
		t.Fatalf("hostname -I: %q", out)
	}
	// a static cloud-init address is what the guest has (set as a boot with it would have)
	e.sim.mu.Lock()
	g := e.sim.st.guests[102]
	g.conf["agent"], g.conf["ipconfig0"] = "1", "ip=10.0.5.7/16,gw=10.0.0.1"
	e.sim.mu.Unlock()
	ifs = e.result("GET", "/nodes/pve2/qemu/102/agent/network-get-interfaces", nil).([]any)
	if a := ifs[1].(map[string]any)["ip-addresses"].([]any)[0].(map[string]any); a["ip-address"] != "10.0.5.7" || a["prefix"] != float64(16) {
		t.Fatalf("static address: %v", a)
	}
}

func TestAgentFreezeAndPower(t *testing.T) {
	e := newEnv(t, Options{})
	if st := e.result("POST", agentPath+"/fsfreeze-status", nil); st != "thawed" {
		t.Fatalf("status: %v", st)
	}
	if n := e.result("POST", agentPath+"/fsfreeze-freeze", nil); n != float64(1) {
		t.Fatalf("freeze: %v", n)
	}
	if st := e.result("POST", agentPath+"/fsfreeze-status", nil); st != "frozen" {
		t.Fatalf("status: %v", st)
	}
	wantFail(t, e.do("GET", agentPath+"/file-read", vals("file", "/etc/hostname")), 500,
		"VM 100 qga command 'guest-file-open' failed - Command guest-file-open has been disabled: the agent is in frozen state")
	info := e.result("GET", agentPath+"/info", nil).(map[string]any)
	for _, c := range info["supported_commands"].([]any) {
		c := c.(map[string]any)
		if want := c["name"] == "guest-ping" || c["name"] == "guest-info" || strings.HasPrefix(c["name"].(string), "guest-sync") ||
			c["name"] == "guest-fsfreeze-status" || c["name"] == "guest-fsfreeze-thaw"; c["enabled"] != want {
			t.Fatalf("frozen info: %v", c)
		}
	}
	if n := e.result("POST", agentPath+"/fsfreeze-thaw", nil); n != float64(1) {
		t.Fatalf("thaw: %v", n)
	}
	trim := e.result("POST", agentPath+"/fstrim", nil).(map[string]any)["paths"].([]any)[0].(map[string]any)
	if trim["path"] != "/" || trim["minimum"] != float64(0) || trim["trimmed"].(float64) <= 0 {
		t.Fatalf("fstrim: %v", trim)
	}
	// S3 is offered from machine version 9.2 on (PVE 9): the VM sleeps, the agent with it
	if r := e.result("POST", agentPath+"/suspend-ram", nil); r != nil {
		t.Fatalf("suspend-ram: %v", r)
	}
	if st := e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any); st["qmpstatus"] != "paused" {
		t.Fatalf("after suspend-ram: %v", st["qmpstatus"])
	}
	wantFail(t, e.do("POST", agentPath+"/ping", nil), 500, "QEMU guest agent is not running")
	e.waitTask(e.ok("POST", "/nodes/pve1/qemu/100/status/resume", nil).(string))
	// shutdown: no reply, and the VM is off
	if r := e.ok("POST", agentPath+"/shutdown", nil); !reflect.DeepEqual(r, map[string]any{"result": nil}) {
		t.Fatalf("shutdown: %v", r)
	}
	if st := e.ok("GET", "/nodes/pve1/qemu/100/status/current", nil).(map[string]any); st["status"] != "stopped" {
		t.Fatalf("after shutdown: %v", st["status"])
	}
	wantFail(t, e.do("GET", agentPath+"/get-osinfo", nil), 500, "VM 100 is not running")
}

func TestAgentErrors(t *testing.T) {
	e := newEnv(t, Options{})
	wantFail(t, e.do("GET", "/nodes/pve1/qemu/101/agent/get-osinfo", nil), 500, "No QEMU guest agent configured")
	wantFail(t, e.do("GET", "/nodes/pve1/qemu/9000/agent/get-osinfo", nil), 500, "VM 9000 is not running")
	wantFail(t, e.do("POST", "/nodes/pve2/qemu/100/agent/ping", nil), 500, "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist")
	// the agent answers some seconds after the VM started
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("agent", "enabled=1"))
	e.waitTask(e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string))
	wantFail(t, e.do("POST", "/nodes/pve1/qemu/101/agent/ping", nil), 500, "QEMU guest agent is not running")
	e.advance(20 * time.Second)
	if h := e.result("GET", "/nodes/pve1/qemu/101/agent/get-host-name", nil); !reflect.DeepEqual(h, map[string]any{"host-name": "db01"}) {
		t.Fatalf("db01: %v", h)
	}
	// agent present but disabled: no agent device to ping
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("agent", "0"))
	e.sim.mu.Lock()
	e.sim.st.guests[101].conf["agent"] = "0"
	e.sim.mu.Unlock()
	wantFail(t, e.do("POST", "/nodes/pve1/qemu/101/agent/ping", nil), 500, "QEMU guest agent is not running")
	// chpasswd fails for a user the guest does not have
	if r := e.result("POST", agentPath+"/set-user-password", vals("username", "root", "password", "s3cret!")); !reflect.DeepEqual(r, map[string]any{}) {
		t.Fatalf("set-user-password: %v", r)
	}
	wantFail(t, e.do("POST", agentPath+"/set-user-password", vals("username", "bob", "password", "s3cret!")), 500,
		"VM 100 qga command 'guest-set-user-password' failed - child process has failed to set user password")
	if r := e.do("POST", agentPath+"/set-user-password", vals("username", "root", "password", "abc")); r.status != 400 || r.errors["password"] == "" {
		t.Fatalf("short password: %d %v", r.status, r.errors)
	}
	// S3/S4 are not offered before machine version 9.2
	old := newEnv(t, Options{Schema: "8.4"})
	wantFail(t, old.do("POST", agentPath+"/suspend-disk", nil), 500,
		"VM 100 qmp command 'guest-suspend-disk' failed - the requested suspend mode is not supported by the guest")
}

func TestAgentPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	must(t, e.sim.AddToken("ops@pve!tk", "x", false))
	must(t, e.sim.SetACL("/vms/100", "ops@pve", "PVEVMUser", true))
	ops := "PVEAPIToken=ops@pve!tk=x"
	must(t, e.sim.AddAuditorToken("audit@pve!ro", "y"))
	aud := "PVEAPIToken=audit@pve!ro=y"
	// reads need VM.GuestAgent.Audit, which both have
	e.okAuth("GET", agentPath+"/get-osinfo", nil, aud)
	e.okAuth("POST", agentPath+"/file-write", vals("file", "/tmp/x", "content", "y"), ops)
	for _, tc := range []struct {
		auth, method, path, want string
		params                   url.Values
	}{
		{ops, "POST", "/exec", "VM.GuestAgent.Unrestricted", url.Values{"command": {"true"}}},
		{ops, "GET", "/exec-status", "VM.GuestAgent.Unrestricted", vals("pid", "1")},
		{ops, "POST", "", "VM.GuestAgent.Unrestricted|VM.GuestAgent.Unrestricted", vals("command", "ping")},
		{aud, "POST", "/file-write", "VM.GuestAgent.FileWrite|VM.GuestAgent.Unrestricted", vals("file", "/tmp/x", "content", "y")},
		{aud, "GET", "/file-read", "VM.GuestAgent.FileRead|VM.GuestAgent.Unrestricted", vals("file", "/etc/hosts")},
		{aud, "POST", "/fsfreeze-freeze", "VM.GuestAgent.FileSystemMgmt|VM.GuestAgent.Unrestricted", nil},
		{aud, "POST", "/shutdown", "VM.PowerMgmt|VM.GuestAgent.Unrestricted", nil},
	} {
		r := e.doAuth(tc.method, agentPath+tc.path, tc.params, tc.auth)
		if r.status != 403 || r.reason != "Permission check failed (/vms/100, "+tc.want+")" {
			t.Fatalf("%s %s: %d %q", tc.method, tc.path, r.status, r.reason)
		}
	}
	// before PVE 9 every agent endpoint wants VM.Monitor
	old := newEnv(t, Options{Schema: "8.4"})
	must(t, old.sim.AddAuditorToken("audit@pve!ro", "y"))
	if r := old.doAuth("GET", agentPath+"/get-osinfo", nil, aud); r.status != 403 || r.reason != "Permission check failed (/vms/100, VM.Monitor)" {
		t.Fatalf("8.4 auditor: %d %q", r.status, r.reason)
	}
	// which PVEVMAdmin had
	must(t, old.sim.AddToken("adm@pve!tk", "z", false))
	must(t, old.sim.SetACL("/vms/100", "adm@pve", "PVEVMAdmin", true))
	old.okAuth("POST", agentPath+"/exec", url.Values{"command": {"true"}}, "PVEAPIToken=adm@pve!tk=z")
}

func TestAgentReleases(t *testing.T) {
	for _, rel := range []string{"7.4", "8.4"} {
		e := newEnv(t, Options{Schema: rel})
		// 7.4 takes the command as one string-alist, 8.4 as an array
		argv := url.Values{"command": {"uname", "-r"}}
		if rel == "7.4" {
			argv = vals("command", "uname -r")
		}
		ex := e.ok("POST", agentPath+"/exec", argv).(map[string]any)
		st := e.ok("GET", agentPath+"/exec-status", vals("pid", strconv.Itoa(int(ex["pid"].(float64))))).(map[string]any)
		if st["out-data"] != "6.1.0-28-amd64\n" {
			t.Fatalf("%s exec: %v", rel, st)
		}
		wantFail(t, e.do("GET", agentPath+"/file-read", vals("file", "/x")), 500,
			"VM 100 qmp command 'guest-file-open' failed - failed to open file '/x' (mode: 'r'): No such file or directory")
		// count and offset came with PVE 9
		if r := e.do("GET", agentPath+"/file-read", vals("file", "/etc/hostname", "count", "2")); r.status != 400 {
			t.Fatalf("%s count: %d", rel, r.status)
		}
	}
}

func TestAgentWindows(t *testing.T) {
	e := newEnv(t, Options{})
	upid := e.ok("POST", "/nodes/pve1/qemu", vals("vmid", "300", "name", "win-desk", "ostype", "win11", "agent", "1",
		"memory", "8192", "cores", "4", "scsi0", "local-lvm:64", "net0", "virtio,bridge=vmbr0", "start", "1")).(string)
	e.waitTask(upid)
	e.advance(30 * time.Second)
	p := "/nodes/pve1/qemu/300/agent"
	os := e.result("GET", p+"/get-osinfo", nil).(map[string]any)
	if os["id"] != "mswindows" || os["pretty-name"] != "Windows 11 Pro" || os["variant"] != "client" || os["kernel-version"] != "10.0" {
		t.Fatalf("windows osinfo: %v", os)
	}
	if h := e.result("GET", p+"/get-host-name", nil).(map[string]any); h["host-name"] != "WIN-DESK" {
		t.Fatalf("windows host name: %v", h)
	}
	ifs := e.result("GET", p+"/network-get-interfaces", nil).([]any)
	if n := ifs[1].(map[string]any); n["name"] != "Ethernet" || n["ip-addresses"].([]any)[0].(map[string]any)["ip-address-type"] != "ipv6" {
		t.Fatalf("windows interfaces: %v", ifs)
	}
	fs := e.result("GET", p+"/get-fsinfo", nil).([]any)[0].(map[string]any)
	if fs["mountpoint"] != `C:\` || fs["type"] != "NTFS" {
		t.Fatalf("windows fsinfo: %v", fs)
	}
	wantFail(t, e.do("GET", p+"/get-memory-blocks", nil), 500,
		"VM 300 qga command 'guest-get-memory-blocks' failed - this feature or command is not currently supported")
}

func TestLXCInterfaces(t *testing.T) {
	e := newEnv(t, Options{})
	list := e.ok("GET", "/nodes/pve1/lxc/200/interfaces", nil).([]any)
	conf := e.ok("GET", "/nodes/pve1/lxc/200/config", nil).(map[string]any)
	if len(list) != 2 {
		t.Fatalf("interfaces: %v", list)
	}
	eth := list[1].(map[string]any)
	if !reflect.DeepEqual(keysOf(eth), []string{"hardware-address", "hwaddr", "inet", "inet6", "ip-addresses", "name"}) ||
		eth["name"] != "eth0" || eth["hwaddr"] != eth["hardware-address"] ||
		!strings.Contains(strings.ToLower(conf["net0"].(string)), "hwaddr="+eth["hwaddr"].(string)) {
		t.Fatalf("eth0: %v (net0 %s)", eth, conf["net0"])
	}
	addrs := eth["ip-addresses"].([]any)
	v4 := addrs[0].(map[string]any)
	if v4["ip-address-type"] != "inet" || eth["inet"] != v4["ip-address"].(string)+"/24" || v4["prefix"] != float64(24) ||
		!strings.HasPrefix(eth["inet6"].(string), "fe80::") {
		t.Fatalf("addresses: %v", eth)
	}
	// a stopped container has no namespace to look into
	if r := e.do("GET", "/nodes/pve2/lxc/201/interfaces", nil); r.status != 200 || r.raw != `{"data":null}` {
		t.Fatalf("stopped: %d %s", r.status, r.raw)
	}
}
