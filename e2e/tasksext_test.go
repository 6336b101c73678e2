package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The Tasks extension (io.modelcontextprotocol/tasks) over raw JSON-RPC:
// a declaring client gets a task handle from a task-starting tool, follows
// it with tasks/get, stops it with tasks/cancel (asking the user), and the
// handle outlives the server process.

const tasksCaps = `{"extensions":{"io.modelcontextprotocol/tasks":{}},"elicitation":{}}`

// startTasks starts the binary and initializes with the given capabilities.
func startTasks(t *testing.T, cl *cluster, caps string) *rawServer {
	t.Helper()
	r := startProcess(t, cl)
	r.send(`{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25",` +
		`"capabilities":` + caps + `,"clientInfo":{"name":"raw-tasks","version":"1"}}}` + "\n")
	m := r.next(20 * time.Second)
	if m == nil || m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	if !strings.Contains(string(m["result"]), `"io.modelcontextprotocol/tasks":{}`) {
		t.Errorf("initialize declares no tasks extension: %s", m["result"])
	}
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	return r
}

// wireTask is a Task as the wire has it.
type wireTask struct {
	ResultType    string          `json:"resultType"`
	TaskID        string          `json:"taskId"`
	Status        string          `json:"status"`
	StatusMessage string          `json:"statusMessage"`
	CreatedAt     string          `json:"createdAt"`
	LastUpdatedAt string          `json:"lastUpdatedAt"`
	TTLMs         *int64          `json:"ttlMs"`
	PollMs        int             `json:"pollIntervalMs"`
	Result        json.RawMessage `json:"result"`
	Meta          map[string]struct {
		UPID string   `json:"upid"`
		Log  []string `json:"log"`
	} `json:"_meta"`
}

func decodeTask(t *testing.T, m rawMsg) wireTask {
	t.Helper()
	var w wireTask
	if err := json.Unmarshal(m["result"], &w); err != nil || w.TaskID == "" {
		t.Fatalf("not a task: %v", m)
	}
	return w
}

// startTask calls a tool and expects a task handle.
func (r *rawServer) startTask(t *testing.T, id, tool string, args map[string]any) wireTask {
	t.Helper()
	a, _ := json.Marshal(args)
	r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":%q,"arguments":%s}}`+"\n", id, tool, a))
	m := r.expectResult(id)
	t.Logf("tools/call: %s", m["result"])
	w := decodeTask(t, m)
	if w.ResultType != "task" || w.Status != "working" || !strings.HasPrefix(w.TaskID, "pvetask1.") || w.CreatedAt == "" ||
		w.PollMs <= 0 || !strings.HasPrefix(w.Meta["io.github.proxmox-mcp/task"].UPID, "UPID:pve1:") {
		t.Fatalf("CreateTaskResult: %+v", w)
	}
	return w
}

