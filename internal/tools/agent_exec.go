package tools

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// maxExecOutput bounds each of stdout and stderr in a result: qemu-ga keeps
// up to 16 MiB of each, far more than a model should read.
const maxExecOutput = 32 << 10

type agentExecArgs struct {
	Node    NodeName `json:"node"`
	VMID    VMID     `json:"vmid"`
	Command []string `json:"command,omitempty" jsonschema:"the program's absolute path, then its arguments"`
	Input   string   `json:"input,omitempty" maxLength:"65536" jsonschema:"standard input"`
	Timeout int      `json:"timeout,omitempty" minimum:"1" maximum:"300" default:"30" jsonschema:"seconds to wait for the exit"`
	PID     int      `json:"pid,omitempty" minimum:"1" jsonschema:"instead of command: collect a command that was still running"`
	Confirm bool     `json:"confirm,omitempty" jsonschema:"needed for commands not marked ro: in the allowlist"`
}

func (a agentExecArgs) confirmedByArg() bool { return a.Confirm }

type agentExecOut struct {
	Node     string   `json:"node"`
	VMID     int      `json:"vmid"`
	Command  []string `json:"command,omitempty"`
	PID      int      `json:"pid"`
	Exited   bool     `json:"exited"`
	ExitCode *int     `json:"exitCode,omitempty"`
	Signal   *int     `json:"signal,omitempty" jsonschema:"killed by this signal"`
	Stdout   string   `json:"stdout"`
	Stderr   string   `json:"stderr"`
	// Cut bytes are left out by this server's bound; Truncated means qemu-ga
	// itself captured only the first 16 MiB.
	StdoutCut       int    `json:"stdoutCutBytes,omitempty"`
	StderrCut       int    `json:"stderrCutBytes,omitempty"`
	StdoutTruncated bool   `json:"stdoutTruncatedByAgent,omitempty"`
	StderrTruncated bool   `json:"stderrTruncatedByAgent,omitempty"`
	Note            string `json:"note,omitempty"`
}

func agentExec(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_agent_exec", title: "Run command in VM", toolset: "exec", effect: Mutating,
		desc: "Run a command in a VM through the guest agent and return its exit code and output. The command must match " +
			"PVE_AGENT_EXEC_ALLOWLIST; ones not marked ro: there, or given input, need confirm: true and the user is asked."},
		handle(func(ctx context.Context, c *call, in agentExecArgs) (agentExecOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return agentExecOut{}, err
			}
			if c.Guard.Commands().Empty() {
				return agentExecOut{}, fmt.Errorf("%w: pve_vm_agent_exec is off: PVE_AGENT_EXEC_ALLOWLIST names no command. The server's admin "+
					"turns it on by listing the commands allowed, separated by ';': the program's absolute path, then one pattern per argument "+
					"(* any characters but /, ? one character, a last ... any further arguments), with ro: before a command that only reads "+
					"(it then runs without asking the user); e.g. PVE_AGENT_EXEC_ALLOWLIST='ro:/usr/bin/df ...; /usr/bin/systemctl restart nginx'", errRefused)
			}
			switch {
			case len(in.Command) == 0 && in.PID == 0:
				return agentExecOut{}, fmt.Errorf("invalid argument \"command\": give the program and its arguments, e.g. [\"/usr/bin/df\", \"-h\"] (or pid to collect an earlier command)")
			case len(in.Command) > 0 && in.PID != 0:
				return agentExecOut{}, fmt.Errorf("invalid argument \"pid\": give either command (to run one) or pid (to collect one), not both")
			case in.PID != 0 && in.Input != "":
				return agentExecOut{}, fmt.Errorf("invalid argument \"input\": input goes with command, not with pid")
			case len(in.Command) > 0 && !absProgram(in.Command[0]):
				return agentExecOut{}, fmt.Errorf("invalid argument \"command\": %q: give the program's absolute path (the allowlist names programs by path), e.g. /usr/bin/%s",
					in.Command[0], in.Command[0])
			}
			timeout := time.Duration(in.Timeout) * time.Second
			if timeout <= 0 {
				timeout = 30 * time.Second
			}
			out := agentExecOut{Node: string(in.Node), VMID: int(in.VMID), Command: in.Command, PID: in.PID}
			if in.PID == 0 {
				form := url.Values{"command": in.Command}
				if in.Input != "" {
					form.Set("input-data", in.Input)
				}
				what := fmt.Sprintf("run %s in VM %d on %s", strings.Join(in.Command, " "), in.VMID, in.Node)
				var started struct {
					PID pve.Int `json:"pid"`
				}
				if err := c.PVE.Post(ctx, qemuKind.path(in.Node, in.VMID, "agent", "exec"), form, &started); err != nil {
					return out, c.agentWriteError(ctx, in.Node, in.VMID, what, err, "inside the guest whether it ran")
				}
				out.PID = int(started.PID)
			}
			return out, c.execWait(ctx, in.Node, in.VMID, timeout, &out)
		}))
}

