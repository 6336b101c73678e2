package pvesim

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAgentExec(t *testing.T) {
	e := newEnv(t, Options{})
	st := e.run("uname", "-a")
	if !reflect.DeepEqual(keysOf(st), []string{"exitcode", "exited", "out-data"}) || st["exited"] != float64(1) || st["exitcode"] != float64(0) ||
		st["out-data"] != "Linux web01 6.1.0-28-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22) x86_64 GNU/Linux\n" {
		t.Fatalf("uname -a: %v", st)
	}
	for argv, want := range map[string]string{"hostname": "web01\n", "whoami": "root\n", "echo hello world": "hello world\n", "/usr/bin/uname -r": "6.1.0-28-amd64\n"} {
		if out := e.run(strings.Fields(argv)...)["out-data"]; out != want {
			t.Fatalf("%s: %q", argv, out)
		}
	}
	if out := e.run("cat", "/etc/os-release")["out-data"].(string); !strings.HasPrefix(out, `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`) {
		t.Fatalf("os-release: %q", out)
	}
	if out := e.run("df", "-h")["out-data"].(string); !strings.Contains(out, "/dev/sda1        31G") || !strings.HasSuffix(out, "/run/user/0\n") {
		t.Fatalf("df -h:\n%s", out)
	}
	if out := e.run("uptime")["out-data"].(string); !strings.Contains(out, " up  1:00,  1 user,  load average: ") {
		t.Fatalf("uptime: %q", out)
	}
	if st := e.run("true"); st["exitcode"] != float64(0) || st["out-data"] != nil {
		t.Fatalf("true: %v", st)
	}
	if st := e.run("false"); st["exitcode"] != float64(1) {
		t.Fatalf("false: %v", st)
	}
	if st := e.run("cat", "/nope"); st["exitcode"] != float64(1) || st["err-data"] != "cat: /nope: No such file or directory\n" {
		t.Fatalf("cat missing: %v", st)
	}
	if st := e.run("sh", "-c", "frobnicate now"); st["exitcode"] != float64(127) || st["err-data"] != "sh: 1: frobnicate: not found\n" {
		t.Fatalf("sh unknown: %v", st)
	}
	// stdin goes to the command
	ex := e.ok("POST", agentPath+"/exec", url.Values{"command": {"cat"}, "input-data": {"piped\n"}}).(map[string]any)
	pid := strconv.Itoa(int(ex["pid"].(float64)))
	if st := e.ok("GET", agentPath+"/exec-status", vals("pid", pid)).(map[string]any); st["out-data"] != "piped\n" {
		t.Fatalf("stdin: %v", st)
	}
	// an exited process is reported once, then forgotten
	wantFail(t, e.do("GET", agentPath+"/exec-status", vals("pid", pid)), 500,
		"VM 100 qga command 'guest-exec-status' failed - Invalid parameter 'pid'")
	wantFail(t, e.do("POST", agentPath+"/exec", url.Values{"command": {"frobnicate", "-x"}}), 500,
		"VM 100 qga command 'guest-exec' failed - Guest agent command failed, error was 'Failed to execute child process “frobnicate” (No such file or directory)'")
	if r := e.do("POST", agentPath+"/exec", nil); r.status != 400 || r.errors["command"] == "" {
		t.Fatalf("exec without command: %d %v", r.status, r.errors)
	}
	// sleep runs in simulated time
	ex = e.ok("POST", agentPath+"/exec", url.Values{"command": {"sleep", "5"}}).(map[string]any)
	pid = strconv.Itoa(int(ex["pid"].(float64)))
	if st := e.ok("GET", agentPath+"/exec-status", vals("pid", pid)); !reflect.DeepEqual(st, map[string]any{"exited": float64(0)}) {
		t.Fatalf("running: %v", st)
	}
	e.advance(5 * time.Second)
	if st := e.ok("GET", agentPath+"/exec-status", vals("pid", pid)).(map[string]any); st["exited"] != float64(1) {
		t.Fatalf("after sleep: %v", st)
	}
}

