// Package guard is the one gate between the tools and Proxmox: every request
// a tool sends goes through a Call, which reads each path and body parameter
// by the PVE API schema of the cluster's release, the way Proxmox reads it,
// and refuses it, lets it through, or asks for the user's consent first.
// The tools hold only a Call; the raw client never leaves this package.
package guard

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/execallow"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Options configure a Guard.
type Options struct {
	Allow Allowlist
	// AllowHostAccess (PVE_ALLOW_HOST_ACCESS) lets host-level keys through,
	// each still needing the user's consent.
	AllowHostAccess bool
	// Commands (PVE_AGENT_EXEC_ALLOWLIST) may run inside guests; Files
	// (PVE_AGENT_FILE_ALLOWLIST) may be read or written by the guest agent.
	Commands execallow.Commands
	Files    execallow.Paths
	// ProtectedTags (PVE_PROTECTED_TAGS, lower-case) protect a guest as
	// Proxmox's protection flag does, from every tool (protect.go).
	ProtectedTags []string
	Schemas       *pveschema.Registry // nil: a registry of its own
	// Release fixes the schema release (one of pveschema.Versions); empty:
	// pveschema.ReleaseFor the version the cluster reports.
	Release string
	Logger  *slog.Logger
	// CheckURL judges a URL a request makes a node fetch (download-url,
	// query-url-metadata), as pve_download_iso does; nil: not judged.
	CheckURL func(ctx context.Context, url string) error
}

// Guard holds the raw client and the rules; it is safe for concurrent use.
type Guard struct {
	raw  *pve.Client
	opts Options

	mu       sync.Mutex
	schema   *pveschema.Schema // once the release is known
	storages storageCache
}

// New wraps a Proxmox client; nothing else may use raw afterwards.
func New(raw *pve.Client, o Options) *Guard {
	if o.Schemas == nil {
		o.Schemas = &pveschema.Registry{}
	}
	return &Guard{raw: raw, opts: o}
}

// Allow returns the allowlists, for the tools' early argument checks and
// list filters.
func (g *Guard) Allow() Allowlist { return g.opts.Allow }

// HostAccess tells whether host-level requests (PVE_ALLOW_HOST_ACCESS) may
// go through at all, so tools can advise only what the guard would let by.
func (g *Guard) HostAccess() bool { return g.opts.AllowHostAccess }

// Consent is asked when a request needs the user's yes: question says what
// the request would do. It returns nil to go on.
type Consent func(ctx context.Context, question string) error

// Call starts one tool call's view of the cluster. consent may be nil: then
// a request that needs consent is refused.
func (g *Guard) Call(consent Consent) *Call {
	return &Call{g: g, consent: consent, view: &view{raw: g.raw, cache: &g.storages}, names: map[string]string{}}
}

// Call is a guarded client for one tool call. It is not safe for
// concurrent use (a tool call runs its requests one after another).
type Call struct {
	g       *Guard
	consent Consent
	view    *view
	names   map[string]string // request key -> the tool argument it came from
}

// Name records that request key k came from tool argument arg (such as
// "extra.scsi1"), so refusals name what the user gave.
func (c *Call) Name(k, arg string) { c.names[k] = arg }

func (c *Call) arg(k string) string {
	if a, ok := c.names[k]; ok {
		return a
	}
	return k
}

// Get reads path with the query q.
func (c *Call) Get(ctx context.Context, path string, q url.Values, out any) error {
	if err := c.check(ctx, "GET", path, q); err != nil {
		return err
	}
	return c.g.raw.Get(ctx, path, q, out)
}

// GetPage is Get for lists that carry a "total" beside the data.
func (c *Call) GetPage(ctx context.Context, path string, q url.Values, out any) (int, error) {
	if err := c.check(ctx, "GET", path, q); err != nil {
		return 0, err
	}
	return c.g.raw.GetPage(ctx, path, q, out)
}

// Post sends form to path.
func (c *Call) Post(ctx context.Context, path string, form url.Values, out any) error {
	if err := c.check(ctx, "POST", path, form); err != nil {
		return err
	}
	return c.g.raw.Post(ctx, path, form, out)
}

// Put sends form to path.
func (c *Call) Put(ctx context.Context, path string, form url.Values, out any) error {
	if err := c.check(ctx, "PUT", path, form); err != nil {
		return err
	}
	return c.g.raw.Put(ctx, path, form, out)
}

// Delete deletes path with the query q.
func (c *Call) Delete(ctx context.Context, path string, q url.Values, out any) error {
	if err := c.check(ctx, "DELETE", path, q); err != nil {
		return err
	}
	return c.g.raw.Delete(ctx, path, q, out)
}

// AuthID is the user or API token requests are sent as.
func (c *Call) AuthID() string { return c.g.raw.AuthID() }

// Version is GET /version (cached by the client).
func (c *Call) Version(ctx context.Context) (pve.Version, error) { return c.g.raw.Version(ctx) }

// TaskStatus reads a task's status once its UPID passed the checks.
func (c *Call) TaskStatus(ctx context.Context, upid string) (pve.TaskStatus, error) {
	if err := c.checkTask(ctx, upid, "status"); err != nil {
		return pve.TaskStatus{}, err
	}
	return c.g.raw.TaskStatus(ctx, upid)
}

// TaskLog reads a task's log lines once its UPID passed the checks.
func (c *Call) TaskLog(ctx context.Context, upid string, start, limit int) ([]pve.LogLine, int, error) {
	if err := c.checkTask(ctx, upid, "log"); err != nil {
		return nil, 0, err
	}
	return c.g.raw.TaskLog(ctx, upid, start, limit)
}

