package guard

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/execallow"
)

func agentEnv(t *testing.T, release, cmds, files string) *testEnv {
	t.Helper()
	c, err := execallow.ParseCommands(cmds)
	if err != nil {
		t.Fatal(err)
	}
	f, err := execallow.ParsePaths(files)
	if err != nil {
		t.Fatal(err)
	}
	return newTestEnv(t, Options{Release: release, Commands: c, Files: f})
}

func TestAgentExec(t *testing.T) {
	const exec = "/nodes/pve1/qemu/100/agent/exec"
	argv := func(words ...string) url.Values { return url.Values{"command": words} }
	e := agentEnv(t, "9.1", "ro:/usr/bin/df ...; /usr/bin/systemctl restart *; /usr/bin/chmod 0755 /srv/*", "")
	cases := []struct {
		form     url.Values
		refused  string
		question string
	}{
		{argv("/usr/bin/df", "-h"), "", ""},
		{argv("/usr/bin/systemctl", "restart", "nginx"), "", "run /usr/bin/systemctl restart nginx in VM 100 on pve1"},
		{argv("/bin/sh", "-c", "reboot"), "command /bin/sh -c reboot is not in PVE_AGENT_EXEC_ALLOWLIST (allowed: ro:/usr/bin/df ...; /usr/bin/systemctl restart *; /usr/bin/chmod 0755 /srv/*)", ""},
		{argv("/usr/bin/chmod", "0755", "/srv/app"), "", "run /usr/bin/chmod 0755 /srv/app"},
		// the wildcard names what is in /srv, never /srv itself or its parent
		{argv("/usr/bin/chmod", "0755", "/srv/.."), "command /usr/bin/chmod 0755 /srv/.. is not in PVE_AGENT_EXEC_ALLOWLIST", ""},
		{argv("/usr/bin/chmod", "0755", "/srv/"), "is not in PVE_AGENT_EXEC_ALLOWLIST", ""},
		{argv("/usr/bin/systemctl", "restart", "a b"), "", "'a b'"},
		{url.Values{}, "command: Proxmox would refuse it", ""},
	}
	for _, c := range cases {
		o := e.send("POST", exec, c.form)
		switch {
		case c.refused != "":
			if !errors.Is(o.err, ErrRefused) || !strings.Contains(o.err.Error(), c.refused) || o.wrote("POST", exec) {
				t.Errorf("%v: %v (sent %v), want refused with %q", c.form, o.err, o.sent, c.refused)
			}
		case o.err != nil || !o.wrote("POST", exec):
			t.Errorf("%v: %v, sent %v", c.form, o.err, o.sent)
		case c.question == "" && strings.Contains(o.question, "run "):
			t.Errorf("%v: a read-only command asked %q", c.form, o.question)
		case !strings.Contains(o.question, c.question):
			t.Errorf("%v: asked %q, want %q", c.form, o.question, c.question)
		}
	}
	// 7.4 takes the command as a NUL-separated string-alist.
	e74 := agentEnv(t, "7.4", "ro:/usr/bin/df ...", "")
	if o := e74.send("POST", exec, form("command", "/usr/bin/df\x00-h")); o.err != nil {
		t.Errorf("7.4 string-alist: %v", o.err)
	}
	if o := e74.send("POST", exec, form("command", "/bin/rm\x00-rf\x00/")); !errors.Is(o.err, ErrRefused) {
		t.Errorf("7.4 rm: %v", o.err)
	}
	// Without NUL, split_list splits on blanks, commas and semicolons, where
	// PVE 8 keeps one word: a command both would not read alike is refused,
	// whatever the release the guard judges by (a cluster mid-upgrade).
	for _, e := range []*testEnv{e74, agentEnv(t, "9.1", "ro:/usr/bin/*", "")} {
		for _, cmd := range []string{"/usr/bin/df -h,/", "/usr/bin/bash -c reboot", "/usr/bin/dfx;-h"} {
			if o := e.send("POST", exec, form("command", cmd)); !errors.Is(o.err, ErrRefused) || !strings.Contains(o.err.Error(), "its own element") || o.wrote("POST", exec) {
				t.Errorf("%q: %v", cmd, o.err)
			}
		}
		if o := e.send("POST", exec, argv("/usr/bin/df", "-h", "")); !errors.Is(o.err, ErrRefused) || !strings.Contains(o.err.Error(), "empty argument") {
			t.Errorf("trailing empty argument: %v", o.err)
		}
	}
	// An item holding NUL would read as two.
	if o := e.send("POST", exec, argv("/usr/bin/df", "-h\x00/")); !errors.Is(o.err, ErrRefused) || !strings.Contains(o.err.Error(), "must not contain NUL") {
		t.Errorf("NUL inside an item: %v", o.err)
	}
	// Standard input can make a read-only command act: it asks.
	if o := e.send("POST", exec, url.Values{"command": {"/usr/bin/df"}, "input-data": {"x"}}); o.err != nil || !strings.Contains(o.question, "pass 1 bytes of standard input") {
		t.Errorf("input-data: %v %q", o.err, o.question)
	}
	off := agentEnv(t, "9.1", "", "")
	if o := off.send("POST", exec, argv("/usr/bin/df")); o.err == nil || !strings.Contains(o.err.Error(), "PVE_AGENT_EXEC_ALLOWLIST names none") {
		t.Errorf("no allowlist: %v", o.err)
	}
}

