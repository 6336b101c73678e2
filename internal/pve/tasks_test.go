package pve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testUPID = "UPID:pve2:00001234:00ABCDEF:6790A1B2:qmclone:100:root@pam!mcp:"

// fakeTask serves one task's status and log the way Proxmox does.
type fakeTask struct {
	t    *testing.T
	upid string

	mu          sync.Mutex
	polls       int      // status requests so far
	running     int      // polls answered "running" (-1: forever)
	exit        string   // exitstatus once stopped
	lines       []string // the whole log
	perPoll     int      // while running, lines visible = perPoll * polls (0: all)
	statusFault func(poll int, w http.ResponseWriter) bool
	onPoll      func(poll int)
	logQueries  []url.Values
	quoted      bool // numbers as strings, as some releases and proxies send them
}

func (f *fakeTask) handler(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api2/json/nodes/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 4 || parts[1] != "tasks" {
		http.Error(w, "not implemented", http.StatusNotImplemented)
		return
	}
	upid, err := url.PathUnescape(parts[2])
	if err != nil || upid != f.upid || parts[0] != "pve2" {
		rawResponse(f.t, w, "400 Parameter verification failed.", "application/json", `{"data":null,"errors":{"upid":"no such task"}}`)
		return
	}
	if parts[2] != "UPID:pve2:00001234:00ABCDEF:6790A1B2:qmclone:100:root@pam%21mcp:" {
		f.t.Errorf("UPID segment %q", parts[2])
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch parts[3] {
	case "status":
		f.polls++
		if f.onPoll != nil {
			f.onPoll(f.polls)
		}
		if f.statusFault != nil && f.statusFault(f.polls, w) {
			return
		}
		st := map[string]any{"upid": f.upid, "node": "pve2", "pid": 0x1234, "pstart": 0xABCDEF, "starttime": 0x6790A1B2,
			"type": "qmclone", "id": "100", "user": "root@pam", "tokenid": "mcp", "status": "running"}
		if !f.isRunning() {
			st["status"], st["exitstatus"] = "stopped", f.exit
		}
		if f.quoted {
			for _, k := range []string{"pid", "pstart", "starttime"} {
				st[k] = fmt.Sprint(st[k])
			}
		}
		b, _ := json.Marshal(map[string]any{"data": st})
		writeJSON(w, string(b))
	case "log":
		f.logQueries = append(f.logQueries, r.URL.Query())
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil {
			limit = 50
		}
		visible := f.lines
		if f.isRunning() && f.perPoll > 0 {
			visible = visible[:min(len(visible), f.perPoll*f.polls)]
		}
		type line struct {
			N any    `json:"n"`
			T string `json:"t"`
		}
		num := func(n int) any {
			if f.quoted {
				return strconv.Itoa(n)
			}
			return n
		}
		out := []line{}
		if len(visible) == 0 {
			out = append(out, line{num(1), "no content"})
		}
		for i := start; i < len(visible) && (limit == 0 || i < start+limit); i++ {
			out = append(out, line{num(i + 1), visible[i]})
		}
		b, _ := json.Marshal(map[string]any{"data": out, "total": num(max(len(visible), 1))})
		writeJSON(w, string(b))
	default:
		http.Error(w, "not implemented", http.StatusNotImplemented)
	}
}

func (f *fakeTask) isRunning() bool { return f.running < 0 || f.polls <= f.running }

func (f *fakeTask) client(t *testing.T) *Client {
	f.t = t
	if f.upid == "" {
		f.upid = testUPID
	}
	return newTestClient(t, f.handler)
}

var fast = WaitOptions{MinInterval: time.Millisecond, MaxInterval: 4 * time.Millisecond}

func TestTaskStatusAndLog(t *testing.T) {
	f := &fakeTask{running: -1, lines: []string{"a", "b", "c", "d"}}
	c := f.client(t)
	ctx := context.Background()
	st, err := c.TaskStatus(ctx, testUPID)
	if err != nil {
		t.Fatal(err)
	}
	want := TaskStatus{UPID: testUPID, Node: "pve2", Status: "running", Type: "qmclone", ID: "100", User: "root@pam",
		TokenID: "mcp", StartTime: 0x6790A1B2, PID: 0x1234}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	lines, total, err := c.TaskLog(ctx, testUPID, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]LogLine{{2, "b"}, {3, "c"}}, lines); diff != "" || total != 4 {
		t.Errorf("log total %d (-want +got):\n%s", total, diff)
	}
	if q := f.logQueries[0]; q.Get("start") != "1" || q.Get("limit") != "2" {
		t.Errorf("log query %v", q)
	}
	if _, err := c.TaskStatus(ctx, "UPID:bad"); err == nil {
		t.Error("bad UPID accepted")
	}
	if _, _, err := c.TaskLog(ctx, "nope", 0, 0); err == nil {
		t.Error("bad UPID accepted")
	}
}

