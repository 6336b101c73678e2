package tools

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/execallow"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/sshexec"
)

// fakeRunner records command lines and answers each with one result.
type fakeRunner struct {
	mu    sync.Mutex
	user  string
	lines []string // "addr: line"
	res   sshexec.Result
	err   error
}

func (f *fakeRunner) Run(_ context.Context, t sshexec.Target, line string, _ sshexec.Limits) (sshexec.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lines = append(f.lines, t.Addr+": "+line)
	return f.res, f.err
}

func (f *fakeRunner) User() string { return f.user }

func (f *fakeRunner) ran() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.lines...)
}

func TestPctExecLine(t *testing.T) {
	got := pctExecLine("root", 200, []string{"/bin/echo", "x; reboot", "it's", "$(id)", "a b"})
	want := `pct exec 200 -- /bin/echo 'x; reboot' 'it'\''s' '$(id)' 'a b'`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := pctExecLine("mcp", 200, []string{"/bin/true"}); got != "sudo -n /usr/sbin/pct exec 200 -- /bin/true" {
		t.Errorf("non-root: %s", got)
	}
}

func TestLXCExecTool(t *testing.T) {
	cmds, err := execallow.ParseCommands("ro:/bin/hostname; /usr/bin/touch /tmp/*")
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeRunner{user: "root", res: sshexec.Result{Stdout: "proxy\n", StdoutCut: 7}}
	e := newEnv(t, envOpts{commands: cmds, nodeSSH: &NodeSSH{Runner: r, Hosts: map[string]string{"pve2": "10.9.9.2:2222"}, Port: 22}})
	e.fake.routes["GET /nodes/pve1/lxc/200/status/current"] = `{"status":"running","vmid":200}`
	e.fake.routes["GET /nodes/pve2/lxc/201/status/current"] = `{"status":"stopped","vmid":201}`
	e.fake.routes["GET /nodes/pve2/lxc/202/status/current"] = `{"status":"running","vmid":202}`
	e.fake.routes["GET /cluster/status"] = `[{"type":"cluster","name":"c"},{"type":"node","name":"pve1","ip":"10.0.0.1"}]`
	args := func(node string, vmid int, argv ...string) map[string]any {
		return map[string]any{"node": node, "vmid": vmid, "command": argv}
	}
	got := e.ok(t, "pve_lxc_exec", args("pve1", 200, "/bin/hostname"))
	if !strings.Contains(got, `"stdout":"proxy\n"`) || !strings.Contains(got, `"stdoutCutBytes":7`) || !strings.Contains(got, `"exitCode":0`) {
		t.Errorf("result %s", got)
	}
	e.ok(t, "pve_lxc_exec", args("pve2", 202, "/bin/hostname"))
	if l := r.ran(); len(l) != 2 || l[0] != "10.0.0.1:22: pct exec 200 -- /bin/hostname" || l[1] != "10.9.9.2:2222: pct exec 202 -- /bin/hostname" {
		t.Errorf("ran %q", l)
	}
	e.refused(t, "pve_lxc_exec", args("pve1", 200, "/sbin/reboot"), "not in PVE_AGENT_EXEC_ALLOWLIST")
	e.refused(t, "pve_lxc_exec", args("pve1", 200), `"command"`)
	// not read-only: confirm first (this client cannot be asked)
	_, text := e.call(t, "pve_lxc_exec", args("pve1", 200, "/usr/bin/touch", "/tmp/x"))
	if !strings.Contains(text, "confirm: true") {
		t.Errorf("touch without confirm: %s", text)
	}
	_, text = e.call(t, "pve_lxc_exec", args("pve2", 201, "/bin/hostname"))
	if !strings.Contains(text, "CT 201 on pve2 is stopped") {
		t.Errorf("stopped: %s", text)
	}
	r.err = &sshexec.Error{Kind: sshexec.UnknownHost}
	_, text = e.call(t, "pve_lxc_exec", args("pve1", 200, "/bin/hostname"))
	if !strings.HasPrefix(text, "CT 200 on pve1: ") {
		t.Errorf("ssh error: %s", text)
	}
	if n := len(r.ran()); n != 3 {
		t.Errorf("%d runs, want 3", n)
	}
	off := newEnv(t, envOpts{commands: cmds})
	off.refused(t, "pve_lxc_exec", args("pve1", 200, "/bin/hostname"), "PVE_SSH_KEY_FILE")
}
