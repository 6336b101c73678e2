package guard

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Protected guests (issue 20): a guest with Proxmox's protection flag, or
// a tag of Options.ProtectedTags, may be read, started, snapshotted, cloned
// and backed up, and nothing else: no tool may change its config, stop it,
// roll it back, restore over it, migrate it or delete it. The check is
// here, so pve_api_call cannot get around it either.

// protectedOK are the writes under a guest's path that leave it as it is.
var protectedOK = map[string]bool{
	"/status/start": true, "/status/resume": true, "/snapshot": true, "/clone": true,
	"/vncproxy": true, "/termproxy": true, "/spiceproxy": true, "/agent/ping": true,
}

// agentReadOnly tells guest-agent commands that only read, for POST .../agent.
func agentReadOnly(cmd string) bool {
	return cmd == "ping" || cmd == "info" || cmd == "fsfreeze-status" || cmd == "network-get-interfaces" ||
		strings.HasPrefix(cmd, "get-")
}

// guestRef is a guest a request acts on; node or kind may be unknown ("").
type guestRef struct {
	node, kind string
	vmid       int
}

// judgeProtected refuses a write that would act on a protected guest.
func (c *Call) judgeProtected(ctx context.Context, r *request, v *verdict) {
	if r.method == "GET" {
		return
	}
	gl := &guestList{c: c}
	refs, everyOn, every := protectedTargets(r)
	if len(refs) == 0 && !every {
		refs, everyOn, every = moreTargets(r)
	}
	users, err := c.volumeUsers(ctx, gl, r)
	if err != nil {
		v.refuse("cannot tell whether a guest uses the volume: %v", err)
		return
	}
	refs = append(refs, users...)
	more, err := c.storedTargets(ctx, r)
	if err != nil {
		v.refuse("cannot tell whether a guest this acts on is protected: %v", err)
		return
	}
	if more == nil && r.ep.Path == "/nodes/{node}/vzdump" && r.params["mode"] == "" {
		// Proxmox takes the mode from the node's defaults, which may be stop.
		var d struct {
			Mode string `json:"mode"`
		}
		path := fmt.Sprintf("/nodes/%s/vzdump/defaults", r.node)
		if err := c.g.raw.Get(ctx, path, nil, &d); err != nil {
			v.refuse("cannot tell the backup's mode (GET %s: %v): give mode", path, err)
			return
		}
		if d.Mode == "stop" {
			rc := *r
			rc.params = maps.Clone(r.params)
			rc.params["mode"] = "stop"
			refs, everyOn, every = protectedTargets(&rc)
		}
	}
	refs = append(refs, more...)
	if every {
		all, err := gl.on(ctx, everyOn)
		if err != nil {
			v.refuse("cannot tell whether any of the guests this acts on is protected: %v", err)
			return
		}
		refs = all
	}
	for _, g := range refs {
		why, err := c.protection(ctx, gl, g)
		switch {
		case err != nil:
			v.refuse("cannot tell whether guest %d is protected, so it is left alone: %v", g.vmid, err)
		case why != "":
			v.refuse("%s", why)
		}
	}
}

