package tools

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// The MCP Tasks extension (io.modelcontextprotocol/tasks, SEP-2663, the
// 2026-07-28 revision's form): to a client that declares it, a tool that
// starts one Proxmox task answers at once with a task handle, and the client
// follows it with tasks/get, stops it with tasks/cancel. The task ID carries
// all that is needed to answer from the Proxmox task alone (the UPID, the
// tool, what the tool would report), so the server keeps no state: a task
// survives a restart of the server and works in stateless HTTP. Every
// request still goes through the guard, and the ID grants nothing a tool
// call would not.

// TasksExtension is the extension's identifier.
const TasksExtension = "io.modelcontextprotocol/tasks"

// taskPollMs is the poll interval suggested to clients: about the rate at
// which a waiting tool polls a running task.
const taskPollMs = 2000

// handleTools are the tools whose whole work is the one Proxmox task they
// start, so the task's end alone gives the result the tool reports when it
// waits. Tools that do more after their task (a CT migration that looks
// for the guest, a template conversion that reads the config, several
// tasks) keep waiting.
var handleTools = map[string]bool{
	"pve_vm_start": true, "pve_vm_shutdown": true, "pve_vm_reboot": true, "pve_vm_stop": true, "pve_vm_reset": true,
	"pve_lxc_start": true, "pve_lxc_shutdown": true, "pve_lxc_reboot": true, "pve_lxc_stop": true,
	"pve_vm_create": true, "pve_lxc_create": true, "pve_vm_clone": true, "pve_lxc_clone": true,
	"pve_vm_migrate": true, "pve_vm_delete": true, "pve_lxc_delete": true,
	"pve_snapshot_create": true, "pve_snapshot_rollback": true, "pve_snapshot_delete": true,
	"pve_download_iso": true, "pve_backup_now": true, "pve_restore": true,
}

// TaskHandles answers the Tasks extension's methods. It holds no task
// state: everything comes from the task ID and Proxmox.
type TaskHandles struct {
	d       *Deps
	consent *Consent // signs the question tasks/cancel puts to the user
	now     func() time.Time
}

// ServeTasks declares the extension in caps (the server's own, read at
// each initialize and server/discover), registers tasks/get, tasks/update
// and tasks/cancel and the tools/call middleware that hands out tasks.
func ServeTasks(s *mcp.Server, caps *mcp.ServerCapabilities, d *Deps) error {
	h := &TaskHandles{d: d, consent: d.Consent, now: time.Now}
	if h.consent == nil {
		h.consent = NewConsent()
	}
	caps.AddExtension(TasksExtension, nil)
	if err := mcp.AddReceivingCustomMethod(s, "tasks/get", h.get); err != nil {
		return fmt.Errorf("tasks extension: %w", err)
	}
	if err := mcp.AddReceivingCustomMethod(s, "tasks/update", h.update); err != nil {
		return fmt.Errorf("tasks extension: %w", err)
	}
	if err := mcp.AddReceivingCustomMethod(s, "tasks/cancel", h.cancel); err != nil {
		return fmt.Errorf("tasks extension: %w", err)
	}
	s.AddReceivingMiddleware(h.middleware)
	return nil
}

// taskRef is what a task ID encodes. None of it is secret: the UPID is in
// every task list, the rest is what the tool's result shows.
type taskRef struct {
	V       int     `json:"v"`
	Tool    string  `json:"t"`
	Cluster string  `json:"c,omitempty"` // PVE_CONFIG_FILE's cluster it runs on
	UPID    string  `json:"u"`
	What    string  `json:"w"`           // the tool's words for its action, for its errors
	Kind    string  `json:"k,omitempty"` // qemu, lxc or "": which read tells what a write did
	Out     taskOut `json:"o"`           // the result so far, without upid and status
}

const (
	taskRefVersion = 1
	taskIDPrefix   = "pvetask1."
	maxTaskID      = 4096
)

func encodeTaskID(r taskRef) string {
	r.V = taskRefVersion
	r.Out.UPID, r.Out.Status = "", ""
	b, _ := json.Marshal(r) // plain strings and numbers: never fails
	return taskIDPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// errNoTask is the spec's answer to an ID that names no task.
func errNoTask(why string) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "Failed to retrieve task: Task not found (" + why + ")"}
}

func decodeTaskID(id string) (taskRef, error) {
	var r taskRef
	rest, ok := strings.CutPrefix(id, taskIDPrefix)
	if !ok || len(id) > maxTaskID {
		return r, errNoTask("not a task ID of this server")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return r, errNoTask("malformed task ID")
	}
	if err := json.Unmarshal(b, &r); err != nil || r.V != taskRefVersion {
		return r, errNoTask("malformed task ID")
	}
	if !handleTools[r.Tool] {
		return r, errNoTask("no tool of this server starts such tasks")
	}
	u, err := pveid.ParseUPID(r.UPID)
	if err != nil {
		return r, errNoTask("malformed UPID in the task ID")
	}
	if r.Out.Node != "" && r.Out.Node != u.Node {
		return r, errNoTask("the task ID's node is not its UPID's")
	}
	r.Out.UPID = r.UPID
	return r, nil
}

// taskSlot carries a tools/call's task from the tool to the middleware:
// the middleware puts an empty one in the context of a call that may
// become a task, and the tool's first task fills it instead of waiting.
type taskSlot struct {
	tool    string
	cluster string // set by a Fleet: the cluster the call ran on
	ref     *taskRef
	count   int // tasks the call started; a handle stands for one only
}

