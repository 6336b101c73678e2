package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// TaskStatus is GET /nodes/{node}/tasks/{upid}/status. Its numbers may
// come as strings and its texts as numbers (see UnmarshalJSON).
type TaskStatus struct {
	UPID       string `json:"upid"`
	Node       string `json:"node"`
	Status     string `json:"status"` // running|stopped
	ExitStatus string `json:"exitstatus,omitempty"`
	Type       string `json:"type"`
	ID         string `json:"id"`
	User       string `json:"user"`
	TokenID    string `json:"tokenid,omitempty"` // token tasks: user is split into user + tokenid
	StartTime  int64  `json:"starttime"`
	PID        int64  `json:"pid"`
}

// LogLine is one task log line; N is 1-based.
type LogLine struct {
	N int    `json:"n"`
	T string `json:"t"`
}

// TaskStatus reads a task's status on the node named in its UPID (any other
// node answers "no such task").
func (c *Client) TaskStatus(ctx context.Context, upid string) (TaskStatus, error) {
	u, err := pveid.ParseUPID(upid)
	if err != nil {
		return TaskStatus{}, err
	}
	var st TaskStatus
	if err := c.Get(ctx, Path("nodes", u.Node, "tasks", upid, "status"), nil, &st); err != nil {
		return TaskStatus{}, err
	}
	return st, nil
}

// TaskLog reads up to limit lines after the first start lines (limit 0: all
// the rest) and returns them with the total number of lines in the log.
func (c *Client) TaskLog(ctx context.Context, upid string, start, limit int) ([]LogLine, int, error) {
	u, err := pveid.ParseUPID(upid)
	if err != nil {
		return nil, 0, err
	}
	q := url.Values{"start": {strconv.Itoa(max(start, 0))}, "limit": {strconv.Itoa(max(limit, 0))}}
	var lines []LogLine
	total, err := c.GetPage(ctx, Path("nodes", u.Node, "tasks", upid, "log"), q, &lines)
	if err != nil {
		return nil, 0, err
	}
	// Proxmox omits a zero total; never report fewer lines than we hold.
	total = max(total, max(start, 0)+len(lines))
	return lines, total, nil
}

// Progress is what WaitTask reports while a task runs.
type Progress struct {
	Elapsed time.Duration
	Percent float64 // 0..100, the highest the log showed, so it never falls; -1 before the first
	Line    string  // latest non-empty log line
}

// WaitOptions tunes WaitTask.
type WaitOptions struct {
	Timeout time.Duration // 0 -> no timeout beyond ctx
	// MinInterval and MaxInterval, when either is set, replace the planned
	// polls with intervals doubling from MinInterval (default 100ms) to
	// MaxInterval (default 2s), from an immediate first poll.
	MinInterval time.Duration
	MaxInterval time.Duration
	OnProgress  func(Progress) // optional; called on every poll while running (at least every ~2s)
	// NoHistory: do not read the node's list of finished tasks for the
	// estimate (the caller may not read it).
	NoHistory bool
}

// TaskResult is a task that finished successfully.
type TaskResult struct {
	UPID         string
	ExitStatus   string   // "OK" or "WARNINGS: n"
	Warnings     []string // the last TailLines WARN: lines (without the prefix), when ExitStatus is WARNINGS
	WarningCount int      // n of "WARNINGS: n"
	LogLines     int      // lines in the task log, when it was read for the warnings
	Duration     time.Duration
}

const (
	maxTransientFails = 5
	// After the first failed status read; doubling to 3 s, the retries
	// ride out a pveproxy restart of about 10 s.
	retryDelay       = 500 * time.Millisecond
	progressInterval = 2 * time.Second
)

var warningsRe = lazyre.New(`^WARNINGS: (\d+)$`)

