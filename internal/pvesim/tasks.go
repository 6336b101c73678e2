package pvesim

import (
	"fmt"
	"sort"
	"strconv"
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
	if sp.node == "" {
		sp.node = c.params["node"]
	}
	if sp.user == "" {
		sp.user = c.authid
	}
	if sp.id == "" && sp.vmid != 0 {
		sp.id = strconv.Itoa(sp.vmid)
	}
	return c.s.startTask(sp).upid, nil
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

// splitUser splits a task user into user and token name.
func splitUser(authid string) (user, token string) {
	u, tok, _ := strings.Cut(authid, "!")
	return u, tok
}

func (t *task) statusJSON() map[string]any {
	user, tok := splitUser(t.user)
	m := map[string]any{
		"upid": t.upid, "node": t.node, "pid": t.pid, "pstart": t.pstart,
		"starttime": t.start.Unix(), "type": t.typ, "id": t.id, "user": user,
		"status": "running",
	}
	if tok != "" {
		m["tokenid"] = tok
	}
	if t.done {
		m["status"] = "stopped"
		m["exitstatus"] = t.exit
	}
	return m
}

func (t *task) listJSON() map[string]any {
	user, tok := splitUser(t.user)
	m := map[string]any{
		"upid": t.upid, "node": t.node, "pid": t.pid, "pstart": t.pstart,
		"starttime": t.start.Unix(), "type": t.typ, "id": t.id, "user": user,
	}
	if tok != "" {
		m["tokenid"] = tok
	}
	if t.done {
		m["endtime"] = t.end.Unix()
		m["status"] = t.exit
	} else {
		m["status"] = "RUNNING"
		m["saved"] = "0"
	}
	return m
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

// renderBytes is PVE::Format::render_bytes: 1024-based with the given precision.
func renderBytes(v float64, prec int) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.*f %s", prec, v, units[i])
}

// renderDuration is PVE::Format::render_duration ("1m 5s", "0s").
func renderDuration(d time.Duration) string {
	secs := int64(d.Seconds())
	if secs == 0 {
		return "0s"
	}
	parts := []string{}
	for _, u := range []struct {
		n int64
		s string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if secs >= u.n {
			parts = append(parts, fmt.Sprintf("%d%s", secs/u.n, u.s))
			secs %= u.n
		}
	}
	return strings.Join(parts, " ")
}

// --- HTTP handlers -----------------------------------------------------------

// findTask resolves a UPID on the node in the path: a task of another node
// is "no such task", as the node looks for its own log file.
func (c *call) findTask() (*task, error) {
	upid := c.params["upid"]
	if _, err := pveid.ParseUPID(upid); err != nil {
		return nil, paramErr("upid", "unable to parse worker upid")
	}
	t := c.st.taskByUPID[upid]
	if t == nil || t.node != c.params["node"] || t.removed {
		return nil, paramErr("upid", "no such task")
	}
	return t, nil
}

// canSeeTask: own tasks, a user's tokens' tasks, or Sys.Audit on the node.
func (c *call) taskOwner(t *task) bool {
	if t.user == c.authid {
		return true
	}
	if !isToken(c.authid) {
		u, _ := splitUser(t.user)
		return u == c.authid
	}
	return false
}

func (c *call) checkTaskAccess(t *task, priv string) error {
	if c.taskOwner(t) {
		return nil
	}
	path := "/nodes/" + t.node
	if !c.s.has(c.authid, path, priv) {
		return permError(path, priv)
	}
	return nil
}

func (s *Sim) taskIndex(c *call) (any, error) {
	if _, err := c.findTask(); err != nil {
		return nil, err
	}
	return []map[string]string{{"name": "log"}, {"name": "status"}}, nil
}

func (s *Sim) taskStatus(c *call) (any, error) {
	t, err := c.findTask()
	if err != nil {
		return nil, err
	}
	if err := c.checkTaskAccess(t, "Sys.Audit"); err != nil {
		return nil, err
	}
	return t.statusJSON(), nil
}

func (s *Sim) taskLog(c *call) (any, error) {
	upid := c.params["upid"]
	t := c.st.taskByUPID[upid]
	if t == nil || t.node != c.params["node"] || t.removed {
		// the log endpoint does not check that the file exists
		c.total = 1
		return []map[string]any{{"n": 1, "t": "unable to open file - No such file or directory"}}, nil
	}
	if err := c.checkTaskAccess(t, "Sys.Audit"); err != nil {
		return nil, err
	}
	lines := t.logLines(c.now)
	if len(lines) == 0 {
		c.total = 1
		return []map[string]any{{"n": 1, "t": "no content"}}, nil
	}
	start := atoiDefault(c.params["start"], 0)
	limit := atoiDefault(c.params["limit"], 50)
	out := []map[string]any{}
	for i := start; i < len(lines) && (limit == 0 || i < start+limit); i++ {
		out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
	}
	c.total = len(lines)
	return out, nil
}

func (s *Sim) stopTask(c *call) (any, error) {
	t, err := c.findTask()
	if err != nil {
		return nil, err
	}
	if err := c.checkTaskAccess(t, "Sys.Modify"); err != nil {
		return nil, err
	}
	s.interrupt(t, c.now)
	return nil, nil
}

func (s *Sim) listTasks(c *call) (any, error) {
	nodeName := c.params["node"]
	source := c.params["source"]
	if source == "" {
		source = "archive"
	}
	audit := c.s.has(c.authid, "/nodes/"+nodeName, "Sys.Audit")
	vmid := c.params["vmid"]
	typ := c.params["typefilter"]
	userf := c.params["userfilter"]
	// As PVE/API2/Tasks.pm: errors drops the OK tasks only and then
	// statusfilter is ignored.
	statusf := splitList(strings.ToLower(c.params["statusfilter"]))
	if c.params["errors"] == "1" {
		statusf = []string{"warning", "error", "unknown"}
	}
	since, hasSince := c.params["since"]
	until, hasUntil := c.params["until"]
	var match []*task
	for i := len(c.st.tasks) - 1; i >= 0; i-- {
		t := c.st.tasks[i]
		if t.node != nodeName || t.removed {
			continue
		}
		if (source == "archive" && !t.done) || (source == "active" && t.done) {
			continue
		}
		if !audit && !c.taskOwner(t) {
			continue
		}
		if vmid != "" && t.id != vmid {
			continue
		}
		// typefilter is an exact type; userfilter a case-insensitive
		// substring of the task's user without its token name.
		if typ != "" && t.typ != typ {
			continue
		}
		if user, _ := splitUser(t.user); userf != "" && !strings.Contains(strings.ToLower(user), strings.ToLower(userf)) {
			continue
		}
		if hasSince && t.start.Unix() < atoi64Default(since, 0) {
			continue
		}
		if hasUntil && t.start.Unix() > atoi64Default(until, 0) {
			continue
		}
		if len(statusf) > 0 && !statusMatches(t, statusf) {
			continue
		}
		match = append(match, t)
	}
	// running tasks first, then newest first by start time
	sort.SliceStable(match, func(i, j int) bool {
		if match[i].done != match[j].done {
			return !match[i].done
		}
		return match[i].start.After(match[j].start)
	})
	start := atoiDefault(c.params["start"], 0)
	limit := atoiDefault(c.params["limit"], 50)
	out := []map[string]any{}
	for i := start; i < len(match) && (limit == 0 || i < start+limit); i++ {
		out = append(out, match[i].listJSON())
	}
	c.total = len(match)
	return out, nil
}

// statusMatches is PVE::Tools::upid_normalize_status_type: a running task
// (no status yet) is "unknown", like a killed one.
func statusMatches(t *task, filter []string) bool {
	kind := "unknown"
	switch {
	case !t.done:
	case t.exit == "OK":
		kind = "ok"
	case strings.HasPrefix(t.exit, "WARNINGS: "):
		kind = "warning"
	case t.exit != "unexpected status":
		kind = "error"
	}
	for _, f := range filter {
		if f == kind {
			return true
		}
	}
	return false
}

// clusterTasks is GET /cluster/tasks: recent tasks of all nodes.
func (s *Sim) clusterTasks(c *call) (any, error) {
	out := []map[string]any{}
	for i := len(c.st.tasks) - 1; i >= 0 && len(out) < 500; i-- {
		t := c.st.tasks[i]
		if t.removed {
			continue
		}
		if !c.taskOwner(t) && !c.s.has(c.authid, "/nodes/"+t.node, "Sys.Audit") {
			continue
		}
		out = append(out, t.listJSON())
	}
	return out, nil
}
