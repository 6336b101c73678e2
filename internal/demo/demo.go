// Package demo runs the MCP server against an in-process Proxmox simulator,
// so a newcomer sees it work with no cluster and no configuration.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/stdio"
)

// Options are what the demo needs from its caller.
type Options struct {
	Args   []string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv config.Getenv // the real environment; PROXMOX_* are supplied by the demo
	IsTTY  bool          // stdin is a terminal: explain instead of waiting silently
	Exe    string        // path of this binary, for the client config snippet
}

// Run is `proxmox-mcp-server demo [--tour] [--speed X] [--nodes N]`.
func Run(ctx context.Context, o Options) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(o.Stderr)
	tour := fs.Bool("tour", false, "drive the server through a short session and print each step")
	speed := fs.Float64("speed", 0.05, "simulated task duration multiplier (1 = as long as on a real cluster)")
	nodes := fs.Int("nodes", 3, "number of simulated nodes")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, "usage: proxmox-mcp-server demo [--tour] [--speed X] [--nodes N]\n\n"+
			"Serves MCP over stdio against a built-in simulated cluster (its state resets with each process).\n\n")
		fs.PrintDefaults()
		fmt.Fprint(w, "\nEnvironment variables (PROXMOX_* are supplied by the demo; PVE_READONLY defaults to false):\n")
		config.WriteVars(w, "tools", "logging")
	}
	if err := fs.Parse(o.Args); err != nil {
		return err
	}
	if *speed <= 0 || *nodes < 1 {
		return fmt.Errorf("demo: --speed must be positive and --nodes at least 1")
	}
	logger := slog.New(slog.NewTextHandler(o.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sim, err := pvesim.New(pvesim.Options{Nodes: *nodes, Speed: *speed, Logger: logger})
	if err != nil {
		return fmt.Errorf("demo: start simulator: %w", err)
	}
	defer sim.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	hs := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	id, secret := sim.DefaultToken()
	cfg, err := config.Load(overlay(o.Getenv, map[string]string{
		"PROXMOX_HOST":         "http://" + ln.Addr().String(),
		"PROXMOX_TOKEN_ID":     id,
		"PROXMOX_TOKEN_SECRET": secret,
	}))
	if err != nil {
		return err
	}
	client, err := server.NewClient(cfg, logger)
	if err != nil {
		return err
	}
	defer client.CloseIdleConnections()
	srv, err := server.New(cfg, client, logger)
	if err != nil {
		return err
	}
	if *tour {
		return runTour(ctx, srv, o.Stdout)
	}
	if o.IsTTY {
		explain(o.Stderr, o.Exe, *nodes, cfg.ReadOnly)
	}
	// The same stdio transport as the server proper: bad lines get errors,
	// and a shutdown answers the calls in flight.
	err = stdio.Serve(ctx, srv, &stdio.Transport{In: o.Stdin, Out: o.Stdout, Logger: logger})
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// overlay answers from set first; PVE_READONLY defaults to false in the demo
// (the cluster is simulated) unless the environment says otherwise.
func overlay(env config.Getenv, set map[string]string) config.Getenv {
	if env == nil {
		env = os.LookupEnv
	}
	return func(k string) (string, bool) {
		if v, ok := set[k]; ok {
			return v, true
		}
		v, ok := env(k)
		if k == "PVE_READONLY" && !ok {
			return "false", true
		}
		return v, ok
	}
}

// commandNames are how the banner names this program so that its commands
// still work after it exits: a binary `go run` built in a temporary
// directory is deleted then, so the banner says go run again for commands
// typed in the checkout, and the installed name for client configurations.
func commandNames(exe string) (shell, client string) {
	if exe == "" || isTemporary(exe) {
		return "go run ./cmd/proxmox-mcp-server", "proxmox-mcp-server"
	}
	return exe, exe
}

func isTemporary(exe string) bool {
	if strings.Contains(filepath.ToSlash(exe), "/go-build") {
		return true
	}
	rel, err := filepath.Rel(os.TempDir(), exe)
	return err == nil && !strings.HasPrefix(rel, "..")
}

func explain(w io.Writer, exe string, nodes int, readOnly bool) {
	mode := "write tools enabled (PVE_READONLY=false; it is a simulation)"
	if readOnly {
		mode = "read-only (PVE_READONLY=true)"
	}
	shell, client := commandNames(exe)
	where := ""
	if shell != exe {
		where = "(go run: type these in the repository's root; clients need the installed binary,\n" +
			"`go install ./cmd/proxmox-mcp-server`, with Go's bin directory on PATH)\n"
	}
	fmt.Fprintf(w, `proxmox-mcp-server demo: an MCP server for Proxmox VE, serving MCP over stdio
against a built-in simulated cluster of %d nodes (pve1..pve%d) with VMs, containers,
storage and backups; %s.
Its state starts afresh each time the demo starts.

It is waiting for an MCP client on stdin. To try it:
%[6]s
  - watch a scripted session:   %[4]s demo --tour
  - inspect it in a browser:    npx @modelcontextprotocol/inspector %[4]s demo
  - add it to a client (Claude Desktop, Cursor, ... "mcpServers"):
      {"mcpServers": {"proxmox-demo": {"command": %[5]q, "args": ["demo"]}}}
  - Claude Code:                claude mcp add proxmox-demo -- %[5]s demo
  - check a real cluster:       %[4]s doctor

Press Ctrl-C to quit.
`, nodes, nodes, mode, shell, client, where)
}
