package guard

import (
	"context"
	"strings"
)

// HA and firewall rules. HA names guests by resource id ("vm:100", "ct:200"
// or a bare vmid) and nodes in lists with priorities ("pve1:2,pve2"), which
// the allowlists must read like any guest id or node. The firewall of the
// cluster and of a node filters the nodes' own traffic (a rule can lock
// everyone out of port 8006), so writing it is host-level.

// haGuestFormats are the schema formats that name HA resources.
var haGuestFormats = map[string]bool{"pve-ha-resource-or-vm-id": true, "pve-ha-resource-id-list": true}

// haNodeFormats are node lists with optional priorities.
var haNodeFormats = map[string]bool{"pve-ha-node-list": true, "pve-ha-group-node-list": true}

// judgeHA applies the allowlists to HA resource ids and node lists; false
// when the parameter is not one of them.
func (c *Call) judgeHA(ctx context.Context, r *request, k, val, format string, v *verdict) bool {
	switch {
	case haGuestFormats[format]:
		for _, sid := range splitList(val) {
			typ, id, ok := strings.Cut(sid, ":")
			if !ok {
				id = typ
			} else if typ != "vm" && typ != "ct" {
				v.refuse("%s: %q is not a guest (vm:<vmid> or ct:<vmid>); only guests can be HA resources here", c.arg(k), sid)
				continue
			}
			c.judgeGuest(ctx, r, k, id, v)
		}
		return true
	case haNodeFormats[format]:
		for _, entry := range splitList(val) {
			name, _, _ := strings.Cut(entry, ":")
			if err := c.g.opts.Allow.Node(c.arg(k), name); err != nil {
				v.refuse("%s", trimRefused(err))
			}
		}
		return true
	}
	return false
}

// hostFirewall says which host-level firewall a path is ("" for none):
// the cluster's (every node) or a node's own.
func hostFirewall(tmpl string) string {
	switch {
	case strings.HasPrefix(tmpl, "/cluster/firewall"):
		return "cluster"
	case strings.HasPrefix(tmpl, "/nodes/{node}/firewall"):
		return "node"
	}
	return ""
}

// judgeFirewall refuses writes to the cluster's or a node's firewall unless
// PVE_ALLOW_HOST_ACCESS is true (then asks). The cluster's firewall (its
// rules, options, security groups, aliases and IP sets) reaches every node
// and guest, so it is refused outright while an allowlist is set. Turning a
// firewall off or opening its input policy is asked about at any scope.
func (c *Call) judgeFirewall(r *request, v *verdict) {
	tmpl := r.ep.Path
	if r.method == "GET" || !strings.Contains(tmpl, "/firewall") {
		return
	}
	switch hostFirewall(tmpl) {
	case "cluster":
		if c.g.opts.Allow.Any() {
			v.refuse("%s %s: the cluster firewall applies to every node and guest, including those outside PVE_NODE_ALLOWLIST or PVE_VMID_ALLOWLIST; change a guest's firewall instead", r.method, r.path)
			return
		}
		c.hostLevel(v, "the cluster firewall", "filters the traffic of every node, including their web GUI and SSH")
	case "node":
		c.hostLevel(v, "the firewall of node "+r.params["node"], "filters the node's own traffic, including its web GUI and SSH")
	}
	if !strings.HasSuffix(tmpl, "/firewall/options") {
		return
	}
	if falsy(r.params["enable"]) {
		v.ask("%s = %s (turns this firewall off: its rules stop filtering)", c.arg("enable"), quote(r.params["enable"]))
	}
	for _, name := range splitList(r.params["delete"]) {
		if name == "enable" {
			v.ask("%s names enable (turns this firewall off: its rules stop filtering)", c.arg("delete"))
		}
	}
	if r.params["policy_in"] == "ACCEPT" {
		v.ask("%s = ACCEPT (lets in all traffic no rule drops)", c.arg("policy_in"))
	}
}

// falsy is a boolean or integer flag that reads as off (enable is an
// integer on the cluster, where a number above 1 is the anti-lockout form).
func falsy(s string) bool {
	switch strings.ToLower(strings.TrimLeft(s, "0")) {
	case "", "off", "no", "false":
		return s != ""
	}
	return false
}
