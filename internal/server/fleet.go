package server

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// fleetParts builds PVE_CONFIG_FILE's clusters and policies for a Fleet:
// each cluster its own client and guard, sharing base's consent key and
// audit log. client, when not nil, is the default cluster's, already made.
func fleetParts(cs *config.Clusters, client *pve.Client, logger *slog.Logger, base *tools.Deps) ([]tools.FleetCluster, []tools.Policy, error) {
	var problems []string
	var out []tools.FleetCluster
	for _, c := range cs.List {
		cc, cl := c.Config, client
		if c.Name != cs.Default || cl == nil {
			var err error
			if cl, err = NewClient(cc, logger); err != nil {
				problems = append(problems, fmt.Sprintf("clusters.%s: %v", c.Name, err))
				continue
			}
		}
		if err := checkToolsets("clusters."+c.Name+".toolsets", cc.Toolsets); err != "" {
			problems = append(problems, err)
		}
		ssh := c.Name == cs.Default // PVE_SSH_* names one cluster's nodes: the default's
		out = append(out, tools.FleetCluster{Name: c.Name, Host: cc.Host.Scheme + "://" + cc.Host.Host, Sel: Selection(cc),
			Allow: guard.NewAllowlist(cc.NodeAllowlist, cc.VMIDAllowlist),
			NewDeps: func(allow guard.Allowlist) *tools.Deps {
				d := newDeps(cc, cl, logger, allow, base)
				if !ssh {
					d.NodeSSH = nil
				}
				return d
			}})
	}
	var policies []tools.Policy
	for i, p := range cs.Policies {
		if err := checkToolsets(fmt.Sprintf("policy[%d].toolsets", i), p.Toolsets); err != "" {
			problems = append(problems, err)
		}
		policies = append(policies, tools.Policy{Name: p.Name(), Kind: p.Kind, Value: p.Value, Clusters: p.Clusters,
			Toolsets: p.Toolsets, ReadOnly: p.ReadOnly, NoDestruct: p.DisableDestructive,
			Allow: guard.NewAllowlist(p.NodeAllowlist, p.VMIDAllowlist)})
	}
	if len(problems) > 0 {
		return nil, nil, &config.Error{Problems: problems}
	}
	return out, policies, nil
}

func checkToolsets(key string, sets []string) string {
	known := tools.Toolsets()
	var bad []string
	for _, s := range sets {
		if s != "all" && !slices.Contains(known, s) {
			bad = append(bad, fmt.Sprintf("%q", s))
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("%s: unknown toolset %s (known: all, %s)", key, strings.Join(bad, ", "), strings.Join(known, ", "))
}

// fleetSelection is what the server lists when it serves several
// clusters: every tool some cluster runs. Each call is then held to its
// cluster's own choices and the caller's policy.
func fleetSelection(cs *config.Clusters) tools.Selection {
	sel := tools.Selection{ReadOnly: true, DisableDestructive: true}
	defaults := false
	for i, c := range cs.List {
		s := Selection(c.Config)
		sel.ReadOnly = sel.ReadOnly && s.ReadOnly
		sel.DisableDestructive = sel.DisableDestructive && s.DisableDestructive
		if len(s.Toolsets) == 0 && len(s.Tools) == 0 {
			defaults = true
		}
		for _, t := range s.Toolsets {
			if !slices.Contains(sel.Toolsets, t) {
				sel.Toolsets = append(sel.Toolsets, t)
			}
		}
		for _, t := range s.Tools {
			if !slices.Contains(sel.Tools, t) {
				sel.Tools = append(sel.Tools, t)
			}
		}
		if i == 0 {
			sel.Exclude = slices.Clone(s.Exclude)
		} else {
			sel.Exclude = slices.DeleteFunc(sel.Exclude, func(n string) bool { return !slices.Contains(s.Exclude, n) })
		}
	}
	if defaults {
		for _, t := range tools.DefaultToolsets() {
			if !slices.Contains(sel.Toolsets, t) {
				sel.Toolsets = append(sel.Toolsets, t)
			}
		}
	}
	sel.Tools = append(sel.Tools, "pve_cluster_list")
	return sel
}
