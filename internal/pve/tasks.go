package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TaskStatus is GET /nodes/{node}/tasks/{upid}/status.
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
	u, err := ParseUPID(upid)
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
	u, err := ParseUPID(upid)
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
	Percent float64 // 0..100, or -1 when the log shows no percentage yet
	Line    string  // latest non-empty log line
}

// WaitOptions tunes WaitTask.
type WaitOptions struct {
	Timeout     time.Duration  // 0 -> no timeout beyond ctx
	MinInterval time.Duration  // default 100ms
	MaxInterval time.Duration  // default 2s (doubling from MinInterval)
	OnProgress  func(Progress) // optional; called on every poll while running (at least every ~2s)
}

// TaskResult is a task that finished successfully.
type TaskResult struct {
	UPID       string
	ExitStatus string   // "OK" or "WARNINGS: n"
	Warnings   []string // the WARN: lines (without the prefix) when ExitStatus is WARNINGS
	Duration   time.Duration
}

// TaskFailedError is a task that stopped with an error exit status.
type TaskFailedError struct {
	UPID, ExitStatus string
	LogTail          []string // last lines of the task log (up to 25)
}

func (e *TaskFailedError) Error() string {
	msg := fmt.Sprintf("task %s failed: %s", e.UPID, e.ExitStatus)
	if e.ExitStatus == "unexpected status" {
		msg += " (its worker ended without reporting a result: killed, or the node restarted; check what it got done)"
	}
	if len(e.LogTail) > 0 {
		msg += "\n" + strings.Join(e.LogTail, "\n")
	}
	return msg
}

// TaskTimeoutError means WaitTask stopped waiting; the task itself goes on.
type TaskTimeoutError struct {
	UPID   string
	Waited time.Duration
}

func (e *TaskTimeoutError) Error() string {
	return fmt.Sprintf("task %s did not finish within %v; it is still running in Proxmox and can be followed by its UPID",
		e.UPID, e.Waited.Round(time.Millisecond))
}

const (
	logTailLines      = 25
	maxTransientFails = 5
	progressInterval  = 2 * time.Second
)

var warningsRe = regexp.MustCompile(`^WARNINGS: \d+$`)

// WaitTask polls the task until it stops. OK and "WARNINGS: n" give a result;
// any other exit status gives *TaskFailedError with the log tail; Timeout
// gives *TaskTimeoutError; the end of ctx gives its error, wrapped. Waiting
// never stops the task in Proxmox.
func (c *Client) WaitTask(ctx context.Context, upid string, o WaitOptions) (TaskResult, error) {
	begin := time.Now()
	if _, err := ParseUPID(upid); err != nil {
		return TaskResult{}, err
	}
	interval, maxInterval := o.intervals()

	pollCtx := ctx
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		pollCtx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	// stopped says why waiting must end early, or nil to go on.
	stopped := func() error {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("wait for task %s: %w", upid, err)
		}
		if pollCtx.Err() != nil {
			return &TaskTimeoutError{UPID: upid, Waited: time.Since(begin)}
		}
		return nil
	}

	var tracker *progressTracker
	logNext := 0 // lines of the log already read for progress
	if o.OnProgress != nil {
		tracker = newProgressTracker()
	}
	fails := 0
	for {
		st, err := c.TaskStatus(pollCtx, upid)
		switch {
		case err != nil:
			if serr := stopped(); serr != nil {
				return TaskResult{}, serr
			}
			fails++
			if !transientTaskError(err) || fails > maxTransientFails {
				if noSuchTask(err) {
					return TaskResult{}, fmt.Errorf("wait for task %s: the node no longer knows this task (removed, or the node restarted); "+
						"whether it finished is unknown: %w", upid, err)
				}
				return TaskResult{}, fmt.Errorf("wait for task %s: %w", upid, err)
			}
			c.log.DebugContext(ctx, "task status failed, will retry", "upid", upid, "err", err)
		case st.Status == "stopped":
			return c.finish(ctx, upid, strings.TrimSpace(st.ExitStatus), time.Since(begin))
		case st.Status != "running":
			return TaskResult{}, fmt.Errorf("wait for task %s: unexpected task status %q", upid, st.Status)
		default:
			fails = 0
			if tracker != nil {
				logNext = c.readProgress(pollCtx, upid, logNext, tracker)
				o.OnProgress(Progress{Elapsed: time.Since(begin), Percent: tracker.percent, Line: tracker.line})
			}
		}

		t := time.NewTimer(interval)
		select {
		case <-pollCtx.Done():
			t.Stop()
			return TaskResult{}, stopped()
		case <-t.C:
		}
		interval = min(interval*2, maxInterval)
	}
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
	case e.Status == http.StatusBadRequest:
		return noSuchTask(err)
	case e.Status >= 500 && e.Status != http.StatusNotImplemented:
		return true
	}
	return false
}

