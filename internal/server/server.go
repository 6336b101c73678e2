// Package server assembles the MCP server from the configuration and the tools.
package server

import (
	"fmt"
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
	b, err := Build(cfg, client, logger)
	if err != nil {
		return nil, err
	}
	return b.Server, nil
}

// Built is a server and, with PVE_CONFIG_FILE, what reloads its clusters.
type Built struct {
	Server *mcp.Server
	fleet  *tools.Fleet
	base   *tools.Deps
	logger *slog.Logger
}

// Reload swaps in the clusters and policies of a re-read configuration
// file; on an error the running ones stay. The tool list stays as it was
// at start.
func (b *Built) Reload(cs *config.Clusters) error {
	if b.fleet == nil {
		return fmt.Errorf("reload: this server was started without PVE_CONFIG_FILE")
	}
	clusters, policies, err := fleetParts(cs, nil, b.logger, b.base)
	if err != nil {
		return err
	}
	b.fleet.Replace(clusters, cs.Default, policies)
	return nil
}

// Build is New, keeping what Reload needs.
func Build(cfg *config.Config, client *pve.Client, logger *slog.Logger) (*Built, error) {
	deps := newDeps(cfg, client, logger, guard.NewAllowlist(cfg.NodeAllowlist, cfg.VMIDAllowlist), nil)
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
	built := &Built{base: deps, logger: logger}
	sel := Selection(cfg)
	if cfg.Clusters != nil {
		clusters, policies, err := fleetParts(cfg.Clusters, client, logger, deps)
		if err != nil {
			return nil, err
		}
		built.fleet = tools.NewFleet(clusters, cfg.Clusters.Default, policies)
		deps.Fleet, deps.Cluster = built.fleet, cfg.Clusters.Default
		sel = fleetSelection(cfg.Clusters)
	}
	// No logging capability: MCP deprecated it (SEP-2577) and the server
	// logs to stderr; the SDK advertises it unless told otherwise. caps is
	// read at each initialize and server/discover, so the extensions below
	// can add to it.
	caps := &mcp.ServerCapabilities{}
	opts := &mcp.ServerOptions{Instructions: instructions, Logger: logger, Capabilities: caps}
	ctxOpts := mcpctx.Options{Logger: logger}
	if f := built.fleet; f != nil {
		ctxOpts.GuardFor, ctxOpts.Clusters = f.GuardFor, f.Names
	}
	ctxs := mcpctx.New(deps.Guard, ctxOpts) // resources, prompts, completions
	ctxs.Options(opts)
	s := mcp.NewServer(&mcp.Implementation{Name: "proxmox-mcp-server", Title: "Proxmox VE", Version: Version(),
		WebsiteURL: SourceURL}, opts)
	ctxs.Register(s)
	s.AddReceivingMiddleware(checkLogLevel, (&capabilityGate{}).middleware, rpcCodes)
	if cfg.HideUnpermitted {
		sel.Exclude = append(sel.Exclude, unpermitted(client, cfg, logger)...)
	}
	var route func([]tools.Tool) []tools.Tool
	if built.fleet != nil {
		route = built.fleet.Route
	}
	box, err := tools.NewToolbox(s, deps, sel, route)
	if err != nil {
		return nil, err
	}
	deps.Toolbox = box
	if built.fleet != nil {
		built.fleet.SetToolbox(box)
	}
	s.AddReceivingMiddleware(explainOffTools(box), tools.ListGate(deps, box))
	// The Tasks extension: task handles for clients that declare it.
	if err := tools.ServeTasks(s, caps, deps); err != nil {
		return nil, err
	}
	// MCP Apps (views, the confirm card), only for clients that declare them.
	apps.Install(s, deps, apps.Options{Writes: !sel.ReadOnly})
	built.Server = s
	return built, nil
}

// newDeps is one cluster's tool dependencies: its guard on client with
// allow; base, when not nil, lends the process-wide parts (consent key,
// audit log, SSH).
func newDeps(cfg *config.Config, client *pve.Client, logger *slog.Logger, allow guard.Allowlist, base *tools.Deps) *tools.Deps {
	d := &tools.Deps{
		Guard: guard.New(client, guard.Options{
			Allow:           allow,
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
	if base != nil {
		d.Consent, d.Audit, d.LocalUser, d.NodeSSH = base.Consent, base.Audit, base.LocalUser, base.NodeSSH
	}
	return d
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
