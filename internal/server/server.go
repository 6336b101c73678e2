// Package server assembles the MCP server from the configuration and the tools.
package server

import (
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo"
	"log/slog"
	"net"
	"os"
	"os/user"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/apps"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/mcpctx"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/sshexec"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// SourceURL is where the source is, reported in initialize as the
// server's website: the AGPL (section 13) asks a network service to offer it.
const SourceURL = "https://github.com/proxmox-mcp/proxmox-mcp-server"

// Version is the server's version, reported in initialize.
func Version() string { return buildinfo.Get().Version }

const instructions = `Proxmox VE cluster tools. Guest ids (vmid) are unique across the whole cluster; ` +
	`find a guest's node with pve_cluster_resources. Writes wait for the Proxmox task and report its UPID ` +
	`and exit status; with async: true they return the UPID at once: follow it with pve_task_wait or ` +
	`pve_task_status. In read-only mode (the default) no write tool is listed. Destructive tools need ` +
	`confirm: true (deletes also the id repeated) and may ask the user. Lists return one page, 50 items ` +
	`unless limit says otherwise (limit 0 or "all": every item), and say the total and the next offset; ` +
	`fields picks item fields (comma-separated, or "all"), sort orders by fields (-field: descending); ` +
	`name and tag filters take a glob (* and ?) or, for name, a part of it.`

// New builds an MCP server exposing the tools the configuration enables.
func New(cfg *config.Config, client *pve.Client, logger *slog.Logger) (*mcp.Server, error) {
	deps := &tools.Deps{
		Guard: guard.New(client, guard.Options{
			Allow:           guard.NewAllowlist(cfg.NodeAllowlist, cfg.VMIDAllowlist),
			AllowHostAccess: cfg.AllowHostAccess,
			Commands:        cfg.AgentCommands,
			Files:           cfg.AgentFiles,
			ProtectedTags:   cfg.ProtectedTags,
			Schemas:         &pveschema.Registry{},
			Logger:          logger,
			CheckURL:        tools.URLChecker(cfg.AllowPrivateDownloads, net.DefaultResolver),
		}),
		TaskTimeout:           cfg.TaskTimeout,
		Logger:                logger,
		AllowPrivateDownloads: cfg.AllowPrivateDownloads,
		Resolver:              net.DefaultResolver,
		Consent:               tools.NewConsent(), // one key per server process
		Plans:                 tools.NewPlans(),
		RequirePlan:           cfg.RequirePlan,
	}
	if cfg.AuditLog != "" {
		deps.Audit, deps.LocalUser = audit.Open(cfg.AuditLog), localUser()
		if err := deps.Audit.Err(); err != nil {
			logger.Error("audit log unusable: write tools will refuse every call until it is fixed and the server restarted", "err", err)
		}
	}
	if cfg.SSH != nil {
		r, err := sshexec.New(sshexec.Options{User: cfg.SSH.User, Signer: cfg.SSH.Signer, KnownHosts: cfg.SSH.KnownHosts})
		if err != nil {
			return nil, err
		}
		deps.NodeSSH = &tools.NodeSSH{Runner: r, Hosts: cfg.SSH.Hosts, Port: cfg.SSH.Port}
	}
	// No logging capability: MCP deprecated it (SEP-2577) and the server
	// logs to stderr; the SDK advertises it unless told otherwise. caps is
	// read at each initialize and server/discover, so the extensions below
	// can add to it.
	caps := &mcp.ServerCapabilities{}
	opts := &mcp.ServerOptions{Instructions: instructions, Logger: logger, Capabilities: caps}
	ctxs := mcpctx.New(deps.Guard, mcpctx.Options{Logger: logger}) // resources, prompts, completions
	ctxs.Options(opts)
	s := mcp.NewServer(&mcp.Implementation{Name: "proxmox-mcp-server", Title: "Proxmox VE", Version: Version(),
		WebsiteURL: SourceURL}, opts)
	ctxs.Register(s)
	s.AddReceivingMiddleware(checkLogLevel, (&capabilityGate{}).middleware, rpcCodes)
	sel := Selection(cfg)
	if cfg.HideUnpermitted {
		sel.Exclude = append(sel.Exclude, unpermitted(client, cfg, logger)...)
	}
	box, err := tools.NewToolbox(s, tools.Inventory(deps), sel)
	if err != nil {
		return nil, err
	}
	deps.Toolbox = box
	s.AddReceivingMiddleware(explainOffTools(box))
	// The Tasks extension: task handles for clients that declare it.
	if err := tools.ServeTasks(s, caps, deps); err != nil {
		return nil, err
	}
	// MCP Apps (views, the confirm card), only for clients that declare them.
	apps.Install(s, deps, apps.Options{Writes: !cfg.ReadOnly})
	return s, nil
}

// Selection turns the configuration's tool choices into a tools.Selection.
func Selection(cfg *config.Config) tools.Selection {
	sel := tools.Selection{ReadOnly: cfg.ReadOnly, DisableDestructive: cfg.DisableDestructive,
		Toolsets: cfg.Toolsets, Tools: cfg.Tools, Exclude: cfg.ExcludeTools}
	if cfg.RequirePlan != "" && !cfg.ReadOnly {
		// Writes need a plan: the tools to make and apply one are offered.
		if len(sel.Toolsets) == 0 && len(sel.Tools) == 0 {
			sel.Toolsets = tools.DefaultToolsets() // naming tools alone would drop the default sets
		}
		sel.Tools = append(slices.Clone(sel.Tools), "pve_plan", "pve_apply")
	}
	return sel
}

// NewClient builds the Proxmox client from the configuration.
func NewClient(cfg *config.Config, logger *slog.Logger) (*pve.Client, error) {
	return pve.New(ClientOptions(cfg, logger))
}

// ClientOptions are the Proxmox client's options the configuration gives.
func ClientOptions(cfg *config.Config, logger *slog.Logger) pve.Options {
	return pve.Options{
		BaseURL:        cfg.Host.String(),
		TokenID:        cfg.TokenID,
		TokenSecret:    cfg.TokenSecret,
		Username:       cfg.Username,
		Password:       cfg.Password,
		CAFile:         cfg.CAFile,
		Fingerprint:    cfg.Fingerprint,
		InsecureTLS:    cfg.InsecureTLS,
		RequestTimeout: cfg.RequestTimeout,
		Logger:         logger,
	}
}

// localUser names the account running a stdio server, for the audit log.
func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