// WaitTask polls the task until it stops. OK and "WARNINGS: n" give a
// result; any other exit status gives *TaskFailedError with the log tail.
// Once it stops waiting without an exit status, the error says what is
// known: *TaskTimeoutError (Timeout passed, the task runs),
// *TaskWaitStoppedError (ctx ended), *TaskUnknownError (the status could
// not be read). Waiting never stops the task in Proxmox.
//
// Without MinInterval/MaxInterval the polls follow a plan (taskplan.go):
// a fast start, then sparse polls far from the end that earlier tasks of
// the same type and guest, or the log's percentages, predict, and dense
// ones near it. It reads only this task's status and log and the list of
// finished tasks of its type and guest on its node.
func (c *Client) WaitTask(ctx context.Context, upid string, o WaitOptions) (TaskResult, error) {
	begin := c.now()
	u, err := pveid.ParseUPID(upid)
	if err != nil {
		return TaskResult{}, err
	}
	elapsed := func() time.Duration { return c.now().Sub(begin) }
	age0 := time.Duration(0)
	if age := begin.Sub(time.Unix(int64(u.StartTime), 0)); age > 2*time.Second {
		age0 = age // an older task (pve_task_wait); a fresh one's whole-second start says nothing finer
	}
	plan := newPlan(o, ReportsPercent(u.Type), age0)

	pollCtx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		pollCtx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	timedOut := func() bool { return pollCtx.Err() != nil || o.Timeout > 0 && elapsed() >= o.Timeout }
	running := false // the last status read showed the task running
	var lastErr error
	// stopped says why waiting must end early, or nil to go on.
	stopped := func() error {
		if err := ctx.Err(); err != nil {
			return &TaskWaitStoppedError{UPID: upid, Running: running, Err: err}
		}
		if !timedOut() {
			return nil
		}
		if !running && lastErr != nil {
			// Never claim "still running" from reads that failed.
			return &TaskUnknownError{UPID: upid, Err: fmt.Errorf("the wait ended after %v on a failed status read: %w",
				elapsed().Round(time.Millisecond), lastErr)}
		}
		return &TaskTimeoutError{UPID: upid, Waited: elapsed()}
	}

	tracker := newProgressTracker()
	logNext := 0 // lines of the log already read
	fails := 0
	lastRunning := time.Duration(-1) // when a poll last found it running
	for d := plan.first(); ; {
		if d > 0 {
			if o.Timeout > 0 {
				d = min(d, max(o.Timeout-elapsed(), 0))
			}
			if err := c.wait(pollCtx, d); err != nil || timedOut() {
				return TaskResult{}, stopped()
			}
		}
		at := elapsed()
		st, err := c.TaskStatus(pollCtx, upid)
		plan.requests++
		switch {
		case err != nil:
			if serr := stopped(); serr != nil {
				return TaskResult{}, serr
			}
			running, lastErr = false, err
			fails++
			if !transientTaskError(err) || fails > maxTransientFails {
				return TaskResult{}, &TaskUnknownError{UPID: upid, Gone: noSuchTask(err), Err: err}
			}
			c.log.DebugContext(ctx, "task status failed, will retry", "upid", upid, "err", err)
		case st.Status == "stopped":
			exit := strings.TrimSpace(st.ExitStatus)
			if lastRunning >= 0 && (exit == "OK" || warningsRe.MatchString(exit)) {
				// It ended between the two polls.
				c.history.remember(u, age0+(lastRunning+at)/2, (at-lastRunning)/2+50*time.Millisecond)
			}
			return c.finish(ctx, upid, exit, elapsed())
		case st.Status != "running":
			return TaskResult{}, &TaskUnknownError{UPID: upid, Err: fmt.Errorf("unexpected task status %q", st.Status)}
		default:
			fails, running = 0, true
			if lastRunning < 0 && !plan.fixed && !o.NoHistory {
				plan.hist, plan.spread = c.historyWindow(pollCtx, u, age0, plan)
			}
			lastRunning = at
			if plan.readLog(elapsed()) {
				logNext = c.readProgress(pollCtx, upid, logNext, tracker)
				plan.sawPercent(elapsed(), tracker.percent)
			}
			if o.OnProgress != nil {
				o.OnProgress(Progress{Elapsed: elapsed(), Percent: tracker.percent, Line: tracker.line})
			}
		}
		d = max(plan.next(at)-(elapsed()-at), 0) // the plan counts from the poll's start
		if err != nil {
			d = min(d, retryDelay<<(fails-1), sparsePoll) // a failed read is retried soon, whatever the plan
		}
	}
}

