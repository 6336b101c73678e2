package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Numbers as strings (and an id as a number) decode in status and log.
func TestTaskAnswersWithQuotedNumbers(t *testing.T) {
	f := &fakeTask{running: 1, exit: "OK", quoted: true, lines: []string{"a", "b", "TASK OK"}}
	c := f.client(t)
	ctx := context.Background()
	st, err := c.TaskStatus(ctx, testUPID)
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != 0x1234 || st.StartTime != 0x6790A1B2 || st.Status != "running" {
		t.Errorf("status %+v", st)
	}
	lines, total, err := c.TaskLog(ctx, testUPID, 1, 1)
	if err != nil || total != 3 || !cmp.Equal(lines, []LogLine{{2, "b"}}) {
		t.Errorf("log %v total %d err %v", lines, total, err)
	}
	if res, err := c.WaitTask(ctx, testUPID, fast); err != nil || res.ExitStatus != "OK" {
		t.Errorf("wait: %+v %v", res, err)
	}
	var s TaskStatus
	if err := s.UnmarshalJSON([]byte(`{"id":100,"pid":"12","starttime":1.7e9,"exitstatus":"OK","status":"stopped"}`)); err != nil ||
		s.ID != "100" || s.PID != 12 || s.StartTime != 1.7e9 {
		t.Errorf("decoded %+v, %v", s, err)
	}
	for _, bad := range []string{`null`, `"OK"`, `{"pid":"twelve"}`, `{"status":{}}`} {
		if err := s.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
	}
	var l LogLine
	if err := l.UnmarshalJSON([]byte(`{"n":"7","t":100}`)); err != nil || l != (LogLine{7, "100"}) {
		t.Errorf("line %+v, %v", l, err)
	}
}

