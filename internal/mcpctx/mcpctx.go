// Package mcpctx serves what a person puts into a model's context besides
// the tools: resources (cluster, node, guest config and task log views,
// with subscriptions), prompts (runbooks that use the tools) and argument
// completions. Every Proxmox request goes through the request guard, so the
// allowlists apply to all of it as they do to the tools.
package mcpctx

import (
	"context"
	"fmt"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
)

// Options tune a Context; zero values take the defaults.
type Options struct {
	Logger *slog.Logger
	// CacheTTL is how long a completion's cluster read is reused (default 5s).
	CacheTTL time.Duration
	// TaskPoll is how often a subscribed task log is read (default 1s);
	// OtherPoll how often any other subscribed resource is (default 15s).
	TaskPoll, OtherPoll time.Duration
	// GuardFor picks the guard a request's caller reads cluster through
	// ("": the default; several clusters, a policy per principal); nil:
	// the one New got, for all. Clusters names those the caller may use:
	// then every prompt takes a "cluster" argument, which completes.
	GuardFor func(extra *mcp.RequestExtra, cluster string) (*guard.Guard, error)
	Clusters func(extra *mcp.RequestExtra) []string
}

// Context is one server's resources, prompts and completions. It owns its
// caches and subscriptions; nothing is shared between servers.
type Context struct {
	g     *guard.Guard
	log   *slog.Logger
	opts  Options
	cache *cache

	mu       sync.Mutex
	server   *mcp.Server
	subs     map[string]*watcher         // URI -> its watcher
	followed map[*mcp.ServerSession]bool // sessions whose end drops their subscriptions
}

// New builds a Context on the server's guard.
func New(g *guard.Guard, o Options) *Context {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = 5 * time.Second
	}
	if o.TaskPoll <= 0 {
		o.TaskPoll = time.Second
	}
	if o.OtherPoll <= 0 {
		o.OtherPoll = 15 * time.Second
	}
	return &Context{g: g, log: o.Logger, opts: o, cache: newCache(o.CacheTTL), subs: map[string]*watcher{}, followed: map[*mcp.ServerSession]bool{}}
}

// Options sets the handlers the SDK takes only at NewServer (completion,
// subscriptions) and declares the capabilities this package implements.
// No listChanged: the prompts and templates are fixed, and guests coming
// and going are not announced (resources/list reads the cluster afresh).
func (x *Context) Options(o *mcp.ServerOptions) {
	o.CompletionHandler = x.complete
	o.SubscribeHandler = x.subscribe
	o.UnsubscribeHandler = x.unsubscribe
	if o.Capabilities == nil {
		o.Capabilities = &mcp.ServerCapabilities{}
	}
	o.Capabilities.Prompts = &mcp.PromptCapabilities{}
	o.Capabilities.Resources = &mcp.ResourceCapabilities{Subscribe: true}
	o.Capabilities.Completions = &mcp.CompletionCapabilities{}
}

// Register adds the resources and prompts to s, built with Options.
func (x *Context) Register(s *mcp.Server) {
	x.mu.Lock()
	x.server = s
	x.mu.Unlock()
	x.addResources(s)
	x.addPrompts(s)
	s.AddReceivingMiddleware(x.middleware)
	if x.opts.GuardFor != nil {
		s.AddReceivingMiddleware(x.pickGuard)
	}
}

type guardKey struct{}

type clustersKey struct{}

// clusterArg is the "cluster" a prompt or a completion names, or "".
func clusterArg(req mcp.Request) string {
	switch r := req.(type) {
	case *mcp.GetPromptRequest:
		if r.Params != nil {
			return r.Params.Arguments["cluster"]
		}
	case *mcp.CompleteRequest:
		if r.Params != nil && r.Params.Context != nil && r.Params.Argument.Name != "cluster" {
			return r.Params.Context.Arguments["cluster"]
		}
	}
	return ""
}

// prompts is the runbooks, each with a "cluster" argument when the
// server serves several.
func (x *Context) prompts() []prompt {
	all := runbooks()
	if x.opts.Clusters == nil {
		return all
	}
	for i, p := range all {
		p.args = append(slices.Clone(p.args), arg{name: "cluster", kind: "cluster",
			desc: "the cluster to work on (default: the default cluster); completion lists them"})
		text := p.text
		p.text = func(a map[string]string) string {
			if c := a["cluster"]; c != "" {
				return fmt.Sprintf("Work on cluster %q: pass \"cluster\": %q to every tool call.\n\n", c, c) + text(a)
			}
			return text(a)
		}
		all[i] = p
	}
	return all
}

// pickGuard puts the caller's guard in the context of the methods this
// package serves; one it cannot pick refuses the request.
func (x *Context) pickGuard(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if strings.HasPrefix(method, "resources/") || strings.HasPrefix(method, "prompts/") || method == "completion/complete" {
			g, err := x.opts.GuardFor(req.GetExtra(), clusterArg(req))
			if err != nil {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: err.Error()}
			}
			ctx = context.WithValue(ctx, guardKey{}, g)
			if x.opts.Clusters != nil {
				ctx = context.WithValue(ctx, clustersKey{}, x.opts.Clusters(req.GetExtra()))
			}
		}
		return next(ctx, method, req)
	}
}

// guard is the guard of the request ctx belongs to.
func (x *Context) guard(ctx context.Context) *guard.Guard {
	if g, ok := ctx.Value(guardKey{}).(*guard.Guard); ok {
		return g
	}
	return x.g
}

// call is one operation's guarded client. Reads need no consent; a request
// that would is refused.
func (x *Context) call(ctx context.Context) *guard.Call { return x.guard(ctx).Call(nil) }