// protectedTargets finds the guests a write acts on. every means all
// guests (of node everyOn, or of the cluster when it is ""), as the bulk
// endpoints do when no list is given.
func protectedTargets(r *request) (refs []guestRef, everyOn string, every bool) {
	p := r.params
	tmpl := r.ep.Path
	switch {
	case r.kind != "" && r.vmid > 0 && !r.create:
		i := strings.Index(tmpl, "/{vmid}")
		suffix := tmpl[i+len("/{vmid}"):]
		if (r.method == "POST" || r.method == "PUT") && protectedOK[suffix] ||
			r.method == "POST" && suffix == "/agent" && agentReadOnly(p["command"]) {
			return nil, "", false
		}
		refs := []guestRef{{vmid: r.vmid}}
		// move_disk and move_volume can put a disk into another guest.
		if id, err := strconv.Atoi(p["target-vmid"]); err == nil {
			refs = append(refs, guestRef{vmid: id})
		}
		return refs, "", false
	case r.create && r.vmid > 0:
		// A restore onto an id that exists replaces that guest, wherever
		// it lives; a new id finds nothing.
		return []guestRef{{vmid: r.vmid}}, "", false
	case strings.HasPrefix(tmpl, "/cluster/ha/resources"):
		return sidRefs(p["sid"]), "", false
	case strings.HasPrefix(tmpl, "/cluster/ha/rules"):
		return sidRefs(p["resources"]), "", false
	case strings.HasPrefix(tmpl, "/cluster/bulk-action/guest/"):
		if strings.HasSuffix(tmpl, "/start") {
			return nil, "", false
		}
		if ids := idRefs(p["vms"]); len(ids) > 0 {
			return ids, "", false
		}
		return nil, "", true
	case tmpl == "/nodes/{node}/stopall" || tmpl == "/nodes/{node}/suspendall" || tmpl == "/nodes/{node}/migrateall":
		if ids := idRefs(p["vms"]); len(ids) > 0 {
			return ids, "", false
		}
		return nil, nodeOrAll(r.node), true
	case tmpl == "/nodes/{node}/status" && r.method == "POST" && (p["command"] == "reboot" || p["command"] == "shutdown"):
		// A node going down stops (or moves) every guest on it.
		return nil, nodeOrAll(r.node), true
	case tmpl == "/nodes/{node}/storage/{storage}/content/{volume}" && r.method == "DELETE":
		// Freeing a guest's disk destroys the guest's data.
		return diskOwners(p["storage"], p["volume"]), "", false
	case (tmpl == "/nodes/{node}/vzdump" || tmpl == "/cluster/backup" || tmpl == "/cluster/backup/{id}") && p["mode"] == "stop":
		// A stop-mode backup (now, or by a job later) shuts the guest down
		// for the while. A pool or all guests: every guest may be in it.
		if isTrue(p["all"]) || p["pool"] != "" {
			return nil, nodeOrAll(r.node), true
		}
		return idRefs(p["vmid"]), "", false
	}
	return nil, "", false
}

// diskOwners are the guests whose disk (images, rootdir) volume is, read
// as every storage type would read it: a backup or an ISO has no owner here.
func diskOwners(storage, volume string) []guestRef {
	volid := volume
	if !strings.Contains(volid, ":") {
		volid = storage + ":" + volume
	}
	var out []guestRef
	for _, plugin := range pluginTypes {
		v, err := ParseVolume(volid, plugin)
		if err != nil || v.Type != "images" && v.Type != "rootdir" {
			continue
		}
		for _, id := range []int{v.Owner, v.BaseOwner} {
			if id != 0 && !slices.ContainsFunc(out, func(g guestRef) bool { return g.vmid == id }) {
				out = append(out, guestRef{vmid: id})
			}
		}
	}
	return out
}

// nodeOrAll is the node whose guests a node-wide request acts on: ""
// (every node) for "localhost", which Proxmox runs on whichever node the
// request reaches.
func nodeOrAll(node string) string {
	if node == "localhost" {
		return ""
	}
	return node
}

