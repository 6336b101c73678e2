package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// The audit trail (PVE_AUDIT_LOG, issue 20): a write tool's call is
// recorded before it runs (when that fails the call is refused: nothing
// unrecorded reaches Proxmox), its consent as it is given, and its outcome
// before it answers; a read tool's refusal is recorded too.

type auditKey struct{}

// auditCall is what a call's consent entries need.
type auditCall struct {
	log           *audit.Log
	principal, id string
	cluster       string
	tool, target  string
	secrets       []string    // argument values never recorded, masked in questions and errors too
	undo          *audit.Undo // a config change's prior values (undorecord.go)
}

// audited wraps a tool's handler with its audit entries.
func audited(d *Deps, sp spec, next mcp.ToolHandler) mcp.ToolHandler {
	write := sp.effect != ReadOnly
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		ac := &auditCall{log: d.Audit, principal: principalOf(req, d.LocalUser), id: callID(), tool: sp.name, cluster: d.Cluster}
		args, secrets := redactArgs(req.Params.Arguments)
		ac.secrets = secrets
		ac.target = targetOf(args)
		if write {
			err := ac.log.Append(audit.Entry{Principal: ac.principal, Cluster: ac.cluster, Event: "call", Call: ac.id, Tool: sp.name, Args: args, Target: ac.target,
				Plan: planFrom(ctx)})
			if err != nil {
				return errorResult(fmt.Errorf("%w: %s changes nothing while the audit log cannot be written (PVE_AUDIT_LOG): %v; reads still work",
					errRefused, sp.name, err)), nil
			}
		}
		res, err := next(context.WithValue(ctx, auditKey{}, ac), req)
		outcome, text := outcomeOf(res, err)
		if !write && outcome != "refused" {
			return res, err
		}
		e := audit.Entry{Principal: ac.principal, Cluster: ac.cluster, Event: "result", Call: ac.id, Tool: sp.name, Target: ac.target, Plan: planFrom(ctx),
			Outcome: outcome, UPID: resultUPID(res), Error: ac.mask(text)}
		if !write {
			e.Event, e.Args = "refusal", args
		}
		if outcome == "ok" {
			e.Undo = ac.undo
		}
		seq, aerr := ac.log.Record(e)
		switch {
		case aerr != nil && write && res != nil:
			d.Logger.ErrorContext(ctx, "the audit log could not record a call's outcome", "tool", sp.name, "err", aerr)
			res.Content = append(res.Content, &mcp.TextContent{Text: "Note: the audit log could not record this outcome: " + aerr.Error()})
		case aerr == nil && d.Logger != nil:
			// The head kept outside the file: a log rewritten or cut later
			// no longer ends where the server's own log says it did.
			seq, hash := ac.log.Head()
			d.Logger.InfoContext(ctx, "audit log head", "seq", seq, "hash", hash)
		}
		if aerr == nil && e.Undo != nil && res != nil {
			res.Content = append(res.Content, &mcp.TextContent{Text: fmt.Sprintf(
				"Audit entry %d keeps the prior values: pve_undo with entry %d puts them back while nothing else changed them.", seq, seq)})
		}
		return res, err
	}
}

// auditConsent records a question put to the user and its answer. When
// the entry cannot be written the answer does not count: the write is
// refused rather than made unrecorded.
func auditConsent(ctx context.Context, question string, err error) error {
	ac, ok := ctx.Value(auditKey{}).(*auditCall)
	if !ok {
		return err
	}
	answer := "yes"
	var ask *inputRequired
	var card *cardRequired
	switch {
	case errors.As(err, &ask):
		answer = "asked"
	case errors.As(err, &card):
		answer = "card" // shown to the person; pve_app_confirm records the press
	case err != nil:
		answer = "no"
	}
	aerr := ac.log.Append(audit.Entry{Principal: ac.principal, Cluster: ac.cluster, Event: "consent", Call: ac.id, Tool: ac.tool,
		Target: ac.target, Question: ac.mask(question), Outcome: answer})
	if err == nil && aerr != nil {
		return fmt.Errorf("%w: the user's yes could not be recorded in the audit log (PVE_AUDIT_LOG), so nothing is sent: %v", errRefused, aerr)
	}
	return err
}

// mask replaces the call's secret argument values in text.
func (ac *auditCall) mask(text string) string {
	for _, s := range ac.secrets {
		text = strings.ReplaceAll(text, s, "***")
	}
	return userinfo.ReplaceAllString(text, "$1***@")
}

// userinfo is the user:password part of a URL.
var userinfo = lazyre.New(`(://)[^/@\s]+@`)