func TestAgentFiles(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.ok("GET", agentPath+"/file-read", vals("file", "/etc/hostname")).(map[string]any)
	if !reflect.DeepEqual(r, map[string]any{"content": "web01\n", "bytes-read": float64(6)}) {
		t.Fatalf("read: %v", r)
	}
	wantFail(t, e.do("GET", agentPath+"/file-read", vals("file", "/etc/nope")), 500,
		"VM 100 qga command 'guest-file-open' failed - failed to open file '/etc/nope' (mode: 'r'): No such file or directory")
	wantFail(t, e.do("GET", agentPath+"/file-read", vals("file", "/etc")), 500,
		"VM 100 qga command 'guest-file-read' failed - failed to read file: Is a directory")
	if r := e.ok("POST", agentPath+"/file-write", vals("file", "/root/note.txt", "content", "hello agent\n")); r != nil {
		t.Fatalf("write answers %v", r)
	}
	if r := e.ok("GET", agentPath+"/file-read", vals("file", "/root/note.txt")).(map[string]any); r["content"] != "hello agent\n" {
		t.Fatalf("read back: %v", r)
	}
	if out := e.run("cat", "/root/note.txt")["out-data"]; out != "hello agent\n" {
		t.Fatalf("cat: %q", out)
	}
	if out := e.run("ls", "/root")["out-data"]; out != "note.txt\n" {
		t.Fatalf("ls: %q", out)
	}
	// encode=0: the caller sends base64
	e.ok("POST", agentPath+"/file-write", vals("file", "/tmp/b", "content", base64.StdEncoding.EncodeToString([]byte("raw")), "encode", "0"))
	if r := e.ok("GET", agentPath+"/file-read", vals("file", "/tmp/b")).(map[string]any); r["content"] != "raw" {
		t.Fatalf("encode=0: %v", r)
	}
	wantFail(t, e.do("POST", agentPath+"/file-write", vals("file", "/nodir/x", "content", "x")), 500,
		"VM 100 qga command 'guest-file-open' failed - failed to open file '/nodir/x' (mode: 'wb'): No such file or directory")
	// count and offset (PVE 9.1): a read that stops before the end is truncated
	r = e.ok("GET", agentPath+"/file-read", vals("file", "/root/note.txt", "offset", "6", "count", "5")).(map[string]any)
	if !reflect.DeepEqual(r, map[string]any{"content": "agent", "bytes-read": float64(5), "truncated": float64(1)}) {
		t.Fatalf("count/offset: %v", r)
	}
	r = e.ok("GET", agentPath+"/file-read", vals("file", "/root/note.txt", "decode", "0")).(map[string]any)
	if r["content"] != base64.StdEncoding.EncodeToString([]byte("hello agent\n")) {
		t.Fatalf("decode=0: %v", r)
	}
	// files live on the disk: a reboot keeps them (the kernel takes its
	// hostname from the file at boot) and ends a freeze; a reseed drops them
	e.ok("POST", agentPath+"/file-write", vals("file", "/etc/hostname", "content", "renamed\n"))
	if h := e.result("GET", agentPath+"/get-host-name", nil).(map[string]any); h["host-name"] != "web01" {
		t.Fatalf("before reboot: %v", h)
	}
	e.result("POST", agentPath+"/fsfreeze-freeze", nil)
	e.waitTask(e.ok("POST", "/nodes/pve1/qemu/100/status/reboot", nil).(string))
	wantFail(t, e.do("GET", agentPath+"/get-host-name", nil), 500, "QEMU guest agent is not running")
	e.advance(20 * time.Second)
	if h := e.result("GET", agentPath+"/get-host-name", nil).(map[string]any); h["host-name"] != "renamed" {
		t.Fatalf("after reboot: %v", h)
	}
	if st := e.result("POST", agentPath+"/fsfreeze-status", nil); st != "thawed" {
		t.Fatalf("freeze after reboot: %v", st)
	}
	if r := e.ok("GET", agentPath+"/file-read", vals("file", "/root/note.txt")).(map[string]any); r["content"] != "hello agent\n" {
		t.Fatalf("after reboot: %v", r)
	}
	e.sim.Reset()
	if r := e.do("GET", agentPath+"/file-read", vals("file", "/root/note.txt")); r.status != 500 {
		t.Fatalf("after reset: %d", r.status)
	}
}

// go-proxmox posts exec as a JSON body with the command as a JSON array.
func TestAgentExecJSONBody(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest("POST", e.srv.URL+"/api2/json"+agentPath+"/exec", strings.NewReader(`{"command":["echo","from","json"]}`))
	req.Header.Set("Authorization", e.token)
	req.Header.Set("Content-Type", "application/json")
	r := e.send(req)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	pid := strconv.Itoa(int(r.data.(map[string]any)["pid"].(float64)))
	if st := e.ok("GET", agentPath+"/exec-status", vals("pid", pid)).(map[string]any); st["out-data"] != "from json\n" {
		t.Fatalf("json exec: %v", st)
	}
}

// A process killed by a signal has no exit code; output past qemu-ga's
// 16 MiB is dropped and flagged, only when it was.
func TestAgentExecSignalAndTruncation(t *testing.T) {
	e := newEnv(t, Options{})
	if st := e.run("sh", "-c", "kill -9 $$"); !reflect.DeepEqual(st, map[string]any{"exited": float64(1), "signal": float64(9)}) {
		t.Fatalf("killed: %v", st)
	}
	if st := e.run("seq", "3"); st["out-data"] != "1\n2\n3\n" || st["out-truncated"] != nil {
		t.Fatalf("seq 3: %v", st)
	}
	st := e.run("seq", "3000000") // 20.9 MB of output
	if out := st["out-data"].(string); len(out) != qgaMaxOutput || st["out-truncated"] != float64(1) || !strings.HasPrefix(out, "1\n2\n") {
		t.Fatalf("seq 3000000: %d bytes, truncated %v", len(out), st["out-truncated"])
	}
}

// With decode=0 Agent.pm joins the base64 of each 1 MiB read.
func TestAgentFileReadBase64Chunks(t *testing.T) {
	data := []byte(strings.Repeat("x", agentReadChunk+3))
	got := agentReadBase64(data)
	want := base64.StdEncoding.EncodeToString(data[:agentReadChunk]) + base64.StdEncoding.EncodeToString(data[agentReadChunk:])
	if got != want || !strings.Contains(got, "=") || strings.HasSuffix(got, "=") {
		t.Fatalf("chunked base64: %d chars, want %d", len(got), len(want))
	}
}
