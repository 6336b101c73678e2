// Package tools defines the MCP tools: each one translates a typed MCP call into
// Proxmox API calls through internal/pve, after validating and guarding it.
package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Effect is what a tool does to the cluster; annotations and the read-only and
// destructive gates are all derived from it.
type Effect int

const (
	ReadOnly    Effect = iota // reads only
	Mutating                  // changes state, recoverably
	Destructive               // may lose data or interrupt work: needs confirm
)

// Deps is what tool handlers need at run time.
type Deps struct {
	// Guard is the one way to Proxmox: each call gets a guarded client from
	// it, and the raw client stays inside it.
	Guard       *guard.Guard
	TaskTimeout time.Duration
	Logger      *slog.Logger
	// AllowPrivateDownloads lets pve_download_iso fetch from internal hosts.
	AllowPrivateDownloads bool
	Resolver              Resolver // nil: URLs are checked by their literal host only
	Consent               *Consent // signs the questions put to the user; nil: each tool makes its own
	// Toolbox adds toolsets at run time (pve_toolsets); set by the server
	// once its tools are registered.
	Toolbox *Toolbox
	// NodeSSH reaches the nodes over SSH for pve_lxc_exec; nil: not configured.
	NodeSSH *NodeSSH
	// Audit records writes, refusals and consents (PVE_AUDIT_LOG); nil:
	// none. LocalUser names who runs a stdio server, for its entries.
	Audit     *audit.Log
	LocalUser string
	// Plans keeps pve_plan's plans for pve_apply; RequirePlan
	// (PVE_REQUIRE_PLAN: "destructive" or "all") makes those writes go
	// through one.
	Plans       *Plans
	RequirePlan string
	rehearsal   *rehearsal // set on a plan's twin: questions are recorded, not asked
	// Fleet serves the clusters of PVE_CONFIG_FILE, Cluster names this
	// Deps' one; nil and "" for a server of one cluster (the environment).
	Fleet   *Fleet
	Cluster string
}

// Tool is one MCP tool: its definition as clients see it, its toolset and its effect.
type Tool struct {
	// Def's schemas are set on first use (Definition, Register): most tools
	// of the inventory are never offered. Read them through Definition.
	Def     *mcp.Tool
	Toolset string
	Effect  Effect
	handler mcp.ToolHandler
	// input builds, once, the schema arguments are validated against.
	input func() *jsonschema.Schema
	// fill sets Def's schemas once: the advertised JSON generated from the
	// inferred schemas (schemas_gen.go) when it is current, else inferred.
	fill func()
	// inferred is the advertised pair built from the Go types, without
	// the generated copy (fleet.go adds an argument to it; tests); nil
	// for the tools built by hand and those fleet.go wraps.
	inferred func() (in, out any)
	// typed is the tool's typed code; nil for the few built by hand.
	typed  typedHandler
	inType reflect.Type // typed's input type
	// readForm is offered under the same name where the configuration
	// keeps this tool out (see readforms.go); nil for most tools.
	readForm *Tool
}

// Register adds the tool to an MCP server.
func (t Tool) Register(s *mcp.Server) { s.AddTool(t.Definition(), t.handler) }

// Definition is the tool as clients see it, its schemas set.
func (t Tool) Definition() *mcp.Tool {
	if t.fill != nil {
		t.fill()
	}
	return t.Def
}

// Handle runs the tool directly (tests, benchmarks).
func (t Tool) Handle(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return t.handler(ctx, req)
}

// spec is the hand-written part of a tool definition.
type spec struct {
	name, title, desc, toolset string
	effect                     Effect
	idempotent                 bool
	task                       bool               // starts a Proxmox task: takes async
	output                     *jsonschema.Schema // nil: inferred from the Out type
}

// call is what a handler gets besides its input.
type call struct {
	*Deps
	req     *mcp.CallToolRequest
	async   bool // return the UPID at once instead of waiting
	consent *Consent
	// PVE is this call's guarded client; allow its allowlists.
	PVE   *guard.Call
	allow guard.Allowlist
	// confirmed is the call's confirm argument; pending is the tool's own
	// question, asked with the first write (see gate).
	confirmed, consented bool
	pending              string
	// stepped: the tool reports progress per step of its own, so the
	// tasks it follows send none (values must only rise).
	stepped bool
	// slot receives the task of a call that hands out a task handle
	// (tasksext.go); nil otherwise.
	slot *taskSlot
	// approval is a confirm card's token, set only by pve_app_confirm.
	approval string
	applying bool // run by pve_apply: no confirm card
}

// texter lets an output choose its JSON text; lists render as a bare array,
// as the reference design's clients expect.
type texter interface{ text() any }

// attacher lets an output add content after its text, such as a chart
// image; the structured content stays the output's JSON alone.
type attacher interface{ attachments() []mcp.Content }

