package tools

import "context"

// Tools that both read and change (list, add, delete in one) would vanish
// in read-only mode or under PVE_DISABLE_DESTRUCTIVE, and their reads with
// them. Each has a read form: the same name with only the read arguments,
// offered where the configuration keeps the full tool out.

func withReadForm(full, read Tool) Tool {
	full.readForm = &read
	return full
}

type fwWhereArgs struct {
	Scope string   `json:"scope" enum:"cluster,node,vm,lxc" jsonschema:"whose firewall"`
	Node  NodeName `json:"node,omitempty" jsonschema:"for scope node, vm and lxc"`
	VMID  VMID     `json:"vmid,omitempty" jsonschema:"for scope vm and lxc"`
}

type nodeServicesReadArgs struct {
	Node    NodeName    `json:"node"`
	Service ServiceName `json:"service,omitempty" jsonschema:"one service's state, e.g. pveproxy"`
}

type nodeArg struct {
	Node NodeName `json:"node"`
}

func fwRulesRead(d *Deps) Tool {
	return define(d, spec{name: "pve_firewall_rules", title: "Firewall rules", toolset: "firewall",
		desc: "List the firewall rules of the cluster, a node or a guest (this server is read-only: no adds or deletes)."},
		handle(func(ctx context.Context, c *call, in fwWhereArgs) (fwRulesOut, error) {
			return c.fwRules(ctx, fwRulesArgs{Op: "list", Scope: in.Scope, Node: in.Node, VMID: in.VMID})
		}))
}

func fwOptionsRead(d *Deps) Tool {
	return define(d, spec{name: "pve_firewall_options", title: "Firewall options", toolset: "firewall",
		desc: "Read the firewall options of the cluster, a node or a guest (this server is read-only: no changes)."},
		handle(func(ctx context.Context, c *call, in fwWhereArgs) (fwOptionsOut, error) {
			return c.fwOptions(ctx, fwOptionsArgs{Scope: in.Scope, Node: in.Node, VMID: in.VMID})
		}))
}

func haResourcesRead(d *Deps) Tool {
	return define(d, spec{name: "pve_ha_resources", title: "HA resources", toolset: "ha",
		desc: "List the HA resources with their state and settings (this server is read-only: no adds or removes)."},
		handle(func(ctx context.Context, c *call, _ noArgs) (haResourcesOut, error) {
			return c.haResources(ctx, haResourcesArgs{Action: "list"})
		}))
}

func haRulesRead(d *Deps) Tool {
	return define(d, spec{name: "pve_ha_rules", title: "HA rules and groups", toolset: "ha",
		desc: "List PVE 9's HA node- and resource-affinity rules, or HA groups on PVE 8 and older (this server is read-only)."},
		handle(func(ctx context.Context, c *call, _ noArgs) (haRulesOut, error) {
			return c.haRules(ctx, haRulesArgs{Action: "list"})
		}))
}

func nodeServicesRead(d *Deps) Tool {
	return define(d, spec{name: "pve_node_services", title: "Node services", toolset: "nodeadmin",
		desc: "List a node's system services, or one service's state (this server does not start, stop or restart them)."},
		handle(func(ctx context.Context, c *call, in nodeServicesReadArgs) (nodeServicesOut, error) {
			return c.nodeServices(ctx, nodeServicesArgs{Node: in.Node, Action: "list", Service: in.Service})
		}))
}

func nodeUpdatesRead(d *Deps) Tool {
	return define(d, spec{name: "pve_node_updates", title: "Node updates", toolset: "nodeadmin",
		desc: "Pending package updates of a node and its installed Proxmox versions (read-only: no index refresh)."},
		handle(func(ctx context.Context, c *call, in nodeArg) (nodeUpdatesOut, error) {
			return nodeUpdates(ctx, c, nodeUpdatesArgs{Node: in.Node})
		}))
}
