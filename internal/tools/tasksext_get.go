package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// taskParams are the params of tasks/get, tasks/update and tasks/cancel;
// the input fields come back with a tasks/cancel the user was asked about
// (2026-07-28: multi round-trip requests).
type taskParams struct {
	mcp.ParamsBase
	TaskID         string               `json:"taskId"`
	InputResponses mcp.InputResponseMap `json:"inputResponses,omitempty"`
	RequestState   string               `json:"requestState,omitempty"`
}

// taskAck answers tasks/update and tasks/cancel, or asks for input first.
type taskAck struct {
	mcp.ResultBase
	ResultType    string              `json:"resultType"`
	InputRequests mcp.InputRequestMap `json:"inputRequests,omitempty"`
	RequestState  string              `json:"requestState,omitempty"`
}

const (
	taskLogTail  = 10               // log lines a working task shows
	taskSettleIn = 30 * time.Second // bound on reading a stopped task's end
)

// tasksCall is a guarded view of the cluster for one tasks/* request;
// consent answers the guard's questions (nil: none may be asked).
func (h *TaskHandles) tasksCall(d *Deps, consent func(context.Context, string) error) *call {
	c := &call{Deps: d, consent: h.consent}
	if consent == nil {
		consent = func(_ context.Context, q string) error {
			if q == "" {
				return nil
			}
			return fmt.Errorf("%w: this would %s, which a task request does not do", errRefused, q)
		}
	}
	c.PVE, c.allow = d.Guard.Call(consent), d.Guard.Allow()
	return c
}

// deps is the dependencies of the cluster a task runs on, for the caller
// of the tasks/* request: a handle never reaches past the caller's policy.
func (h *TaskHandles) deps(ctx context.Context, cluster string) (*Deps, error) {
	if h.d.Fleet == nil {
		return h.d, nil
	}
	extra, _ := ctx.Value(extraKey{}).(*mcp.RequestExtra)
	d, err := h.d.Fleet.depsFor(extra, cluster)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: err.Error()}
	}
	return d, nil
}

// open checks the declaration and the ID, and reads the task's status.
func (h *TaskHandles) open(ctx context.Context, ss *mcp.ServerSession, p *taskParams, consent func(context.Context, string) error) (taskRef, *call, pve.TaskStatus, error) {
	if !declaredIn(p.Meta, ss) {
		return taskRef{}, nil, pve.TaskStatus{}, errUndeclared()
	}
	r, err := decodeTaskID(p.TaskID)
	if err != nil {
		return r, nil, pve.TaskStatus{}, err
	}
	d, err := h.deps(ctx, r.Cluster)
	if err != nil {
		return r, nil, pve.TaskStatus{}, err
	}
	c := h.tasksCall(d, consent)
	st, err := c.PVE.TaskStatus(ctx, r.UPID)
	switch {
	case errors.Is(err, errRefused):
		return r, nil, st, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: err.Error()}
	case err != nil && (pve.IsNotFound(err) || strings.Contains(err.Error(), "no such task")):
		u, _ := pveid.ParseUPID(r.UPID)
		return r, nil, st, errNoTask(fmt.Sprintf("node %s no longer knows task %s%s", u.Node, r.UPID,
			mayHaveRun(checkRead(r.Out, r.Kind)+" and pve_list_tasks for "+u.Node)))
	case err != nil:
		return r, nil, st, &jsonrpc.Error{Code: jsonrpc.CodeInternalError,
			Message: fmt.Sprintf("read the status of task %s: %v; the task goes on in Proxmox, ask again", r.UPID, err)}
	}
	return r, c, st, nil
}

// get is tasks/get: the task as Proxmox tells it now.
func (h *TaskHandles) get(ctx context.Context, ss *mcp.ServerSession, p *taskParams) (*Task, error) {
	r, c, st, err := h.open(ctx, ss, p, nil)
	if err != nil {
		return nil, err
	}
	switch st.Status {
	case "running":
		return h.working(ctx, c, r, st), nil
	case "stopped":
		return h.ended(ctx, c, r)
	}
	return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError,
		Message: fmt.Sprintf("task %s: Proxmox gave the unknown status %q; ask again", r.UPID, st.Status)}
}

// working describes a running task: its age, its percentage when its type
// prints one, and its log tail.
func (h *TaskHandles) working(ctx context.Context, c *call, r taskRef, st pve.TaskStatus) *Task {
	t := h.task(r, "working")
	elapsed := h.now().Sub(time.Unix(st.StartTime, 0)).Round(time.Second)
	info := map[string]any{"upid": r.UPID, "tool": r.Tool, "node": st.Node, "type": st.Type,
		"elapsedSeconds": max(0, int64(elapsed.Seconds()))}
	msg := fmt.Sprintf("%s: Proxmox task running for %s", r.What, max(0, elapsed))
	if lines, total, err := h.logTail(ctx, c, r.UPID); err == nil {
		info["log"], info["logLines"] = lines, total
		if pct, ok := lastPercent(lines); ok && pve.ReportsPercent(st.Type) {
			info["percent"] = pct
			msg += fmt.Sprintf(", %g%%", pct)
		}
		if n := len(lines); n > 0 {
			msg += ": " + lines[n-1]
		}
	}
	t.StatusMessage = msg
	t.Meta[taskMetaKey] = info
	return t
}

