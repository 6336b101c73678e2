package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

func authCheck(ctx context.Context, o Options, client *pve.Client, cfg *config.Config) (pve.Version, Check) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	v, err := client.Version(ctx)
	if err == nil {
		return v, Check{Name: "auth", Status: OK, Detail: "logged in as " + client.AuthID()}
	}
	c := Check{Name: "auth", Status: Fail, Detail: err.Error()}
	switch {
	case pve.IsAuth(err) && cfg.Username != "":
		c.Fix = []string{"check PROXMOX_USERNAME (user@realm, e.g. admin@pve or root@pam) and the password; an account with a second factor needs an API token instead"}
	case pve.IsAuth(err):
		c.Fix = []string{"check PROXMOX_TOKEN_ID (user@realm!tokenname, as Datacenter > Permissions > API Tokens shows it) and PROXMOX_TOKEN_SECRET (the UUID shown once at creation); an expired or deleted token answers 401 too"}
	case pve.IsPermission(err):
		c.Fix = []string{"the credential may not read /version; give it a role on / (see the privileges below)"}
	}
	return v, c
}

// clusterCheck reads the version and whether the cluster has quorum:
// without it, writes fail.
func clusterCheck(ctx context.Context, o Options, client *pve.Client, v pve.Version) Check {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c := Check{Name: "cluster", Status: OK, Detail: "Proxmox VE " + v.Version}
	var status []struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		Quorate *int   `json:"quorate"`
		Nodes   int    `json:"nodes"`
		Online  *int   `json:"online"`
	}
	if err := client.Get(ctx, "/cluster/status", nil, &status); err != nil {
		c.Status, c.Detail = Warn, c.Detail+"; cluster status unreadable: "+err.Error()
		if pve.IsPermission(err) {
			c.Fix = []string{"Sys.Audit on / lets the server read the cluster's status (pve_cluster_status)"}
		}
		return c
	}
	var nodes, online int
	for _, s := range status {
		switch s.Type {
		case "cluster":
			c.Detail += fmt.Sprintf(", cluster %s", s.Name)
			if s.Quorate != nil && *s.Quorate == 0 {
				c.Status = Fail
				c.Detail += " WITHOUT QUORUM"
				c.Fix = []string{"too few nodes are online for quorum: writes and guest starts fail until it returns (pvecm status on a node)"}
			}
		case "node":
			nodes++
			if s.Online != nil && *s.Online == 1 {
				online++
			}
		}
	}
	if nodes > 0 {
		c.Detail += fmt.Sprintf(", %d of %d nodes online", online, nodes)
	}
	return c
}

// privilegesCheck compares what the enabled tools need with what the
// credential holds.
func privilegesCheck(ctx context.Context, o Options, client *pve.Client, cfg *config.Config) (Check, *tools.AccessReport, []tools.Grant) {
	c := Check{Name: "privileges"}
	names, err := tools.SelectedNames(server.Selection(cfg))
	if err != nil {
		c.Status, c.Detail = Fail, err.Error()
		return c, nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	var perms map[string]map[string]int
	if err := client.Get(ctx, "/access/permissions", nil, &perms); err != nil {
		c.Status, c.Detail = Fail, "cannot read the credential's permissions: "+err.Error()
		return c, nil, nil
	}
	access := tools.Access(perms, names)
	c.Status = OK
	c.Detail = fmt.Sprintf("%d of %d enabled tools have what they need", len(access.Usable), len(names))
	if len(perms) == 0 {
		c.Detail += "; the credential holds no privilege at all"
		if strings.Contains(client.AuthID(), "!") {
			c.Detail += " (a token with privilege separation gets only the ACLs given to the token itself, and lists come back empty)"
		}
	}
	var short []string
	for _, a := range append(slices.Clone(access.Refused), access.Limited...) {
		if !slices.Contains(short, a.Tool) {
			short = append(short, a.Tool)
		}
	}
	if len(access.Refused) > 0 {
		c.Status = Fail
	} else if len(access.Limited) > 0 {
		c.Status = Warn
	}
	if len(short) == 0 {
		return c, &access, nil
	}
	grants := tools.Grants(short)
	c.Fix = append([]string{"on a node, as root (or an admin with Permissions.Modify):"}, tools.PveumLines(grants, client.AuthID())...)
	return c, &access, grants
}
