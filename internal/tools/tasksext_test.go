package tools

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestTaskIDRoundTrip(t *testing.T) {
	r := taskRef{Tool: "pve_vm_start", UPID: testUPID, What: "start VM 100 on pve1", Kind: "qemu",
		Out: taskOut{Action: "start", Node: "pve1", VMID: 100, UPID: testUPID, Status: "running"}}
	id := encodeTaskID(r)
	if strings.Contains(id, "s3cr3t") || !strings.HasPrefix(id, taskIDPrefix) {
		t.Fatalf("id %q", id)
	}
	got, err := decodeTaskID(id)
	if err != nil {
		t.Fatal(err)
	}
	// The status is not kept: the task's is read from Proxmox each time.
	if got.Tool != r.Tool || got.UPID != testUPID || got.What != r.What || got.Kind != "qemu" ||
		got.Out.VMID != 100 || got.Out.UPID != testUPID || got.Out.Status != "" {
		t.Errorf("decoded %+v", got)
	}
}

func TestTaskIDRejects(t *testing.T) {
	good := taskRef{Tool: "pve_vm_start", UPID: testUPID, Out: taskOut{Node: "pve1"}}
	bad := map[string]string{
		"empty":  "",
		"prefix": "other." + strings.TrimPrefix(encodeTaskID(good), taskIDPrefix),
		"base64": taskIDPrefix + "!!!",
		"json":   taskIDPrefix + "bm9wZQ",
		"tool":   encodeTaskID(taskRef{Tool: "pve_vm_template", UPID: testUPID}),
		"upid":   encodeTaskID(taskRef{Tool: "pve_vm_start", UPID: "UPID:bad"}),
		"node":   encodeTaskID(taskRef{Tool: "pve_vm_start", UPID: testUPID, Out: taskOut{Node: "pve2"}}),
		"long":   taskIDPrefix + strings.Repeat("A", maxTaskID),
	}
	for name, id := range bad {
		_, err := decodeTaskID(id)
		var rpc *jsonrpc.Error
		if !errors.As(err, &rpc) || rpc.Code != jsonrpc.CodeInvalidParams || !strings.Contains(rpc.Message, "Task not found") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTaskInterrupted(t *testing.T) {
	for exit, want := range map[string]bool{
		"received interrupt": true, "interrupted by signal": true, "clone failed: interrupted by signal": true,
		"unexpected status": false, "migration aborted": false, "VM 100 already running": false,
	} {
		if interrupted(exit) != want {
			t.Errorf("%q: %v", exit, !want)
		}
	}
}

func TestTasksDeclared(t *testing.T) {
	caps := map[string]any{"extensions": map[string]any{TasksExtension: map[string]any{}}}
	if !declaredIn(mcp.Meta{mcp.MetaKeyClientCapabilities: caps}, nil) {
		t.Error("per-request declaration not seen")
	}
	// A request's own capabilities decide, whatever the session said.
	if declaredIn(mcp.Meta{mcp.MetaKeyClientCapabilities: map[string]any{"elicitation": map[string]any{}}}, nil) {
		t.Error("undeclared request taken as declared")
	}
	if declaredIn(nil, nil) {
		t.Error("no capabilities taken as declared")
	}
	if !metaCanElicit(mcp.Meta{mcp.MetaKeyClientCapabilities: map[string]any{"elicitation": map[string]any{}}}) ||
		metaCanElicit(mcp.Meta{mcp.MetaKeyClientCapabilities: map[string]any{"elicitation": map[string]any{"url": map[string]any{}}}}) ||
		metaCanElicit(mcp.Meta{mcp.MetaKeyClientCapabilities: caps}) {
		t.Error("elicitation capability misread")
	}
	var rpc *jsonrpc.Error
	if err := errUndeclared(); !errors.As(err, &rpc) || rpc.Code != -32021 || !strings.Contains(string(rpc.Data), `"io.modelcontextprotocol/tasks":{}`) {
		t.Errorf("undeclared error: %v %s", err, rpc.Data)
	}
}

func TestTaskModeOnlyForOneTaskTools(t *testing.T) {
	ctx := t.Context()
	slotted := func(tool string, extras map[string]any) bool {
		return taskMode(contextWithSlot(ctx), tool, extras) != nil
	}
	if !slotted("pve_vm_clone", nil) || slotted("pve_lxc_migrate", nil) || slotted("pve_vm_start", map[string]any{"async": false}) {
		t.Error("task mode for the wrong calls")
	}
	if taskMode(ctx, "pve_vm_start", nil) != nil {
		t.Error("task mode without the middleware's slot")
	}
	s := &taskSlot{tool: "pve_bulk_action"}
	s.started("a", "", testUPID, taskOut{})
	s.started("b", "", testUPID, taskOut{})
	if s.count != 2 || s.ref.What != "a" {
		t.Errorf("slot %+v", s)
	}
}

func contextWithSlot(ctx context.Context) context.Context {
	return context.WithValue(ctx, taskSlotKey{}, &taskSlot{})
}
