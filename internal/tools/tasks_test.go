package tools

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestTaskStartingWrite(t *testing.T) {
	e := newEnv(t, envOpts{})
	var out taskOut
	decode(t, e.ok(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100}), &out)
	if out.Action != "start" || out.VMID != 100 || out.UPID != testUPID || out.ExitStatus != "OK" {
		t.Fatalf("start: %+v", out)
	}
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "POST /nodes/pve1/qemu/100/status/start") {
		t.Fatalf("writes: %v", w)
	}
}

func TestTaskWarningsAndFailure(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.exit = "WARNINGS: 1"
	var out taskOut
	decode(t, e.ok(t, "pve_vm_shutdown", map[string]any{"node": "pve1", "vmid": 100}), &out)
	if out.ExitStatus != "WARNINGS: 1" || len(out.Warnings) != 1 {
		t.Errorf("warnings: %+v", out)
	}
	e.fake.exit = "VM 100 already running"
	res, text := e.call(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100})
	if !res.IsError || !strings.Contains(text, "VM 100 already running") {
		t.Errorf("failed task reported as: %v %s", res.IsError, text)
	}
}

func TestAsyncReturnsUPIDAtOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	var out taskOut
	decode(t, e.ok(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100, "async": true}), &out)
	if out.UPID != testUPID || out.Status != "running" || out.ExitStatus != "" {
		t.Fatalf("async: %+v", out)
	}
	for _, r := range e.fake.log() {
		if strings.Contains(r, "/tasks/") {
			t.Errorf("async call polled the task: %s", r)
		}
	}
	var w taskWaitOut
	decode(t, e.ok(t, "pve_task_wait", map[string]any{"upid": out.UPID}), &w)
	if w.Status != "stopped" || w.ExitStatus != "OK" {
		t.Fatalf("wait: %+v", w)
	}
	st := e.ok(t, "pve_task_status", map[string]any{"upid": out.UPID})
	if !strings.Contains(st, `"exitstatus":"OK"`) || !strings.Contains(st, "TASK OK") {
		t.Errorf("status: %s", st)
	}
	e.refused(t, "pve_task_status", map[string]any{"upid": "UPID:pve1/../x"}, "upid")
	e.refused(t, "pve_task_stop", map[string]any{"upid": out.UPID}, "confirm: true")
}

func TestTaskToolsRespectAllowlists(t *testing.T) {
	e := newEnv(t, envOpts{nodes: []string{"pve2"}})
	e.refused(t, "pve_task_log", map[string]any{"upid": testUPID}, "PVE_NODE_ALLOWLIST")
	e2 := newEnv(t, envOpts{vmids: []int{101}})
	e2.refused(t, "pve_task_status", map[string]any{"upid": testUPID}, "PVE_VMID_ALLOWLIST")
}

func TestProgressDuringWait(t *testing.T) {
	var mu sync.Mutex
	var got []float64
	opts := &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		got = append(got, req.Params.Progress)
		mu.Unlock()
	}}
	e := newEnv(t, envOpts{client: opts})
	e.fake.running = 3 // status polls that still say running
	params := &mcp.CallToolParams{Name: "pve_vm_start", Arguments: map[string]any{"node": "pve1", "vmid": 100}}
	params.SetProgressToken("p1")
	res, err := e.session.CallTool(context.Background(), params)
	if err != nil || res.IsError {
		t.Fatalf("call: %v %v", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("no progress notifications")
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("progress not increasing: %v", got)
		}
	}
}
