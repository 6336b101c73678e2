package guard

import "strings"

// judgeService asks before a node's system service is stopped or
// restarted: it interrupts what the service serves, and stopping sshd,
// corosync or pve-cluster can cut the node off from its admins or the
// cluster. Asked here, so no tool (and no generic API call) gets past it.
func (c *Call) judgeService(r *request, v *verdict) {
	tmpl := r.ep.Path
	if r.method != "POST" || !strings.HasPrefix(tmpl, "/nodes/{node}/services/{service}/") {
		return
	}
	switch cmd := tmpl[strings.LastIndexByte(tmpl, '/')+1:]; cmd {
	case "stop", "restart":
		v.ask("%s the service %s on node %s (interrupts what it serves)", cmd, r.params["service"], r.params["node"])
	case "reload":
		// pve-manager reloads with try-reload-or-restart: a unit that
		// cannot reload is restarted
		v.ask("reload the service %s on node %s (a service that cannot reload is restarted, which interrupts what it serves)", r.params["service"], r.params["node"])
	}
}
