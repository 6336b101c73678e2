package guard

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Commands run inside guests (the guest agent's exec, and pct exec over
// SSH) and files the agent reads or writes are judged here, so no tool and
// no generic API call can run a command or touch a file the allowlists do
// not name.
const (
	agentExec  = "/nodes/{node}/qemu/{vmid}/agent/exec"
	agentRead  = "/nodes/{node}/qemu/{vmid}/agent/file-read"
	agentWrite = "/nodes/{node}/qemu/{vmid}/agent/file-write"
	agentPass  = "/nodes/{node}/qemu/{vmid}/agent/set-user-password"
)

func (c *Call) judgeAgent(r *request, v *verdict) {
	switch r.ep.Path {
	case agentExec:
		// whatever the method: no release has another, and none may slip by
		argv, err := execArgv(r)
		if err != nil {
			v.refuse("command: %v", err)
			return
		}
		c.judgeCommand(fmt.Sprintf("VM %d on %s", r.vmid, r.node), argv, v)
		if in := r.params["input-data"]; in != "" {
			v.ask("pass %d bytes of standard input to %s in VM %d on %s (input can make even a read-only command act)", len(in), quoteArgv(argv), r.vmid, r.node)
		}
	case agentRead:
		c.judgeFile(r, false, v)
	case agentWrite:
		c.judgeFile(r, true, v)
	case agentPass:
		// a new password is a login to the guest, as good as any command
		v.ask("set the password of user %q in VM %d on %s (whoever knows it can log in)", r.params["username"], r.vmid, r.node)
	}
}

// execArgv reads the command as every release reads it, or says why it
// cannot: from PVE 8 an array (repeated keys, joined by NUL in params), on
// 7.4 a string-alist, which split_list splits on NUL when there is one,
// else on commas, semicolons and blanks, and whose trailing empty fields
// Perl drops. A node of a cluster mid-upgrade, or a failed version read,
// may apply the other reading, so a command is judged only when both agree.
func execArgv(r *request) ([]string, error) {
	cmd := r.params["command"]
	if cmd == "" {
		return nil, nil
	}
	if !strings.Contains(cmd, "\x00") {
		if alist := strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(cmd)); len(alist) != 1 || alist[0] != cmd {
			return nil, fmt.Errorf("%q would be one word on PVE 8 and later but split on PVE 7; give the program and each argument as its own element", cmd)
		}
		return []string{cmd}, nil
	}
	argv := strings.Split(cmd, "\x00")
	if slices.Contains(argv, "") {
		return nil, fmt.Errorf("an empty argument (PVE 7 drops trailing ones); leave it out or quote what it stands for")
	}
	return argv, nil
}

func (c *Call) judgeCommand(where string, argv []string, v *verdict) {
	l := c.g.opts.Commands
	switch {
	case l.Empty():
		v.refuse("commands inside guests are off: PVE_AGENT_EXEC_ALLOWLIST names none")
		return
	case len(argv) == 0 || argv[0] == "":
		v.refuse("command: empty; name the program and its arguments")
		return
	}
	rule, ok := l.Match(argv)
	if !ok {
		v.refuse("command %s is not in PVE_AGENT_EXEC_ALLOWLIST (allowed: %s)", quoteArgv(argv), strings.Join(l.Entries(), "; "))
		return
	}
	if !rule.ReadOnly {
		v.ask("run %s in %s (allowed by %q, which is not marked read-only)", quoteArgv(argv), where, rule.Text)
	}
}

func (c *Call) judgeFile(r *request, write bool, v *verdict) {
	l := c.g.opts.Files
	path := r.params["file"]
	verb := "read"
	if write {
		verb = "write"
	}
	if l.Empty() {
		v.refuse("file %ss through the guest agent are off: PVE_AGENT_FILE_ALLOWLIST names none", verb)
		return
	}
	if _, ok := l.Match(path, write); !ok {
		v.refuse("file %q: PVE_AGENT_FILE_ALLOWLIST does not allow a %s there (allowed: %s); paths must be absolute, without . or .. elements",
			path, verb, strings.Join(l.Entries(), "; "))
		return
	}
	if write {
		v.ask("write %s in VM %d on %s, replacing what it holds", path, r.vmid, r.node)
	}
}

// CheckCommand judges a command a tool runs inside a guest without the
// Proxmox API (pct exec over SSH) by the same allowlist, and asks the
// user's consent as a request would. where names the guest.
func (c *Call) CheckCommand(ctx context.Context, where string, argv []string) error {
	var v verdict
	c.judgeCommand(where, argv, &v)
	if len(v.refusals) > 0 {
		return fmt.Errorf("%w: %s", ErrRefused, strings.Join(v.refusals, "; "))
	}
	question := ""
	if len(v.reasons) > 0 {
		question = strings.Join(v.reasons, "; ")
	}
	switch {
	case c.consent == nil && question != "":
		return fmt.Errorf("%w: %s needs the user's consent, which this call cannot ask for", ErrRefused, question)
	case c.consent == nil:
		return nil
	}
	return c.consent(ctx, question)
}

// quoteArgv shows a command as a shell would read it back.
func quoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = ShellQuote(a)
	}
	return strings.Join(q, " ")
}

// ShellQuote quotes one word for a POSIX shell; plain words stay as they are.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
