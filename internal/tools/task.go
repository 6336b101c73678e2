package tools

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// postTask starts a task with a POST and follows it to its end.
func (c *call) postTask(ctx context.Context, what, path string, form url.Values, out taskOut) (taskOut, error) {
	var upid string
	if err := c.PVE.Post(ctx, path, form, &upid); err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	return out, c.wait(ctx, what, upid, &out)
}

// wait follows a Proxmox task to its end and fills the outcome; it reports
// progress to the client when the request asked for it.
func (c *call) wait(ctx context.Context, what, upid string, out *taskOut) error {
	out.UPID = upid
	if c.async {
		out.Status = "running"
		return nil
	}
	progress := c.progressFunc(ctx)
	opts := pve.WaitOptions{Timeout: c.TaskTimeout, OnProgress: progress}
	res, err := c.PVE.WaitTask(ctx, upid, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if progress != nil {
		progress(pve.Progress{Elapsed: res.Duration, Percent: 100, Line: "TASK " + res.ExitStatus})
	}
	out.ExitStatus = res.ExitStatus
	out.Warnings = res.Warnings
	return nil
}

// progressFunc returns a callback that sends notifications/progress, or nil
// when the client gave no progress token.
func (c *call) progressFunc(ctx context.Context) func(pve.Progress) {
	if c.req == nil || c.req.Params == nil || c.req.Session == nil {
		return nil
	}
	token := c.req.Params.GetProgressToken()
	if token == nil {
		return nil
	}
	var tr progressTracker
	return func(p pve.Progress) {
		value, total := tr.next(p)
		params := &mcp.ProgressNotificationParams{ProgressToken: token, Message: strings.TrimSpace(p.Line),
			Progress: value, Total: total}
		if err := c.req.Session.NotifyProgress(ctx, params); err != nil && c.Logger != nil {
			c.Logger.Debug("progress notification failed", "err", err)
		}
	}
}

// progressTracker turns task progress into values that always increase and
// never pass their total. Until Proxmox prints a percentage the value is the
// elapsed time in seconds, without a total; from the first percentage above
// it, the value is a percentage of 100, held below 100 until the task ends
// (a multi-disk clone restarts at 0% for each disk).
type progressTracker struct {
	last    float64
	percent bool
}

func (t *progressTracker) next(p pve.Progress) (value, total float64) {
	done := p.Percent >= 100 && strings.HasPrefix(p.Line, "TASK ")
	switch {
	case done && t.last < 100:
		t.percent, t.last = true, 100
		return 100, 100
	case p.Percent >= 0 && (t.percent || min(p.Percent, 99.9) > t.last):
		t.percent = true
		v := min(p.Percent, 99.9)
		if v <= t.last {
			v = t.last + (99.99-t.last)/10
		}
		t.last = v
		return v, 100
	case t.percent:
		t.last += (99.99 - t.last) / 10
		return t.last, 100
	}
	v := math.Round(p.Elapsed.Seconds()*10) / 10
	if v <= t.last {
		v = t.last + 0.01
	}
	t.last = v
	return v, 0
}
