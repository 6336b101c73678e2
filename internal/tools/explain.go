package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

var (
	missingConfRe = lazyre.New(`Configuration file 'nodes/([^/']+)/(qemu-server|lxc)/(\d+)\.conf' does not exist`)
	unknownNodeRe = lazyre.New(`hostname lookup '([^']+)' failed`)
)

// explain looks up, with one read, what makes a common error clear: the
// guest is of the other kind or on another node, or the node does not
// exist (then the known nodes are listed). ok is false when it found
// nothing to add; the read's own failure is not reported.
func (c *call) explain(ctx context.Context, err error) (error, bool) {
	if ctx.Err() != nil {
		return err, false
	}
	text := err.Error()
	if m := missingConfRe.FindStringSubmatch(text); m != nil && pve.IsNotFound(err) {
		id, _ := strconv.Atoi(m[3])
		if hint := c.guestHint(ctx, m[1], m[2], id); hint != "" {
			return fmt.Errorf("%w (%s; pve_cluster_resources lists each guest's kind and node)", err, hint), true
		}
		return err, false
	}
	if m := unknownNodeRe.FindStringSubmatch(text); m != nil {
		var nodes []struct {
			Node string `json:"node"`
		}
		if c.PVE.Get(ctx, "/nodes", nil, &nodes) != nil {
			return err, false
		}
		var known []string
		for _, n := range nodes {
			if c.allow.NodeAllowed(n.Node) {
				known = append(known, n.Node)
			}
		}
		slices.Sort(known)
		return fmt.Errorf("%w (there is no node %q in this cluster; the nodes are: %s)", err, m[1], strings.Join(known, ", ")), true
	}
	return err, false
}

// guestHint says where guest id is and what it is, when the call named the
// wrong kind or node; "" when the cluster does not know it either.
func (c *call) guestHint(ctx context.Context, node, dir string, id int) string {
	if !c.PVE.GuestAllowed(ctx, id) {
		return ""
	}
	var res []guestRes
	if c.PVE.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res) != nil {
		return ""
	}
	asked := "qemu"
	if dir == "lxc" {
		asked = "lxc"
	}
	for _, g := range res {
		if int(g.VMID) != id {
			continue
		}
		switch {
		case g.Type == "lxc" && asked == "qemu":
			return fmt.Sprintf("guest %d is a container (on node %s), not a VM; use the pve_lxc_* tools", id, g.Node)
		case g.Type == "qemu" && asked == "lxc":
			return fmt.Sprintf("guest %d is a VM (on node %s), not a container; use the pve_vm_* tools", id, g.Node)
		case g.Node != node:
			return fmt.Sprintf("guest %d is on node %s, not %s", id, g.Node, node)
		}
	}
	return ""
}

// guestListRe matches the lists a credential without privileges sees empty.
var guestListRe = lazyre.New(`^/nodes/[^/]+/(qemu|lxc)$|^/cluster/resources$`)

// emptyListNote explains an empty guest list when the cause is that the
// credential holds no privilege at all: GET /access/permissions answers {}.
// That is what a privilege-separated API token without an ACL of its own
// gets, and nothing else says so.
func (c *call) emptyListNote(ctx context.Context, path string) string {
	if !guestListRe.MatchString(path) || ctx.Err() != nil {
		return ""
	}
	var perms map[string]json.RawMessage
	if c.PVE.Get(ctx, "/access/permissions", nil, &perms) != nil || len(perms) > 0 {
		return ""
	}
	who := c.PVE.AuthID()
	if user, _, isToken := strings.Cut(who, "!"); isToken {
		return fmt.Sprintf("The list is empty because %s holds no privilege (GET /access/permissions answers {}). "+
			"An API token with privilege separation (the default) holds only what both it and %s are granted: an ACL must name the token itself, and its user. "+
			"Grant it, e.g. pveum acl modify / --users '%s' --tokens '%s' --roles PVEAuditor (PVEVMAdmin to manage guests), "+
			"or recreate it without separation (pveum user token add %s NAME --privsep 0); proxmox-mcp-server doctor checks the rest.",
			who, user, user, who, user)
	}
	return fmt.Sprintf("The list is empty because %s holds no privilege (GET /access/permissions answers {}): no ACL names the user or its groups. "+
		"Grant one, e.g. pveum acl modify / --users '%s' --roles PVEAuditor (PVEVMAdmin to manage guests); proxmox-mcp-server doctor checks the rest.",
		who, who)
}
