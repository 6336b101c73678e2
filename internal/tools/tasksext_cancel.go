package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// cancel is tasks/cancel: it stops the Proxmox task, which leaves its work
// half done, so it is destructive: it is off where destructive tools are,
// and it runs only once the user said yes, asked as pve_task_stop asks.
// A task that already ended is acknowledged without asking: there is
// nothing to stop, and tasks/get tells how it ended.
func (h *TaskHandles) cancel(ctx context.Context, ss *mcp.ServerSession, p *taskParams) (*taskAck, error) {
	if !declaredIn(p.Meta, ss) {
		return nil, errUndeclared()
	}
	r, err := decodeTaskID(p.TaskID)
	if err != nil {
		return nil, err
	}
	if why := h.cancelOff(r.Tool); why != "" {
		return nil, refusal(why + "; nothing was stopped")
	}
	extra, _ := ctx.Value(extraKey{}).(*mcp.RequestExtra)
	on := *h.d // the policy and choices of the task's own cluster
	if r.Cluster != "" {
		on.Cluster = r.Cluster
	}
	if err := on.callerGate(&mcp.CallToolRequest{Extra: extra}, spec{name: "tasks/cancel", toolset: "tasks", effect: Mutating}); err != nil {
		return nil, refusal(err.Error() + "; nothing was stopped")
	}
	r, c, st, err := h.open(ctx, ss, p, nil)
	if err != nil {
		return nil, err
	}
	if st.Status != "running" {
		return &taskAck{ResultType: "complete"}, nil
	}
	u, _ := pveid.ParseUPID(r.UPID) // decodeTaskID parsed it
	q := sentence(fmt.Sprintf("stop the %s task on %s (%s), leaving its work half done", u.Type, u.Node, r.UPID)) + "?"
	ask, err := h.askUser(ctx, ss, p, q)
	if err != nil {
		return nil, refusal(err.Error())
	}
	if ask != nil {
		return ask, nil
	}
	recorded, err := auditTaskStop(ctx, c.Deps, r.Tool, u.Node, r.UPID)
	if err != nil {
		return nil, refusal(err.Error())
	}
	err = stopTask(ctx, c, u, r.UPID)
	recorded(err)
	if err != nil {
		code := int64(jsonrpc.CodeInternalError)
		if errors.Is(err, errRefused) {
			code = jsonrpc.CodeInvalidRequest
		}
		return nil, &jsonrpc.Error{Code: code, Message: err.Error()}
	}
	return &taskAck{ResultType: "complete"}, nil
}

// cancelOff says why this server does not stop tasks of tool, or "".
func (h *TaskHandles) cancelOff(tool string) string {
	b := h.d.Toolbox
	switch {
	case b == nil:
		return "this server offers no tools"
	case b.sel.ReadOnly:
		return "tasks/cancel stops a Proxmox task, and this server is read-only (PVE_READONLY)"
	case b.sel.DisableDestructive:
		return "tasks/cancel stops a Proxmox task, a destructive action PVE_DISABLE_DESTRUCTIVE turns off"
	case !b.offers(tool):
		return fmt.Sprintf("the tool that started this task, %s, is not offered by this server now", tool)
	}
	return ""
}

// offers tells whether the tool is offered now.
func (b *Toolbox) offers(name string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.on[name]
}

// refusal is a tasks/cancel that did not happen, with why.
func refusal(why string) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: why}
}

// askUser puts the question to the user: on 2026-07-28 as an input request
// in the answer (the client asks and sends tasks/cancel again with the
// answer and the signed request state), on the session versions by
// elicitation. A client that cannot ask its user cannot cancel: the model
// alone never stops a task (pve_task_stop with confirm: true is there for
// that, where it is offered). It returns the ask to send, or nil to go on.
func (h *TaskHandles) askUser(ctx context.Context, ss *mcp.ServerSession, p *taskParams, text string) (*taskAck, error) {
	declined := func(err error) error {
		return fmt.Errorf("nothing was stopped: %w", err)
	}
	if v, ok := p.Meta[mcp.MetaKeyProtocolVersion].(string); ok && v >= "2026-07-28" {
		if !metaCanElicit(p.Meta) {
			return nil, declined(errors.New("tasks/cancel asks the user, and this request's capabilities have no elicitation"))
		}
		consent := h.consent
		q := question{tool: "tasks/cancel", args: argsHash(p.TaskID), text: text}
		if resp, ok := p.InputResponses[confirmKey]; ok && consent.redeem(p.RequestState, q) == nil {
			return nil, answer(resp, text)
		}
		return &taskAck{ResultType: "input_required", RequestState: consent.issue(q),
			InputRequests: mcp.InputRequestMap{confirmKey: &mcp.ElicitParams{Message: text,
				RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}}}}, nil
	}
	if ss == nil || !sessionCanElicit(ss) {
		return nil, declined(errors.New("tasks/cancel asks the user, and this client declared no elicitation"))
	}
	res, err := ss.Elicit(ctx, &mcp.ElicitParams{Message: text,
		RequestedSchema: map[string]any{"type": "object", "properties": map[string]any{}}})
	if err != nil {
		return nil, declined(fmt.Errorf("the user could not be asked (%v)", err))
	}
	return nil, answer(res, text)
}

func sessionCanElicit(ss *mcp.ServerSession) bool {
	ip := ss.InitializeParams()
	if ip == nil || ip.Capabilities == nil || ip.Capabilities.Elicitation == nil {
		return false
	}
	e := ip.Capabilities.Elicitation
	return e.Form != nil || e.URL == nil // neither set means form, for older clients
}

// metaCanElicit reads the elicitation capability from per-request _meta.
func metaCanElicit(meta mcp.Meta) bool {
	var caps struct {
		Elicitation *struct {
			Form json.RawMessage `json:"form"`
			URL  json.RawMessage `json:"url"`
		} `json:"elicitation"`
	}
	if !remarshal(meta[mcp.MetaKeyClientCapabilities], &caps) || caps.Elicitation == nil {
		return false
	}
	return caps.Elicitation.Form != nil || caps.Elicitation.URL == nil
}