func TestWaitTaskOK(t *testing.T) {
	f := &fakeTask{running: 3, exit: "OK", lines: []string{"create linked clone of drive scsi0 (local-lvm:base-9000-disk-0)", "TASK OK"}}
	c := f.client(t)
	res, err := c.WaitTask(context.Background(), testUPID, fast)
	if err != nil {
		t.Fatal(err)
	}
	if res.UPID != testUPID || res.ExitStatus != "OK" || res.Warnings != nil || res.Duration <= 0 {
		t.Errorf("result %+v", res)
	}
	if f.polls != 4 {
		t.Errorf("polls = %d, want 4", f.polls)
	}
	if len(f.logQueries) != 0 {
		t.Errorf("an OK task without OnProgress needs no log reads: %v", f.logQueries)
	}
}

func TestWaitTaskWarnings(t *testing.T) {
	lines := []string{"WARN: no efidisk configured! Using temporary efivars disk."}
	for i := range 120 {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	lines = append(lines, "WARN: Systemd 255 detected. You may need to enable nesting.", "TASK WARNINGS: 2")
	f := &fakeTask{running: 1, exit: "WARNINGS: 2", lines: lines}
	c := f.client(t)
	res, err := c.WaitTask(context.Background(), testUPID, fast)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"no efidisk configured! Using temporary efivars disk.", "Systemd 255 detected. You may need to enable nesting."}
	if diff := cmp.Diff(want, res.Warnings); diff != "" || res.ExitStatus != "WARNINGS: 2" {
		t.Errorf("exit %q warnings (-want +got):\n%s", res.ExitStatus, diff)
	}
	if q := f.logQueries[0]; q.Get("limit") != "1000" || q.Get("start") != "0" {
		t.Errorf("warnings read with %v, want one page from the start", q)
	}
	if res.WarningCount != 2 || res.LogLines != len(lines) || len(f.logQueries) != 1 {
		t.Errorf("count %d, log lines %d, %d reads", res.WarningCount, res.LogLines, len(f.logQueries))
	}
}

func TestWaitTaskFailedWithLogTail(t *testing.T) {
	var lines []string
	for i := 1; i <= 40; i++ {
		lines = append(lines, fmt.Sprintf("drive-scsi0: transferred %d.0 GiB of 40.0 GiB (%d.00%%) in %ds", i, i*100/40, i))
	}
	lines = append(lines, "TASK ERROR: clone failed: can't lock file '/var/lock/qemu-server/lock-133.conf' - got timeout")
	f := &fakeTask{running: 2, exit: "clone failed: can't lock file '/var/lock/qemu-server/lock-133.conf' - got timeout", lines: lines}
	c := f.client(t)
	_, err := c.WaitTask(context.Background(), testUPID, fast)
	var fe *TaskFailedError
	if !errors.As(fmt.Errorf("clone VM 100: %w", err), &fe) {
		t.Fatalf("err = %v, want *TaskFailedError", err)
	}
	if diff := cmp.Diff(lines[len(lines)-TailLines:], fe.LogTail); diff != "" || fe.LogLines != len(lines) {
		t.Errorf("log tail (-want +got):\n%s", diff)
	}
	if fe.UPID != testUPID || fe.ExitStatus != f.exit {
		t.Errorf("error %+v", fe)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "task "+testUPID+" failed: clone failed: can't lock file") ||
		!strings.Contains(msg, "\nlast 20 of 41 log lines:\n"+lines[21]+"\n") || strings.Contains(msg, lines[20]+"\n") ||
		!strings.HasSuffix(msg, lines[40]) {
		t.Errorf("Error() = %q", msg)
	}
}

func TestWaitTaskFailedShortLog(t *testing.T) {
	lines := []string{"TASK ERROR: VM 100 already running"}
	f := &fakeTask{running: 0, exit: "VM 100 already running", lines: lines}
	c := f.client(t)
	_, err := c.WaitTask(context.Background(), testUPID, fast)
	var fe *TaskFailedError
	if !errors.As(err, &fe) || !cmp.Equal(lines, fe.LogTail) {
		t.Fatalf("err = %#v", err)
	}
	if len(f.logQueries) != 1 {
		t.Errorf("a short log needs one read, got %d", len(f.logQueries))
	}
}

func TestWaitTaskTimeout(t *testing.T) {
	f := &fakeTask{running: -1}
	c := f.client(t)
	o := fast
	o.Timeout = 30 * time.Millisecond
	_, err := c.WaitTask(context.Background(), testUPID, o)
	var te *TaskTimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TaskTimeoutError", err)
	}
	if te.UPID != testUPID || te.Waited < o.Timeout {
		t.Errorf("error %+v", te)
	}
	if msg := err.Error(); !strings.Contains(msg, testUPID) || !strings.Contains(msg, "still running") {
		t.Errorf("Error() = %q", msg)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("a wait timeout is not the caller's deadline")
	}
}

