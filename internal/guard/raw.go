package guard

import (
	"context"
	"strings"
)

// Rules for endpoints no typed tool sends, which the generic API tool
// (pve_api_call) can reach: here, so that path is judged like every other.

// consoleSuffixes end the paths of endpoints that open an interactive
// console or a migration tunnel: they answer a ticket for a websocket.
var consoleSuffixes = []string{"/termproxy", "/vncshell", "/spiceshell", "/vncproxy", "/spiceproxy",
	"/vncwebsocket", "/mtunnel", "/mtunnelwebsocket"}

// authPaths create credentials or change them.
var authPaths = map[string]bool{
	"POST /access/ticket":          true,
	"POST /access/vncticket":       true,
	"PUT /access/password":         true,
	"POST /access/openid/login":    true,
	"POST /access/openid/auth-url": true,
}

// diskWrites erase or take over a whole disk of a node.
var diskWrites = map[string]string{
	"POST /nodes/{node}/disks/initgpt":   "write a new GPT to disk %s on node %s (its partitions are lost)",
	"PUT /nodes/{node}/disks/wipedisk":   "wipe disk %s on node %s (all its data is lost)",
	"POST /nodes/{node}/disks/lvm":       "make an LVM volume group on disk %s of node %s (its data is lost)",
	"POST /nodes/{node}/disks/lvmthin":   "make an LVM thin pool on disk %s of node %s (its data is lost)",
	"POST /nodes/{node}/disks/zfs":       "make a ZFS pool on disks %s of node %s (their data is lost)",
	"POST /nodes/{node}/disks/directory": "format disk %s of node %s as a directory storage (its data is lost)",
}

// urlFetches make a node fetch a URL the request names.
var urlFetches = map[string]bool{
	"POST /nodes/{node}/storage/{storage}/download-url":      true,
	"GET /nodes/{node}/query-url-metadata":                   true,
	"POST /nodes/{node}/storage/{storage}/oci-registry-pull": true,
}

func (c *Call) judgeRaw(ctx context.Context, r *request, v *verdict) {
	tmpl := r.ep.Path
	key := r.method + " " + tmpl
	for _, s := range consoleSuffixes {
		if strings.HasSuffix(tmpl, s) {
			v.refuse("%s %s opens an interactive console or tunnel (a one-time ticket for a websocket), which this server cannot relay and does not hand out; use the Proxmox web UI", r.method, r.path)
			return
		}
	}
	if authPaths[key] || (strings.HasPrefix(tmpl, "/access/tfa") && r.method != "GET") {
		v.refuse("%s %s creates or changes login credentials; that is done by the user in the Proxmox web UI or with pveum, not through this server", r.method, r.path)
		return
	}
	if strings.HasSuffix(tmpl, "/file-restore/download") {
		v.refuse("%s %s reads files out of a backup, past PVE_AGENT_FILE_ALLOWLIST; restore the guest or use pve_vm_agent_file_read on it", r.method, r.path)
		return
	}
	if c.g.opts.CheckURL != nil && (strings.HasPrefix(tmpl, "/nodes/{node}/scan/") || tmpl == "/nodes/{node}/query-oci-repo-tags") {
		// the node connects to the host named: judged like a download's
		for _, k := range []string{"server", "portal", "reference"} {
			if h, ok := r.params[k]; ok && h != "" {
				host, _, _ := strings.Cut(h, "/")
				if err := c.g.opts.CheckURL(ctx, "https://"+host+"/"); err != nil {
					v.refuse("%s: the node would connect to %s: %v", c.arg(k), host, err)
				}
			}
		}
	}
	if urlFetches[key] && c.g.opts.CheckURL != nil {
		if u, ok := r.params["url"]; ok {
			if err := c.g.opts.CheckURL(ctx, u); err != nil {
				v.refuse("%s: %v", c.arg("url"), err)
			}
		}
	}
	if r.method == "GET" {
		return
	}
	if what, ok := diskWrites[key]; ok {
		disk := r.params["disk"] + r.params["device"] + r.params["devices"] // each endpoint has one of them
		v.ask(what, disk, r.params["node"])
	}
	switch {
	case key == "PUT /nodes/{node}/qemu/{vmid}/sendkey":
		v.refuse("sendkey types into VM %d's console, which would run commands past PVE_AGENT_EXEC_ALLOWLIST; use pve_vm_agent_exec", r.vmid)
	case key == "POST /nodes/{node}/qemu/{vmid}/monitor":
		c.hostLevel(v, "the QEMU monitor of VM "+r.params["vmid"], "runs monitor commands in the node's QEMU process")
	case (tmpl == "/storage" || tmpl == "/storage/{storage}") && r.params["path"] != "":
		c.hostLevel(v, c.arg("path")+" "+r.params["path"], "exposes a directory of the node as storage")
	case strings.HasPrefix(tmpl, "/nodes/{node}/apt/repositories"):
		c.hostLevel(v, "the package repositories of node "+r.params["node"], "changes where the node installs software from")
	case tmpl == "/nodes/{node}/hosts":
		c.hostLevel(v, "/etc/hosts of node "+r.params["node"], "rewrites the node's host names file")
	case strings.HasPrefix(tmpl, "/access/"):
		v.ask("change the cluster's users, tokens, groups, roles, permissions or login realms (%s %s)", r.method, r.path)
	case strings.HasPrefix(tmpl, "/cluster/config"):
		v.ask("change the cluster's membership or corosync configuration (%s %s)", r.method, r.path)
	case key == "PUT /nodes/{node}/network":
		// changes to interfaces stay pending until applied here
		v.ask("apply the pending network configuration of node %s (a wrong one can cut the node off)", r.params["node"])
	case strings.HasPrefix(tmpl, "/nodes/{node}/certificates"):
		v.ask("change the HTTPS certificate of node %s (clients that pin the old one, this server among them, stop connecting)", r.params["node"])
	case tmpl == "/nodes/{node}/dns" || tmpl == "/nodes/{node}/time":
		v.ask("change the %s settings of node %s", tmpl[strings.LastIndexByte(tmpl, '/')+1:], r.params["node"])
	}
}
