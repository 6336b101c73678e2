package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

const cloneUPID = "UPID:pve1:0000ABCD:00112233:65A0B0C0:qmclone:100:root@pam!mcp:"

// taskFake serves task status and log with faults, and hands the rest to
// a fakePVE.
type taskFake struct {
	*fakePVE
	mu          sync.Mutex
	polls       int
	running     int                          // polls answered running (-1: always)
	exit        string                       // exit status once stopped
	log         func(poll int) []string      // the lines written by a poll
	quoted      bool                         // numbers as strings
	statusFault func(poll int) (int, string) // status code and body instead of the status
	onPoll      func(poll int)
	// writeFault answers a request with code and body instead of the fake
	// (code 0: the fake answers).
	writeFault func(r *http.Request) (int, string)
}

func (f *taskFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api2/json")
	if f.writeFault != nil {
		if code, text := f.writeFault(r); code != 0 {
			f.fakePVE.ServeHTTP(httptest.NewRecorder(), r) // the write is carried out, and logged
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(code)
			fmt.Fprint(w, text)
			return
		}
	}
	if !strings.Contains(path, "/tasks/UPID") {
		f.fakePVE.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	num := func(n int) any {
		if f.quoted {
			return strconv.Itoa(n)
		}
		return n
	}
	var body any
	if strings.HasSuffix(path, "/status") {
		f.polls++
		if f.onPoll != nil {
			f.onPoll(f.polls)
		}
		if f.statusFault != nil {
			if code, text := f.statusFault(f.polls); code != 0 {
				w.WriteHeader(code)
				fmt.Fprint(w, text)
				return
			}
		}
		st := map[string]any{"upid": testUPID, "node": "pve1", "pid": num(0xABCD), "starttime": num(0x65A0B0C0),
			"type": "qmstart", "id": "100", "user": "root@pam", "status": "running"}
		if f.running >= 0 && f.polls > f.running {
			st["status"], st["exitstatus"] = "stopped", f.exit
		}
		body = map[string]any{"data": st}
	} else {
		lines := f.log(f.polls)
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		out := []map[string]any{}
		for i := start; i < len(lines) && (limit == 0 || i < start+limit); i++ {
			out = append(out, map[string]any{"n": num(i + 1), "t": lines[i]})
		}
		body = map[string]any{"data": out, "total": num(len(lines))}
	}
	_ = json.NewEncoder(w).Encode(body)
}

type taskEnv struct {
	fake     *taskFake
	session  *mcp.ClientSession
	tools    map[string]Tool
	mu       sync.Mutex
	progress []*mcp.ProgressNotificationParams
}

func newTaskEnv(t *testing.T, f *taskFake) *taskEnv {
	t.Helper()
	f.fakePVE = &fakePVE{routes: map[string]string{}, exit: "OK"}
	if f.log == nil {
		f.log = func(int) []string { return []string{"TASK " + f.exit} }
	}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	client, err := pve.New(pve.Options{BaseURL: hs.URL, TokenID: "root@pam!mcp", TokenSecret: "s3cr3t-token", RequestTimeout: 5 * time.Second, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	g := guard.New(client, guard.Options{Allow: guard.NewAllowlist(nil, nil), Release: "9.1", Schemas: testSchemas})
	e := &taskEnv{fake: f, tools: map[string]Tool{}}
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "0"}, nil)
	for _, tl := range Inventory(&Deps{Guard: g, TaskTimeout: 10 * time.Second}) {
		tl.Register(srv)
		e.tools[tl.Def.Name] = tl
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
		e.mu.Lock()
		e.progress = append(e.progress, r.Params)
		e.mu.Unlock()
	}}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "0"}, opts).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait(); client.CloseIdleConnections() })
	e.session = cs
	return e
}

// call runs a tool with a progress token; it returns the result, its text
// and the size of text plus structured content.
func (e *taskEnv) call(t *testing.T, name string, args map[string]any) (*mcp.CallToolResult, string, int) {
	t.Helper()
	p := &mcp.CallToolParams{Name: name, Arguments: args}
	p.SetProgressToken("tok")
	res, err := e.session.CallTool(context.Background(), p)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	raw, _ := json.Marshal(res.StructuredContent)
	return res, text.String(), text.Len() + len(raw)
}

var vm100 = map[string]any{"node": "pve1", "vmid": 100}

