package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// taskServer is the fake's tasks: a VM start answers the UPID of a task of
// the next length asked for; its status is running until its end, then
// stopped/OK; its log prints a percentage a second when asked; the node's
// task list holds the finished ones, newest first.
type taskServer struct {
	mu      sync.Mutex
	pid     int
	pending map[string]taskSpec // vmid -> the next start's task
	tasks   map[string]*benchTask
	done    []*benchTask
	lists   int // task list reads
}

type taskSpec struct {
	length  time.Duration
	percent bool
}

type benchTask struct {
	upid, node, vmid string
	spec             taskSpec
	start, end       time.Time
	status, logs     int
}

func newTaskServer() *taskServer {
	return &taskServer{pending: map[string]taskSpec{}, tasks: map[string]*benchTask{}}
}

// expect sets the task the next start of vmid runs.
func (s *taskServer) expect(vmid int, spec taskSpec) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[strconv.Itoa(vmid)] = spec
}

func (s *taskServer) task(upid string) *benchTask {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tasks[upid]
}

// serve answers the task paths; false: not one of them.
func (s *taskServer) serve(w http.ResponseWriter, r *http.Request, parts []string) bool {
	switch {
	case r.Method == http.MethodPost && len(parts) == 6 && parts[2] == "qemu" && parts[4] == "status" && parts[5] == "start":
		return s.start(w, parts[1], parts[3])
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "nodes" && parts[2] == "tasks":
		s.list(w, parts[1], r.URL.Query())
		return true
	case r.Method == http.MethodGet && len(parts) == 5 && parts[0] == "nodes" && parts[2] == "tasks":
		upid, err := url.PathUnescape(parts[3])
		t := s.task(upid)
		if err != nil || t == nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"data":null,"errors":{"upid":"no such task"}}`)
			return true
		}
		switch parts[4] {
		case "status":
			s.status(w, t)
		case "log":
			s.log(w, t, r.URL.Query())
		default:
			return false
		}
		return true
	}
	return false
}

func (s *taskServer) start(w http.ResponseWriter, node, vmid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	spec, ok := s.pending[vmid]
	if !ok {
		return false
	}
	delete(s.pending, vmid)
	s.pid++
	now := time.Now()
	t := &benchTask{node: node, vmid: vmid, spec: spec, start: now, end: now.Add(spec.length)}
	t.upid = fmt.Sprintf("UPID:%s:%08X:%08X:%08X:qmstart:%s:root@pam!bench:", node, 0x1000+s.pid, 0x100000+s.pid, now.Unix(), vmid)
	s.tasks[t.upid] = t
	writeData(w, t.upid)
	return true
}

func (s *taskServer) status(w http.ResponseWriter, t *benchTask) {
	s.mu.Lock()
	t.status++
	st := map[string]any{"upid": t.upid, "node": t.node, "pid": 0, "starttime": t.start.Unix(), "type": "qmstart",
		"id": t.vmid, "user": "root@pam", "tokenid": "bench", "status": "running"}
	if !time.Now().Before(t.end) {
		st["status"], st["exitstatus"] = "stopped", "OK"
		if !finished(s.done, t) {
			s.done = append(s.done, t)
		}
	}
	s.mu.Unlock()
	writeData(w, st)
}

func finished(done []*benchTask, t *benchTask) bool {
	for _, d := range done {
		if d == t {
			return true
		}
	}
	return false
}

func (s *taskServer) log(w http.ResponseWriter, t *benchTask, q url.Values) {
	s.mu.Lock()
	t.logs++
	s.mu.Unlock()
	now := time.Now()
	lines := []string{"start VM " + t.vmid + ": bench"}
	if t.spec.percent {
		total := t.spec.length.Seconds()
		for k := 1; float64(k) < total && t.start.Add(time.Duration(k)*time.Second).Before(now); k++ {
			lines = append(lines, fmt.Sprintf("progress %d%% (read %d bytes, duration %d sec)", int(100*float64(k)/total), k<<20, k))
		}
	}
	if !now.Before(t.end) {
		lines = append(lines, "TASK OK")
	}
	start, _ := strconv.Atoi(q.Get("start"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	out := []map[string]any{}
	for i := start; i < len(lines) && (limit <= 0 || i < start+limit); i++ {
		out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
	}
	b, _ := json.Marshal(map[string]any{"data": out, "total": len(lines)})
	w.Write(b)
}

// list is GET /nodes/{node}/tasks of finished tasks (source=archive) with
// typefilter, vmid and limit.
func (s *taskServer) list(w http.ResponseWriter, node string, q url.Values) {
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		limit = 50
	}
	rows := []map[string]any{}
	s.mu.Lock()
	s.lists++
	for i := len(s.done) - 1; i >= 0 && len(rows) < limit; i-- {
		t := s.done[i]
		if t.node != node || (q.Get("vmid") != "" && q.Get("vmid") != t.vmid) || (q.Get("typefilter") != "" && q.Get("typefilter") != "qmstart") {
			continue
		}
		rows = append(rows, map[string]any{"upid": t.upid, "node": t.node, "pid": 0, "pstart": 0, "starttime": t.start.Unix(),
			"type": "qmstart", "id": t.vmid, "user": "root@pam", "tokenid": "bench", "endtime": t.end.Unix(), "status": "OK"})
	}
	s.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"data": rows, "total": len(rows)})
	w.Write(b)
}

func writeData(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(map[string]any{"data": v})
	w.Write(b)
}

// taskLengths parses "2,5.5,10" (seconds) or, empty, spreads n lengths over
// 2..60 s (a golden-ratio sequence, as the pve replay does).
func taskLengths(list string, n int) ([]time.Duration, error) {
	var out []time.Duration
	if list != "" {
		for _, f := range strings.Split(list, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || v <= 0 || v > 3600 {
				return nil, fmt.Errorf("-task-lengths: %q is not a number of seconds in (0, 3600]", f)
			}
			out = append(out, time.Duration(v*float64(time.Second)))
		}
		return out, nil
	}
	for i := range n {
		_, f := math.Modf(0.5 + float64(i)*0.6180339887498949)
		out = append(out, time.Duration((2+58*f)*float64(time.Second)))
	}
	return out, nil
}

// taskResult is one measured wait.
type taskResult struct {
	lag     time.Duration // answer - task end
	length  time.Duration
	status  int
	logs    int
	percent bool
}

// tasks starts a VM on the fake once per length, parallel at a time on
// different guests (every other task printing percentages and asked for
// progress), and prints lag and polls.
func (b *bench) tasks(ctx context.Context, s *mcp.ClientSession) error {
	lengths, err := taskLengths(b.o.taskLengths, b.o.taskCount)
	if err != nil {
		return err
	}
	guests := qemuGuests(b.o.guests, max(b.o.taskParallel, 1))
	jobs := make(chan int)
	results := make([]taskResult, len(lengths))
	errs := make(chan error, len(guests))
	var wg sync.WaitGroup
	for _, g := range guests {
		wg.Go(func() {
			for i := range jobs {
				r, err := b.oneTask(ctx, s, g, taskSpec{length: lengths[i], percent: i%2 == 1})
				if err != nil {
					errs <- err
					return
				}
				results[i] = r
			}
		})
	}
	for i := range lengths {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	for _, pc := range []bool{false, true} {
		var lags []float64
		var busy time.Duration
		status, logs := 0, 0
		for _, r := range results {
			if r.percent == pc {
				lags, busy, status, logs = append(lags, ms(r.lag)/1000), busy+r.length, status+r.status, logs+r.logs
			}
		}
		if len(lags) == 0 {
			continue
		}
		name := "no percent lines"
		if pc {
			name = "percent lines, progress asked"
		}
		b.row(fmt.Sprintf("task lag, %s, %d tasks (s)", name, len(lags)), lags)
		fmt.Fprintf(b.out, "%-44s %12.3f %12s\n", "  mean lag (s)", mean(lags), "")
		fmt.Fprintf(b.out, "%-44s %12.3f %12s\n", "  status polls per second of task", float64(status)/busy.Seconds(),
			fmt.Sprintf("%.3f req/s", float64(status+logs)/busy.Seconds()))
	}
	return nil
}

func (b *bench) oneTask(ctx context.Context, s *mcp.ClientSession, g guestRef, spec taskSpec) (taskResult, error) {
	b.fake.taskSrv.expect(g.vmid, spec)
	params := &mcp.CallToolParams{Name: "pve_vm_start", Arguments: map[string]any{"node": g.node, "vmid": g.vmid}}
	if spec.percent {
		params.Meta = mcp.Meta{"progressToken": fmt.Sprintf("bench-%d", g.vmid)}
	}
	res, err := s.CallTool(ctx, params)
	answered := time.Now()
	if err != nil {
		return taskResult{}, fmt.Errorf("pve_vm_start %d: %w", g.vmid, err)
	}
	if res.IsError {
		return taskResult{}, fmt.Errorf("pve_vm_start %d: %s", g.vmid, text(res))
	}
	var out struct {
		UPID string `json:"upid"`
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &out); err != nil || out.UPID == "" {
		return taskResult{}, fmt.Errorf("pve_vm_start %d: no UPID in %s", g.vmid, raw)
	}
	t := b.fake.taskSrv.task(out.UPID)
	if t == nil {
		return taskResult{}, fmt.Errorf("pve_vm_start %d: the fake ran no task %s", g.vmid, out.UPID)
	}
	b.fake.taskSrv.mu.Lock()
	defer b.fake.taskSrv.mu.Unlock()
	return taskResult{lag: answered.Sub(t.end), length: spec.length, status: t.status, logs: t.logs, percent: spec.percent}, nil
}

type guestRef struct {
	node string
	vmid int
}

// qemuGuests picks n qemu guests of resourceRows, each with its node.
func qemuGuests(guests, n int) []guestRef {
	var out []guestRef
	for g := 0; g < guests && len(out) < n; g++ {
		if g%5 != 4 && g%7 != 6 && g%50 != 49 {
			out = append(out, guestRef{node: nodeName(g % fakeNodes), vmid: 100 + g})
		}
	}
	return out
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(max(len(xs), 1))
}

// allTasks is the -tasks run: one stdio server, writes allowed.
func (b *bench) allTasks(ctx context.Context) error {
	fmt.Fprintf(b.out, "pvebench -tasks: %s, %d at a time\n", b.o.bin, b.o.taskParallel)
	fmt.Fprintf(b.out, "%-44s %12s %12s\n", "scenario", "median", "p90")
	b.writes = true
	s, _, err := b.stdio(ctx, b.ours())
	if err != nil {
		return err
	}
	defer s.Close()
	if err := b.tasks(ctx, s); err != nil {
		return err
	}
	b.fake.taskSrv.mu.Lock()
	lists := b.fake.taskSrv.lists
	b.fake.taskSrv.mu.Unlock()
	fmt.Fprintf(b.out, "fake: %d requests (%d task list reads), %d to paths it does not serve\n",
		b.fake.requests.Load(), lists, b.fake.unknown.Load())
	return nil
}
