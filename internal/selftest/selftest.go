// Package selftest is `proxmox-mcp-server selftest --live`: a sweep that
// drives a guest life cycle on a real node through the MCP tools (the
// server built as the binary builds it, on an in-memory session), then
// removes everything it made, also after a failure or an interrupt.
package selftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// Options configure Run.
type Options struct {
	First, Last   int    // the id range the sweep may use; every id must be free
	Node          string // "" means the first online node
	Storage       string // for guest disks; default local-lvm
	BackupStorage string // for backups and the container template; default local
	// TemplateURL is the container template the sweep downloads.
	TemplateURL string
	// CleanupTimeout bounds the cleanup, which runs on its own context.
	CleanupTimeout time.Duration
	Logger         *slog.Logger
	// Progress, when set, gets a line per step as it ends.
	Progress io.Writer
}

// DefaultTemplateURL is Proxmox's Debian 12 standard container template.
const DefaultTemplateURL = "http://download.proxmox.com/images/system/debian-12-standard_12.7-1_amd64.tar.zst"

// Report is the sweep's outcome.
type Report struct {
	Steps []Step
	// OK is true only when every step passed and nothing was left behind.
	OK bool
}

// ErrInUse is returned, before anything is made, when an id of the range
// is taken.
var ErrInUse = errors.New("ids in use")

// needIDs is how many ids the sweep uses: a VM, its clone, a container,
// its clone.
const needIDs = 4

func (o *Options) defaults() error {
	if o.Storage == "" {
		o.Storage = "local-lvm"
	}
	if o.BackupStorage == "" {
		o.BackupStorage = "local"
	}
	if o.TemplateURL == "" {
		o.TemplateURL = DefaultTemplateURL
	}
	if o.CleanupTimeout <= 0 {
		o.CleanupTimeout = 15 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.First < 100 || o.Last < o.First || o.Last-o.First+1 < needIDs {
		return fmt.Errorf("selftest: id range %d-%d: want at least %d ids, from 100 up", o.First, o.Last, needIDs)
	}
	return nil
}

// Run runs the sweep against the cluster cfg points at. Writes are enabled
// for the sweep whatever cfg says. The error is for what kept the sweep
// from starting (or ErrInUse); the steps' failures are in the report.
func Run(ctx context.Context, cfg *config.Config, o Options) (Report, error) {
	if err := o.defaults(); err != nil {
		return Report{}, err
	}
	s, err := connect(sweepConfig(cfg), o.Logger)
	if err != nil {
		return Report{}, err
	}
	defer s.close()
	sw := &sweep{s: s, o: o, r: &runner{progress: o.Progress}}
	if err := sw.preflight(ctx); err != nil {
		return Report{Steps: sw.r.steps}, err
	}
	sw.cycle(ctx)
	// Cleanup gets its own context: after Ctrl-C ctx is already done.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.CleanupTimeout)
	defer cancel()
	sw.r.cleanup(cctx)
	sw.r.add(run(cctx, "nothing left behind", "pve_cluster_resources", sw.leftovers))
	return Report{Steps: sw.r.steps, OK: sw.r.ok()}, nil
}
