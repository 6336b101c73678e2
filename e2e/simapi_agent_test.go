package e2e

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A client walks the QEMU guest agent of the sim command as proxmoxer or
// Ansible would: the command index, the info reads, exec and its status,
// a file written and read back, the errors of a VM without agent, and a
// container's interfaces.
func TestSimAPIAgent(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	base := "/nodes/pve1/qemu/100/agent"
	idx, _ := a.ok("GET", base, nil).([]any)
	names := map[string]bool{}
	for _, it := range idx {
		n, _ := it.(map[string]any)["name"].(string)
		names[n] = true
	}
	for _, want := range []string{"exec", "exec-status", "file-read", "file-write", "get-osinfo", "network-get-interfaces", "ping"} {
		if !names[want] {
			t.Fatalf("index lacks %s: %v", want, idx)
		}
	}
	result := func(method, path string, params url.Values) any {
		t.Helper()
		m, _ := a.ok(method, base+path, params).(map[string]any)
		if _, ok := m["result"]; !ok {
			t.Fatalf("%s %s: %v, want {result}", method, path, m)
		}
		return m["result"]
	}
	if os, _ := result("GET", "/get-osinfo", nil).(map[string]any); os["id"] != "debian" || os["machine"] != "x86_64" {
		t.Fatalf("osinfo %v", os)
	}
	if h, _ := result("GET", "/get-host-name", nil).(map[string]any); h["host-name"] != "web01" {
		t.Fatalf("host name %v", h)
	}
	ifs, _ := result("GET", "/network-get-interfaces", nil).([]any)
	if len(ifs) != 2 {
		t.Fatalf("interfaces %v", ifs)
	}
	if r := result("POST", "/ping", nil); r == nil {
		t.Fatal("ping answered no result")
	}

	// exec with the command as an array (repeated keys), then poll its status
	ex, _ := a.ok("POST", base+"/exec", url.Values{"command": {"cat", "/etc/hostname"}}).(map[string]any)
	pid, _ := ex["pid"].(float64)
	var st map[string]any
	for i := 0; i < 50; i++ {
		st, _ = a.ok("GET", base+"/exec-status", form("pid", strconv.Itoa(int(pid)))).(map[string]any)
		if st["exited"] == float64(1) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st["exitcode"] != float64(0) || st["out-data"] != "web01\n" {
		t.Fatalf("exec-status %v", st)
	}

	// write a file, read it back, and see it from a command
	if ans := a.do("POST", base+"/file-write", form("file", "/tmp/e2e.txt", "content", "written over https\n")); ans.Status != 200 || string(ans.Raw) != `{"data":null}` {
		t.Fatalf("file-write %d %s", ans.Status, ans.Raw)
	}
	rd, _ := a.ok("GET", base+"/file-read", form("file", "/tmp/e2e.txt")).(map[string]any)
	if rd["content"] != "written over https\n" || rd["bytes-read"] != float64(19) {
		t.Fatalf("file-read %v", rd)
	}
	ans := a.do("GET", base+"/file-read", form("file", "/etc/missing"))
	if ans.Status != 500 || !strings.Contains(ans.Message, "failed to open file '/etc/missing' (mode: 'r'): No such file or directory") {
		t.Fatalf("missing file %d %s", ans.Status, ans.Raw)
	}

	// the usual failures
	if ans := a.do("GET", "/nodes/pve1/qemu/101/agent/get-osinfo", nil); ans.Status != 500 || ans.Message != "No QEMU guest agent configured\n" {
		t.Fatalf("no agent %d %s", ans.Status, ans.Raw)
	}
	if ans := a.do("GET", "/nodes/pve1/qemu/9000/agent/info", nil); ans.Status != 500 || ans.Message != "VM 9000 is not running\n" {
		t.Fatalf("stopped %d %s", ans.Status, ans.Raw)
	}
	if ans := a.do("POST", base+"/exec", url.Values{"command": {"no-such-tool"}}); ans.Status != 500 ||
		!strings.Contains(ans.Message, "Failed to execute child process") {
		t.Fatalf("unknown program %d %s", ans.Status, ans.Raw)
	}

	// a container's interfaces carry both the old and the new keys
	cts, _ := a.ok("GET", "/nodes/pve1/lxc/200/interfaces", nil).([]any)
	if len(cts) != 2 {
		t.Fatalf("lxc interfaces %v", cts)
	}
	eth, _ := cts[1].(map[string]any)
	if eth["hwaddr"] == nil || eth["hwaddr"] != eth["hardware-address"] || eth["ip-addresses"] == nil {
		t.Fatalf("lxc eth0 %v", eth)
	}
}
