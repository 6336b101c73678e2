package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Toolbox holds the tools a server offers and adds toolsets at run time
// (pve_toolsets), so the default list stays small and the rest is one call
// away. Enabling never passes the configuration's gates: read-only mode,
// PVE_DISABLE_DESTRUCTIVE and PVE_EXCLUDE_TOOLS still hold.
type Toolbox struct {
	srv *mcp.Server
	sel Selection

	mu  sync.Mutex
	all []Tool
	on  map[string]bool // registered tool names
}

// NewToolbox registers the selected tools on srv.
func NewToolbox(srv *mcp.Server, all []Tool, sel Selection) (*Toolbox, error) {
	selected, err := Select(all, sel)
	if err != nil {
		return nil, err
	}
	b := &Toolbox{srv: srv, sel: sel, all: all, on: map[string]bool{}}
	for _, t := range selected {
		t.Register(srv)
		b.on[t.Def.Name] = true
	}
	return b, nil
}

// Enabled lists the names of the tools offered now, in inventory order.
func (b *Toolbox) Enabled() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, t := range b.all {
		if b.on[t.Def.Name] {
			out = append(out, t.Def.Name)
		}
	}
	return out
}

// ToolsetInfo is one toolset as pve_toolsets shows it.
type ToolsetInfo struct {
	Name    string   `json:"name"`
	About   string   `json:"about"`
	Enabled bool     `json:"enabled" jsonschema:"every tool of it the configuration allows is offered"`
	Tools   []string `json:"tools" jsonschema:"its tools this server may offer"`
	Held    int      `json:"held_back,omitempty" jsonschema:"tools the configuration keeps out (read-only mode, PVE_DISABLE_DESTRUCTIVE, PVE_EXCLUDE_TOOLS)"`
}

// Toolsets lists every toolset with what it holds.
func (b *Toolbox) Toolsets() []ToolsetInfo {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []ToolsetInfo
	for _, set := range toolsetOrder {
		info := ToolsetInfo{Name: set, About: toolsetAbout[set], Enabled: true, Tools: []string{}}
		for _, t := range b.all {
			_, ok := b.sel.pick(t)
			switch {
			case t.Toolset != set:
			case !ok:
				info.Held++
			default:
				info.Tools = append(info.Tools, t.Def.Name)
				info.Enabled = info.Enabled && b.on[t.Def.Name]
			}
		}
		if len(info.Tools)+info.Held > 0 {
			info.Enabled = info.Enabled && len(info.Tools) > 0
			out = append(out, info)
		}
	}
	return out
}

// Enable offers the toolsets' tools that the configuration admits and
// returns the names added; the SDK tells clients the list changed.
func (b *Toolbox) Enable(sets []string) ([]string, error) {
	var bad []string
	for _, s := range sets {
		if s != "all" && !slices.Contains(toolsetOrder, s) {
			bad = append(bad, fmt.Sprintf("%q", s))
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("invalid argument \"enable\": unknown toolset %s (known: all, %s)", strings.Join(bad, ", "), strings.Join(toolsetOrder, ", "))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var added []string
	for _, t := range b.all {
		pick, ok := b.sel.pick(t)
		if b.on[t.Def.Name] || !ok || !slices.Contains(sets, t.Toolset) && !slices.Contains(sets, "all") {
			continue
		}
		pick.Register(b.srv)
		b.on[t.Def.Name] = true
		added = append(added, t.Def.Name)
	}
	return added, nil
}

type toolsetsArgs struct {
	Enable []string `json:"enable,omitempty" jsonschema:"toolsets to add, e.g. [\"agent\"]; empty: list"`
}

type toolsetsOut struct {
	Added    []string      `json:"added,omitempty" jsonschema:"tools offered from now on"`
	Toolsets []ToolsetInfo `json:"toolsets"`
}

// toolsetsTool is pve_toolsets. It reads no cluster state, so read-only
// mode offers it too; what it enables still passes every gate.
func toolsetsTool(d *Deps) Tool {
	return define(d, spec{name: "pve_toolsets", title: "Toolsets", toolset: "cluster", effect: ReadOnly,
		desc: "Enable more tools (templates, suspend, disk moves, cloud-init, guest agent, metrics, backup jobs, HA, firewall, the whole API...) or list the toolsets."},
		func(_ context.Context, c *call, in toolsetsArgs) (toolsetsOut, error) {
			if c.Toolbox == nil {
				return toolsetsOut{}, fmt.Errorf("this server was built without a toolbox: toolsets are fixed by PVE_TOOLSETS")
			}
			added, err := c.Toolbox.Enable(in.Enable)
			if err != nil {
				return toolsetsOut{}, err
			}
			return toolsetsOut{Added: added, Toolsets: c.Toolbox.Toolsets()}, nil
		})
}
