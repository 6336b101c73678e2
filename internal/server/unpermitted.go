package server

import (
	"context"
	"log/slog"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// unpermitted lists the tools Proxmox would refuse for lack of a privilege
// (PVE_HIDE_UNPERMITTED), read once at start-up, each hidden one logged
// with why; tools enabled later by pve_toolsets are judged the same. When
// the permissions cannot be read nothing is hidden.
func unpermitted(client *pve.Client, cfg *config.Config, logger *slog.Logger) []string {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.RequestTimeout)
	defer cancel()
	var perms map[string]map[string]int
	if err := client.Get(ctx, "/access/permissions", nil, &perms); err != nil {
		logger.Warn("PVE_HIDE_UNPERMITTED: the credential's permissions could not be read; every selected tool is listed", "err", err)
		return nil
	}
	all, err := tools.SelectedNames(tools.Selection{Toolsets: []string{"all"}})
	if err != nil {
		return nil
	}
	access := tools.Access(perms, all)
	var hide []string
	for _, a := range access.Refused {
		if len(hide) == 0 || hide[len(hide)-1] != a.Tool {
			hide = append(hide, a.Tool)
			logger.Info("PVE_HIDE_UNPERMITTED: tool hidden", "tool", a.Tool, "needs", a.Needs, "authid", client.AuthID())
		}
	}
	return hide
}