// After a UPID came back, a wait that cannot learn the end says so, with
// the cause, whatever the failure.
func TestWaitTaskOutcomeUnknown(t *testing.T) {
	for name, tc := range map[string]struct {
		status string // status line of every status answer
		gone   bool
		polls  int // status requests, counting the client's own retries
	}{
		"404 for good":          {status: "404 Not Found", gone: true, polls: maxTransientFails + 1},
		"403 after the UPID":    {status: "403 Permission check failed", polls: 1},
		"502 for good":          {status: "502 Bad Gateway", polls: maxTransientFails + 1},
		"504 for good":          {status: "504 Gateway Time-out", polls: maxTransientFails + 1},
		"no such task for good": {status: "400 Parameter verification failed.", gone: true, polls: maxTransientFails + 1},
	} {
		f := &fakeTask{running: -1, statusFault: func(_ int, w http.ResponseWriter) bool {
			body := ""
			if strings.HasPrefix(tc.status, "400") {
				body = `{"data":null,"errors":{"upid":"no such task"}}`
			}
			rawResponse(t, w, tc.status, "application/json", body)
			return true
		}}
		c := newTestClient(t, f.handler, noRetries)
		f.t, f.upid = t, testUPID
		_, err := c.WaitTask(context.Background(), testUPID, fast)
		var ue *TaskUnknownError
		if !errors.As(err, &ue) || ue.Gone != tc.gone || ue.UPID != testUPID || !IsUnknownOutcome(err) {
			t.Errorf("%s: err = %#v", name, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "how task "+testUPID+" ended is unknown") || !strings.Contains(msg, tc.status[:3]) {
			t.Errorf("%s: %s", name, msg)
		}
		if f.polls != tc.polls {
			t.Errorf("%s: %d polls, want %d", name, f.polls, tc.polls)
		}
	}
}

// Connections that break on every poll end the wait as unknown, not as a
// network error that reads like a failed write.
func TestWaitTaskPollsResetForGood(t *testing.T) {
	f := &fakeTask{running: -1, statusFault: func(_ int, w http.ResponseWriter) bool {
		resetConn(t, w)
		return true
	}}
	c := newTestClient(t, f.handler, noRetries)
	f.t, f.upid = t, testUPID
	_, err := c.WaitTask(context.Background(), testUPID, fast)
	var ue *TaskUnknownError
	if !errors.As(err, &ue) || ue.Gone {
		t.Fatalf("err = %v", err)
	}
}

// A transient 502 or 504 while polling is waited out.
func TestWaitTaskGatewayBlip(t *testing.T) {
	f := &fakeTask{running: 4, exit: "OK", statusFault: func(poll int, w http.ResponseWriter) bool {
		switch poll {
		case 2:
			rawResponse(t, w, "502 Bad Gateway", "text/html", "<html>bad gateway</html>")
		case 3:
			rawResponse(t, w, "504 Gateway Time-out", "text/html", "<html>timeout</html>")
		default:
			return false
		}
		return true
	}}
	c := newTestClient(t, f.handler, noRetries)
	f.t, f.upid = t, testUPID
	if res, err := c.WaitTask(context.Background(), testUPID, fast); err != nil || res.ExitStatus != "OK" {
		t.Fatalf("res %+v err %v", res, err)
	}
}

// A timeout reached while every read fails is no "still running".
func TestWaitTaskTimeoutWithoutAnyRead(t *testing.T) {
	f := &fakeTask{running: -1, statusFault: func(_ int, w http.ResponseWriter) bool {
		rawResponse(t, w, "502 Bad Gateway", "", "")
		return true
	}}
	c := newTestClient(t, f.handler, noRetries)
	f.t, f.upid = t, testUPID
	o := WaitOptions{MinInterval: 20 * time.Millisecond, MaxInterval: 20 * time.Millisecond, Timeout: 50 * time.Millisecond}
	_, err := c.WaitTask(context.Background(), testUPID, o)
	var ue *TaskUnknownError
	var te *TaskTimeoutError
	if !errors.As(err, &ue) || errors.As(err, &te) || !strings.Contains(err.Error(), "failed status read") {
		t.Fatalf("err = %v", err)
	}
}

// A cancelled wait names the UPID and what the last read showed.
func TestWaitTaskCancelSaysTheTaskGoesOn(t *testing.T) {
	for _, running := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		f := &fakeTask{running: -1, onPoll: func(poll int) {
			if poll == 2 {
				cancel()
			}
		}}
		if !running {
			f.statusFault = func(_ int, w http.ResponseWriter) bool {
				rawResponse(t, w, "502 Bad Gateway", "", "")
				return true
			}
		}
		c := newTestClient(t, f.handler, noRetries)
		f.t, f.upid = t, testUPID
		_, err := c.WaitTask(ctx, testUPID, fast)
		cancel()
		var se *TaskWaitStoppedError
		if !errors.As(err, &se) || se.Running != running || !errors.Is(err, context.Canceled) || !IsUnknownOutcome(err) {
			t.Fatalf("running %v: err = %#v", running, err)
		}
		want := "still running at the last check"
		if !running {
			want = "before its state could be read"
		}
		if msg := err.Error(); !strings.Contains(msg, testUPID) || !strings.Contains(msg, want) {
			t.Errorf("running %v: %s", running, msg)
		}
	}
}

// 50 000 warnings: the last TailLines come back with the count, read in a
// few pages from the end.
func TestWaitTaskManyWarnings(t *testing.T) {
	const n = 50000
	lines := make([]string, 0, n+1)
	for i := range n {
		lines = append(lines, fmt.Sprintf("WARN: volume %d is not in the config", i))
	}
	lines = append(lines, "TASK WARNINGS: "+strconv.Itoa(n))
	f := &fakeTask{running: 0, exit: "WARNINGS: 50000", lines: lines}
	c := f.client(t)
	res, err := c.WaitTask(context.Background(), testUPID, fast)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != TailLines || res.WarningCount != n || res.LogLines != n+1 {
		t.Fatalf("%d warnings, count %d, log lines %d", len(res.Warnings), res.WarningCount, res.LogLines)
	}
	if res.Warnings[0] != "volume 49980 is not in the config" || res.Warnings[TailLines-1] != "volume 49999 is not in the config" {
		t.Errorf("warnings %q .. %q", res.Warnings[0], res.Warnings[TailLines-1])
	}
	if len(f.logQueries) > 2 {
		t.Errorf("%d log reads: %v", len(f.logQueries), f.logQueries)
	}
	for _, q := range f.logQueries {
		if l, _ := strconv.Atoi(q.Get("limit")); l == 0 || l > logPage {
			t.Errorf("log read %v is not bounded", q)
		}
	}
}

