package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Writes that start a Proxmox task. Once a write reached Proxmox, an error
// never reads as if nothing happened: when the outcome is unknown it says
// so in the tools' words (mayHaveRun, outcome.go), with the UPID, if any,
// and the tool whose read tells; when the task goes on, how to follow it.

// followTask is how to follow a task the call stopped waiting for.
const followTask = "follow it with pve_task_wait or pve_task_status and this UPID"

// postTask starts a task with a POST and follows it to its end.
func (c *call) postTask(ctx context.Context, what, path string, form url.Values, out taskOut) (taskOut, error) {
	return c.runTask(ctx, what, http.MethodPost, path, form, out)
}

// runTask sends a write that answers with a UPID (POST, or DELETE with
// params as the query) and follows the task to its end.
func (c *call) runTask(ctx context.Context, what, method, path string, params url.Values, out taskOut) (taskOut, error) {
	var raw json.RawMessage
	var err error
	kind, sent := kindOfPath(path), time.Now()
	if method == http.MethodDelete {
		err = c.PVE.Delete(ctx, path, params, &raw)
	} else {
		err = c.PVE.Post(ctx, path, params, &raw)
	}
	if err != nil {
		err = c.afterUnsure(ctx, what, method, path, sent, err, kind, &out)
		return out, err
	}
	upid, ok := upidOf(raw)
	if !ok {
		return out, noTask(what, answerText(raw), checkRead(out, kind))
	}
	return out, c.follow(ctx, what, upid, kind, &out)
}

// wait follows a task whose UPID the caller read as a string.
func (c *call) wait(ctx context.Context, what, upid string, out *taskOut) error {
	if _, err := pveid.ParseUPID(upid); err != nil {
		answer := "answer null or empty" // a string destination reads both as ""
		if upid != "" {
			raw, _ := json.Marshal(upid)
			answer = answerText(raw)
		}
		return noTask(what, answer, checkRead(*out, ""))
	}
	return c.follow(ctx, what, upid, "", out)
}

// follow waits for the task and fills the outcome; with async it returns
// at once. It reports progress when the request asked for it.
func (c *call) follow(ctx context.Context, what, upid, kind string, out *taskOut) error {
	out.UPID = upid
	if kind == "" {
		kind = kindOfUPID(upid)
	}
	if c.async {
		out.Status = "running"
		c.slot.started(what, kind, upid, *out) // a task handle (tasksext.go), if asked for
		return nil
	}
	p := c.progress(ctx, upid)
	res, err := c.PVE.WaitTask(ctx, upid, pve.WaitOptions{Timeout: c.TaskTimeout, OnProgress: p.callback()})
	if err == nil {
		p.done(res)
	}
	return settle(what, upid, kind, out, res, err)
}

// settle fills the outcome of a task that ended, or words why the wait did
// not tell; tasks/get gives the same answer as the tool that waited.
func settle(what, upid, kind string, out *taskOut, res pve.TaskResult, err error) error {
	if err != nil {
		return taskError(what, upid, err, checkRead(*out, kind))
	}
	out.ExitStatus = res.ExitStatus
	out.Warnings, out.WarningCount, out.More = warningsOf(res)
	return nil
}

// explained is an error with the text a tool gives it; errors.As still
// finds the cause.
type explained struct {
	err  error
	text string
}

func (e *explained) Error() string { return e.text }
func (e *explained) Unwrap() error { return e.err }

// taskError words a wait that ended without success; check is the read
// that tells what the write did when the task cannot.
func taskError(what, upid string, err error, check string) error {
	var (
		failed  *pve.TaskFailedError
		unknown *pve.TaskUnknownError
		stopped *pve.TaskWaitStoppedError
		timeout *pve.TaskTimeoutError
	)
	switch {
	case errors.As(err, &failed):
		head, tail, _ := strings.Cut(failed.Error(), "\n")
		text := what + ": " + head
		if failed.Killed() {
			text += mayHaveRun(check)
		}
		if tail != "" {
			text += "\n" + tail
		}
		if failed.LogLines > len(failed.LogTail) {
			text += "\n" + pageHint(failed.LogLines)
		}
		return &explained{err, text}
	case errors.As(err, &unknown):
		switch {
		case !unknown.Gone:
			check = "pve_task_status with this UPID"
		case !strings.HasPrefix(check, "pve_list_tasks"):
			// The node no longer tells this task's status: what it
			// worked on, and the node's task list, do.
			if u, perr := pveid.ParseUPID(upid); perr == nil {
				check += " and pve_list_tasks for " + u.Node
			}
		}
		return &explained{err, fmt.Sprintf("%s: %v%s", what, err, mayHaveRun(check))}
	case errors.As(err, &stopped), errors.As(err, &timeout):
		return &explained{err, fmt.Sprintf("%s: %v; %s", what, err, followTask)}
	}
	// A guard refusal or a bad answer: the task was started all the same.
	return &explained{err, fmt.Sprintf("%s: task %s was started, but it could not be followed (%v)%s",
		what, upid, err, mayHaveRun("pve_task_status with this UPID"))}
}

