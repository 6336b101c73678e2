package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

type upidArgs struct {
	UPID TaskID `json:"upid" jsonschema:"task id"`
}

type taskLogArgs struct {
	UPID  TaskID `json:"upid" jsonschema:"task id"`
	Start int    `json:"start,omitempty" minimum:"0" jsonschema:"first line, 0-based"`
	Limit int    `json:"limit,omitempty" minimum:"1" maximum:"5000" default:"50" jsonschema:"most lines to return"`
}

type taskWaitArgs struct {
	UPID           TaskID `json:"upid" jsonschema:"task id"`
	TimeoutSeconds int    `json:"timeoutSeconds,omitempty" minimum:"1" maximum:"3600" default:"60" jsonschema:"how long to wait"`
}

type taskStopArgs struct {
	UPID    TaskID `json:"upid" jsonschema:"task id"`
	Confirm bool   `json:"confirm,omitempty"`
}

type taskStatusOut struct {
	UPID       string   `json:"upid"`
	Node       string   `json:"node"`
	Type       string   `json:"type"`
	ID         string   `json:"id"`
	User       string   `json:"user"`
	StartTime  int64    `json:"starttime"`
	Status     string   `json:"status" jsonschema:"running or stopped"`
	ExitStatus string   `json:"exitstatus,omitempty" jsonschema:"OK, WARNINGS: n, or the error; only when stopped"`
	Log        []string `json:"log" jsonschema:"last log lines"`
	LogLines   int      `json:"logLines" jsonschema:"lines in the whole log"`
	More       string   `json:"more,omitempty" jsonschema:"how to read the lines left out"`
}

type taskLogOut struct {
	UPID  string        `json:"upid"`
	Total int           `json:"total"`
	Lines []pve.LogLine `json:"lines"`
}

type taskWaitOut struct {
	UPID         string   `json:"upid"`
	Status       string   `json:"status" jsonschema:"stopped, or running when the wait timed out"`
	ExitStatus   string   `json:"exitStatus,omitempty"`
	Warnings     []string `json:"warnings,omitempty" jsonschema:"the last warnings"`
	WarningCount int      `json:"warningCount,omitempty" jsonschema:"all warnings"`
	More         string   `json:"more,omitempty" jsonschema:"how to read the warnings left out"`
}

type taskStopOut struct {
	Action string          `json:"action"`
	UPID   string          `json:"upid"`
	Result json.RawMessage `json:"result"`
}

func taskTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_task_status", title: "Task status", toolset: "tasks",
			desc: "State of a Proxmox task by UPID: running or stopped, exit status, last log lines."},
			handle(func(ctx context.Context, c *call, in upidArgs) (taskStatusOut, error) {
				if _, err := c.task(string(in.UPID)); err != nil {
					return taskStatusOut{}, err
				}
				st, err := c.PVE.TaskStatus(ctx, string(in.UPID))
				if err != nil {
					return taskStatusOut{}, fmt.Errorf("task status: %w", err)
				}
				out := taskStatusOut{UPID: string(in.UPID), Node: st.Node, Type: st.Type, ID: st.ID, User: st.User,
					StartTime: st.StartTime, Status: st.Status, ExitStatus: st.ExitStatus, Log: []string{}}
				// Read the total first, then only the last lines: a vzdump log is long.
				_, total, err := c.PVE.TaskLog(ctx, string(in.UPID), 0, 1)
				if err != nil {
					return taskStatusOut{}, fmt.Errorf("task log: %w", err)
				}
				lines, total2, err := c.PVE.TaskLog(ctx, string(in.UPID), max(0, total-pve.TailLines), pve.TailLines)
				if err != nil {
					return taskStatusOut{}, fmt.Errorf("task log: %w", err)
				}
				for _, l := range lines {
					out.Log = append(out.Log, pve.ClipLine(l.T))
				}
				out.LogLines = max(total, total2)
				if out.LogLines > len(out.Log) {
					out.More = fmt.Sprintf("the last %d log lines; ", len(out.Log)) + pageHint(out.LogLines)
				}
				return out, nil
			})),
		define(d, spec{name: "pve_task_log", title: "Task log", toolset: "tasks",
			desc: "Log lines of a task by UPID, a page at a time; total is the line count."},
			handle(func(ctx context.Context, c *call, in taskLogArgs) (taskLogOut, error) {
				if _, err := c.task(string(in.UPID)); err != nil {
					return taskLogOut{}, err
				}
				lines, total, err := c.PVE.TaskLog(ctx, string(in.UPID), in.Start, in.Limit)
				if err != nil {
					return taskLogOut{}, fmt.Errorf("task log: %w", err)
				}
				if lines == nil {
					lines = []pve.LogLine{}
				}
				return taskLogOut{UPID: string(in.UPID), Total: total, Lines: lines}, nil
			})),
		define(d, spec{name: "pve_task_wait", title: "Wait for task", toolset: "tasks",
			desc: "Wait for a task by UPID, with progress; reports its exit status, or running after timeoutSeconds."},
			handle(func(ctx context.Context, c *call, in taskWaitArgs) (taskWaitOut, error) {
				u, err := c.task(string(in.UPID))
				if err != nil {
					return taskWaitOut{}, err
				}
				upid := string(in.UPID)
				p := c.progress(ctx, upid)
				res, err := c.PVE.WaitTask(ctx, upid, pve.WaitOptions{
					Timeout: time.Duration(in.TimeoutSeconds) * time.Second, OnProgress: p.callback()})
				var timeout *pve.TaskTimeoutError
				if errors.As(err, &timeout) {
					return taskWaitOut{UPID: upid, Status: "running"}, nil
				}
				if taskEnded(err) {
					return taskWaitOut{}, taskError("wait for task", upid, err, "pve_list_tasks for "+u.Node)
				}
				if err != nil {
					return taskWaitOut{}, fmt.Errorf("wait for task: %w", err)
				}
				p.done(res)
				out := taskWaitOut{UPID: upid, Status: "stopped", ExitStatus: res.ExitStatus}
				out.Warnings, out.WarningCount, out.More = warningsOf(res)
				return out, nil
			})),
		define(d, spec{name: "pve_task_stop", title: "Stop task", toolset: "tasks", effect: Destructive,
			desc: "Stop a running task by UPID, leaving its work half done. Needs confirm: true."},
			handle(func(ctx context.Context, c *call, in taskStopArgs) (taskStopOut, error) {
				u, err := c.task(string(in.UPID))
				if err != nil {
					return taskStopOut{}, err
				}
				if err := c.confirm(in.Confirm, fmt.Sprintf("stop the %s task on %s (%s), leaving its work half done", u.Type, u.Node, in.UPID)); err != nil {
					return taskStopOut{}, err
				}
				var raw json.RawMessage
				if err := c.PVE.Delete(ctx, pve.Path("nodes", u.Node, "tasks", string(in.UPID)), url.Values{}, &raw); err != nil {
					return taskStopOut{}, writeError("stop task", err, "pve_task_status with this UPID")
				}
				return taskStopOut{Action: "task_stop", UPID: string(in.UPID), Result: okResult(raw)}, nil
			})),
	}
}

// task parses a UPID argument; the request guard checks its node and guest
// against the allowlists at each request, before anything is sent.
func (c *call) task(upid string) (pveid.UPID, error) {
	u, err := pveid.ParseUPID(upid)
	if err != nil {
		return u, fmt.Errorf("invalid argument \"upid\": %v", err)
	}
	return u, nil
}