// Warnings far apart are found by paging backwards; a failed task's tail
// and every line are bounded.
func TestWarningsScatteredAndLinesClipped(t *testing.T) {
	var lines []string
	for i := range 3500 {
		switch {
		case i == 10:
			lines = append(lines, "WARN: early")
		case i == 2500:
			lines = append(lines, "WARN: "+strings.Repeat("x", 5000))
		default:
			lines = append(lines, "line "+strconv.Itoa(i))
		}
	}
	lines = append(lines, "TASK WARNINGS: 2")
	f := &fakeTask{running: 0, exit: "WARNINGS: 2", lines: lines}
	res, err := f.client(t).WaitTask(context.Background(), testUPID, fast)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 2 || res.Warnings[0] != "early" || len(res.Warnings[1]) > maxLineBytes+3 || res.WarningCount != 2 {
		t.Errorf("warnings %d: %.40q", len(res.Warnings), res.Warnings)
	}
}

// Progress after a long quiet stretch reads the end of the log, not all of it.
func TestReadProgressSkipsToTheEnd(t *testing.T) {
	lines := make([]string, 0, 5000)
	for i := range 5000 {
		lines = append(lines, fmt.Sprintf("transferred %d.0 MiB of 5000.0 MiB (%.2f%%)", i, float64(i)/50))
	}
	f := &fakeTask{running: -1, lines: lines}
	c := f.client(t)
	p := newProgressTracker()
	next := c.readProgress(context.Background(), testUPID, 0, p)
	if next != 5000 || p.percent != 99.98 || len(f.logQueries) != 2 {
		t.Errorf("next %d, percent %v, reads %v", next, p.percent, f.logQueries)
	}
}

func TestReportsPercent(t *testing.T) {
	for typ, want := range map[string]bool{"qmclone": true, "qmmove": true, "vzdump": true, "download": true, "qmrestore": true,
		"qmstart": false, "vzcreate": false, "qmsnapshot": false} {
		if ReportsPercent(typ) != want {
			t.Errorf("%s: %v", typ, !want)
		}
	}
}

func TestWaitIntervals(t *testing.T) {
	progress := func(Progress) {}
	cases := []struct {
		o           WaitOptions
		first, last time.Duration
	}{
		{WaitOptions{}, 100 * time.Millisecond, 2 * time.Second},
		{WaitOptions{MinInterval: time.Second, MaxInterval: 10 * time.Second}, time.Second, 10 * time.Second},
		{WaitOptions{MinInterval: 5 * time.Second, MaxInterval: time.Second}, 5 * time.Second, 5 * time.Second},
		{WaitOptions{MaxInterval: time.Hour, OnProgress: progress}, 100 * time.Millisecond, 2 * time.Second},
		{WaitOptions{MinInterval: time.Minute, MaxInterval: time.Hour, OnProgress: progress}, 2 * time.Second, 2 * time.Second},
	}
	for i, tc := range cases {
		first, last := tc.o.intervals()
		if first != tc.first || last != tc.last {
			t.Errorf("case %d: %v..%v, want %v..%v", i, first, last, tc.first, tc.last)
		}
	}
}

func TestWaitTaskBadUPID(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no request expected") })
	if _, err := c.WaitTask(context.Background(), "OK", fast); err == nil {
		t.Error("no error")
	}
}

func TestWaitTaskUnexpectedStatus(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"data":{"upid":"`+testUPID+`","status":"weird"}}`)
	})
	_, err := c.WaitTask(context.Background(), testUPID, fast)
	if err == nil || !strings.Contains(err.Error(), `unexpected task status "weird"`) {
		t.Errorf("err = %v", err)
	}
}

// A plain task failure is an answer; a killed worker is not.
func TestTaskFailureOutcome(t *testing.T) {
	if IsUnknownOutcome(&TaskFailedError{UPID: testUPID, ExitStatus: "VM 100 already running"}) {
		t.Error("a failed task counted as unknown")
	}
	if !IsUnknownOutcome(fmt.Errorf("start: %w", &TaskFailedError{UPID: testUPID, ExitStatus: "unexpected status"})) ||
		!IsUnknownOutcome(&TaskTimeoutError{UPID: testUPID}) {
		t.Error("killed worker or timeout not counted as unknown")
	}
}