// WaitTask follows a task once its UPID passed the checks; the polls it makes
// are GETs of that task's status and log, and of the list of finished tasks
// of its type and guest on its node when that passes the checks too.
func (c *Call) WaitTask(ctx context.Context, upid string, o pve.WaitOptions) (pve.TaskResult, error) {
	if err := c.checkTask(ctx, upid, "status"); err != nil {
		return pve.TaskResult{}, err
	}
	if path, q, ok := pve.HistoryRequest(upid); !ok || c.check(ctx, "GET", path, q) != nil {
		o.NoHistory = true
	}
	return c.g.raw.WaitTask(ctx, upid, o)
}

func (c *Call) checkTask(ctx context.Context, upid, sub string) error {
	u, err := pveid.ParseUPID(upid)
	if err != nil {
		return fmt.Errorf("invalid argument \"upid\": %v", err)
	}
	return c.check(ctx, "GET", pve.Path("nodes", u.Node, "tasks", upid, sub), nil)
}

// GuestAllowed tells whether list entries about guest id may be shown: the
// guest id allowlist, and with a node allowlist the node the guest lives on.
// A guest the cluster does not know is shown only without a node allowlist.
func (c *Call) GuestAllowed(ctx context.Context, id int) bool {
	a := c.g.opts.Allow
	if !a.VMIDAllowed(id) {
		return false
	}
	if !a.HasNodes() {
		return true
	}
	node, ok, err := c.view.guestNode(ctx, id)
	return err == nil && ok && a.NodeAllowed(node)
}

// GuestElsewhere tells whether guest id is known to live on a node outside
// PVE_NODE_ALLOWLIST, and which. Unlike GuestAllowed it lets unknown guests
// pass: a task list or a task of a guest deleted since must stay readable.
// When the cluster cannot be read, it answers yes, with node "".
func (c *Call) GuestElsewhere(ctx context.Context, id int) (node string, elsewhere bool) {
	a := c.g.opts.Allow
	if !a.HasNodes() {
		return "", false
	}
	node, ok, err := c.view.guestNode(ctx, id)
	if err != nil {
		return "", true
	}
	return node, ok && !a.NodeAllowed(node)
}

// schemaFor returns the schema of the cluster's release, found once.
func (g *Guard) schemaFor(ctx context.Context) (*pveschema.Schema, error) {
	g.mu.Lock()
	s := g.schema
	g.mu.Unlock()
	if s != nil {
		return s, nil
	}
	release := g.opts.Release
	keep := true
	if release == "" {
		v, err := g.raw.Version(ctx)
		if err != nil {
			// The request itself will tell what is wrong; judge it by the
			// newest schema meanwhile, and ask again next time.
			release, keep = pveschema.Newest(), false
			if g.opts.Logger != nil {
				g.opts.Logger.Debug("guard: Proxmox version unknown, using the newest schema", "err", err)
			}
		} else {
			release = pveschema.ReleaseFor(v.Version)
		}
	}
	s, err := g.opts.Schemas.Load(release)
	if err != nil {
		return nil, fmt.Errorf("load the PVE %s API schema: %w", release, err)
	}
	if keep {
		g.mu.Lock()
		g.schema = s
		g.mu.Unlock()
	}
	return s, nil
}

// Commands is PVE_AGENT_EXEC_ALLOWLIST and Files PVE_AGENT_FILE_ALLOWLIST,
// for the tools' early checks and messages; the rule is judged here.
func (g *Guard) Commands() execallow.Commands { return g.opts.Commands }

// Files is PVE_AGENT_FILE_ALLOWLIST.
func (g *Guard) Files() execallow.Paths { return g.opts.Files }

// HasParam tells whether the cluster's release has parameter name on the
// endpoint method path (parameters added in later releases); false when
// the release cannot be learnt or there is no such endpoint.
func (c *Call) HasParam(ctx context.Context, method, path, name string) bool {
	s, err := c.g.schemaFor(ctx)
	if err != nil {
		return false
	}
	ep, _, ok := s.Lookup(method, path)
	if !ok {
		return false
	}
	_, ok = ep.Param(name)
	return ok
}

// Schema is the API schema of the cluster's release, as the guard reads
// every request by it.
func (c *Call) Schema(ctx context.Context) (*pveschema.Schema, error) { return c.g.schemaFor(ctx) }

// HasEndpoint tells whether the cluster's release has the endpoint.
func (c *Call) HasEndpoint(ctx context.Context, method, path string) bool {
	s, err := c.g.schemaFor(ctx)
	if err != nil {
		return true // let the request say
	}
	_, _, ok := s.Lookup(method, path)
	return ok
}

// Twin is a guard with the same rules over another client, a plan's
// rehearsal simulator, judged by the real cluster's schema release.
func (g *Guard) Twin(ctx context.Context, raw *pve.Client) (*Guard, error) {
	s, err := g.schemaFor(ctx)
	if err != nil {
		return nil, err
	}
	o := g.opts
	o.Release = pveschema.ReleaseFor(s.Version())
	return &Guard{raw: raw, opts: o, schema: s}, nil
}

// Release is the schema release requests are judged by.
func (c *Call) Release(ctx context.Context) (string, error) {
	s, err := c.g.schemaFor(ctx)
	if err != nil {
		return "", err
	}
	return pveschema.ReleaseFor(s.Version()), nil
}

// Schemas is the registry of parsed schemas, shared with a twin.
func (g *Guard) Schemas() *pveschema.Registry { return g.opts.Schemas }

// ProtectedTag returns the first tag of tags (Proxmox's tag list, split
// by ';', ',' or spaces) that protects a guest, or "".
func (g *Guard) ProtectedTag(tags string) string {
	for _, t := range splitList(tags) {
		if slices.Contains(g.opts.ProtectedTags, strings.ToLower(t)) {
			return t
		}
	}
	return ""
}