// isTrue reads a Proxmox boolean as Proxmox does (1, true, yes, on).
func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// storedTargets are guests a change to a stored rule acts on: an HA
// rule's resources as they are now.
func (c *Call) storedTargets(ctx context.Context, r *request) ([]guestRef, error) {
	if r.ep.Path != "/cluster/ha/rules/{rule}" || r.method == "GET" {
		return nil, nil
	}
	var rule struct {
		Resources string `json:"resources"`
	}
	path := "/cluster/ha/rules/" + url.PathEscape(r.params["rule"])
	if err := c.g.raw.Get(ctx, path, nil, &rule); err != nil {
		if pve.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return sidRefs(rule.Resources), nil
}

// sidRefs reads HA resource ids: "vm:100", "ct:101" or "100", comma-separated.
func sidRefs(s string) []guestRef {
	var out []guestRef
	for _, sid := range splitList(s) {
		kind := ""
		if t, id, ok := strings.Cut(sid, ":"); ok {
			kind, sid = map[string]string{"vm": "qemu", "ct": "lxc"}[t], id
		}
		if id, err := strconv.Atoi(sid); err == nil {
			out = append(out, guestRef{kind: kind, vmid: id})
		}
	}
	return out
}

func idRefs(s string) []guestRef {
	var out []guestRef
	for _, f := range splitList(strings.ReplaceAll(s, "\x00", ",")) {
		if id, err := strconv.Atoi(f); err == nil {
			out = append(out, guestRef{vmid: id})
		}
	}
	return out
}

// guestList is the cluster's guests, read once per check when needed.
type guestList struct {
	c    *Call
	all  []guestRef
	err  error
	done bool
}

// on lists the guests of node (every node when "").
func (l *guestList) on(ctx context.Context, node string) ([]guestRef, error) {
	if !l.done {
		l.done = true
		var res []resource
		if err := l.c.g.raw.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res); err != nil {
			l.err = fmt.Errorf("GET /cluster/resources: %w", err)
		}
		for _, r := range res {
			if r.Type == "qemu" || r.Type == "lxc" {
				l.all = append(l.all, guestRef{node: r.Node, kind: r.Type, vmid: int(r.VMID)})
			}
		}
	}
	if l.err != nil {
		return nil, l.err
	}
	var out []guestRef
	for _, g := range l.all {
		if node == "" || g.node == node {
			out = append(out, g)
		}
	}
	return out, nil
}

// protection reads guest g's config and says why it may not be touched,
// or "" when it may. The guest is found by its id in the cluster's list,
// whatever node a path names (Proxmox hands an HA guest's stop to the HA
// manager from any node); an id the list lacks is asked about, since the
// list shows only guests the credential may audit.
func (c *Call) protection(ctx context.Context, gl *guestList, g guestRef) (string, error) {
	all, err := gl.on(ctx, "")
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(all, func(x guestRef) bool { return x.vmid == g.vmid })
	if i < 0 {
		var free any
		err := c.g.raw.Get(ctx, "/cluster/nextid", url.Values{"vmid": {strconv.Itoa(g.vmid)}}, &free)
		if err == nil {
			return "", nil // no such guest
		}
		return "", fmt.Errorf("guest %d is not among the guests this credential sees, and Proxmox says: %w", g.vmid, err)
	}
	g = all[i]
	var cfg struct {
		Protection pve.Flag `json:"protection"`
		Tags       string   `json:"tags"`
	}
	path := fmt.Sprintf("/nodes/%s/%s/%d/config", g.node, g.kind, g.vmid)
	if err := c.g.raw.Get(ctx, path, nil, &cfg); err != nil {
		return "", fmt.Errorf("GET %s: %w", path, err)
	}
	cli := map[string]string{"qemu": "qm", "lxc": "pct"}[g.kind]
	if cfg.Protection {
		return fmt.Sprintf("guest %d is protected (Proxmox's protection flag): no tool may change, stop, roll back, "+
			"restore over, migrate or delete it; a person with VM.Config.Options on /vms/%d can lift it "+
			"(web UI: Options > Protection, or `%s set %d --protection 0`)", g.vmid, g.vmid, cli, g.vmid), nil
	}
	for _, t := range splitList(cfg.Tags) {
		if slices.Contains(c.g.opts.ProtectedTags, strings.ToLower(t)) {
			return fmt.Sprintf("guest %d carries the tag %s, which PVE_PROTECTED_TAGS protects: no tool may change, stop, "+
				"roll back, restore over, migrate or delete it; a person with VM.Config.Options on /vms/%d can remove "+
				"the tag (web UI: the guest's tags, or `%s set %d --tags ...` without it)", g.vmid, t, g.vmid, cli, g.vmid), nil
		}
	}
	return "", nil
}
