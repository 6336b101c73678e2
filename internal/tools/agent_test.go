package tools

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestDecodeChunks(t *testing.T) {
	a, b := []byte("first chunk."), []byte("and the second")
	joined := base64.StdEncoding.EncodeToString(a) + base64.StdEncoding.EncodeToString(b) // padding in the middle
	got, err := decodeChunks(joined)
	if err != nil || string(got) != string(a)+string(b) {
		t.Fatalf("decodeChunks: %q %v", got, err)
	}
	if _, err := decodeChunks("not base64!"); err == nil {
		t.Error("bad base64 decoded")
	}
}

func TestAbsProgram(t *testing.T) {
	for p, want := range map[string]bool{"/usr/bin/df": true, `C:\Windows\System32\ipconfig.exe`: true, "df": false, "C:ipconfig": false, "": false} {
		if absProgram(p) != want {
			t.Errorf("absProgram(%q) = %v", p, !want)
		}
	}
}

func TestCutText(t *testing.T) {
	if s, n := cutText("short", 10); s != "short" || n != 0 {
		t.Errorf("short: %q %d", s, n)
	}
	// "ä" is two bytes: the cut never splits it
	if s, n := cutText("aaä", 3); s != "aa" || n != 2 {
		t.Errorf("cut in a character: %q %d", s, n)
	}
}

// The exec tool sends the command as repeated keys (an array from PVE 8,
// NUL-joined on 7.4), waits for the exit and bounds the output.
func TestAgentExecRequests(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["POST /nodes/pve1/qemu/100/agent/exec"] = `{"pid":42}`
	e.fake.routes["GET /nodes/pve1/qemu/100/agent/exec-status"] = `{"exited":1,"exitcode":0,"out-data":"` + strings.Repeat("x", maxExecOutput+5) + `","out-truncated":1}`
	text := e.ok(t, "pve_vm_agent_exec", map[string]any{"node": "pve1", "vmid": 100, "command": []string{"/usr/bin/df", "-h", "/"}, "input": "in", "confirm": true})
	var sent string
	for _, r := range e.fake.log() {
		if strings.HasPrefix(r, "POST ") {
			sent = r
		}
	}
	if f := form(sent); strings.Join(f["command"], " ") != "/usr/bin/df -h /" || f.Get("input-data") != "in" {
		t.Errorf("sent %s", sent)
	}
	for _, want := range []string{`"pid":42`, `"exitCode":0`, `"stdoutCutBytes":5`, `"stdoutTruncatedByAgent":true`} {
		if !strings.Contains(text, want) {
			t.Errorf("result lacks %s: %.300s", want, text)
		}
	}
	// a command that is not read-only needs confirm
	e.refused(t, "pve_vm_agent_exec", map[string]any{"node": "pve1", "vmid": 100, "command": []string{"/usr/bin/touch", "/tmp/x"}}, "confirm: true")
}

// On 9.1 file-read asks for one byte more than the bound, base64-encoded.
func TestAgentFileReadRequest(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/qemu/100/agent/file-read"] = `{"content":"` + base64.StdEncoding.EncodeToString([]byte("hello")) + `","bytes-read":5,"truncated":1}`
	text := e.ok(t, "pve_vm_agent_file_read", map[string]any{"node": "pve1", "vmid": 100, "file": "/var/log/syslog", "maxBytes": 4})
	log := e.fake.log()
	if f := form(log[len(log)-1]); f.Get("count") != "5" || f.Get("decode") != "0" || f.Get("file") != "/var/log/syslog" {
		t.Errorf("sent %s", log[len(log)-1])
	}
	if !strings.Contains(text, `"content":"hell"`) || !strings.Contains(text, `"truncated":true`) || !strings.Contains(text, `"bytes":4`) {
		t.Errorf("result: %s", text)
	}
	e.refused(t, "pve_vm_agent_file_read", map[string]any{"node": "pve1", "vmid": 100, "file": "/etc/shadow"}, "PVE_AGENT_FILE_ALLOWLIST")
}

// A container template holds no addresses because it never runs: the
// reason says to clone it, not to start it.
func TestLXCAddressesOfTemplate(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/lxc/200/interfaces"] = "null"
	e.fake.routes["GET /nodes/pve1/lxc/200/config"] = `{"template":1,"net0":"name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,ip=10.0.0.9/24"}`
	var out addressesOut
	decode(t, e.ok(t, "pve_lxc_ip_addresses", map[string]any{"node": "pve1", "vmid": 200}), &out)
	if out.Source != "config" || !strings.Contains(out.Why, "is a template") || !strings.Contains(out.Why, "pve_lxc_clone") || strings.Contains(out.Why, "pve_lxc_start") {
		t.Errorf("out %+v", out)
	}
}
