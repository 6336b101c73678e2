package tools

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// tasksEnv is a server with the Tasks extension and a client (at
// 2026-07-28, the SDK's newest) declaring it, and elicitation.
func tasksEnv(t *testing.T, sel Selection, action string) (*env, *[]string) {
	t.Helper()
	caps := &mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapabilities{}}
	caps.AddExtension(TasksExtension, nil)
	asked := &[]string{}
	e := newEnv(t, envOpts{tasks: true, selection: sel, client: &mcp.ClientOptions{Capabilities: caps,
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			*asked = append(*asked, r.Params.Message)
			return &mcp.ElicitResult{Action: action, Content: map[string]any{}}, nil
		}}})
	return e, asked
}

func startRef() taskRef {
	return taskRef{Tool: "pve_vm_start", UPID: testUPID, What: "start VM 100 on pve1", Kind: "qemu",
		Out: taskOut{Action: "start", Node: "pve1", VMID: 100}}
}

// tasks/get gives the result of a task that ended exactly as the tool
// that waited for it.
func TestTasksGetIsTheWaitingResult(t *testing.T) {
	plain := newEnv(t, envOpts{})
	waited, _ := plain.call(t, "pve_vm_start", map[string]any{"node": "pve1", "vmid": 100})

	e, _ := tasksEnv(t, Selection{}, "accept")
	e.fake.running = 1
	ctx := context.Background()
	id := encodeTaskID(startRef())
	got, err := mcp.CallCustomMethod[*taskParams, *Task](ctx, e.session, "tasks/get", &taskParams{TaskID: id})
	if err != nil || got.Status != "working" || !strings.Contains(got.StatusMessage, "start VM 100 on pve1: Proxmox task running") {
		t.Fatalf("running: %+v %v", got, err)
	}
	got, err = mcp.CallCustomMethod[*taskParams, *Task](ctx, e.session, "tasks/get", &taskParams{TaskID: id})
	if err != nil || got.Status != "completed" || got.ResultType != "complete" {
		t.Fatalf("ended: %+v %v", got, err)
	}
	// The SDK adds resultType and serverInfo to the answer of a 2026-07-28
	// request, not to a result inside one: the rest is the same.
	waited.Meta = nil
	want, _ := json.Marshal(waited)
	var res mcp.CallToolResult
	if err := json.Unmarshal(got.Result, &res); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(&res); string(b) != strings.Replace(string(want), `,"resultType":"complete"`, "", 1) {
		t.Errorf("tasks/get result\n%s\nwant the waiting tool's\n%s", b, want)
	}
}

func TestTasksCancelAsksTheUser(t *testing.T) {
	ctx := context.Background()
	id := encodeTaskID(startRef())
	for _, tc := range []struct {
		action string
		sel    Selection
		stops  bool
		err    string
	}{
		{action: "accept", stops: true},
		{action: "decline", err: "declined"},
		{action: "accept", sel: Selection{Toolsets: []string{"all"}, DisableDestructive: true}, err: "PVE_DISABLE_DESTRUCTIVE"},
	} {
		e, _ := tasksEnv(t, tc.sel, tc.action)
		e.fake.running = 5
		// At 2026-07-28 the answer asks; the retry brings the user's
		// answer and the signed state back.
		ack, err := mcp.CallCustomMethod[*taskParams, *taskAck](ctx, e.session, "tasks/cancel", &taskParams{TaskID: id})
		if err == nil {
			q, ok := ack.InputRequests[confirmKey].(*mcp.ElicitParams)
			if ack.ResultType != "input_required" || !ok || !strings.HasPrefix(q.Message, "Stop the qmstart task on pve1") {
				t.Fatalf("%s: no question: %+v", tc.action, ack)
			}
			if len(e.fake.writes()) != 0 {
				t.Fatalf("%s: wrote before the answer: %v", tc.action, e.fake.writes())
			}
			ack, err = mcp.CallCustomMethod[*taskParams, *taskAck](ctx, e.session, "tasks/cancel", &taskParams{TaskID: id,
				RequestState: ack.RequestState, InputResponses: mcp.InputResponseMap{confirmKey: &mcp.ElicitResult{Action: tc.action}}})
		}
		stopped := false
		for _, w := range e.fake.writes() {
			stopped = stopped || strings.HasPrefix(w, "DELETE /nodes/pve1/tasks/UPID:pve1:")
		}
		if stopped != tc.stops || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) ||
			err == nil && ack.ResultType != "complete" {
			t.Errorf("%s %+v: stopped %v, err %v, ack %+v", tc.action, tc.sel, stopped, err, ack)
		}
	}
}
