package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// The Tasks extension on a stateless HTTP server at 2026-07-28: each
// request declares its capabilities in _meta, no session holds anything,
// and tasks/cancel asks the user with an input request in its answer.

// statelessCall posts one 2026-07-28 request and returns its JSON-RPC reply.
func statelessCall(t *testing.T, hs *httpServer, id int, method, name, params, caps string) rawMsg {
	t.Helper()
	meta := `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},` +
		`"io.modelcontextprotocol/clientCapabilities":` + caps + `}`
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":{%s,%s}}`, id, method, params, meta)
	hdr := map[string]string{"Mcp-Method": method}
	if name != "" {
		hdr["Mcp-Name"] = name
	}
	return postRPC(t, &wireSession{hs: hs, version: "2026-07-28"}, method, body, hdr)
}

// postRPC posts one request and returns its reply, from JSON or SSE.
func postRPC(t *testing.T, rs *wireSession, method, body string, hdr map[string]string) rawMsg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp := rs.post(t, ctx, body, hdr)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	if strings.Contains(resp.Header.Get("Content-Type"), "text/event-stream") {
		text = ""
		for _, line := range strings.Split(string(b), "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(d, `"id"`) {
				text = d
			}
		}
	}
	var m rawMsg
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%s: %d %s", method, resp.StatusCode, b)
	}
	return m
}

func TestTasksExtStatelessHTTP(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1)
	hs := startHTTP(t, cl, nil, "--stateless")
	caps := `{"extensions":{"io.modelcontextprotocol/tasks":{}},"elicitation":{}}`

	// A short task, followed to its end.
	m := statelessCall(t, hs, 1, "tools/call", "pve_vm_start", `"name":"pve_vm_start","arguments":{"node":"pve1","vmid":101}`, caps)
	w := decodeTask(t, m)
	if w.ResultType != "task" || w.Status != "working" {
		t.Fatalf("CreateTaskResult: %v", m)
	}
	get := func(id int, taskID string) wireTask {
		m := statelessCall(t, hs, id, "tasks/get", taskID, `"taskId":"`+taskID+`"`, caps)
		return decodeTask(t, m)
	}
	deadline := time.Now().Add(30 * time.Second)
	for g := get(2, w.TaskID); ; g = get(2, w.TaskID) {
		if g.Status == "completed" {
			if got, isErr := structured(t, g.Result); isErr || !strings.Contains(got, `"exitStatus":"OK"`) {
				t.Errorf("result: %s", got)
			}
			break
		}
		if g.Status != "working" || time.Now().After(deadline) {
			t.Fatalf("task: %+v", g)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// A request that does not declare the extension gets no task, and no tasks/*.
	plain := `{"elicitation":{}}`
	m = statelessCall(t, hs, 3, "tasks/get", w.TaskID, `"taskId":"`+w.TaskID+`"`, plain)
	if m.errorCode() != -32021 {
		t.Errorf("undeclared tasks/get: %v", m)
	}

	// A long task, stopped: the answer asks the user first, and only the
	// retry with the user's yes and the signed state stops it.
	m = statelessCall(t, hs, 4, "tools/call", "pve_vm_clone", `"name":"pve_vm_clone","arguments":{"node":"pve1","vmid":9000,"newid":760,"full":true}`, caps)
	long := decodeTask(t, m)
	params := `"taskId":"` + long.TaskID + `"`
	m = statelessCall(t, hs, 5, "tasks/cancel", long.TaskID, params, caps)
	var ask struct {
		ResultType    string `json:"resultType"`
		RequestState  string `json:"requestState"`
		InputRequests map[string]struct {
			Method string `json:"method"`
			Params struct{ Message string }
		} `json:"inputRequests"`
	}
	_ = json.Unmarshal(m["result"], &ask)
	if ask.ResultType != "input_required" || ask.RequestState == "" || ask.InputRequests["confirm"].Method != "elicitation/create" ||
		!strings.Contains(ask.InputRequests["confirm"].Params.Message, "Stop the qmclone task on pve1") {
		t.Fatalf("cancel did not ask the user: %v", m)
	}
	// An answer without the state the server signed is no answer.
	forged := params + `,"inputResponses":{"confirm":{"action":"accept","content":{}}}`
	m = statelessCall(t, hs, 6, "tasks/cancel", long.TaskID, forged, caps)
	if !strings.Contains(string(m["result"]), `"input_required"`) {
		t.Fatalf("a forged yes was taken: %v", m)
	}
	if g := get(7, long.TaskID); g.Status != "working" {
		t.Fatalf("before the yes: %+v", g)
	}
	m = statelessCall(t, hs, 8, "tasks/cancel", long.TaskID, forged+`,"requestState":"`+ask.RequestState+`"`, caps)
	if !strings.Contains(string(m["result"]), `"resultType":"complete"`) {
		t.Fatalf("cancel with the yes: %v", m)
	}
	deadline = time.Now().Add(20 * time.Second)
	for g := get(9, long.TaskID); g.Status != "cancelled"; g = get(9, long.TaskID) {
		if g.Status != "working" || time.Now().After(deadline) {
			t.Fatalf("after cancel: %+v", g)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestTSClientTasks: the official TypeScript SDK client (1.32.2) declares
// the extension at initialize, starts a VM and follows the task to its end,
// and cancels a clone, answering the server's question.
func TestTSClientTasks(t *testing.T) {
	cl := newCluster(t, 1)
	var out struct {
		Start     struct{ Action, ExitStatus string }
		Cancelled string
		Asked     []string
	}
	if err := json.Unmarshal(runTS(t, cl, "tasks", nil), &out); err != nil {
		t.Fatal(err)
	}
	if out.Start.Action != "start" || out.Start.ExitStatus != "OK" || !strings.Contains(out.Cancelled, "interrupted by signal") || len(out.Asked) != 1 {
		t.Errorf("the TypeScript client saw %+v", out)
	}
}

// TestTasksExtSessionHTTP: a session over Streamable HTTP that declared the
// extension at initialize gets tasks as on stdio.
func TestTasksExtSessionHTTP(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.05)
	hs := startHTTP(t, cl, nil)
	rs := &wireSession{hs: hs, version: "2025-11-25"}
	resp := rs.post(t, context.Background(), `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",`+
		`"capabilities":`+tasksCaps+`,"clientInfo":{"name":"raw","version":"0"}}}`, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if rs.id = resp.Header.Get("Mcp-Session-Id"); rs.id == "" {
		t.Fatalf("initialize: %d", resp.StatusCode)
	}
	resp = rs.post(t, context.Background(), `{"jsonrpc":"2.0","method":"notifications/initialized"}`, nil)
	resp.Body.Close()
	m := postRPC(t, rs, "tools/call", `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"pve_vm_start","arguments":{"node":"pve1","vmid":101}}}`, nil)
	w := decodeTask(t, m)
	deadline := time.Now().Add(30 * time.Second)
	for {
		g := decodeTask(t, postRPC(t, rs, "tasks/get", `{"jsonrpc":"2.0","id":3,"method":"tasks/get","params":{"taskId":"`+w.TaskID+`"}}`, nil))
		if g.Status == "completed" {
			if got, isErr := structured(t, g.Result); isErr || !strings.Contains(got, `"exitStatus":"OK"`) {
				t.Errorf("result: %s", got)
			}
			return
		}
		if g.Status != "working" || time.Now().After(deadline) {
			t.Fatalf("task: %+v", g)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
