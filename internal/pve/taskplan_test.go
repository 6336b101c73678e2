package pve

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

const ms = time.Millisecond

// steps runs the plan from the first poll and returns the delays.
func steps(p *plan, n int) []time.Duration {
	out := []time.Duration{p.first()}
	t := out[0]
	for range n {
		d := p.next(t)
		out = append(out, d)
		t += d
	}
	return out
}

func TestPlanNothingKnown(t *testing.T) {
	// The fast start, then polls on the 2-60 s spread's grid: about 1.25 s
	// apart at first, closing in toward a minute, never under 0.2 s; then
	// sparser with the age.
	p := newPlan(WaitOptions{}, false, 0)
	polls := []time.Duration{p.first()}
	for polls[len(polls)-1] < 90*time.Second {
		tm := polls[len(polls)-1]
		polls = append(polls, tm+p.next(tm))
	}
	if got, want := fmt.Sprint(polls[:2]), fmt.Sprint([]time.Duration{100 * ms, 700 * ms}); got != want {
		t.Errorf("fast start %s, want %s", got, want)
	}
	if first := polls[2]; first < 2600*ms || first > 2800*ms {
		t.Errorf("first poll of the spread at %v, want about 2.69 s", first)
	}
	last := time.Duration(0)
	var within int
	for i := 3; i < len(polls); i++ {
		gap, tm := polls[i]-polls[i-1], polls[i-1]
		switch {
		case gap < priorMin:
			t.Errorf("at %v: gap %v", tm, gap)
		case tm > 5*time.Second && tm < priorUntil-2*time.Second && gap > last+10*ms:
			t.Errorf("at %v: gap %v grows from %v inside the spread", tm, gap, last)
		case tm >= priorUntil && gap < lateMin:
			t.Errorf("at %v, past the spread: gap %v", tm, gap)
		}
		if gap > 1450*ms && tm < priorUntil {
			t.Errorf("at %v: gap %v", tm, gap)
		}
		if tm < priorUntil {
			within++
		}
		last = gap
	}
	// sqrt(58)/0.0925 grid steps, less those closer than 0.2 s.
	if within < 70 || within > 85 {
		t.Errorf("%d polls before a minute", within)
	}
	// A wait that begins on an older task joins the grid.
	if d := newPlan(WaitOptions{}, false, 30*time.Second).next(0); d < priorMin || d > time.Second {
		t.Errorf("a 30 s old task: next poll after %v", d)
	}
	// The caller's intervals keep their doubling schedule, from an immediate poll.
	got := fmt.Sprint(steps(newPlan(WaitOptions{MinInterval: ms, MaxInterval: 4 * ms}, false, 0), 4))
	if want := fmt.Sprint([]time.Duration{0, ms, 2 * ms, 4 * ms, 4 * ms}); got != want {
		t.Errorf("fixed delays %s, want %s", got, want)
	}
}

func TestPlanWindow(t *testing.T) {
	p := newPlan(WaitOptions{}, false, 0)
	p.hist = window{lo: 30 * time.Second, hi: 32 * time.Second, ok: true}
	tm := p.first()
	var polls []time.Duration
	for tm < 40*time.Second {
		polls = append(polls, tm)
		d := p.next(tm)
		switch {
		case tm < 1500*ms && d > tm+100*ms:
			t.Errorf("at %v: %v, past the fast start", tm, d)
		case tm+d > 30*time.Second && tm < 30*time.Second && tm+d != 30*time.Second:
			t.Errorf("at %v: %v passes the window's start", tm, d)
		case tm >= 30*time.Second && tm < 32*time.Second && d != densePoll:
			t.Errorf("at %v in the window: %v", tm, d)
		case tm >= 32*time.Second && d != priorDelay(tm):
			t.Errorf("at %v after the window: %v", tm, d)
		case d > sparsePoll:
			t.Errorf("at %v: %v", tm, d)
		}
		tm += d
	}
	if n := len(polls); n > 34 {
		t.Errorf("%d polls: %v", n, polls)
	}
	if p.hist.ok {
		t.Error("a passed window stays")
	}
	// Progress comes at least every 2 s.
	p = newPlan(WaitOptions{OnProgress: func(Progress) {}}, false, 0)
	p.hist = window{lo: time.Minute, hi: time.Minute + time.Second, ok: true}
	for _, d := range steps(p, 20) {
		if d > progressInterval {
			t.Errorf("delay %v with OnProgress", d)
		}
	}
}

