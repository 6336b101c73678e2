package guard

import "strings"

// judgeNodePower asks before what stops a node or many guests at once, or
// what the guest agent does to a whole guest (shut it down, freeze its file
// systems, suspend it), and refuses the node's batch executor outright: no
// tool sends these today, so the rule is here for any generic API call.
func (c *Call) judgeNodePower(r *request, v *verdict) {
	if r.method == "GET" {
		return
	}
	node := r.params["node"]
	switch tmpl := r.ep.Path; tmpl {
	case "/nodes/{node}/status":
		v.ask("%s node %s (every guest on it stops or moves)", r.params["command"], node)
	case "/nodes/{node}/stopall":
		v.ask("stop every guest on node %s", node)
	case "/nodes/{node}/migrateall":
		v.ask("migrate every guest off node %s", node)
	case "/nodes/{node}/suspendall":
		v.ask("suspend every guest on node %s", node)
	case "/nodes/{node}/startall":
		v.ask("start every guest on node %s marked to start at boot", node)
	case "/nodes/{node}/execute":
		// a batch of API calls run as root: each would escape the guard
		v.refuse("POST /nodes/%s/execute runs a batch of API calls the guard cannot judge one by one; send each call itself", node)
	case "/nodes/{node}/qemu/{vmid}/agent":
		c.judgeAgentCommand(r, r.params["command"], v)
	default:
		if cmd, ok := strings.CutPrefix(tmpl, "/nodes/{node}/qemu/{vmid}/agent/"); ok {
			c.judgeAgentCommand(r, cmd, v)
		}
	}
}

// judgeAgentCommand: the agent commands that act on the whole guest.
func (c *Call) judgeAgentCommand(r *request, cmd string, v *verdict) {
	switch {
	case cmd == "shutdown":
		v.ask("shut down VM %d on %s through its guest agent", r.vmid, r.node)
	case cmd == "fsfreeze-freeze":
		v.ask("freeze the file systems of VM %d on %s (its writes block until thawed)", r.vmid, r.node)
	case strings.HasPrefix(cmd, "suspend-"):
		v.ask("%s VM %d on %s through its guest agent", cmd, r.vmid, r.node)
	}
}
