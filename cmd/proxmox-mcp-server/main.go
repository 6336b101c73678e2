// Command proxmox-mcp-server serves the Model Context Protocol for a Proxmox VE
// cluster over stdio; `sim` runs the Proxmox simulator and `demo` serves MCP
// against an in-process simulator.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/demo"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !config.IsConfigError(err) {
			err = fmt.Errorf("proxmox-mcp-server: %w", err)
		}
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "version", "--version", "-v":
			fmt.Fprintln(stdout, "proxmox-mcp-server", server.Version)
			return nil
		case "help", "--help", "-h":
			fmt.Fprint(stdout, usage)
			return nil
		case "sim":
			return pvesim.Run(ctx, args[1:], stdout, stderr)
		case "demo":
			exe, _ := os.Executable()
			return demo.Run(ctx, demo.Options{Args: args[1:], Stdin: stdin, Stdout: stdout, Stderr: stderr,
				Getenv: os.LookupEnv, IsTTY: isTerminal(stdin), Exe: exe})
		}
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
	cfg, err := config.Load(os.LookupEnv)
	if err != nil {
		return err
	}
	return serveStdio(ctx, cfg, stderr)
}

const usage = `usage: proxmox-mcp-server [command]

  (no command)  serve MCP over stdio against PROXMOX_HOST
  demo          serve MCP over stdio against a built-in simulated cluster
                (--tour: watch a short scripted session)
  sim           run the Proxmox VE simulator (--plain-http --listen 127.0.0.1:18006)
  version       print the version
`

// isTerminal tells whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func serveStdio(ctx context.Context, cfg *config.Config, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if cfg.InsecureTLS {
		logger.Warn("PROXMOX_INSECURE_TLS=true: the Proxmox certificate is not verified; anyone on the path can read and change this traffic")
	}
	client, err := server.NewClient(cfg, logger)
	if err != nil {
		return err
	}
	s, err := server.New(cfg, client, logger)
	if err != nil {
		return err
	}
	err = s.Run(ctx, &mcp.StdioTransport{})
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
