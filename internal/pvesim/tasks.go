package pvesim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// task is a worker task. Nothing runs in the background: whether it is still
// running, which log lines it has printed and whether its effect has been
// applied all follow from the simulated clock, and advanceLocked (called on
// every request under the lock) finishes the tasks whose time is up, in end
// time order, applying their effects.
type task struct {
	upid, node, typ, id, user string
	pid, pstart               uint32
	start                     time.Time
	dur                       time.Duration
	// lines appear progressively: line i is visible once the elapsed
	// fraction reaches lines[i].at.
	lines []taskLine
	// failMsg, when set, makes the task end with TASK ERROR: failMsg and
	// run onFail instead of onOK.
	failMsg string
	// failAt is the fraction of lines printed before the error (default 1).
	failAt float64
	// onOK applies the effect; an error turns the task into a failure.
	onOK func(end time.Time) error
	// onFail undoes preparations (locks, half-created guests).
	onFail func()
	// interruptMsg is the exit status when the task is stopped.
	interruptMsg string

	done    bool
	end     time.Time
	exit    string
	log     []string
	killed  bool // vanished: no TASK line, exit "unexpected status"
	removed bool // vanished: the node no longer knows the task
}

type taskLine struct {
	at   float64
	text string
}

// taskSpec describes a task to start.
type taskSpec struct {
	node, typ, id, user string
	dur                 time.Duration // before the speed factor
	lines               []taskLine
	failMsg             string
	failAt              float64
	onOK                func(end time.Time) error
	onFail              func()
	interruptMsg        string
	vmid                int // for fault matching (0 = none)
}

// startTask creates a running task on a node and returns its UPID.
// Callers hold s.mu.
func (s *Sim) startTask(sp taskSpec) *task {
	st := s.st
	now := s.now()
	n := st.node(sp.node)
	st.nextPID += uint32(1 + st.rng.IntN(40))
	pstart := uint32(now.Sub(n.boot).Seconds() * 100)
	dur := time.Duration(float64(sp.dur) * s.opts.Speed)
	t := &task{
		node: sp.node, typ: sp.typ, id: sp.id, user: sp.user,
		pid: st.nextPID, pstart: pstart, start: now, dur: dur,
		lines: sp.lines, failMsg: sp.failMsg, failAt: sp.failAt,
		onOK: sp.onOK, onFail: sp.onFail, interruptMsg: sp.interruptMsg,
	}
	if t.interruptMsg == "" {
		t.interruptMsg = "received interrupt"
	}
	t.upid = pveid.UPID{Node: t.node, PID: uint64(t.pid), PStart: uint64(t.pstart), StartTime: uint64(now.Unix()),
		Type: t.typ, ID: t.id, User: t.user}.String()
	s.applyTaskFaults(t, sp.vmid)
	st.tasks = append(st.tasks, t)
	st.taskByUPID[t.upid] = t
	if dur <= 0 {
		s.finishTask(t, now)
	}
	return t
}

// startTask starts a task for the request and answers its UPID: on the
// request's node, as the caller, with the guest's vmid as the task id,
// unless sp says otherwise. Callers hold s.mu.
func (c *call) startTask(sp taskSpec) (any, error) {
	return c.op().startTask(sp), nil
}

// advanceLocked finishes every task whose end time has passed, oldest end first.
func (s *Sim) advanceLocked() {
	now := s.now()
	var due []*task
	for _, t := range s.st.tasks {
		if !t.done && !t.start.Add(t.dur).After(now) {
			due = append(due, t)
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].start.Add(due[i].dur).Before(due[j].start.Add(due[j].dur)) })
	for _, t := range due {
		s.finishTask(t, t.start.Add(t.dur))
	}
}

func (s *Sim) finishTask(t *task, end time.Time) {
	if t.done {
		return
	}
	t.done = true
	t.end = end
	if t.failMsg == "" && t.onOK != nil {
		if err := t.onOK(end); err != nil {
			t.failMsg = strings.TrimSpace(err.Error())
			if ae, ok := err.(*apiError); ok {
				t.failMsg = strings.TrimSpace(ae.msg)
			}
		}
	} else if t.failMsg != "" && t.onFail != nil {
		t.onFail()
	}
	at := 1.0
	if t.failMsg != "" && t.failAt > 0 {
		at = t.failAt
	}
	var out []string
	warnings := 0
	for _, l := range t.lines {
		if l.at <= at {
			out = append(out, l.text)
			if strings.HasPrefix(l.text, "WARN: ") {
				warnings++
			}
		}
	}
	switch {
	case t.killed:
		t.exit = "unexpected status"
	case t.failMsg != "":
		msg := strings.ReplaceAll(t.failMsg, "\n", " ")
		out = append(out, "TASK ERROR: "+msg)
		t.exit = msg
	case warnings > 0:
		out = append(out, fmt.Sprintf("TASK WARNINGS: %d", warnings))
		t.exit = fmt.Sprintf("WARNINGS: %d", warnings)
	default:
		out = append(out, "TASK OK")
		t.exit = "OK"
	}
	t.log = out
}

// interrupt stops a running task like SIGTERM does.
func (s *Sim) interrupt(t *task, now time.Time) {
	if t.done {
		return
	}
	frac := t.fraction(now)
	t.failMsg = t.interruptMsg
	t.failAt = frac
	if frac == 0 {
		t.failAt = -1
	}
	t.dur = now.Sub(t.start)
	s.finishTask(t, now)
}

func (t *task) fraction(now time.Time) float64 {
	if t.dur <= 0 {
		return 1
	}
	f := float64(now.Sub(t.start)) / float64(t.dur)
	switch {
	case f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}

// logLines returns the lines printed so far.
func (t *task) logLines(now time.Time) []string {
	if t.done {
		return t.log
	}
	frac := t.fraction(now)
	var out []string
	for _, l := range t.lines {
		if l.at <= frac {
			out = append(out, l.text)
		}
	}
	return out
}

// progressLines spreads n progress lines over [from, to] of the task.
func progressLines(from, to float64, n int, text func(i int, frac float64) string) []taskLine {
	out := make([]taskLine, 0, n+1)
	for i := 0; i <= n; i++ {
		frac := float64(i) / float64(n)
		out = append(out, taskLine{at: from + (to-from)*frac, text: text(i, frac)})
	}
	return out
}

// at places lines at one fraction of the task.
func at(frac float64, texts ...string) []taskLine {
	out := make([]taskLine, len(texts))
	for i, t := range texts {
		out[i] = taskLine{at: frac, text: t}
	}
	return out
}

// --- HTTP handlers -----------------------------------------------------------