func TestPlanPercent(t *testing.T) {
	p := newPlan(WaitOptions{}, true, 0)
	if p.readLog(500 * ms) {
		t.Error("a log read for the estimate before a second")
	}
	p.sawPercent(2*time.Second, 10)
	p.sawPercent(4*time.Second, 10) // no rise: the first sighting counts
	p.sawPercent(6*time.Second, 30)
	w := p.window(6 * time.Second)
	// 20% in 4 s: 70% more take 14 s, so the end is near 20 s.
	if !w.ok || w.lo > 20*time.Second || w.hi < 20*time.Second || w.hi-w.lo > 5*time.Second {
		t.Errorf("window %+v", w)
	}
	p.sawPercent(19*time.Second, 100)
	if w := p.window(19 * time.Second); !w.ok || w.lo != 19*time.Second || w.hi != 21*time.Second {
		t.Errorf("at 100%%: %+v", w)
	}
	// The estimate's reads stay within 2 + 0.25/s.
	p = newPlan(WaitOptions{}, true, 0)
	reads := 0
	for tm := time.Duration(0); tm < time.Minute; tm += 250 * ms {
		if p.readLog(tm) {
			reads++
		}
	}
	if reads > 2+15 || reads < 10 {
		t.Errorf("%d log reads in a minute", reads)
	}
}

func TestPredict(t *testing.T) {
	s := func(upid string, start uint64, dur time.Duration) historySample {
		return historySample{upid: upid, start: start, dur: dur, unc: time.Second}
	}
	agree := []historySample{s("a", 1, 20*time.Second), s("b", 2, 21*time.Second), s("c", 3, 22*time.Second)}
	if w, _ := predict(agree, nil, 0); !w.ok || w.lo != 19*time.Second || w.hi != 23*time.Second+historySlack {
		t.Errorf("agreeing: %+v", w)
	}
	if w, _ := predict(agree, nil, 5*time.Second); w.lo != 14*time.Second {
		t.Errorf("task 5 s old: %+v", w)
	}
	if w, _ := predict(agree[:1], nil, 0); w.ok {
		t.Errorf("one sample: %+v", w)
	}
	scattered := []historySample{s("a", 1, 5*time.Second), s("b", 2, 40*time.Second), s("c", 3, 21*time.Second)}
	if w, _ := predict(scattered, nil, 0); w.ok {
		t.Errorf("scattered: %+v", w)
	}
	// Only the newest five count: old outliers do not spoil it.
	old := append([]historySample{s("x", 0, time.Hour)}, append(agree, s("d", 4, 20*time.Second), s("e", 5, 21*time.Second))...)
	if w, _ := predict(old, nil, 0); !w.ok {
		t.Errorf("old outlier: %+v", w)
	}
	// The client's own figure of a listed task replaces Proxmox's.
	own := []historySample{{upid: "c", start: 3, dur: 20500 * ms, unc: 100 * ms}}
	if w, _ := predict(agree[1:], own, 0); !w.ok || w.hi != 22*time.Second+historySlack {
		t.Errorf("own over listed: %+v", w)
	}
}

func TestHistoryBounded(t *testing.T) {
	var h taskHistory
	for i := range historyKeys + 10 {
		u := pveid.UPID{Node: "pve1", Type: "qmstart", ID: fmt.Sprint(100 + i), Raw: fmt.Sprint(i)}
		for k := range historySamples + 3 {
			u.StartTime = uint64(k)
			h.remember(u, time.Second, 0)
		}
	}
	if len(h.samples) != historyKeys || len(h.order) != historyKeys {
		t.Errorf("%d kinds, %d in order", len(h.samples), len(h.order))
	}
	if _, ok := h.samples[historyKey{"pve1", "qmstart", "100"}]; ok {
		t.Error("the oldest kind stays")
	}
	for k, s := range h.samples {
		if len(s) != historySamples {
			t.Errorf("%v: %d samples", k, len(s))
		}
	}
}

