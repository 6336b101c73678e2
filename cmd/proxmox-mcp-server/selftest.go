package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/redact"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/selftest"
)

// errSweepFailed: the table says which step failed or what was left.
var errSweepFailed = errors.New("selftest: a step failed or something was left behind (see the table)")

// runSelftest is `proxmox-mcp-server selftest --live`.
func runSelftest(ctx context.Context, args []string, getenv config.Getenv, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	live := fs.Bool("live", false, "run the sweep against the node PROXMOX_HOST points at (required)")
	ids := fs.String("ids", "990-999", "free guest id range the sweep may use (it refuses to start if one is taken)")
	o := selftest.Options{}
	fs.StringVar(&o.Node, "node", "", "node to make the guests on (default: the first online one)")
	fs.StringVar(&o.Storage, "storage", "local-lvm", "storage for the guests' disks")
	fs.StringVar(&o.BackupStorage, "backup-storage", "local", "storage for backups and the container template")
	fs.StringVar(&o.TemplateURL, "template-url", selftest.DefaultTemplateURL, "container template to download")
	fs.DurationVar(&o.CleanupTimeout, "cleanup-timeout", 15*time.Minute, "time the cleanup gets, also after Ctrl-C")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: proxmox-mcp-server selftest --live [--ids 990-999] [flags]\n\n"+
			"Drives a VM and a container through create, start, snapshot, clone, migrate (on a cluster),\n"+
			"backup, delete and restore on the node PROXMOX_HOST names, through the MCP tools, with writes\n"+
			"enabled whatever PVE_READONLY says; downloads a template, stages a bridge (never applied) and\n"+
			"adds a disabled backup job; then removes all of it, also after a failure or Ctrl-C.\n"+
			"Prints a table of steps; exit status 0 only when every step passed and nothing was left.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("selftest: unexpected argument %q", fs.Arg(0))
	}
	if !*live {
		fs.Usage()
		return errors.New("selftest: --live is required: the sweep makes and deletes guests on a real node")
	}
	var err error
	if o.First, o.Last, err = parseRange(*ids); err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	text := slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	o.Logger = slog.New(redact.Handler(text, redact.New(secrets(cfg, nil)...)))
	for _, w := range startupWarnings(cfg) {
		o.Logger.Warn(w)
	}
	fmt.Fprintf(stderr, "selftest --live: WRITES ENABLED for this run (PVE_READONLY is ignored) on %s:\n"+
		"  it makes guests %d-%d, a template, a staged bridge and a backup job, then deletes them all.\n",
		cfg.Host.Host, o.First, o.Last)
	o.Progress = stderr
	r, err := selftest.Run(ctx, cfg, o)
	// Notes quote Proxmox's errors; whatever reflected a secret is masked.
	var table strings.Builder
	selftest.Table(&table, r.Steps)
	fmt.Fprint(stdout, redact.New(secrets(cfg, nil)...).String(table.String()))
	if err != nil {
		return err
	}
	if !r.OK {
		return errSweepFailed
	}
	return nil
}

// parseRange reads FIRST-LAST.
func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("selftest: --ids %q: want FIRST-LAST, e.g. 990-999", s)
	}
	return first, last, nil
}
