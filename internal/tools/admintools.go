package tools

import "slices"

// adminTools are issue 15's pools, node administration, cluster status,
// replication and permission tools.
func adminTools(d *Deps) []Tool {
	return slices.Concat(clusterOpsTools(d), poolTools(d), nodeAdminTools(d), []Tool{whoamiTool(d)})
}