// define builds a Tool from a typed handler (handle(f) for a handler
// func f). Input is decoded strictly and validated against the tool's
// schema with errors that name the argument.
//
// define is not generic, and handle is small enough to be inlined even in
// the big functions that list a toolset's tools: a generic define lived
// with its instantiation, one of some 150 spread over half a megabyte, and
// building the default tools touched (and kept resident) a page of each.
// The per-type code (typed's methods) runs only for the tools called.
func define(d *Deps, sp spec, th typedHandler) Tool {
	fn := reflect.TypeOf(th).Field(0).Type // typed's h
	return newTool(d, sp, th, fn.In(2), fn.Out(0))
}

// handle is a typed handler's code.
func handle[In, Out any](h func(ctx context.Context, c *call, in In) (Out, error)) typedHandler {
	return typed[In, Out]{h}
}

// typedHandler is the code of a tool that depends on its argument and
// result types.
type typedHandler interface {
	input() *jsonschema.Schema
	output() *jsonschema.Schema
	decode(s *jsonschema.Schema, rs *jsonschema.Resolved, raw json.RawMessage) (any, map[string]any, error)
	run(ctx context.Context, c *call, in any) (any, error)
}

type typed[In, Out any] struct {
	h func(ctx context.Context, c *call, in In) (Out, error)
}

func (typed[In, Out]) input() *jsonschema.Schema  { return inputSchema[In]() }
func (typed[In, Out]) output() *jsonschema.Schema { return outputSchema[Out]() }

func (typed[In, Out]) decode(s *jsonschema.Schema, rs *jsonschema.Resolved, raw json.RawMessage) (any, map[string]any, error) {
	return decodeInput[In](s, rs, raw, "async")
}

func (t typed[In, Out]) run(ctx context.Context, c *call, in any) (any, error) {
	v, _ := in.(In) // decode made it
	return t.h(ctx, c, v)
}

// newTool builds the tool; in and out are th's types (in tells a read form
// from its full tool; an out of taskOut makes the tool take async).
func newTool(d *Deps, sp spec, th typedHandler, in, out reflect.Type) Tool {
	def := &mcp.Tool{Name: sp.name, Title: sp.title, Description: sp.desc, Annotations: annotations(sp)}
	isTask := sp.task || out == reflect.TypeFor[taskOut]()
	task := func() bool { return isTask }
	// The validation schema is built and resolved (the costliest step) on
	// the tool's first call.
	inSchema := sync.OnceValue(func() *jsonschema.Schema {
		in := th.input()
		if task() {
			// The server's instructions say what async does, once for all tools.
			in.Properties["async"] = &jsonschema.Schema{Type: "boolean"}
			in.PropertyOrder = append(in.PropertyOrder, "async")
		}
		return in
	})
	inferred := func() (any, any) {
		out := sp.output
		if out == nil {
			out = th.output()
		}
		return advertised(inSchema()), out
	}
	// Inferring the offered tools' schemas by reflection touched code and
	// type data all over the binary at start-up (about 100 page faults,
	// 0.5 ms of a 7 ms cold start); the generated copy is a lookup, kept
	// equal to inference by TestGeneratedSchemasGolden.
	fill := sync.OnceFunc(func() {
		if in, out, ok := generatedSchemas(sp.name, in.String()); ok {
			def.InputSchema, def.OutputSchema = in, out
			return
		}
		def.InputSchema, def.OutputSchema = inferred()
	})
	resolve := sync.OnceValues(func() (*jsonschema.Resolved, error) {
		return inSchema().Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
	})
	consent := d.Consent
	if consent == nil {
		consent = NewConsent()
	}
	handler := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		resolvedIn, err := resolve()
		if err != nil {
			return nil, fmt.Errorf("tool %s: input schema: %w", sp.name, err)
		}
		if err := d.callerGate(req, sp); err != nil {
			return errorResult(err), nil
		}
		if sp.effect != ReadOnly && sp.name != applyName && wantsPlan(req.Params.Arguments) {
			// A plan answers in its own shape, not this tool's output schema.
			return errorResult(fmt.Errorf("invalid argument \"plan\": %s takes no plan argument; rehearse the call with %s {\"tool\": %q, \"arguments\": {...}}",
				sp.name, planName, sp.name)), nil
		}
		input, extras, err := th.decode(inSchema(), resolvedIn, req.Params.Arguments)
		if err != nil {
			return errorResult(err), nil
		}
		async, _ := extras["async"].(bool)
		c := &call{Deps: d, req: req, async: async, consent: consent, confirmed: confirmedIn(input),
			approval: approvalFrom(ctx), applying: planFrom(ctx) != ""}
		if slot := taskMode(ctx, sp.name, extras); slot != nil && task() {
			c.async, c.slot = true, slot // the Tasks extension: a handle, not a wait
		}
		c.PVE, c.allow = d.Guard.Call(c.gate), d.Guard.Allow()
		if err := d.planRequired(ctx, sp, req.Params.Arguments); err != nil {
			return errorResult(err), nil
		}
		res, err := th.run(ctx, c, input)
		var inner *innerResult
		if errors.As(err, &inner) {
			return inner.res, nil
		}
		var ask *inputRequired
		if errors.As(err, &ask) {
			return &mcp.CallToolResult{InputRequests: ask.requests, RequestState: ask.state}, nil
		}
		var card *cardRequired
		if errors.As(err, &card) {
			return card.result(), nil
		}
		return c.result(ctx, res, err)
	}
	if d.Audit != nil {
		handler = audited(d, sp, handler)
	}
	return Tool{Def: def, Toolset: sp.toolset, Effect: sp.effect, handler: handler, input: inSchema,
		fill: fill, inferred: inferred, typed: th, inType: in}
}