func TestAgentFiles(t *testing.T) {
	const read, write = "/nodes/pve1/qemu/100/agent/file-read", "/nodes/pve1/qemu/100/agent/file-write"
	e := agentEnv(t, "9.1", "", "ro:/var/log/**; /etc/motd")
	if o := e.send("GET", read, form("file", "/var/log/syslog")); o.err != nil || o.question != "" {
		t.Errorf("read syslog: %v, asked %q", o.err, o.question)
	}
	for _, p := range []string{"/etc/shadow", "/var/log/../../etc/shadow", "var/log/x"} {
		if o := e.send("GET", read, form("file", p)); !errors.Is(o.err, ErrRefused) || o.wrote("GET", read) {
			t.Errorf("read %s: %v", p, o.err)
		}
	}
	if o := e.send("POST", write, form("file", "/var/log/syslog", "content", "x")); !errors.Is(o.err, ErrRefused) {
		t.Errorf("write under a read-only entry: %v", o.err)
	}
	if o := e.send("POST", write, form("file", "/etc/motd", "content", "hi")); o.err != nil || !strings.Contains(o.question, "write /etc/motd in VM 100") {
		t.Errorf("write motd: %v, asked %q", o.err, o.question)
	}
	off := agentEnv(t, "9.1", "", "")
	if o := off.send("GET", read, form("file", "/etc/motd")); o.err == nil || !strings.Contains(o.err.Error(), "PVE_AGENT_FILE_ALLOWLIST names none") {
		t.Errorf("no allowlist: %v", o.err)
	}
}

func TestCheckCommand(t *testing.T) {
	e := agentEnv(t, "9.1", "ro:/bin/ls ...; /usr/bin/apt-get update", "")
	var asked string
	c := e.g.Call(func(_ context.Context, q string) error { asked = q; return nil })
	ctx := context.Background()
	if err := c.CheckCommand(ctx, "CT 200 on pve1", []string{"/bin/ls", "-l"}); err != nil || asked != "" {
		t.Errorf("ls: %v, asked %q", err, asked)
	}
	if err := c.CheckCommand(ctx, "CT 200 on pve1", []string{"/usr/bin/apt-get", "update"}); err != nil || !strings.Contains(asked, "in CT 200 on pve1") {
		t.Errorf("apt-get update: %v, asked %q", err, asked)
	}
	if err := c.CheckCommand(ctx, "CT 200 on pve1", []string{"/usr/bin/apt-get", "upgrade"}); !errors.Is(err, ErrRefused) {
		t.Errorf("apt-get upgrade: %v", err)
	}
	no := e.g.Call(nil)
	if err := no.CheckCommand(ctx, "CT 200 on pve1", []string{"/usr/bin/apt-get", "update"}); !errors.Is(err, ErrRefused) {
		t.Errorf("no consent step: %v", err)
	}
	if len(e.fake.log()) != 0 {
		t.Errorf("CheckCommand sent %v", e.fake.log())
	}
}

// Setting a guest user's password hands out a login to the guest: the
// user is asked, as for a command that is not read-only.
func TestAgentSetUserPassword(t *testing.T) {
	const path = "/nodes/pve1/qemu/100/agent/set-user-password"
	e := agentEnv(t, "9.1", "", "")
	o := e.send("POST", path, form("username", "root", "password", "s3cret-pw"))
	if o.err != nil || !o.wrote("POST", path) || !strings.Contains(o.question, `set the password of user "root" in VM 100 on pve1`) ||
		strings.Contains(o.question, "s3cret-pw") {
		t.Errorf("set-user-password: %v, asked %q", o.err, o.question)
	}
}
