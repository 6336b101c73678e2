package tools

import (
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// part is a piece of the inventory and the toolsets its tools belong to: a
// server builds only the parts its selection can offer, since building a
// tool runs code (its generic handler's) that a process otherwise never
// touches, and every page of it touched stays resident.
type part struct {
	sets  []string
	build func(*Deps) []Tool
}

// parts are the inventory in the order clients see it. TestPartsHoldTheirSets
// fails when a part builds a tool of a toolset it does not name.
func parts() []part {
	one := func(f func(*Deps) Tool) func(*Deps) []Tool { return func(d *Deps) []Tool { return []Tool{f(d)} } }
	return []part{
		{[]string{"cluster", "nodes", "tasks"}, clusterTools},
		{[]string{"tasks"}, taskTools},
		{[]string{"qemu"}, qemuTools},
		{[]string{"lxc"}, lxcTools},
		{[]string{"guestops"}, templateTools},
		{[]string{"qemu", "lxc"}, resizeTools},
		{[]string{"guestops"}, guestOpTools},
		{[]string{"lxc", "guestops"}, lxcWriteTools},
		{[]string{"guestops"}, diskTools},
		{[]string{"bulk"}, bulkTools},
		{[]string{"sdn", "ceph"}, sdnCephTools},
		{[]string{"exec"}, lxcExecTools},
		{[]string{"snapshots"}, snapshotTools},
		{[]string{"storage"}, storageTools},
		{[]string{"network"}, networkTools},
		{[]string{"backup"}, backupTools},
		{[]string{"cluster", "replication"}, clusterOpsTools},
		{[]string{"pools"}, poolTools},
		{[]string{"nodeadmin"}, nodeAdminTools},
		{[]string{"access"}, one(whoamiTool)},
		{[]string{"agent"}, one(agentInfo)},
		{[]string{"qemu", "lxc"}, addressTools},
		{[]string{"agent", "exec"}, agentTools},
		{[]string{"cluster"}, one(toolsetsTool)},
		{[]string{"ha", "firewall"}, haFirewallTools},
		{[]string{"cloudinit"}, cloudinitTools},
		{[]string{"backupjobs"}, backupJobTools},
		{[]string{"metrics"}, metricsTools},
		{[]string{"api"}, apiTools},
		{[]string{"plan"}, planTools},
		{[]string{"audit"}, undoTools},
		{[]string{"clusters"}, one(clusterListTool)},
	}
}

// Inventory is the full list of tools, in the order clients see them.
func Inventory(d *Deps) []Tool {
	var all []Tool
	for _, p := range parts() {
		all = append(all, p.build(d)...)
	}
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
