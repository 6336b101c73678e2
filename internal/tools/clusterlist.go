package tools

import (
	"context"
	"slices"
)

type clusterInfo struct {
	Name     string   `json:"name"`
	Default  bool     `json:"default,omitempty"`
	Host     string   `json:"host,omitempty"`
	ReadOnly bool     `json:"read_only,omitempty" jsonschema:"writes are refused on it (its read_only, or your policy's)"`
	Toolsets []string `json:"toolsets,omitempty" jsonschema:"the only toolsets it runs; absent: every one the server offers"`
	Nodes    []string `json:"node_allowlist,omitempty" jsonschema:"the only nodes you may touch there"`
	VMIDs    []int    `json:"vmid_allowlist,omitempty" jsonschema:"the only guests you may touch there"`
	NoGuests bool     `json:"no_guests,omitempty" jsonschema:"the cluster's and your policy's guest lists have none in common"`
}

type clusterListOut struct {
	Clusters []clusterInfo `json:"clusters"`
	Policy   string        `json:"policy,omitempty" jsonschema:"the policy of PVE_CONFIG_FILE that applies to you"`
}

// clusterListTool is pve_cluster_list: the clusters the caller may use,
// with what each allows.
func clusterListTool(d *Deps) Tool {
	return define(d, spec{name: "pve_cluster_list", title: "Clusters", toolset: "clusters", effect: ReadOnly,
		desc: "List the Proxmox clusters this server serves (name them in any tool's cluster argument) and what you may do on each."},
		handle(func(_ context.Context, c *call, _ noArgs) (clusterListOut, error) {
			if c.Fleet == nil {
				a := c.allow
				return clusterListOut{Clusters: []clusterInfo{{Name: "default", Default: true, Nodes: a.Nodes(), VMIDs: a.VMIDs()}}}, nil
			}
			st := c.Fleet.state.Load()
			pol := st.policyFor(callerOf(c.req.Extra))
			var out clusterListOut
			if pol != nil {
				out.Policy = pol.Name
			}
			for _, fc := range st.visible(pol) {
				info := clusterInfo{Name: fc.Name, Default: fc.Name == st.def, Host: fc.Host, ReadOnly: fc.Sel.ReadOnly}
				a := fc.Allow
				if pol != nil {
					a = a.Narrow(pol.Allow)
					info.ReadOnly = info.ReadOnly || pol.ReadOnly
				}
				info.Nodes, info.VMIDs = a.Nodes(), a.VMIDs()
				info.NoGuests = a.HasVMIDs() && len(info.VMIDs) == 0
				info.Toolsets = narrowSets(fc.Sel.Toolsets, pol)
				out.Clusters = append(out.Clusters, info)
			}
			return out, nil
		}))
}

// narrowSets is the toolsets both the cluster and the policy allow
// (nil: no narrowing).
func narrowSets(cluster []string, pol *Policy) []string {
	if slices.Contains(cluster, "all") {
		cluster = nil
	}
	if pol == nil || len(pol.Toolsets) == 0 || slices.Contains(pol.Toolsets, "all") {
		return cluster
	}
	if len(cluster) == 0 {
		return pol.Toolsets
	}
	var out []string
	for _, s := range cluster {
		if slices.Contains(pol.Toolsets, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}