// taskEnded reports an error that tells how a wait for a task ended.
func taskEnded(err error) bool {
	var (
		failed  *pve.TaskFailedError
		unknown *pve.TaskUnknownError
		stopped *pve.TaskWaitStoppedError
		timeout *pve.TaskTimeoutError
	)
	return errors.As(err, &failed) || errors.As(err, &unknown) || errors.As(err, &stopped) || errors.As(err, &timeout)
}

// noTask words a write that Proxmox answered without a UPID.
func noTask(what, answer, check string) error {
	return fmt.Errorf("%s: Proxmox accepted the request but answered without a task ID (%s)%s", what, answer, mayHaveRun(check))
}

// answerText quotes a short answer, for an error.
func answerText(raw json.RawMessage) string {
	t := compact(raw)
	if len(t) == 0 {
		return "no data"
	}
	return "answer " + pve.ClipLine(oneLine(string(t)))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// pageHint says how to read a whole task log.
func pageHint(lines int) string {
	return fmt.Sprintf("pve_task_log with this UPID, start and limit pages through all %d log lines", lines)
}

// warningsOf bounds a task's warnings for a result: the last ones, their
// count, and how to read the rest.
func warningsOf(res pve.TaskResult) (last []string, count int, more string) {
	if res.WarningCount > len(res.Warnings) {
		more = fmt.Sprintf("the last %d of %d warnings; ", len(res.Warnings), res.WarningCount) + pageHint(res.LogLines)
	}
	return res.Warnings, res.WarningCount, more
}

// checkRead names the read that tells whether a write took effect; kind is
// "qemu", "lxc" or "" (unknown: the cluster-wide list tells for both).
func checkRead(out taskOut, kind string) string {
	guest := fmt.Sprintf("guest %d", out.VMID)
	status, config := "pve_cluster_resources", "pve_cluster_resources"
	switch kind {
	case "qemu":
		guest, status, config = fmt.Sprintf("VM %d", out.VMID), "pve_vm_status", "pve_vm_config"
	case "lxc":
		guest, status, config = fmt.Sprintf("CT %d", out.VMID), "pve_lxc_status", "pve_lxc_config"
	}
	on := guest + " on " + out.Node
	switch out.Action {
	case "start", "stop", "shutdown", "reboot", "reset", "suspend", "resume":
		return status + " for " + on
	case "create", "restore":
		return config + " for " + on
	case "delete":
		return "pve_cluster_resources for whether " + guest + " still exists"
	case "clone":
		return fmt.Sprintf("pve_cluster_resources for whether guest %d exists", out.To)
	case "migrate":
		return "pve_cluster_resources for the node " + guest + " is on"
	case "snapshot_create", "snapshot_delete":
		return "pve_list_snapshots for " + on
	case "download":
		return fmt.Sprintf("pve_storage_content for %s on %s", out.Storage, out.Node)
	case "backup":
		return fmt.Sprintf("pve_list_backups for %s on %s", out.Storage, out.Node)
	}
	return "pve_list_tasks for " + out.Node // rollback, network apply: the task list shows what ran
}

// kindOfPath reads qemu or lxc from /nodes/{node}/{kind}...
func kindOfPath(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) > 2 && parts[0] == "nodes" && (parts[2] == "qemu" || parts[2] == "lxc") {
		return parts[2]
	}
	return ""
}

// kindOfUPID reads qemu or lxc from the task type (qmstart, vzstart...).
func kindOfUPID(upid string) string {
	u, err := pveid.ParseUPID(upid)
	switch {
	case err != nil || u.Type == "vzdump":
		return ""
	case strings.HasPrefix(u.Type, "qm"):
		return "qemu"
	case strings.HasPrefix(u.Type, "vz"):
		return "lxc"
	}
	return ""
}
