package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The MCP Apps extension (SEP-1865) as this server uses it.
const (
	AppsExtension  = "io.modelcontextprotocol/ui"
	AppMIMEType    = "text/html;profile=mcp-app"
	AppConfirmName = "pve_app_confirm"
	// CardMetaKey names the confirm card in a result's _meta: the one place
	// of a result that hosts keep from the model (SEP-1865, Data Passing).
	CardMetaKey = "proxmox-mcp/card"
	// cardPrefix keeps a card's token apart from an elicitation's request
	// state: both are signed by the same Consent.
	cardPrefix = "app card\x00"
)

// capabilityReader is a request: its client's capabilities come with it
// (protocol 2026-07-28) or from the session's initialize.
type capabilityReader interface {
	ClientCapabilities() *mcp.ClientCapabilities
}

// RendersApps reports whether the request's client declared the Apps
// extension with the HTML MIME type.
func RendersApps(req any) bool {
	r, ok := req.(capabilityReader)
	return ok && r != nil && DeclaresApps(r.ClientCapabilities())
}

// DeclaresApps reports whether client capabilities declare the extension
// with the HTML MIME type.
func DeclaresApps(c *mcp.ClientCapabilities) bool {
	if c == nil {
		return false
	}
	settings, _ := c.Extensions[AppsExtension].(map[string]any)
	switch types := settings["mimeTypes"].(type) {
	case []any:
		return slices.Contains(types, any(AppMIMEType))
	case []string:
		return slices.Contains(types, AppMIMEType)
	}
	return false
}

// cardRequired stops a destructive call on a client that renders Apps: the
// result carries a confirm card, and the action runs only when the person
// presses its button (pve_app_confirm with the card's token).
type cardRequired struct {
	action, tool, token string
	args                json.RawMessage
}

func (*cardRequired) Error() string { return "the person's confirmation on the card is required" }

func (e *cardRequired) result() *mcp.CallToolResult {
	r := &mcp.CallToolResult{
		Content: []mcp.Content{&mcp.TextContent{Text: "Nothing was done yet. " + e.action +
			" This client shows the person a confirmation card with this result; the action runs only when they " +
			"press its button. confirm: true alone does not run it on this client, and calling the tool again does not either."}},
		Meta: mcp.Meta{CardMetaKey: map[string]any{"action": e.action, "tool": e.tool, "arguments": e.args, "token": e.token}},
	}
	r.IsError = true // nothing was done; also keeps clients from checking it against the output schema
	return r
}

// approvalKey carries a card's token into the handler pve_app_confirm runs.
// Only that tool sets it: nothing a client sends reaches it.
type approvalKey struct{}

func approvalFrom(ctx context.Context) string {
	s, _ := ctx.Value(approvalKey{}).(string)
	return s
}

// questionTool names the tool in a question: with the cluster, so a yes
// given on one cluster is no yes on another.
func (c *call) questionTool() string {
	if c.Cluster != "" {
		return c.Cluster + "/" + c.req.Params.Name
	}
	return c.req.Params.Name
}

// card is ask on a client that renders Apps. Without an approval it issues a
// one-time token bound to the session, the tool, the arguments and the
// question, and stops the call with a card; with one it redeems it.
func (c *call) card(text string) error {
	q := question{session: c.req.Session.ID(), tool: c.questionTool(), args: argsHash(c.req.Params.Arguments), text: cardPrefix + text}
	if c.approval != "" {
		if err := c.consent.redeem(c.approval, q); err != nil {
			return fmt.Errorf("%w: nothing was done: the card's confirmation is not for this action (%v); ask again", errRefused, err)
		}
		return nil
	}
	args := c.req.Params.Arguments
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	if c.Cluster != "" {
		args = markCluster(args, c.Cluster) // the card's call goes back to this cluster
	}
	return &cardRequired{action: text, tool: c.req.Params.Name, token: c.consent.issue(q), args: args}
}

func (c *call) rendersApps() bool {
	// A plan's call asks by elicitation: a card's button would run it
	// again outside the plan.
	return !c.applying && c.req != nil && c.req.Params != nil && RendersApps(c.req)
}

// offered is the tool of that name as it is offered now.
func (b *Toolbox) offered(name string) (Tool, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.on[name] {
		return Tool{}, false
	}
	for _, t := range b.all {
		if t.Def.Name == name {
			return b.sel.pick(t)
		}
	}
	return Tool{}, false
}

type appConfirmArgs struct {
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
	Token     string          `json:"token"`
}

// AppConfirmTool is pve_app_confirm, which the confirm card's button calls:
// it runs the destructive tool the card is for, with the card's token. Its
// visibility is ["app"]: hosts list it to no model and take calls to it
// only from this server's views. It is registered apart from the inventory,
// and only sessions that render Apps see it (internal/apps).
func AppConfirmTool(d *Deps) Tool {
	schema := &jsonschema.Schema{Type: "object", Required: []string{"tool", "arguments", "token"},
		Properties: map[string]*jsonschema.Schema{
			"tool":      {Type: "string", Description: "the destructive tool the card is for"},
			"arguments": {Type: "object", Description: "its arguments, exactly as the card got them"},
			"token":     {Type: "string", Description: "the card's one-time token"},
		}}
	def := &mcp.Tool{Name: AppConfirmName, Title: "Confirm on the card",
		Description: "Runs the action a confirm card shows, after the person pressed its button. Only the card calls it.",
		InputSchema: schema, Annotations: annotations(spec{title: "Confirm on the card", effect: Destructive}),
		Meta: mcp.Meta{"ui": map[string]any{"visibility": []string{"app"}}}}
	handler := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if !RendersApps(req) {
			return errorResult(fmt.Errorf("%w: %s is for MCP Apps views only", errRefused, AppConfirmName)), nil
		}
		var in appConfirmArgs
		if err := json.Unmarshal(req.Params.Arguments, &in); err != nil {
			return errorResult(fmt.Errorf("invalid arguments: %w", err)), nil
		}
		if in.Token == "" || in.Tool == AppConfirmName {
			return errorResult(fmt.Errorf("%w: no card token for %q", errRefused, in.Tool)), nil
		}
		if d.Toolbox == nil {
			return errorResult(fmt.Errorf("%s: this server has no toolbox", AppConfirmName)), nil
		}
		t, ok := d.Toolbox.offered(in.Tool)
		if !ok {
			return errorResult(fmt.Errorf("invalid argument \"tool\": %q is not offered", in.Tool)), nil
		}
		inner := &mcp.CallToolRequest{Session: req.Session, Extra: req.Extra,
			Params: &mcp.CallToolParamsRaw{Meta: req.Params.Meta, Name: in.Tool, Arguments: in.Arguments}}
		return t.handler(context.WithValue(ctx, approvalKey{}, in.Token), inner)
	}
	return Tool{Def: def, Toolset: "cluster", Effect: Destructive, handler: handler, input: func() *jsonschema.Schema { return schema }}
}