// agentWriteError passes on refusals and questions for the user as they
// are, says "may have run" for an unknown outcome, and explains the agent's
// failures.
func (c *call) agentWriteError(ctx context.Context, node NodeName, vmid VMID, what string, err error, check string) error {
	var ask *inputRequired
	var uo *pve.UnknownOutcomeError
	switch {
	case errors.As(err, &ask), errors.Is(err, errRefused):
		return err
	case errors.As(err, &uo):
		return writeError(what, err, check)
	}
	return fmt.Errorf("%s: %s", what, c.agentError(ctx, node, vmid, err))
}

// execWait polls exec-status until the process exited or timeout passed.
func (c *call) execWait(ctx context.Context, node NodeName, vmid VMID, timeout time.Duration, out *agentExecOut) error {
	deadline := time.Now().Add(timeout)
	pause := 100 * time.Millisecond
	for {
		var st struct {
			Exited       pve.Flag `json:"exited"`
			ExitCode     *pve.Int `json:"exitcode"`
			Signal       *pve.Int `json:"signal"`
			OutData      string   `json:"out-data"`
			ErrData      string   `json:"err-data"`
			OutTruncated pve.Flag `json:"out-truncated"`
			ErrTruncated pve.Flag `json:"err-truncated"`
		}
		q := url.Values{"pid": {strconv.Itoa(out.PID)}}
		if err := c.PVE.Get(ctx, qemuKind.path(node, vmid, "agent", "exec-status"), q, &st); err != nil {
			if errors.Is(err, errRefused) {
				return err
			}
			return fmt.Errorf("status of pid %d in VM %d: %s (the command may still be running)", out.PID, vmid, c.agentError(ctx, node, vmid, err))
		}
		if st.Exited {
			out.Exited = true
			if st.ExitCode != nil {
				code := int(*st.ExitCode)
				out.ExitCode = &code
			}
			if st.Signal != nil {
				sig := int(*st.Signal)
				out.Signal = &sig
				out.Note = "killed by signal " + strconv.Itoa(sig) + signalName(sig)
			}
			out.Stdout, out.StdoutCut = cutText(st.OutData, maxExecOutput)
			out.Stderr, out.StderrCut = cutText(st.ErrData, maxExecOutput)
			out.StdoutTruncated, out.StderrTruncated = bool(st.OutTruncated), bool(st.ErrTruncated)
			if out.StdoutCut+out.StderrCut > 0 {
				out.Note = strings.TrimPrefix(out.Note+fmt.Sprintf("; output cut to %d bytes per stream (%d bytes of stdout, %d of stderr left out)",
					maxExecOutput, out.StdoutCut, out.StderrCut), "; ")
			}
			return nil
		}
		if !time.Now().Add(pause).Before(deadline) {
			out.Note = fmt.Sprintf("not exited after %s: it may still be running as pid %d; call pve_vm_agent_exec with pid: %d to collect its exit code and output (the agent reports it once)",
				timeout, out.PID, out.PID)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for pid %d in VM %d: %w (it may still be running)", out.PID, vmid, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(pause*2, 2*time.Second)
	}
}

// absProgram: a program named by its absolute path, in a Linux guest or a
// Windows one (C:\...), as the allowlist names programs.
func absProgram(p string) bool {
	return strings.HasPrefix(p, "/") || len(p) > 3 && p[1] == ':' && p[2] == '\\'
}

// cutText keeps the first max bytes of s, ending on a whole character, and
// says how many bytes it left out.
func cutText(s string, max int) (string, int) {
	if len(s) <= max {
		return s, 0
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], len(s) - i
}

func signalName(sig int) string {
	names := map[int]string{1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM"}
	if n, ok := names[sig]; ok {
		return " (" + n + ")"
	}
	return ""
}
