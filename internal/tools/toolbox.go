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
//
// It builds the inventory's parts as they are needed: those of the toolsets
// selected at start, the rest when a toolset is enabled, listed or a call
// asks why a tool is off.
type Toolbox struct {
	srv   *mcp.Server
	sel   Selection
	deps  *Deps
	wrap  func([]Tool) []Tool
	parts []part

	mu    sync.Mutex
	built [][]Tool // by part; nil: not built yet
	all   []Tool   // the built parts' tools, in inventory order
	on    map[string]bool
}

// NewToolbox registers the selected tools of d's inventory on srv. wrap, if
// not nil, is applied to each part as it is built (the multi-cluster
// routing).
func NewToolbox(srv *mcp.Server, d *Deps, sel Selection, wrap func([]Tool) []Tool) (*Toolbox, error) {
	if d.Plans == nil {
		d.Plans = NewPlans() // set here, before any call runs: parts are built while calls are served
	}
	b := &Toolbox{srv: srv, sel: sel, deps: d, wrap: wrap, parts: parts(), on: map[string]bool{}}
	b.built = make([][]Tool, len(b.parts))
	sets := sel.Toolsets
	if len(sets) == 0 {
		sets = DefaultToolsets()
	}
	// Names in PVE_TOOLS and PVE_EXCLUDE_TOOLS are checked against every tool.
	if len(sel.Tools) > 0 || len(sel.Exclude) > 0 {
		sets = []string{"all"}
	}
	b.build(sets)
	selected, err := Select(b.all, sel)
	if err != nil {
		return nil, err
	}
	for _, t := range selected {
		t.Register(srv)
		b.on[t.Def.Name] = true
	}
	return b, nil
}

// build builds the parts holding tools of sets ("all": every part) that are
// not built yet. The caller holds b.mu or has b to itself.
func (b *Toolbox) build(sets []string) {
	all := slices.Contains(sets, "all")
	grew := false
	for i, p := range b.parts {
		if b.built[i] != nil || !all && !slices.ContainsFunc(p.sets, func(s string) bool { return slices.Contains(sets, s) }) {
			continue
		}
		ts := p.build(b.deps)
		if b.wrap != nil {
			ts = b.wrap(ts)
		}
		b.built[i], grew = append([]Tool{}, ts...), true
	}
	if grew {
		b.all = slices.Concat(b.built...)
	}
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
	b.build([]string{"all"})
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
	b.build(sets)
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
		handle(func(_ context.Context, c *call, in toolsetsArgs) (toolsetsOut, error) {
			if c.Toolbox == nil {
				return toolsetsOut{}, fmt.Errorf("this server was built without a toolbox: toolsets are fixed by PVE_TOOLSETS")
			}
			added, err := c.Toolbox.Enable(in.Enable)
			if err != nil {
				return toolsetsOut{}, err
			}
			return toolsetsOut{Added: added, Toolsets: c.Toolbox.Toolsets()}, nil
		}))
}
