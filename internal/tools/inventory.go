package tools

import (
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Inventory is the full list of tools, in the order clients see them.
func Inventory(d *Deps) []Tool {
	var all []Tool
	all = append(all, clusterTools(d)...)
	all = append(all, taskTools(d)...)
	all = append(all, qemuTools(d)...)
	all = append(all, lxcTools(d)...)
	all = append(all, guestOpTools(d)...)
	all = append(all, lxcWriteTools(d)...)
	all = append(all, diskTools(d)...)
	all = append(all, bulkTools(d)...)
	all = append(all, sdnCephTools(d)...)
	all = append(all, lxcExecTools(d)...)
	all = append(all, snapshotTools(d)...)
	all = append(all, storageTools(d)...)
	all = append(all, networkTools(d)...)
	all = append(all, backupTools(d)...)
	all = append(all, adminTools(d)...)
	all = append(all, agentTools(d)...)
	all = append(all, toolsetsTool(d))
	all = append(all, haFirewallTools(d)...)
	all = append(all, cloudinitTools(d)...)
	all = append(all, backupJobTools(d)...)
	all = append(all, metricsTools(d)...)
	all = append(all, apiTools(d)...)
	all = append(all, planTools(d)...)
	all = append(all, undoTools(d)...)
	all = append(all, clusterListTool(d))
	return all
}

// Selection says which tools to register.
type Selection struct {
	ReadOnly           bool     // no write tool at all
	DisableDestructive bool     // no destructive tool
	Toolsets           []string // empty: the default toolsets (unless Tools is set); "all": every one
	Tools              []string // by name, added to the toolsets
	Exclude            []string // by name, removed last
}

// Select keeps the tools a selection enables. Read-only mode registers no
// write tool at all, whatever else is asked. Unknown names are an error that
// names each, with the close matches.
func Select(all []Tool, s Selection) ([]Tool, error) {
	known := map[string]bool{}
	var names []string
	for _, t := range all {
		known[t.Def.Name] = true
		names = append(names, t.Def.Name)
	}
	var bad []string
	for _, ts := range s.Toolsets {
		if ts != "all" && !slices.Contains(toolsetOrder, ts) {
			bad = append(bad, fmt.Sprintf("PVE_TOOLSETS: unknown toolset %q (known: all, %s)", ts, strings.Join(toolsetOrder, ", ")))
		}
	}
	for _, list := range []struct {
		key   string
		names []string
	}{{"PVE_TOOLS", s.Tools}, {"PVE_EXCLUDE_TOOLS", s.Exclude}} {
		for _, n := range list.names {
			if !known[n] {
				msg := fmt.Sprintf("%s: unknown tool %q", list.key, n)
				if near := pveschema.Suggest(names, n); len(near) > 0 {
					msg += " (did you mean " + strings.Join(near, ", ") + "?)"
				}
				bad = append(bad, msg)
			}
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("tool selection:\n  %s", strings.Join(bad, "\n  "))
	}
	allSets := slices.Contains(s.Toolsets, "all")
	defaults := len(s.Toolsets) == 0 && len(s.Tools) == 0
	var out []Tool
	for _, t := range all {
		on := allSets || slices.Contains(s.Toolsets, t.Toolset) || slices.Contains(s.Tools, t.Def.Name) ||
			defaults && !slices.Contains(extraSets, t.Toolset)
		if pick, ok := s.pick(t); on && ok {
			out = append(out, pick)
		}
	}
	return out, nil
}

// pick is the form of t the selection offers: t itself, or its read form
// where the gates keep t out.
func (s Selection) pick(t Tool) (Tool, bool) {
	switch {
	case s.admits(t):
		return t, true
	case t.readForm != nil && s.admits(*t.readForm):
		return *t.readForm, true
	}
	return Tool{}, false
}

// admits applies the gates no toolset choice overrides: read-only mode,
// no destructive tools, the exclude list.
func (s Selection) admits(t Tool) bool {
	switch {
	case slices.Contains(s.Exclude, t.Def.Name):
	case s.ReadOnly && t.Effect != ReadOnly:
	case s.DisableDestructive && t.Effect == Destructive:
	default:
		return true
	}
	return false
}