func TestWaitTaskCancelReturnsPromptly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeTask{running: -1, onPoll: func(poll int) {
		if poll == 2 {
			cancel()
		}
	}}
	c := f.client(t)
	start := time.Now()
	// Hour-long intervals: only the cancellation can end this wait.
	_, err := c.WaitTask(ctx, testUPID, WaitOptions{MinInterval: time.Millisecond, MaxInterval: time.Hour})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), testUPID) {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
	var te *TaskTimeoutError
	if errors.As(err, &te) {
		t.Error("cancellation reported as timeout")
	}
}

func TestWaitTaskCallerDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	f := &fakeTask{running: -1}
	c := f.client(t)
	_, err := c.WaitTask(ctx, testUPID, WaitOptions{MinInterval: time.Millisecond, MaxInterval: time.Hour, Timeout: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v", err)
	}
}

func TestWaitTaskToleratesTransientErrors(t *testing.T) {
	f := &fakeTask{running: 5, exit: "OK", statusFault: func(poll int, w http.ResponseWriter) bool {
		switch poll {
		case 1, 2:
			rawResponse(t, w, "400 Parameter verification failed.", "application/json", `{"data":null,"errors":{"upid":"no such task"}}`)
		case 4:
			rawResponse(t, w, "500 can't lock file '/var/log/pve/tasks/.active.lock' - got timeout", "", "")
		default:
			return false
		}
		return true
	}}
	c := newTestClient(t, f.handler, noRetries)
	f.t, f.upid = t, testUPID
	res, err := c.WaitTask(context.Background(), testUPID, fast)
	if err != nil || res.ExitStatus != "OK" {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestWaitTaskGivesUpOnPersistentOrPermanentErrors(t *testing.T) {
	for name, fault := range map[string]string{
		"permission": "403 Permission check failed (/nodes/pve2, Sys.Audit)",
		"persistent": "596 Connection timed out",
	} {
		f := &fakeTask{running: -1, statusFault: func(_ int, w http.ResponseWriter) bool {
			rawResponse(t, w, fault, "", "")
			return true
		}}
		c := newTestClient(t, f.handler, noRetries)
		f.t, f.upid = t, testUPID
		_, err := c.WaitTask(context.Background(), testUPID, fast)
		var ae *APIError
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), testUPID) {
			t.Errorf("%s: err = %v", name, err)
		}
		wantPolls := 1
		if name == "persistent" {
			wantPolls = maxTransientFails + 1
		}
		if f.polls != wantPolls {
			t.Errorf("%s: polls = %d, want %d", name, f.polls, wantPolls)
		}
	}
}

func TestWaitTaskProgress(t *testing.T) {
	lines := []string{
		"create full clone of drive scsi0 (local-lvm:vm-100-disk-0)",
		"transferred 0.0 B of 10.0 GiB (0.00%)",
		"transferred 2.5 GiB of 10.0 GiB (25.00%)",
		"transferred 10.0 GiB of 10.0 GiB (100.00%)",
		"create full clone of drive scsi1 (local-lvm:vm-100-disk-1)",
		"transferred 0.0 B of 1.0 GiB (0.00%)",
		"TASK OK",
	}
	f := &fakeTask{running: 6, exit: "OK", lines: lines, perPoll: 1}
	c := f.client(t)
	var got []Progress
	o := fast
	o.OnProgress = func(p Progress) { got = append(got, p) }
	if _, err := c.WaitTask(context.Background(), testUPID, o); err != nil {
		t.Fatal(err)
	}
	wantPercent := []float64{-1, 0, 25, 100, 100, 100}
	if len(got) != len(wantPercent) {
		t.Fatalf("%d progress calls, want %d: %+v", len(got), len(wantPercent), got)
	}
	for i, p := range got {
		if p.Percent != wantPercent[i] || p.Line != lines[i] {
			t.Errorf("call %d: %+v, want percent %v line %q", i, p, wantPercent[i], lines[i])
		}
		if i > 0 && p.Elapsed < got[i-1].Elapsed {
			t.Errorf("elapsed went back at call %d", i)
		}
	}
	// Each poll reads only the lines it has not seen.
	for i, q := range f.logQueries {
		if q.Get("start") != strconv.Itoa(i) || q.Get("limit") != "1000" {
			t.Errorf("log read %d: %v", i, q)
		}
	}
}

func TestWaitTaskProgressOnEmptyLog(t *testing.T) {
	// Proxmox answers an empty log with a "no content" placeholder line;
	// progress must not skip the first real line because of it.
	lines := []string{"progress 5% (read 1 bytes, duration 0 sec)"}
	f := &fakeTask{running: 3, exit: "OK", lines: lines}
	f.perPoll = 0
	c := f.client(t)
	f.lines = nil
	var got []Progress
	o := fast
	o.OnProgress = func(p Progress) {
		got = append(got, p)
		if len(got) == 1 { // the worker writes its first line
			f.mu.Lock()
			f.lines = lines
			f.mu.Unlock()
		}
	}
	if _, err := c.WaitTask(context.Background(), testUPID, o); err != nil {
		t.Fatal(err)
	}
	if len(got) < 2 || got[0].Percent != -1 || got[len(got)-1].Percent != 5 {
		t.Errorf("progress %+v", got)
	}
}