// logTail reads the last lines of a task's log: the total first, then
// only the tail, as pve_task_status does (a vzdump log is long).
func (h *TaskHandles) logTail(ctx context.Context, c *call, upid string) ([]string, int, error) {
	_, total, err := c.PVE.TaskLog(ctx, upid, 0, 1)
	if err != nil {
		return nil, 0, err
	}
	lines, total2, err := c.PVE.TaskLog(ctx, upid, max(0, total-taskLogTail), taskLogTail)
	if err != nil {
		return nil, 0, err
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if t := strings.TrimSpace(l.T); t != "" {
			out = append(out, pve.ClipLine(t))
		}
	}
	return out, max(total, total2), nil
}

// lastPercent is the newest percentage the lines show.
func lastPercent(lines []string) (float64, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		if p, ok := pve.ParsePercent(lines[i]); ok {
			return math.Round(p*10) / 10, true
		}
	}
	return 0, false
}

// ended is a stopped task: completed with the result the tool gives when
// it waits (an isError result for a task that failed, as the extension
// asks), or cancelled when the task was stopped by a signal.
func (h *TaskHandles) ended(ctx context.Context, c *call, r taskRef) (*Task, error) {
	ctx2, cancel := context.WithTimeout(ctx, taskSettleIn)
	defer cancel()
	// A fixed plan polls at once, and the task has ended: one status read.
	res, werr := c.PVE.WaitTask(ctx2, r.UPID, pve.WaitOptions{MinInterval: time.Second, NoHistory: true})
	var failed *pve.TaskFailedError
	if werr != nil && !errors.As(werr, &failed) {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError,
			Message: fmt.Sprintf("read the end of task %s: %v; ask again", r.UPID, werr)}
	}
	out := r.Out
	serr := settle(r.What, r.UPID, r.Kind, &out, res, werr)
	tr, err := c.result(ctx, out, serr)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("task %s: %v", r.UPID, err)}
	}
	if failed != nil && interrupted(failed.ExitStatus) {
		t := h.task(r, "cancelled")
		t.StatusMessage = toolText(tr)
		return t, nil
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("task %s: encode result: %v", r.UPID, err)}
	}
	t := h.task(r, "completed")
	t.Result = b
	t.StatusMessage = r.What + ": Proxmox task ended: " + exitOf(res, failed)
	return t, nil
}

// interrupted: the exit status of a worker stopped by a signal (DELETE on
// the task, or the GUI's stop): "received interrupt" from the generic
// handler, "interrupted by signal" from vzdump and clone's own.
func interrupted(exit string) bool {
	return exit == "received interrupt" || strings.HasSuffix(exit, "interrupted by signal")
}

func exitOf(res pve.TaskResult, failed *pve.TaskFailedError) string {
	if failed != nil {
		return failed.ExitStatus
	}
	return res.ExitStatus
}

// toolText is the first text block of a result.
func toolText(tr *mcp.CallToolResult) string {
	for _, c := range tr.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return ""
}

// update is tasks/update. No Proxmox task asks for input, so there is never
// an outstanding request; the extension says to ignore responses to none.
func (h *TaskHandles) update(ctx context.Context, ss *mcp.ServerSession, p *taskParams) (*taskAck, error) {
	if !declaredIn(p.Meta, ss) {
		return nil, errUndeclared()
	}
	if _, err := decodeTaskID(p.TaskID); err != nil {
		return nil, err
	}
	return &taskAck{ResultType: "complete"}, nil
}

// declaredIn is declared for a custom method's params and session.
func declaredIn(meta mcp.Meta, ss *mcp.ServerSession) bool {
	if raw, ok := meta[mcp.MetaKeyClientCapabilities]; ok {
		return hasExtension(raw)
	}
	if ss == nil {
		return false
	}
	ip := ss.InitializeParams()
	if ip == nil || ip.Capabilities == nil {
		return false
	}
	_, ok := ip.Capabilities.Extensions[TasksExtension]
	return ok
}

// stopTask sends the DELETE that stops a task, through the guard.
func stopTask(ctx context.Context, c *call, u pveid.UPID, upid string) error {
	var raw json.RawMessage
	if err := c.PVE.Delete(ctx, pve.Path("nodes", u.Node, "tasks", upid), url.Values{}, &raw); err != nil {
		return writeError("stop task "+upid, err, "pve_task_status with this UPID")
	}
	return nil
}
