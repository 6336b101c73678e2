package tools

// Inventory is the full list of tools, in the order clients see them.
func Inventory(d *Deps) []Tool {
	var all []Tool
	all = append(all, clusterTools(d)...)
	all = append(all, taskTools(d)...)
	all = append(all, qemuTools(d)...)
	all = append(all, lxcTools(d)...)
	all = append(all, snapshotTools(d)...)
	all = append(all, storageTools(d)...)
	all = append(all, networkTools(d)...)
	all = append(all, backupTools(d)...)
	return all
}

// Select keeps the tools a configuration enables: read-only mode registers no
// write tool at all.
func Select(all []Tool, readOnly bool) []Tool {
	var out []Tool
	for _, t := range all {
		if readOnly && t.Effect != ReadOnly {
			continue
		}
		out = append(out, t)
	}
	return out
}