// Writes answered 2xx without a UPID say the work may have been done and
// which read tells.
func TestTaskWritesWithoutUPID(t *testing.T) {
	for _, tc := range []struct {
		tool, route, answer, check string
		args                       map[string]any
	}{
		{"pve_vm_start", "POST /nodes/pve1/qemu/100/status/start", "null", "pve_vm_status for VM 100 on pve1", vm100},
		{"pve_lxc_start", "POST /nodes/pve1/lxc/200/status/start", `""`, "pve_lxc_status for CT 200 on pve1", map[string]any{"node": "pve1", "vmid": 200}},
		{"pve_vm_delete", "DELETE /nodes/pve1/qemu/100", `{"ok":1}`, "pve_cluster_resources for whether VM 100 still exists",
			map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100}},
		{"pve_snapshot_delete", "DELETE /nodes/pve1/qemu/100/snapshot/s1", "null", "pve_list_snapshots for VM 100 on pve1",
			map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "s1", "confirm": true, "confirmName": "s1"}},
		{"pve_backup_now", "POST /nodes/pve1/vzdump", "null", "pve_list_backups for local on pve1",
			map[string]any{"node": "pve1", "vmid": 100, "storage": "local"}},
	} {
		e := newTaskEnv(t, &taskFake{running: 0, exit: "OK"})
		e.fake.routes[tc.route] = tc.answer
		res, text, _ := e.call(t, tc.tool, tc.args)
		want := "Proxmox accepted the request but answered without a task ID"
		if !res.IsError || !strings.Contains(text, want) ||
			!strings.Contains(text, "so it may have been carried out; check "+tc.check+" before repeating it") {
			t.Errorf("%s: %v %s", tc.tool, res.IsError, text)
		}
		if e.fake.polls != 0 {
			t.Errorf("%s: polled a task that does not exist", tc.tool)
		}
	}
}

// After a UPID, a wait that cannot learn the end says the work may have
// been done and names the UPID; a 502 blip is waited out.
func TestTaskOutcomeUnknownAfterUPID(t *testing.T) {
	const statusCheck = "pve_task_status with this UPID"
	for name, tc := range map[string]struct {
		fault func(int) (int, string)
		want  string
		check string
	}{
		// The status endpoint will not tell: the guest's state and the
		// node's task list do.
		"404 for good": {func(int) (int, string) { return 404, "" }, "404", "pve_vm_status for VM 100 on pve1 and pve_list_tasks for pve1"},
		"502 for good": {func(int) (int, string) { return 502, "<html>bad gateway</html>" }, "502", statusCheck},
		"504 for good": {func(int) (int, string) { return 504, "" }, "504", statusCheck},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newTaskEnv(t, &taskFake{running: -1, statusFault: tc.fault})
			res, text, _ := e.call(t, "pve_vm_start", vm100)
			if !res.IsError || !strings.Contains(text, "how task "+testUPID+" ended is unknown") || !strings.Contains(text, tc.want) ||
				!strings.Contains(text, "so it may have been carried out; check "+tc.check+" before repeating it") {
				t.Errorf("%s", text)
			}
		})
	}
	e := newTaskEnv(t, &taskFake{running: 3, exit: "OK", statusFault: func(poll int) (int, string) {
		if poll == 2 {
			return 502, ""
		}
		return 0, ""
	}})
	if res, text, _ := e.call(t, "pve_vm_start", vm100); res.IsError {
		t.Errorf("502 blip: %s", text)
	}
}

// Status and log with numbers as strings: every task tool works.
func TestTaskToolsWithQuotedNumbers(t *testing.T) {
	e := newTaskEnv(t, &taskFake{running: 1, exit: "OK", quoted: true, log: func(int) []string { return []string{"starting", "TASK OK"} }})
	for name, args := range map[string]map[string]any{
		"pve_vm_start": vm100, "pve_task_status": {"upid": testUPID}, "pve_task_log": {"upid": testUPID}, "pve_task_wait": {"upid": testUPID},
	} {
		res, text, _ := e.call(t, name, args)
		if res.IsError {
			t.Errorf("%s: %s", name, text)
		}
		if name == "pve_task_log" && !strings.Contains(text, `"total":2`) {
			t.Errorf("%s: %s", name, text)
		}
	}
}

// 50 000 warnings or log lines: results carry the last 20 and the count.
func TestTaskResultsBounded(t *testing.T) {
	const n = 50000
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("WARN: volume %d is not referenced in the config", i))
	}
	lines = append(lines, "TASK WARNINGS: 50000")
	e := newTaskEnv(t, &taskFake{running: 0, exit: "WARNINGS: 50000", log: func(int) []string { return lines }})
	for name, args := range map[string]map[string]any{"pve_vm_start": vm100, "pve_task_wait": {"upid": testUPID}, "pve_task_status": {"upid": testUPID}} {
		res, text, size := e.call(t, name, args)
		if res.IsError || size > 16<<10 {
			t.Errorf("%s: error %v, %d bytes", name, res.IsError, size)
		}
		var out struct {
			Warnings     []string
			Log          []string
			WarningCount int
			LogLines     int
			More         string
		}
		decode(t, text, &out)
		if len(out.Warnings)+len(out.Log) != 20 || !strings.Contains(out.More, "pve_task_log with this UPID, start and limit pages through all 50001 log lines") {
			t.Errorf("%s: %d warnings, %d lines, more %q", name, len(out.Warnings), len(out.Log), out.More)
		}
		if name != "pve_task_status" && out.WarningCount != n {
			t.Errorf("%s: count %d", name, out.WarningCount)
		}
	}
	lines[n] = "TASK ERROR: job errors"
	e = newTaskEnv(t, &taskFake{running: 0, exit: "job errors", log: func(int) []string { return lines }})
	res, text, size := e.call(t, "pve_vm_start", vm100)
	if !res.IsError || size > 16<<10 || !strings.Contains(text, "last 20 of 50001 log lines") || !strings.Contains(text, "pages through all 50001 log lines") {
		t.Errorf("failed task: %d bytes: %.300s", size, text)
	}
}

