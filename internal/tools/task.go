package tools

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

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
	last := -1.0
	return func(p pve.Progress) {
		params := &mcp.ProgressNotificationParams{ProgressToken: token, Message: strings.TrimSpace(p.Line)}
		if p.Percent >= 0 {
			params.Progress, params.Total = p.Percent, 100
		} else {
			params.Progress = math.Round(p.Elapsed.Seconds()*10) / 10
		}
		// Progress must increase with every notification.
		if params.Progress <= last {
			params.Progress = last + 0.01
		}
		last = params.Progress
		if err := c.req.Session.NotifyProgress(ctx, params); err != nil && c.Logger != nil {
			c.Logger.Debug("progress notification failed", "err", err)
		}
	}
}
