package tools

import (
	"context"
	"math"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// progress sends notifications/progress for one call, in one unit for the
// whole call: a percentage of 100 when the task type prints percentages,
// else the elapsed seconds without a total. Values always increase and
// stay below the total until the task ends.
type progress struct {
	ctx     context.Context
	c       *call
	token   any
	tracker progressTracker
}

// progress returns nil when the client gave no progress token.
func (c *call) progress(ctx context.Context, upid string) *progress {
	if c.req == nil || c.req.Params == nil || c.req.Session == nil || c.stepped {
		return nil
	}
	token := c.req.Params.GetProgressToken()
	if token == nil {
		return nil
	}
	u, _ := pveid.ParseUPID(upid)
	return &progress{ctx: ctx, c: c, token: token, tracker: progressTracker{percent: pve.ReportsPercent(u.Type)}}
}

// callback is the WaitTask hook; nil without a token, so WaitTask does not
// read the log for progress nobody asked for.
func (p *progress) callback() func(pve.Progress) {
	if p == nil {
		return nil
	}
	return func(pr pve.Progress) {
		if v, total, ok := p.tracker.next(pr, false); ok {
			p.send(v, total, pr.Line)
		}
	}
}

// done sends the last notification of a task that finished.
func (p *progress) done(res pve.TaskResult) {
	if p == nil {
		return
	}
	if v, total, ok := p.tracker.next(pve.Progress{Elapsed: res.Duration, Percent: 100}, true); ok {
		p.send(v, total, "TASK "+res.ExitStatus)
	}
}

func (p *progress) send(value, total float64, line string) {
	params := &mcp.ProgressNotificationParams{ProgressToken: p.token, Message: pve.ClipLine(strings.TrimSpace(line)),
		Progress: value, Total: total}
	if err := p.c.req.Session.NotifyProgress(p.ctx, params); err != nil && p.c.Logger != nil {
		p.c.Logger.Debug("progress notification failed", "err", err)
	}
}

const (
	maxRunningPercent = 99   // a running task never shows more
	percentCeiling    = 99.9 // creeping values approach it, never reach it
)

// progressTracker turns task progress into values that always increase, as
// MCP asks, and never pass their total. pve.Progress's percentage never
// goes back already (pve keeps the highest a log showed); here it is held
// at 99 until the end, and a value that did not rise creeps up by a
// thousandth (percent) or a hundredth (seconds); ok is false when the value
// can rise no more, and nothing is sent.
type progressTracker struct {
	percent bool
	sent    bool
	last    float64
}

func (t *progressTracker) next(p pve.Progress, done bool) (value, total float64, ok bool) {
	if t.percent {
		total = 100
		switch {
		case done:
			value = 100
		case p.Percent > 0:
			value = min(p.Percent, maxRunningPercent)
		}
		if t.sent && value <= t.last {
			value = t.last + min(0.001, (percentCeiling-t.last)/2)
		}
	} else {
		value = math.Round(p.Elapsed.Seconds()*10) / 10
		if t.sent && value <= t.last {
			value = t.last + 0.01
		}
	}
	if t.sent && value <= t.last {
		return 0, 0, false // float precision is spent: stay quiet
	}
	t.sent, t.last = true, value
	return value, total, true
}
