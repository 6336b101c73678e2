package pve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The replay runs WaitTask against a Proxmox in memory on a virtual clock:
// no sleeping, no sockets, the same figures on every run.

// replayTask is one task of the replay and the Proxmox that runs it.
type replayTask struct {
	upid       string
	start, end time.Time // virtual
	percent    bool      // the log prints a percentage every second
	history    []taskRow // the node's finished tasks of this type and guest
	noList     bool      // the list answers 501, as a fake that lacks it

	now                        time.Time
	latency                    time.Duration // per request, half before and half after it is answered
	status, logs, lists, other int
}

func (r *replayTask) RoundTrip(req *http.Request) (*http.Response, error) {
	r.now = r.now.Add(r.latency / 2)
	body, code := r.answer(req)
	r.now = r.now.Add(r.latency / 2)
	return &http.Response{StatusCode: code, Header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

func (r *replayTask) answer(req *http.Request) ([]byte, int) {
	path := strings.TrimPrefix(req.URL.EscapedPath(), "/api2/json")
	running := r.now.Before(r.end)
	var data any
	switch {
	case strings.HasSuffix(path, "/status"):
		r.status++
		st := map[string]any{"upid": r.upid, "status": "running"}
		if !running {
			st["status"], st["exitstatus"] = "stopped", "OK"
		}
		data = st
	case strings.HasSuffix(path, "/log"):
		r.logs++
		start, _ := strconv.Atoi(req.URL.Query().Get("start"))
		lines := r.logLines()
		out := []map[string]any{}
		for i := start; i < len(lines); i++ {
			out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
		}
		b, _ := json.Marshal(map[string]any{"data": out, "total": len(lines)})
		return b, http.StatusOK
	case path == "/nodes/pve1/tasks" && !r.noList:
		r.lists++
		data = r.history
	default:
		r.other++
		return []byte(`{"data":null}`), http.StatusNotImplemented
	}
	b, _ := json.Marshal(map[string]any{"data": data})
	return b, http.StatusOK
}

// logLines is the log written by now: with percentages, one line a second.
func (r *replayTask) logLines() []string {
	lines := []string{"starting"}
	if r.percent {
		total := r.end.Sub(r.start).Seconds()
		for k := 1; float64(k) < total && r.start.Add(time.Duration(k)*time.Second).Before(r.now); k++ {
			lines = append(lines, fmt.Sprintf("progress %d%% (read %d bytes, duration %d sec)", int(100*float64(k)/total), k<<20, k))
		}
	}
	if !r.now.Before(r.end) {
		lines = append(lines, "TASK OK")
	}
	return lines
}

type scenario int

const (
	noInfo       scenario = iota
	percentLines          // the log prints a percentage a second
	repeated              // Proxmox lists earlier runs of the task, within a few percent
	sameLength            // no list; the client saw the earlier runs of the same length
	mixed                 // one guest, lengths all over 2..60 s; the list holds them
	percentStart          // percentages in the log of a type that seldom prints them (qmstart)
)

func (s scenario) String() string {
	return [...]string{"no-info", "percent", "history", "own-history", "mixed", "percent-qmstart"}[s]
}

// replayLengths are task lengths spread over 2..60 s (a golden-ratio
// sequence: even, and never on whole seconds only).
func replayLengths(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		_, f := math.Modf(0.5 + float64(i)*0.6180339887498949)
		out[i] = seconds(2 + 58*f)
	}
	return out
}

// replayFigures are a scenario's totals over its tasks.
type replayFigures struct {
	tasks           int
	lag, busy       time.Duration // summed: answer - end, task lengths
	maxLag          time.Duration
	status, request int
}

func (f replayFigures) meanLag() float64     { return f.lag.Seconds() / float64(f.tasks) }
func (f replayFigures) statusRate() float64  { return float64(f.status) / f.busy.Seconds() }
func (f replayFigures) requestRate() float64 { return float64(f.request) / f.busy.Seconds() }

// replayEnv is one client and the Proxmox it talks to, for a run of tasks.
type replayEnv struct {
	r        *replayTask
	c        *Client
	finished []taskRow // newest first
}

func newReplayEnv(t testing.TB) *replayEnv {
	r := &replayTask{latency: 20 * time.Millisecond, now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c, err := New(Options{BaseURL: "http://127.0.0.1:8006", TokenID: testTokenID, TokenSecret: testSecret,
		HTTPClient: &http.Client{Transport: r}})
	if err != nil {
		t.Fatal(err)
	}
	c.now = func() time.Time { return r.now }
	c.sleep = func(ctx context.Context, d time.Duration) error {
		r.now = r.now.Add(d)
		return ctx.Err()
	}
	return &replayEnv{r: r, c: c}
}

// run waits for task i, of length d, and returns its lag.
func (e *replayEnv) run(t testing.TB, sc scenario, i int, d time.Duration, progress bool) time.Duration {
	r := e.r
	begin := r.now.Add(time.Hour + time.Duration(i%10)*97*time.Millisecond)
	typ := "qmstart"
	if sc == percentLines {
		typ = "qmclone"
	}
	r.start, r.now, r.end = begin.Add(-10*time.Millisecond), begin, begin.Add(-10*time.Millisecond+d)
	r.upid = fmt.Sprintf("UPID:pve1:%08X:00ABCDEF:%08X:%s:100:root@pam:", 0x1000+i, r.start.Unix(), typ)
	r.percent, r.noList = sc == percentLines || sc == percentStart, sc == sameLength
	r.status, r.logs, r.lists, r.other = 0, 0, 0, 0
	r.history = []taskRow{}
	switch sc {
	case repeated:
		// Earlier runs took within a few percent of this one, in whole seconds.
		for k, jitter := range []float64{-0.03, 0.02, -0.01, 0.03, 0} {
			s := begin.Add(-time.Duration(k+1) * 10 * time.Minute).Add(time.Duration(k) * 333 * time.Millisecond)
			e := s.Add(seconds(d.Seconds() * (1 + jitter)))
			r.history = append(r.history, taskRow{UPID: taskText(fmt.Sprintf("UPID:pve1:0000%04X:00ABCDEF:%08X:%s:100:root@pam:", k, s.Unix(), typ)),
				Type: taskText(typ), ID: "100", Status: "OK", StartTime: Int(s.Unix()), EndTime: Int(e.Unix())})
		}
	case mixed:
		r.history = e.finished
	}
	var o WaitOptions
	last := time.Duration(-1)
	if progress {
		o.OnProgress = func(p Progress) {
			if last >= 0 && p.Elapsed-last > progressInterval+r.latency*3 {
				t.Errorf("%s task %v: progress after %v, then after %v", sc, d, last, p.Elapsed)
			}
			last = p.Elapsed
		}
	}
	if _, err := e.c.WaitTask(context.Background(), r.upid, o); err != nil {
		t.Fatalf("%s task %v: %v", sc, d, err)
	}
	if r.other > 0 && !r.noList {
		t.Fatalf("%s: %d requests the replay does not serve", sc, r.other)
	}
	e.finished = append([]taskRow{{UPID: taskText(r.upid), Type: taskText(typ), ID: "100", Status: "OK",
		StartTime: Int(r.start.Unix()), EndTime: Int(r.end.Unix())}}, e.finished...)
	return r.now.Sub(r.end)
}

// replay runs the tasks of a scenario, each length on a fresh client but
// mixed's, that all run on one.
func replay(t testing.TB, sc scenario, lengths []time.Duration, progress bool) replayFigures {
	var f replayFigures
	var e *replayEnv
	for i, d := range lengths {
		if e == nil || sc != mixed {
			e = newReplayEnv(t)
		}
		if sc == sameLength {
			// Three runs of each length: the first two teach the third.
			for k := range 2 {
				e.run(t, sc, 3*i+k, d, progress)
			}
		}
		lag := e.run(t, sc, 3*i+2, d, progress)
		r := e.r
		if lag < 0 {
			t.Fatalf("%s task %v: answered %v before its end", sc, d, -lag)
		}
		f.tasks++
		f.lag += lag
		f.maxLag = max(f.maxLag, lag)
		f.busy += d
		f.status += r.status
		f.request += r.status + r.logs + r.lists + r.other
	}
	return f
}

// TestReplayFigures holds the planner to its figures over 100 tasks of
// 2-60 s (requests take 20 ms): mean lag from the task's end to the
// answer, status polls and all requests per second of task.
func TestReplayFigures(t *testing.T) {
	lengths := replayLengths(100)
	for _, tc := range []struct {
		sc                    scenario
		progress              bool
		lag, status, requests float64
	}{
		{noInfo, false, 0.5, 1.0, 1.03}, // the even 2-60 s prior's grid
		{noInfo, true, 0.5, 1.0, 1.2},
		{percentLines, false, 0.16, 0.6, 0.95},
		{percentLines, true, 0.16, 0.75, 1.1},
		{repeated, false, 0.14, 0.74, 0.77},
		{repeated, true, 0.14, 0.87, 1.0},
		{sameLength, false, 0.15, 0.6, 0.62},
		{mixed, false, 0.5, 1.0, 1.03}, // the spread of earlier lengths, with the prior, shapes the grid
		{mixed, true, 0.5, 1.0, 1.18},
		{percentStart, false, 0.5, 1.0, 1.03}, // the log is not read: no progress asked, a type without percentages
		{percentStart, true, 0.18, 0.75, 1.1},
	} {
		f := replay(t, tc.sc, lengths, tc.progress)
		t.Logf("%s progress=%v: mean lag %.3f s (max %.3f), %.3f status polls/s, %.3f requests/s",
			tc.sc, tc.progress, f.meanLag(), f.maxLag.Seconds(), f.statusRate(), f.requestRate())
		if f.meanLag() > tc.lag || f.statusRate() > tc.status || f.requestRate() > tc.requests {
			t.Errorf("%s progress=%v: lag %.3f s (want <= %v), %.3f polls/s (<= %v), %.3f requests/s (<= %v)",
				tc.sc, tc.progress, f.meanLag(), tc.lag, f.statusRate(), tc.status, f.requestRate(), tc.requests)
		}
	}
}

// BenchmarkReplay reports the replay's figures (b.ReportMetric); the time
// per op is the cost of planning, not of waiting.
func BenchmarkReplay(b *testing.B) {
	lengths := replayLengths(100)
	for _, sc := range []scenario{noInfo, percentLines, repeated, sameLength, mixed} {
		b.Run(sc.String(), func(b *testing.B) {
			var f replayFigures
			for b.Loop() {
				f = replay(b, sc, lengths, false)
			}
			b.ReportMetric(f.meanLag(), "lag-s")
			b.ReportMetric(f.statusRate(), "polls/s")
			b.ReportMetric(f.requestRate(), "requests/s")
		})
	}
}
