// Package apps serves the MCP Apps extension (io.modelcontextprotocol/ui,
// SEP-1865): one HTML view (dashboard, live task, confirm card) as a ui://
// resource, linked from the tools' _meta, and pve_app_confirm, the confirm
// card's button. Only sessions whose client declared the extension see any
// of it: initialize, tools/list and resources/list stay as they were for
// every other client.
//
// The view reaches Proxmox only by calling this server's tools through the
// host, so the guard, the allowlists and the confirmations all apply.
package apps

import (
	"context"
	_ "embed"
	"maps"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// URI is the view's resource: one file for its three views, which it picks
// from the result it is shown with.
const URI = "ui://proxmox-mcp/app.html"

// The built view (ui/, `npm run build`); its sources are in the repository
// and TestBuiltViewIsCurrent checks that rebuilding them gives these bytes.
//
//go:embed dist/app.html
var html string

// HTML is the view as served.
func HTML() string { return html }

// Options choose what Install adds.
type Options struct {
	// Writes: the configuration offers write tools, so the confirm card's
	// tool is registered (read-only mode has nothing to confirm).
	Writes bool
}

// Install adds the view and its middleware to s; deps are the tools'.
func Install(s *mcp.Server, deps *tools.Deps, o Options) {
	if o.Writes {
		tools.AppConfirmTool(deps).Register(s)
	}
	s.AddReceivingMiddleware(middleware)
}

// csp is the view's content security policy: every list empty, so the host
// lets it reach nothing outside the app (the HTML has the same in a meta tag).
func csp() map[string]any {
	return map[string]any{"connectDomains": []string{}, "resourceDomains": []string{}, "frameDomains": []string{}, "baseUriDomains": []string{}}
}

func resource() *mcp.Resource {
	return &mcp.Resource{URI: URI, Name: "proxmox_view", Title: "Proxmox VE view", MIMEType: tools.AppMIMEType,
		Description: "The cluster dashboard, the live view of a task and the confirm card of destructive tools.",
		Meta:        mcp.Meta{"ui": map[string]any{"csp": csp(), "prefersBorder": true}}}
}

func middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch method {
		case "initialize", "server/discover":
			return declare(ctx, next, method, req)
		}
		apps := tools.RendersApps(req)
		switch method {
		case "tools/list":
			res, err := next(ctx, method, req)
			if lr, ok := res.(*mcp.ListToolsResult); ok && err == nil {
				lr.Tools = listTools(lr.Tools, apps)
				if apps {
					lr.CacheScope = "private" // this list is for clients that render Apps only
				}
			}
			return res, err
		case "resources/list":
			if !apps {
				return next(ctx, method, req)
			}
			res, err := next(ctx, method, req)
			lr, ok := res.(*mcp.ListResourcesResult)
			if err != nil || !ok {
				// No resources of the server's own: the view is the list.
				return &mcp.ListResourcesResult{Resources: []*mcp.Resource{resource()}, Cacheable: mcp.Cacheable{CacheScope: "private"}}, nil
			}
			if p, _ := req.GetParams().(*mcp.ListResourcesParams); p == nil || p.Cursor == "" {
				lr.Resources = append([]*mcp.Resource{resource()}, lr.Resources...)
			}
			lr.CacheScope = "private"
			return lr, nil
		case "resources/read":
			if p, _ := req.GetParams().(*mcp.ReadResourceParams); p != nil && p.URI == URI {
				return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: URI, MIMEType: tools.AppMIMEType,
					Text: html, Meta: mcp.Meta{"ui": map[string]any{"csp": csp(), "prefersBorder": true}}}},
					Cacheable: mcp.Cacheable{CacheScope: "public"}}, nil // the same file for every client
			}
		}
		return next(ctx, method, req)
	}
}

// declare adds the extension, and resources for the view, to the
// capabilities a client that declared the extension gets (initialize, or
// server/discover in protocol 2026-07-28); the result is copied, not changed.
func declare(ctx context.Context, next mcp.MethodHandler, method string, req mcp.Request) (mcp.Result, error) {
	res, err := next(ctx, method, req)
	if err != nil {
		return res, err
	}
	declared := tools.RendersApps(req)
	if p, ok := req.GetParams().(*mcp.InitializeParams); ok && p != nil {
		declared = tools.DeclaresApps(p.Capabilities)
	}
	if !declared {
		return res, nil
	}
	switch r := res.(type) {
	case *mcp.InitializeResult:
		out := *r
		out.Capabilities = withApps(r.Capabilities)
		return &out, nil
	case *mcp.DiscoverResult:
		out := *r
		out.Capabilities = withApps(r.Capabilities)
		out.CacheScope = "private"
		return &out, nil
	}
	return res, nil
}

func withApps(c *mcp.ServerCapabilities) *mcp.ServerCapabilities {
	var caps mcp.ServerCapabilities
	if c != nil {
		caps = *c
	}
	caps.Extensions = maps.Clone(caps.Extensions)
	caps.AddExtension(tools.AppsExtension, map[string]any{"mimeTypes": []string{tools.AppMIMEType}})
	if caps.Resources == nil {
		caps.Resources = &mcp.ResourceCapabilities{}
	}
	return &caps
}

// listTools links the view from the tools it shows results of, for a
// client that renders Apps; for any other it only leaves out the card's
// tool. The SDK's tools are copied, never changed.
func listTools(list []*mcp.Tool, apps bool) []*mcp.Tool {
	out := make([]*mcp.Tool, 0, len(list))
	for _, t := range list {
		if t.Name == tools.AppConfirmName {
			if apps {
				out = append(out, t)
			}
			continue
		}
		if !apps || !shown(t) {
			out = append(out, t)
			continue
		}
		cp := *t
		cp.Meta = maps.Clone(t.Meta)
		if cp.Meta == nil {
			cp.Meta = mcp.Meta{}
		}
		cp.Meta["ui"] = map[string]any{"resourceUri": URI}
		out = append(out, &cp)
	}
	return out
}

// shown: the view renders the tool's results: the dashboard's, a task's,
// and every write tool's, since any of them may need the person's
// confirmation (the card) or start a task.
func shown(t *mcp.Tool) bool {
	switch t.Name {
	case "pve_cluster_resources", "pve_list_nodes", "pve_cluster_status", "pve_task_status", "pve_task_wait":
		return true
	}
	return t.Annotations != nil && !t.Annotations.ReadOnlyHint
}