// Progress keeps one unit for the whole call, chosen by the task type.
func TestTaskProgressOneUnit(t *testing.T) {
	clone := func(poll int) []string {
		lines := []string{"create full clone of drive scsi0 (local-lvm:vm-100-disk-0)"}
		for i := 2; i <= poll && i <= 5; i++ {
			lines = append(lines, fmt.Sprintf("transferred %d.0 GiB of 4.0 GiB (%d.00%%)", i-1, (i-1)*25))
		}
		return lines
	}
	for _, tc := range []struct {
		tool  string
		args  map[string]any
		upid  string
		total float64
	}{
		{"pve_vm_clone", map[string]any{"node": "pve1", "vmid": 100, "newid": 150, "name": "c1"}, cloneUPID, 100},
		{"pve_vm_start", vm100, testUPID, 0},
	} {
		e := newTaskEnv(t, &taskFake{running: 3, exit: "OK", log: clone})
		e.fake.routes["POST /nodes/pve1/qemu/100/clone"] = strconv.Quote(cloneUPID)
		if res, text, _ := e.call(t, tc.tool, tc.args); res.IsError {
			t.Fatalf("%s: %s", tc.tool, text)
		}
		// The client may handle the last notification after the answer,
		// though the server sent it first.
		var got []*mcp.ProgressNotificationParams
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			e.mu.Lock()
			got = slices.Clone(e.progress)
			e.mu.Unlock()
			if tc.total == 0 || (len(got) > 0 && got[len(got)-1].Progress == 100) || time.Now().After(deadline) {
				break
			}
		}
		if len(got) < 3 {
			t.Fatalf("%s: %d notifications", tc.tool, len(got))
		}
		for i, p := range got {
			if p.Total != tc.total || (i > 0 && p.Progress <= got[i-1].Progress) || (p.Total > 0 && p.Progress > p.Total) {
				t.Errorf("%s: notification %d: %v of %v after %v", tc.tool, i, p.Progress, p.Total, got[max(i-1, 0)].Progress)
			}
		}
		if last := got[len(got)-1]; tc.total == 100 && last.Progress != 100 {
			t.Errorf("%s: last %v", tc.tool, last.Progress)
		}
	}
}

// A cancelled call answers with the UPID, that the task runs on, and how
// to follow it.
func TestTaskCancelledCall(t *testing.T) {
	for name, args := range map[string]map[string]any{"pve_vm_start": vm100, "pve_task_wait": {"upid": testUPID}} {
		ctx, cancel := context.WithCancel(context.Background())
		e := newTaskEnv(t, &taskFake{running: -1, onPoll: func(poll int) {
			if poll == 2 {
				cancel()
			}
		}})
		raw, _ := json.Marshal(args)
		res, err := e.tools[name].Handle(ctx, &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: name, Arguments: raw}})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		text := res.Content[0].(*mcp.TextContent).Text
		for _, want := range []string{testUPID, "still running at the last check", "follow it with pve_task_wait or pve_task_status and this UPID"} {
			if !res.IsError || !strings.Contains(text, want) {
				t.Errorf("%s: lacks %q: %s", name, want, text)
			}
		}
	}
}

// vzdump's "OK" is reported as what it is, with what to check.
func TestBackupNowAnsweredOK(t *testing.T) {
	e := newTaskEnv(t, &taskFake{})
	e.fake.routes["POST /nodes/pve1/vzdump"] = `"OK"`
	res, text, _ := e.call(t, "pve_backup_now", map[string]any{"node": "pve1", "vmid": 100, "storage": "local"})
	want := `back up guest 100 on pve1 to local: Proxmox started no task on node pve1 (answer "OK"); vzdump answers so when the guest is not on that node: check with pve_cluster_resources which node guest 100 is on`
	if !res.IsError || text != want {
		t.Errorf("got %v %s", res.IsError, text)
	}
}
