package pve

import (
	"context"
	"math"
	"time"
)

// The planned schedule (issue 16): a constant poll interval g answers g/2
// after a task's end at 1/g polls a second, so WaitTask predicts the end
// and polls densely only near it. Figures from the replay in
// taskreplay_test.go.
const (
	firstPoll  = 100 * time.Millisecond // the first poll; then taskprior.go's fast start, or doubling steps before a window
	densePoll  = 250 * time.Millisecond // inside the predicted end's window
	sparsePoll = 3 * time.Second        // far from it; under Proxmox's 5 s keep-alive
	// Log reads are requests too. For the estimate of a task that prints
	// percentages: a few, then one per 4 s of waiting. For progress lines
	// only: while all the wait's requests, and the dense polls a predicted
	// window will take, stay within a few plus 1 a second.
	estimateBurst     = 2
	estimatePerSecond = 0.25
	requestBurst      = 2
	requestPerSecond  = 1.0
	// A log read for the estimate only (no OnProgress) pays from this age on.
	logEstimateAfter = time.Second
)

// window is when the task should end, as time since the wait began.
type window struct {
	lo, hi time.Duration
	ok     bool
}

// plan decides when WaitTask next reads the status, and whether it reads
// the log with it. It holds no clock: WaitTask passes the elapsed time.
type plan struct {
	fixed    bool          // MinInterval/MaxInterval given: their doubling schedule
	step     time.Duration // next fast-start step (fixed: the next interval)
	maxStep  time.Duration // fixed schedule's limit
	progress bool          // OnProgress: a poll at least every progressInterval
	percent  bool          // the task type prints percentages
	age0     time.Duration // the task's age when the wait began

	hist     window  // from earlier tasks that agree; dropped once passed
	spread   *spread // from earlier tasks that do not
	pct      window  // from the log's percentages
	requests int     // made so far: status, list and log reads
	logReads int
	probes   int          // log reads beyond the budget, to find percentages
	p0, p1   percentPoint // first and latest rise seen in the log
}

type percentPoint struct {
	at time.Duration
	p  float64 // -1: none yet
}

func newPlan(o WaitOptions, percent bool, age0 time.Duration) *plan {
	p := &plan{progress: o.OnProgress != nil, percent: percent, age0: age0, step: firstPoll,
		p0: percentPoint{p: -1}, p1: percentPoint{p: -1}}
	if o.MinInterval > 0 || o.MaxInterval > 0 {
		p.fixed = true
		p.step, p.maxStep = o.intervals()
	}
	return p
}

// first is the delay before the first poll: a task Proxmox just started
// has not ended yet.
func (p *plan) first() time.Duration {
	if p.fixed {
		return 0
	}
	d := p.step
	p.step *= 2
	return d
}

// next is the delay after a poll at t that found the task running.
func (p *plan) next(t time.Duration) time.Duration {
	fast := p.step
	if p.fixed {
		p.step = min(p.step*2, p.maxStep)
		return fast
	}
	p.step = min(p.step*2, sparsePoll)
	age := p.age0 + t
	d := priorDelay(age)
	if g, ok := p.spread.gap(t); ok && !p.pct.ok {
		d = min(g, sparsePoll)
		if age < fastStart[len(fastStart)-1] {
			d = min(d, priorDelay(age)) // the fast start stays
		}
	}
	if w := p.window(t); w.ok {
		switch r := w.lo - t; {
		case r <= densePoll/2:
			d = min(fast, densePoll)
		case r <= min(fast, sparsePoll):
			d = r // land on the window's start
		default:
			gap := min(fast, sparsePoll)
			d = r / time.Duration(math.Ceil(float64(r)/float64(gap)))
		}
	}
	if p.progress {
		d = min(d, progressInterval)
	}
	return d
}

// window is the prediction in force at t: the percentages' when there is
// one, else history's; a window that passed is dropped (the task is late).
func (p *plan) window(t time.Duration) window {
	if p.pct.ok && t < p.pct.hi {
		return p.pct
	}
	if p.hist.ok && t < p.hist.hi {
		return p.hist
	}
	p.hist.ok = false
	return window{}
}

// readLog tells whether the poll at t also reads the log: for the estimate
// of a task that prints percentages, or for progress, within the budgets.
func (p *plan) readLog(t time.Duration) bool {
	if p.fixed {
		return p.progress
	}
	var ok bool
	switch {
	case p.percent:
		ok = (p.progress || t >= logEstimateAfter) && float64(p.logReads) < estimateBurst+estimatePerSecond*t.Seconds()
	case p.progress:
		reserve := 0
		if w := p.window(t); w.ok {
			reserve = int((w.hi - max(w.lo, t)) / densePoll)
		}
		ok = float64(p.requests+1+reserve) <= requestBurst+requestPerSecond*t.Seconds()
		// Two probes, at 1 s and 3 s, find a log that prints percentages
		// (sawPercent then reads it as one).
		if !ok && p.probes < 2 && t >= logEstimateAfter*time.Duration(1+2*p.probes) {
			ok = true
			p.probes++
		}
	}
	if ok {
		p.logReads++
		p.requests++
	}
	return ok
}

// sawPercent takes the highest percentage the log showed by t.
func (p *plan) sawPercent(t time.Duration, pc float64) {
	if p.fixed || pc < 0 || pc <= p.p1.p {
		return
	}
	p.percent = true // a log that prints percentages pays to read, whatever the type
	if p.p0.p < 0 {
		p.p0 = percentPoint{t, pc}
	}
	p.p1 = percentPoint{t, pc}
	p.pct = p.percentWindow()
}

// percentWindow extrapolates the percentage's slope to 100. A line is read
// up to a poll after it was written and its figure is rounded down, so
// the window is a line's worth plus a tenth of the time left either side.
func (p *plan) percentWindow() window {
	t1, p1 := p.p1.at, p.p1.p
	if p1 >= 100 {
		return window{lo: t1, hi: t1 + 2*time.Second, ok: true} // finishing up
	}
	var rate float64 // percent a second
	switch {
	case p.p0.p < p1 && p.p0.at < t1:
		rate = (p1 - p.p0.p) / (t1 - p.p0.at).Seconds()
	case p1 > 0:
		rate = p1 / (t1 + p.age0).Seconds() // from the task's start
	}
	if rate <= 0 || math.IsInf(rate, 0) {
		return window{}
	}
	left := (100 - p1) / rate
	unc := 0.5 + 1/rate + 0.1*left
	eta := t1.Seconds() + left
	return window{lo: seconds(eta - unc), hi: seconds(eta + unc), ok: true}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// wait sleeps with the client's clock.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}
