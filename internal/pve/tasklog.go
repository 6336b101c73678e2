package pve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

const (
	// TailLines is how many log lines or warnings a task result carries;
	// the rest is paged with TaskLog.
	TailLines = 20
	// maxLineBytes clips one line of a tail: a worker can print anything.
	maxLineBytes = 1000
	// logPage is the most lines one log read asks for, so a task with tens
	// of thousands of lines never comes back in one answer.
	logPage = 1000
	// maxWarningPages bounds the backward scan for warnings.
	maxWarningPages = 50
)

// taskText is a text of a task answer: a JSON string, or a bare number
// (an id or a log line that Perl last used as a number).
type taskText string

func (t *taskText) UnmarshalJSON(b []byte) error {
	if s := strings.TrimSpace(string(b)); s == "null" {
		*t = ""
		return nil
	} else if strings.HasPrefix(s, `"`) {
		var v string
		err := json.Unmarshal(b, &v)
		*t = taskText(v)
		return err
	}
	var num json.Number
	if err := json.Unmarshal(b, &num); err != nil {
		return fmt.Errorf("not a string or number: %s", truncate(string(b), 40))
	}
	*t = taskText(num.String())
	return nil
}

func (s *TaskStatus) UnmarshalJSON(b []byte) error {
	var w struct {
		UPID       taskText `json:"upid"`
		Node       taskText `json:"node"`
		Status     taskText `json:"status"`
		ExitStatus taskText `json:"exitstatus"`
		Type       taskText `json:"type"`
		ID         taskText `json:"id"`
		User       taskText `json:"user"`
		TokenID    taskText `json:"tokenid"`
		StartTime  Int      `json:"starttime"`
		PID        Int      `json:"pid"`
	}
	// Reject what is not an object: a zero status would read as "unknown state".
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("task status: want an object, got %s", truncate(string(t), 60))
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("task status: %w", err)
	}
	*s = TaskStatus{UPID: string(w.UPID), Node: string(w.Node), Status: string(w.Status), ExitStatus: string(w.ExitStatus),
		Type: string(w.Type), ID: string(w.ID), User: string(w.User), TokenID: string(w.TokenID),
		StartTime: int64(w.StartTime), PID: int64(w.PID)}
	return nil
}

func (l *LogLine) UnmarshalJSON(b []byte) error {
	var w struct {
		N Int      `json:"n"`
		T taskText `json:"t"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("task log line: %w", err)
	}
	*l = LogLine{N: int(w.N), T: string(w.T)}
	return nil
}

// ClipLine shortens one log line for a result.
func ClipLine(s string) string { return truncate(s, maxLineBytes) }

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// logTail returns the last n lines, clipped, and the log's line count: one
// read when the log is short, else a second read of the tail.
func (c *Client) logTail(ctx context.Context, upid string, n int) ([]string, int, error) {
	lines, total, err := c.TaskLog(ctx, upid, 0, n)
	if err != nil {
		return nil, 0, err
	}
	if total > len(lines) {
		var t2 int
		if lines, t2, err = c.TaskLog(ctx, upid, total-n, n); err != nil {
			return nil, 0, err
		}
		total = max(total, t2)
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = ClipLine(l.T)
	}
	return out, total, nil
}

// lastWarnings returns the last n WARN: lines (without the prefix, clipped)
// and the log's line count. It reads backwards a page at a time, so a task
// with 50 000 warnings costs a few reads, not the whole log.
func (c *Client) lastWarnings(ctx context.Context, upid string, n int) ([]string, int, error) {
	first, total, err := c.TaskLog(ctx, upid, 0, logPage)
	if err != nil {
		return nil, 0, err
	}
	var found []string // newest first
	scan := func(lines []LogLine) {
		for i := len(lines) - 1; i >= 0 && len(found) < n; i-- {
			if w, ok := strings.CutPrefix(lines[i].T, "WARN: "); ok {
				found = append(found, ClipLine(w))
			}
		}
	}
	end := total
	for page := 0; end > len(first) && len(found) < n && page < maxWarningPages; page++ {
		start := max(end-logPage, len(first))
		lines, _, err := c.TaskLog(ctx, upid, start, end-start)
		if err != nil {
			slices.Reverse(found)
			return found, total, err
		}
		if len(lines) == 0 {
			break
		}
		scan(lines)
		end = start
	}
	if end <= len(first) {
		scan(first[:end])
	}
	slices.Reverse(found)
	return found, total, nil
}

// readProgress feeds the log lines from line from on to the tracker and
// returns where the next read starts. Errors are ignored: progress is best
// effort. A long stretch logged between two polls is read at its end only.
func (c *Client) readProgress(ctx context.Context, upid string, from int, p *progressTracker) int {
	lines, total, err := c.TaskLog(ctx, upid, from, logPage)
	if err != nil {
		c.log.DebugContext(ctx, "task log read failed", "upid", upid, "err", err)
		return from
	}
	// An empty log reads as one placeholder line; do not skip past it.
	if from == 0 && total == 1 && len(lines) == 1 && lines[0].T == "no content" {
		return 0
	}
	next := from + len(lines)
	if total > next+logPage {
		tail, _, err := c.TaskLog(ctx, upid, total-logPage, logPage)
		if err == nil && len(tail) > 0 {
			lines, next = append(lines, tail...), total-logPage+len(tail)
		}
	}
	for _, l := range lines {
		p.add(l.T)
	}
	return next
}
