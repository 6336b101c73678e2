package tools

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/principal"
)

// effectName is an effect as OAuth scopes name it.
func effectName(e Effect) string {
	switch e {
	case ReadOnly:
		return principal.EffectRead
	case Destructive:
		return principal.EffectDestructive
	}
	return principal.EffectWrite
}

// callerGate refuses a call its caller may not make: an OAuth token's
// scopes, and with several clusters the caller's policy and the cluster's
// own choices. It runs in every tool's handler, so a tool run from inside
// another (pve_apply, a confirm card) is held to it too.
func (d *Deps) callerGate(req *mcp.CallToolRequest, sp spec) error {
	who := callerOf(req.Extra)
	if ok, why := who.ScopeAllows(sp.toolset, effectName(sp.effect)); !ok {
		return fmt.Errorf("%w: %s", errRefused, why)
	}
	if d.Fleet == nil || d.Cluster == "" {
		return nil
	}
	st := d.Fleet.state.Load()
	pol := st.policyFor(who)
	c, err := st.resolve(pol, d.Cluster)
	if err != nil {
		return err
	}
	return c.check(pol, sp.name, sp.toolset, sp.effect)
}

// listGate drops from tools/list what the caller may not call: tools its
// OAuth scopes or its policy rule out.
func (d *Deps) listGate(box *Toolbox) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			lr, ok := res.(*mcp.ListToolsResult)
			if method != "tools/list" || err != nil || !ok {
				return res, err
			}
			who := callerOf(req.GetExtra())
			var pol *Policy
			if d.Fleet != nil {
				pol = d.Fleet.state.Load().policyFor(who)
			}
			if who.Kind != principal.KindOAuth && pol == nil {
				return res, nil
			}
			kept := make([]*mcp.Tool, 0, len(lr.Tools))
			for _, t := range lr.Tools {
				toolset, effect, known := box.kindOf(t.Name)
				if known {
					if ok, _ := who.ScopeAllows(toolset, effectName(effect)); !ok {
						continue
					}
					if pol != nil && pol.refuses(t.Name, toolset, effect) != "" {
						continue
					}
				}
				kept = append(kept, t)
			}
			out := *lr
			out.Tools = kept
			return &out, nil
		}
	}
}

// ListGate is listGate for the server to install.
func ListGate(d *Deps, box *Toolbox) mcp.Middleware { return d.listGate(box) }

// kindOf is a listed tool's toolset and effect.
func (b *Toolbox) kindOf(name string) (string, Effect, bool) {
	t, ok := b.offered(name)
	return t.Toolset, t.Effect, ok
}