// auditTaskStop records a tasks/cancel (the Tasks extension) that is about
// to stop a Proxmox task, after the user's yes; done records how it went.
// It fails, and nothing is stopped, when the log cannot be written.
func auditTaskStop(ctx context.Context, d *Deps, tool, node, upid string) (done func(error), err error) {
	if d.Audit == nil {
		return func(error) {}, nil
	}
	principal := "local:" + d.LocalUser
	if ti := auth.TokenInfoFromContext(ctx); ti != nil && ti.UserID != "" {
		principal = "http:" + ti.UserID
	} else if extra, _ := ctx.Value(extraKey{}).(*mcp.RequestExtra); extra != nil {
		principal = principalOf(&mcp.CallToolRequest{Extra: extra}, d.LocalUser)
	}
	id := callID()
	e := audit.Entry{Principal: principal, Cluster: d.Cluster, Event: "call", Call: id, Tool: "tasks/cancel", Target: node, UPID: upid,
		Question: "stop the task of " + tool}
	if err := d.Audit.Append(e); err != nil {
		return nil, fmt.Errorf("%w: nothing is stopped while the audit log cannot be written (PVE_AUDIT_LOG): %v", errRefused, err)
	}
	return func(err error) {
		outcome, text := "ok", ""
		if err != nil {
			outcome, text = "failed", err.Error()
		}
		_ = d.Audit.Append(audit.Entry{Principal: principal, Cluster: d.Cluster, Event: "result", Call: id, Tool: "tasks/cancel", Target: node,
			UPID: upid, Outcome: outcome, Error: text})
	}, nil
}

// principalOf names who made the call: the HTTP token's name, or the
// local user running the stdio server.
func principalOf(req *mcp.CallToolRequest, local string) string {
	if req.Extra != nil && req.Extra.TokenInfo != nil && req.Extra.TokenInfo.UserID != "" {
		return "http:" + req.Extra.TokenInfo.UserID
	}
	if req.Extra != nil && req.Extra.Header != nil {
		return "http:anonymous"
	}
	return "local:" + local
}

func callID() string { return randomHex(8) }

// secretArg tells argument names whose values are never recorded.
func secretArg(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"password", "secret", "token", "keyring", "encryption-key", "cipassword", "passphrase", "apikey", "header"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return k == "key" || strings.HasSuffix(k, "_key") || strings.HasSuffix(k, "-key") || k == "input-data" || k == "content" || k == "data"
}

// redactArgs is the arguments with secret values replaced, compact, and
// the values it replaced (to mask them wherever else they show up). A
// URL's user:password is replaced too.
func redactArgs(raw json.RawMessage) (json.RawMessage, []string) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil, nil
	}
	var secrets []string
	b, err := json.Marshal(redactValue(v, &secrets))
	if err != nil {
		return nil, secrets
	}
	return b, secrets
}

func redactValue(v any, secrets *[]string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if secretArg(k) {
				collect(x, secrets)
				t[k] = "***"
			} else {
				t[k] = redactValue(x, secrets)
			}
		}
	case []any:
		for i := range t {
			t[i] = redactValue(t[i], secrets)
		}
	case string:
		return userinfo.ReplaceAllString(t, "$1***@")
	}
	return v
}

// collect gathers the strings of a secret value (long enough to mask
// without masking common words).
func collect(v any, secrets *[]string) {
	switch t := v.(type) {
	case string:
		if len(t) >= 4 {
			*secrets = append(*secrets, t)
		}
	case map[string]any:
		for _, x := range t {
			collect(x, secrets)
		}
	case []any:
		for _, x := range t {
			collect(x, secrets)
		}
	}
}

// targetOf is "node/vmid" (or what of it the arguments name).
func targetOf(args json.RawMessage) string {
	var a struct {
		Node string `json:"node"`
		VMID any    `json:"vmid"`
	}
	_ = json.Unmarshal(args, &a)
	var parts []string
	if a.Node != "" {
		parts = append(parts, a.Node)
	}
	if a.VMID != nil {
		parts = append(parts, fmt.Sprint(a.VMID))
	}
	return strings.Join(parts, "/")
}

// outcomeOf reads how a call ended: ok, refused, declined, unknown,
// input-required, card-shown or failed, with the error's text.
func outcomeOf(res *mcp.CallToolResult, err error) (string, string) {
	if err != nil {
		return "failed", err.Error()
	}
	if res == nil {
		return "failed", ""
	}
	if len(res.InputRequests) > 0 {
		return "input-required", ""
	}
	if _, ok := res.Meta[CardMetaKey]; ok {
		return "card-shown", ""
	}
	if !res.IsError {
		return "ok", ""
	}
	var text string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			text += t.Text
		}
	}
	switch {
	case strings.Contains(text, "may have been carried out"):
		return "unknown", text
	case strings.Contains(text, "declined"):
		return "declined", text
	case strings.HasPrefix(text, "refused: ") || strings.Contains(text, ": refused: "):
		return "refused", text // the guard's refusals, not a "connection refused"
	}
	return "failed", text
}

// resultUPID is the task a result names, if any.
func resultUPID(res *mcp.CallToolResult) string {
	if res == nil {
		return ""
	}
	b, ok := res.StructuredContent.(json.RawMessage)
	if !ok {
		return ""
	}
	var out struct {
		UPID string `json:"upid"`
	}
	_ = json.Unmarshal(b, &out)
	return out.UPID
}