type taskSlotKey struct{}

type extraKey struct{}

func slotFrom(ctx context.Context) *taskSlot {
	s, _ := ctx.Value(taskSlotKey{}).(*taskSlot)
	return s
}

// started records a task the call did not wait for.
func (s *taskSlot) started(what, kind, upid string, out taskOut) {
	if s == nil {
		return
	}
	s.count++
	if s.ref == nil {
		s.ref = &taskRef{Tool: s.tool, Cluster: s.cluster, UPID: upid, What: what, Kind: kind, Out: out}
	}
}

// taskMode tells a tool handler to start its task without waiting: the
// client declared the extension, the tool is one task, and the caller did
// not choose async itself.
func taskMode(ctx context.Context, tool string, extras map[string]any) *taskSlot {
	s := slotFrom(ctx)
	if s == nil || !handleTools[tool] {
		return nil
	}
	if _, chosen := extras["async"]; chosen {
		return nil
	}
	s.tool = tool
	return s
}

// middleware turns the tools/call of a declaring client into a task when
// the tool started one; everything else passes through untouched.
func (h *TaskHandles) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if strings.HasPrefix(method, "tasks/") {
			// Custom methods get no request: their handlers read who asks here.
			ctx = context.WithValue(ctx, extraKey{}, req.GetExtra())
		}
		call, ok := req.(*mcp.CallToolRequest)
		if method != "tools/call" || !ok || call.Params == nil || !handleTools[call.Params.Name] || !declared(req) {
			return next(ctx, method, req)
		}
		slot := &taskSlot{}
		res, err := next(context.WithValue(ctx, taskSlotKey{}, slot), method, req)
		tr, _ := res.(*mcp.CallToolResult)
		if err != nil || tr == nil || tr.IsError || len(tr.InputRequests) > 0 || slot.ref == nil || slot.count != 1 {
			return res, err
		}
		return h.created(*slot.ref), nil
	}
}

// declared tells whether the request's client declared the extension: in
// the request's own capabilities (2026-07-28, SEP-2575), else, for the
// session protocol versions, in those it gave at initialize.
func declared(req mcp.Request) bool {
	var meta mcp.Meta
	if p := req.GetParams(); p != nil {
		meta = p.GetMeta()
	}
	ss, _ := req.GetSession().(*mcp.ServerSession)
	return declaredIn(meta, ss)
}

// hasExtension reads capabilities.extensions from a decoded _meta value.
func hasExtension(raw any) bool {
	var caps struct {
		Extensions map[string]json.RawMessage `json:"extensions"`
	}
	if !remarshal(raw, &caps) {
		return false
	}
	_, ok := caps.Extensions[TasksExtension]
	return ok
}

// remarshal decodes a value of decoded JSON into out.
func remarshal(v, out any) bool {
	b, err := json.Marshal(v)
	return err == nil && json.Unmarshal(b, out) == nil
}

// errUndeclared is the spec's answer to a tasks/* request from a client
// that did not declare the extension.
func errUndeclared() error {
	data, _ := json.Marshal(mcp.MissingRequiredClientCapabilityData{RequiredCapabilities: &mcp.ClientCapabilities{
		Extensions: map[string]any{TasksExtension: map[string]any{}}}})
	return &jsonrpc.Error{Code: mcp.CodeMissingRequiredClientCapabilities,
		Message: "Missing required client capability: declare the " + TasksExtension + " extension", Data: data}
}

// Task is the extension's Task, with the fields of its detailed forms.
type Task struct {
	mcp.ResultBase
	ResultType     string          `json:"resultType"`
	TaskID         string          `json:"taskId"`
	Status         string          `json:"status"`
	StatusMessage  string          `json:"statusMessage,omitempty"`
	CreatedAt      string          `json:"createdAt"`
	LastUpdatedAt  string          `json:"lastUpdatedAt"`
	TTLMs          *int64          `json:"ttlMs"` // null: kept as long as Proxmox keeps the task
	PollIntervalMs int             `json:"pollIntervalMs,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"` // completed: the CallToolResult
	Error          *jsonrpc.Error  `json:"error,omitempty"`  // failed
}

// created is the CreateTaskResult of a task a tool just started.
func (h *TaskHandles) created(r taskRef) *Task {
	t := h.task(r, "working")
	t.ResultType = "task"
	t.StatusMessage = r.What + ": started Proxmox task " + r.UPID
	return t
}

func (h *TaskHandles) task(r taskRef, status string) *Task {
	created := h.now()
	if u, err := pveid.ParseUPID(r.UPID); err == nil && u.StartTime > 0 {
		created = time.Unix(int64(u.StartTime), 0) // Proxmox's clock: the same for every server
	}
	t := &Task{ResultType: "complete", TaskID: encodeTaskID(r), Status: status,
		CreatedAt: created.UTC().Format(time.RFC3339), LastUpdatedAt: h.now().UTC().Format(time.RFC3339), PollIntervalMs: taskPollMs}
	t.Meta = mcp.Meta{taskMetaKey: map[string]any{"upid": r.UPID, "tool": r.Tool}}
	return t
}

// taskMetaKey holds what the Task shape has no field for: the UPID, the
// log tail, the progress.
const taskMetaKey = "io.github.proxmox-mcp/task"