func (r *rawServer) getTask(t *testing.T, id, taskID string) wireTask {
	t.Helper()
	r.send(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"tasks/get","params":{"taskId":%q}}`+"\n", id, taskID))
	m := r.expectResult(id)
	t.Logf("tasks/get: %s", m["result"])
	w := decodeTask(t, m)
	if w.ResultType != "complete" || w.TaskID != taskID {
		t.Fatalf("tasks/get: %+v", w)
	}
	return w
}

// pollTask gets the task until its status is not working.
func (r *rawServer) pollTask(t *testing.T, taskID string, limit time.Duration) wireTask {
	t.Helper()
	deadline := time.Now().Add(limit)
	for i := 0; ; i++ {
		w := r.getTask(t, fmt.Sprintf(`"poll%d"`, i), taskID)
		if w.Status != "working" {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("task still working after %v: %+v", limit, w)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// structured is a CallToolResult's structured content and error flag.
func structured(t *testing.T, raw json.RawMessage) (string, bool) {
	t.Helper()
	var res struct {
		StructuredContent json.RawMessage `json:"structuredContent"`
		IsError           bool            `json:"isError"`
		Content           []struct{ Text string }
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatalf("result: %v: %s", err, raw)
	}
	if res.IsError {
		return res.Content[0].Text, true
	}
	return string(res.StructuredContent), false
}

func TestTasksExtStartGetDone(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.05)
	r := startTasks(t, cl, tasksCaps)
	w := r.startTask(t, "1", "pve_vm_start", m("node", "pve1", "vmid", 101))
	upid := w.Meta["io.github.proxmox-mcp/task"].UPID
	done := r.pollTask(t, w.TaskID, 30*time.Second)
	if done.Status != "completed" || !strings.Contains(done.StatusMessage, "OK") {
		t.Fatalf("end: %+v", done)
	}
	got, isErr := structured(t, done.Result)
	want := `{"action":"start","node":"pve1","vmid":101,"upid":"` + upid + `","exitStatus":"OK"}`
	if isErr || got != want {
		t.Errorf("result %s (error %v), want the waiting tool's %s", got, isErr, want)
	}
	// async chosen by the caller keeps its meaning: the UPID at once.
	r.send(toolCall("2", "pve_vm_shutdown", m("node", "pve1", "vmid", 101, "async", true)))
	if text, isErr := toolText(r.expectResult("2")); isErr || !strings.Contains(text, `"status":"running"`) {
		t.Errorf("async: %s", text)
	}
	// An ID this server did not make names no task.
	r.send(`{"jsonrpc":"2.0","id":3,"method":"tasks/get","params":{"taskId":"pvetask1.bm9wZQ"}}` + "\n")
	r.expectError("3", -32602, "Task not found")
}

func TestTasksExtUndeclared(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1) // the clone runs while the client tries to cancel it
	r := startTasks(t, cl, `{"extensions":{"io.modelcontextprotocol/tasks":{}}}`)
	w := r.startTask(t, "1", "pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 752, "full", true))

	plain := startRaw(t, cl) // declares nothing: today's wait, and no tasks/*
	plain.send(toolCall("1", "pve_snapshot_create", m("node", "pve2", "type", "qemu", "vmid", 102, "snapname", "plain")))
	m := plain.reply(30 * time.Second)
	if text, isErr := toolText(m); isErr || !strings.Contains(text, `"exitStatus":"OK"`) || strings.Contains(string(m["result"]), "resultType") {
		t.Errorf("undeclared call: %v", m)
	}
	plain.send(`{"jsonrpc":"2.0","id":2,"method":"tasks/get","params":{"taskId":"` + w.TaskID + `"}}` + "\n")
	plain.expectError("2", -32021, "io.modelcontextprotocol/tasks")

	// Without elicitation a client cannot cancel: the user is never skipped.
	r.send(`{"jsonrpc":"2.0","id":4,"method":"tasks/cancel","params":{"taskId":"` + w.TaskID + `"}}` + "\n")
	r.expectError("4", -32600, "nothing was stopped")
	for _, w := range cl.writes() {
		if strings.HasPrefix(w, "DELETE /nodes/pve1/tasks/") {
			t.Errorf("a task was stopped without asking: %s", w)
		}
	}
}

// answerElicit reads the server's elicitation request and answers it.
func (r *rawServer) answerElicit(t *testing.T, action string) string {
	t.Helper()
	m := r.next(10 * time.Second)
	if m == nil || string(m["method"]) != `"elicitation/create"` {
		t.Fatalf("want an elicitation, got %v", m)
	}
	r.send(`{"jsonrpc":"2.0","id":` + m.id() + `,"result":{"action":"` + action + `","content":{}}}` + "\n")
	return string(m["params"])
}

func TestTasksExtCancel(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1) // a full clone of a 64 GiB disk: long enough to stop
	r := startTasks(t, cl, tasksCaps)
	w := r.startTask(t, "1", "pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 751, "full", true))
	if g := r.getTask(t, "2", w.TaskID); g.Status != "working" || !strings.Contains(g.StatusMessage, "running for") {
		t.Fatalf("running clone: %+v", g)
	}
	cancel := `{"jsonrpc":"2.0","id":%d,"method":"tasks/cancel","params":{"taskId":"` + w.TaskID + `"}}` + "\n"
	r.send(fmt.Sprintf(cancel, 3))
	if q := r.answerElicit(t, "decline"); !strings.Contains(q, "Stop the qmclone task on pve1") {
		t.Errorf("question: %s", q)
	}
	r.expectError("3", -32600, "declined")
	if g := r.getTask(t, "4", w.TaskID); g.Status != "working" {
		t.Fatalf("declined, yet: %+v", g)
	}
	r.send(fmt.Sprintf(cancel, 5))
	r.answerElicit(t, "accept")
	if ack := r.expectResult("5"); !strings.Contains(string(ack["result"]), `"resultType":"complete"`) {
		t.Errorf("cancel ack: %v", ack)
	}
	end := r.pollTask(t, w.TaskID, 20*time.Second)
	if end.Status != "cancelled" || !strings.Contains(end.StatusMessage, "interrupted by signal") {
		t.Errorf("after cancel: %+v", end)
	}
	stopped := false
	for _, wr := range cl.writes() {
		stopped = stopped || strings.HasPrefix(wr, "DELETE /nodes/pve1/tasks/UPID:pve1:")
	}
	if !stopped {
		t.Errorf("no DELETE of the task: %v", cl.writes())
	}
}

func TestTasksExtRestart(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.05)
	first := startTasks(t, cl, tasksCaps)
	w := first.startTask(t, "1", "pve_snapshot_create", m("node", "pve1", "type", "qemu", "vmid", 101, "snapname", "kept"))
	_ = first.cmd.Process.Kill()
	second := startTasks(t, cl, tasksCaps) // a new process, no memory of the task
	end := second.pollTask(t, w.TaskID, 30*time.Second)
	got, isErr := structured(t, end.Result)
	if end.Status != "completed" || isErr || !strings.Contains(got, `"action":"snapshot_create"`) || !strings.Contains(got, `"snapname":"kept"`) {
		t.Errorf("after a restart: %+v %s", end, got)
	}
}

// A destructive tool asks the user first, then hands out its task.
func TestTasksExtDestructiveAsksFirst(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.05)
	r := startTasks(t, cl, tasksCaps)
	r.send(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"pve_vm_stop","arguments":{"node":"pve1","vmid":100,"confirm":true}}}` + "\n")
	if q := r.answerElicit(t, "accept"); !strings.Contains(q, "VM 100 on pve1") {
		t.Errorf("question: %s", q)
	}
	w := decodeTask(t, r.expectResult("1"))
	if w.ResultType != "task" {
		t.Fatalf("after the yes: %+v", w)
	}
	end := r.pollTask(t, w.TaskID, 30*time.Second)
	if got, isErr := structured(t, end.Result); end.Status != "completed" || isErr || !strings.Contains(got, `"action":"stop"`) {
		t.Errorf("stop: %+v %s", end, got)
	}
}