// recentTasks asks for the task's own node, type and guest, and keeps only
// other tasks that ended well.
func TestRecentTasks(t *testing.T) {
	var query string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Path + "?" + r.URL.RawQuery
		writeJSON(w, `{"data":[
{"upid":"`+testUPID+`","type":"qmclone","id":"100","status":"OK","starttime":10,"endtime":20},
{"upid":"U1","type":"qmclone","id":"100","status":"OK","starttime":"100","endtime":"130"},
{"upid":"U2","type":"qmclone","id":"100","status":"WARNINGS: 2","starttime":200,"endtime":220},
{"upid":"U3","type":"qmclone","id":"100","status":"clone failed: no space","starttime":300,"endtime":301},
{"upid":"U4","type":"qmclone","id":"101","status":"OK","starttime":400,"endtime":420},
{"upid":"U5","type":"qmclone","id":"100","status":"OK","starttime":500}],"total":6}`)
	})
	u, _ := pveid.ParseUPID(testUPID)
	got, err := c.recentTasks(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if want := "/api2/json/nodes/pve2/tasks?limit=20&source=archive&typefilter=qmclone&vmid=100"; query != want {
		t.Errorf("query %s, want %s", query, want)
	}
	if len(got) != 2 || got[0].upid != "U1" || got[0].dur != 30*time.Second || got[1].dur != 20*time.Second {
		t.Errorf("samples %+v", got)
	}
	if _, _, ok := HistoryRequest(strings.Replace(testUPID, ":100:", "::", 1)); ok {
		t.Error("a task without a guest has a history request")
	}
}

// NoHistory keeps WaitTask off the node's task list; without it the list
// is read once per wait.
func TestWaitTaskNoHistory(t *testing.T) {
	for _, no := range []bool{true, false} {
		e := newReplayEnv(t)
		r := e.r
		r.start, r.end = r.now, r.now.Add(5*time.Second)
		r.upid = fmt.Sprintf("UPID:pve1:00001234:00ABCDEF:%08X:qmstart:100:root@pam:", r.start.Unix())
		r.history = []taskRow{}
		if _, err := e.c.WaitTask(context.Background(), r.upid, WaitOptions{NoHistory: no}); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 0, false: 1}[no]; r.lists != want {
			t.Errorf("NoHistory %v: %d list reads, want %d", no, r.lists, want)
		}
	}
}

// Durations spread over 2-60 s: sparse polls early, where few runs ended,
// dense late, where the rest must; none past the longest.
func TestSpread(t *testing.T) {
	var all []historySample
	for i := range 12 {
		all = append(all, historySample{upid: fmt.Sprint(i), dur: seconds(2 + 58*float64(i)/11)})
	}
	if newSpread(all[:spreadMin-1], 0) != nil {
		t.Error("a spread from too few durations")
	}
	s := newSpread(all, 0)
	early, ok1 := s.gap(5 * time.Second)
	late, ok2 := s.gap(55 * time.Second)
	if !ok1 || !ok2 || early <= late || late > time.Second || early > 3*time.Second {
		t.Errorf("gap at 5 s %v (%v), at 55 s %v (%v)", early, ok1, late, ok2)
	}
	if _, ok := s.gap(2 * time.Minute); ok {
		t.Error("a gap past the longest run")
	}
	// Scattered durations give a spread, agreeing ones a window.
	if w, sp := predict(all, nil, 0); w.ok || sp == nil {
		t.Errorf("scattered: %+v %v", w, sp)
	}
}

// Earlier runs of minutes that disagree keep the first minute sparse: the
// even 2-60 s prior must not draw the polls there.
func TestSpreadOfLongRuns(t *testing.T) {
	for _, base := range []float64{300, 3600} {
		var all []historySample
		for i := range 10 {
			all = append(all, historySample{upid: fmt.Sprint(i), dur: seconds(base * (1 + 1.5*float64(i)/9))})
		}
		p := newPlan(WaitOptions{}, false, 0)
		p.spread = newSpread(all, 0)
		polls, tm := 0, p.first()
		for tm < time.Minute {
			polls++
			d := p.next(tm)
			if d <= 0 || d > sparsePoll {
				t.Fatalf("base %v s, at %v: delay %v", base, tm, d)
			}
			tm += d
		}
		if polls > 30 {
			t.Errorf("runs of %v-%v s: %d polls in the first minute", base, 2.5*base, polls)
		}
	}
}