func noSuchTask(err error) bool {
	e, ok := asAPIError(err)
	return ok && e.Status == http.StatusBadRequest &&
		(strings.Contains(e.Errors["upid"], "no such task") || strings.Contains(e.Message, "no such task"))
}

// readProgress feeds log lines from line from on to the tracker and returns
// where the next read starts. Errors are ignored: progress is best effort.
func (c *Client) readProgress(ctx context.Context, upid string, from int, p *progressTracker) int {
	lines, total, err := c.TaskLog(ctx, upid, from, 0)
	if err != nil {
		c.log.DebugContext(ctx, "task log read failed", "upid", upid, "err", err)
		return from
	}
	// An empty log reads as one placeholder line; do not skip past it.
	if from == 0 && total == 1 && len(lines) == 1 && lines[0].T == "no content" {
		return 0
	}
	for _, l := range lines {
		p.add(l.T)
	}
	return from + len(lines)
}

func (c *Client) finish(ctx context.Context, upid, exit string, took time.Duration) (TaskResult, error) {
	res := TaskResult{UPID: upid, ExitStatus: exit, Duration: took}
	switch {
	case exit == "OK":
		return res, nil
	case warningsRe.MatchString(exit):
		lines, err := c.fullLog(ctx, upid)
		if err != nil {
			c.log.WarnContext(ctx, "could not read warnings of task", "upid", upid, "err", err)
		}
		for _, l := range lines {
			if w, ok := strings.CutPrefix(l.T, "WARN: "); ok {
				res.Warnings = append(res.Warnings, w)
			}
		}
		return res, nil
	}
	if exit == "" {
		exit = "unknown exit status"
	}
	fe := &TaskFailedError{UPID: upid, ExitStatus: exit}
	tail, err := c.logTail(ctx, upid, logTailLines)
	if err != nil {
		c.log.WarnContext(ctx, "could not read log of failed task", "upid", upid, "err", err)
	}
	fe.LogTail = tail
	return TaskResult{}, fe
}

// fullLog reads the whole log, paging in case the server caps a request.
func (c *Client) fullLog(ctx context.Context, upid string) ([]LogLine, error) {
	var all []LogLine
	for range 1000 {
		lines, total, err := c.TaskLog(ctx, upid, len(all), 0)
		if err != nil {
			return all, err
		}
		all = append(all, lines...)
		if len(lines) == 0 || len(all) >= total {
			break
		}
	}
	return all, nil
}

// logTail returns the last n lines: one read when the log is short, else a
// second read of the tail using the total from the first.
func (c *Client) logTail(ctx context.Context, upid string, n int) ([]string, error) {
	lines, total, err := c.TaskLog(ctx, upid, 0, n)
	if err != nil {
		return nil, err
	}
	if total > len(lines) {
		if lines, _, err = c.TaskLog(ctx, upid, total-n, n); err != nil {
			return nil, err
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.T
	}
	return out, nil
}