// historyWindow predicts the end from earlier tasks of u's type and guest:
// Proxmox's list (once per wait, while it answers) and the client's own.
func (c *Client) historyWindow(ctx context.Context, u pveid.UPID, age0 time.Duration, p *plan) (window, *spread) {
	if u.Type == "" {
		return window{}, nil
	}
	var listed []historySample
	if c.history.listAllowed(u.Node, c.now()) {
		var err error
		p.requests++
		if listed, err = c.recentTasks(ctx, u); err != nil {
			c.history.listFailed(u.Node, c.now())
			c.log.DebugContext(ctx, "task list for the wait's estimate failed", "node", u.Node, "err", err)
		}
	}
	return predict(listed, c.history.own(u), age0)
}

// intervals applies the defaults; with OnProgress the interval stays at or
// below 2s so progress is reported at least that often.
func (o WaitOptions) intervals() (first, limit time.Duration) {
	first, limit = o.MinInterval, o.MaxInterval
	if first <= 0 {
		first = 100 * time.Millisecond
	}
	if limit <= 0 {
		limit = 2 * time.Second
	}
	if o.OnProgress != nil {
		limit = min(limit, progressInterval)
		first = min(first, limit)
	}
	return first, max(limit, first)
}

// transientTaskError: right after a task starts, or while the cluster proxy
// struggles, a status read can fail and succeed a moment later.
func transientTaskError(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return !errors.Is(err, errBadPath) // network error
	}
	switch {
	case e.Status == http.StatusBadRequest || e.Status == http.StatusNotFound:
		return noSuchTask(err)
	case e.Status >= 500 && e.Status != http.StatusNotImplemented:
		return true
	}
	return false
}

// noSuchTask: Proxmox answers 400 "no such task" for a UPID its node does
// not know; a 404 on the status of a UPID Proxmox just gave (a proxy in
// front, a node that lost its task index) says the same: the status path
// will not tell how the task ended.
func noSuchTask(err error) bool {
	e, ok := asAPIError(err)
	return ok && (e.Status == http.StatusNotFound || e.Status == http.StatusBadRequest &&
		(strings.Contains(e.Errors["upid"], "no such task") || strings.Contains(e.Message, "no such task")))
}

func (c *Client) finish(ctx context.Context, upid, exit string, took time.Duration) (TaskResult, error) {
	res := TaskResult{UPID: upid, ExitStatus: exit, Duration: took}
	if exit == "OK" {
		return res, nil
	}
	if m := warningsRe.FindStringSubmatch(exit); m != nil {
		res.WarningCount, _ = strconv.Atoi(m[1])
		warnings, total, err := c.lastWarnings(ctx, upid, TailLines)
		if err != nil {
			c.log.WarnContext(ctx, "could not read warnings of task", "upid", upid, "err", err)
		}
		res.Warnings, res.LogLines = warnings, total
		res.WarningCount = max(res.WarningCount, len(warnings))
		return res, nil
	}
	if exit == "" {
		exit = "unknown exit status"
	}
	fe := &TaskFailedError{UPID: upid, ExitStatus: exit}
	tail, total, err := c.logTail(ctx, upid, TailLines)
	if err != nil {
		c.log.WarnContext(ctx, "could not read log of failed task", "upid", upid, "err", err)
	}
	fe.LogTail, fe.LogLines = tail, total
	return TaskResult{}, fe
}