// result is a tool's answer from its output or error.
func (c *call) result(ctx context.Context, res any, err error) (*mcp.CallToolResult, error) {
	if err != nil {
		if e, ok := c.explain(ctx, err); ok {
			return errorResult(e), nil
		}
		return errorResult(withHint(err)), nil
	}
	return resultOf(res)
}

func annotations(sp spec) *mcp.ToolAnnotations {
	destructive := sp.effect == Destructive
	openWorld := true // every tool talks to a Proxmox cluster outside this process
	return &mcp.ToolAnnotations{
		Title:           sp.title,
		ReadOnlyHint:    sp.effect == ReadOnly,
		DestructiveHint: &destructive,
		IdempotentHint:  sp.effect == ReadOnly || sp.idempotent,
		OpenWorldHint:   &openWorld,
	}
}

// encoder is an output that writes its own JSON, structured and text.
type encoder interface {
	encode() (structured []byte, text string)
}

func resultOf(out any) (*mcp.CallToolResult, error) {
	if e, ok := out.(encoder); ok {
		structured, text := e.encode()
		content := []mcp.Content{&mcp.TextContent{Text: text}}
		if a, ok := out.(attacher); ok {
			content = append(content, a.attachments()...)
		}
		return &mcp.CallToolResult{Content: content, StructuredContent: json.RawMessage(structured)}, nil
	}
	structured, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	text := structured
	if t, ok := out.(texter); ok {
		if text, err = json.Marshal(t.text()); err != nil {
			return nil, fmt.Errorf("encode result text: %w", err)
		}
	}
	content := []mcp.Content{&mcp.TextContent{Text: string(text)}}
	if a, ok := out.(attacher); ok {
		content = append(content, a.attachments()...)
	}
	return &mcp.CallToolResult{Content: content, StructuredContent: json.RawMessage(structured)}, nil
}

func errorResult(err error) *mcp.CallToolResult {
	var r mcp.CallToolResult
	r.SetError(err)
	return &r
}

// errRefused marks guard refusals, so tests and logs can tell them from API errors.
var errRefused = guard.ErrRefused

// withHint adds what to do next to errors whose cause is common and clear.
func withHint(err error) error {
	text := err.Error()
	switch {
	case pve.IsNotFound(err) && strings.Contains(text, "Configuration file"):
		return fmt.Errorf("%w (the guest does not exist on that node; pve_cluster_resources shows which node each guest is on)", err)
	case pve.IsLocked(err):
		return fmt.Errorf("%w (the guest is busy with another operation; wait for it, see pve_list_tasks, and retry)", err)
	case strings.Contains(text, "is running - destroy failed"):
		return fmt.Errorf("%w (stop the guest first: pve_vm_stop or pve_lxc_stop)", err)
	case strings.Contains(text, "local cdrom image"):
		return fmt.Errorf("%w (eject the ISO first: pve_vm_set_config with extra {\"ide2\": \"none,media=cdrom\"} and confirm: true)", err)
	case strings.Contains(text, "if it's a template"):
		return fmt.Errorf("%w (a template never runs; clone it with pve_vm_clone or pve_lxc_clone and start the clone)", err)
	case strings.Contains(text, "shrinking disks is not supported"), strings.Contains(text, "unable to shrink disk size"):
		return fmt.Errorf("%w (disks only grow: give a size above the current one, or +N to grow by N)", err)
	case strings.Contains(text, "invalid calendar event"):
		return fmt.Errorf("%w (a calendar event is e.g. daily, sat 02:30, mon..fri 21:00, *-*-01 03:00 or */30)", err)
	case strings.Contains(text, "volume is still in use (snapshot?)"):
		return fmt.Errorf("%w (a snapshot still references the volume: delete the snapshots that hold it (pve_list_snapshots, pve_snapshot_delete) and retry, or keep it as an unused disk)", err)
	case strings.Contains(text, "Linked clone feature is not supported"):
		return fmt.Errorf("%w (only templates can be linked-cloned; leave full out or set full: true)", err)
	}
	return err
}
