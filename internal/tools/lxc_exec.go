package tools

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/sshexec"
)

// pve_lxc_exec: Proxmox's API cannot run a command in a container, so the
// tool runs `pct exec` over SSH on the container's node. The command passes
// the guard's command allowlist and consent first, as the guest agent's does.

// SSHRunner runs a command line on a node (sshexec.Runner).
type SSHRunner interface {
	Run(ctx context.Context, t sshexec.Target, command string, l sshexec.Limits) (sshexec.Result, error)
	User() string
}

// NodeSSH is pve_lxc_exec's way to the nodes.
type NodeSSH struct {
	Runner SSHRunner
	Hosts  map[string]string // node -> host:port; others: /cluster/status's ip and Port
	Port   int
}

const (
	execDefaultTimeout = 60
	execMaxTimeout     = 600
	execMaxOutput      = 32 << 10 // bytes kept of stdout and of stderr each
)

type lxcExecArgs struct {
	Node    NodeName `json:"node"`
	VMID    VMID     `json:"vmid"`
	Command []string `json:"command" jsonschema:"program and arguments, e.g. [\"/usr/bin/df\",\"-h\"]; no shell"`
	Timeout int      `json:"timeout,omitempty" default:"60" minimum:"1" maximum:"600" jsonschema:"seconds"`
	Confirm bool     `json:"confirm,omitempty" jsonschema:"needed for commands the allowlist does not mark ro:"`
}

func (a lxcExecArgs) confirmedByArg() bool { return a.Confirm }

type lxcExecOut struct {
	Node     string   `json:"node"`
	VMID     int      `json:"vmid"`
	Command  []string `json:"command"`
	ExitCode int      `json:"exitCode" jsonschema:"the command's exit code; -1 when a signal ended it"`
	Signal   string   `json:"signal,omitempty"`
	Stdout   string   `json:"stdout"`
	Stderr   string   `json:"stderr"`
	// Bytes left out beyond the first 32 KiB of each stream.
	StdoutCut int64 `json:"stdoutCutBytes,omitempty"`
	StderrCut int64 `json:"stderrCutBytes,omitempty"`
}

func lxcExecTools(d *Deps) []Tool {
	return []Tool{define(d, spec{name: "pve_lxc_exec", title: "Run command in container", toolset: "exec", effect: Mutating,
		desc: "Run a command in a running container (pct exec over SSH): exit code and output. PVE_AGENT_EXEC_ALLOWLIST " +
			"decides; commands not marked ro: need confirm."},
		handle(func(ctx context.Context, c *call, in lxcExecArgs) (lxcExecOut, error) { return c.lxcExec(ctx, in) }))}
}

func (c *call) lxcExec(ctx context.Context, in lxcExecArgs) (lxcExecOut, error) {
	out := lxcExecOut{Node: string(in.Node), VMID: int(in.VMID), Command: in.Command}
	if err := c.guest(in.Node, in.VMID); err != nil {
		return out, err
	}
	if len(in.Command) == 0 || in.Command[0] == "" {
		return out, fmt.Errorf("invalid argument \"command\": name the program and its arguments, e.g. [\"/usr/bin/df\", \"-h\"]")
	}
	if len(in.Command) > 256 {
		return out, fmt.Errorf("invalid argument \"command\": %d words; at most 256", len(in.Command))
	}
	for i, w := range in.Command {
		if strings.ContainsRune(w, 0) {
			return out, fmt.Errorf("invalid argument \"command\": word %d holds a NUL byte, which no command line can carry", i)
		}
	}
	if c.NodeSSH == nil {
		return out, fmt.Errorf("%w: pve_lxc_exec is off: it needs SSH to the nodes (PVE_SSH_KEY_FILE and PVE_SSH_KNOWN_HOSTS, "+
			"see the README's pve_lxc_exec section)", errRefused)
	}
	timeout := in.Timeout
	if timeout == 0 {
		timeout = execDefaultTimeout
	}
	where := fmt.Sprintf("CT %d on %s", in.VMID, in.Node)
	// The allowlist first: a refused command costs no request. Consent is
	// asked here too, before anything reaches the node.
	if err := c.PVE.CheckCommand(ctx, where, in.Command); err != nil {
		return out, err
	}
	var st struct {
		Status string `json:"status"`
	}
	if err := c.PVE.Get(ctx, lxcKind.path(in.Node, in.VMID, "status", "current"), nil, &st); err != nil {
		return out, err
	}
	if st.Status != "running" {
		return out, fmt.Errorf("%s is %s: pct exec needs it running (start it with pve_lxc_start); nothing was run", where, st.Status)
	}
	addr, err := c.nodeSSHAddr(ctx, string(in.Node))
	if err != nil {
		return out, err
	}
	line := pctExecLine(c.NodeSSH.Runner.User(), int(in.VMID), in.Command)
	res, err := c.NodeSSH.Runner.Run(ctx, sshexec.Target{Node: string(in.Node), Addr: addr}, line,
		sshexec.Limits{Timeout: time.Duration(timeout) * time.Second, MaxOutput: execMaxOutput})
	if err != nil {
		var e *sshexec.Error
		if errors.As(err, &e) && e.Kind == sshexec.TimedOut && e.Ran {
			return out, fmt.Errorf("%s: %w (raise timeout, at most %d s; a read-only command such as ps shows whether it still runs)", where, err, execMaxTimeout)
		}
		return out, fmt.Errorf("%s: %w", where, err)
	}
	out.ExitCode, out.Signal = res.ExitCode, res.Signal
	out.Stdout, out.Stderr, out.StdoutCut, out.StderrCut = res.Stdout, res.Stderr, res.StdoutCut, res.StderrCut
	return out, nil
}

// pctExecLine is the node's command line: every word shell-quoted, so no
// argument is read as shell syntax by the node's shell. A login other than
// root runs pct through sudo (pct needs root).
func pctExecLine(user string, vmid int, argv []string) string {
	words := []string{"pct", "exec", strconv.Itoa(vmid), "--"}
	if user != "root" {
		words = append([]string{"sudo", "-n", "/usr/sbin/pct"}, words[1:]...)
	}
	for _, a := range argv {
		words = append(words, guard.ShellQuote(a))
	}
	return strings.Join(words, " ")
}

// nodeSSHAddr is host:port of a node's sshd: PVE_SSH_HOSTS, else the node's
// address in /cluster/status.
func (c *call) nodeSSHAddr(ctx context.Context, node string) (string, error) {
	if a, ok := c.NodeSSH.Hosts[node]; ok {
		return a, nil
	}
	var members []struct {
		Type string `json:"type"`
		Name string `json:"name"`
		IP   string `json:"ip"`
	}
	if err := c.PVE.Get(ctx, "/cluster/status", nil, &members); err != nil {
		return "", fmt.Errorf("find the address of node %s: %w (or name it in PVE_SSH_HOSTS)", node, err)
	}
	for _, m := range members {
		if m.Type == "node" && m.Name == node && m.IP != "" {
			return net.JoinHostPort(m.IP, strconv.Itoa(c.NodeSSH.Port)), nil
		}
	}
	return "", fmt.Errorf("node %s has no address in /cluster/status; name it in PVE_SSH_HOSTS (e.g. %s=10.0.0.1:22); nothing was run", node, node)
}
