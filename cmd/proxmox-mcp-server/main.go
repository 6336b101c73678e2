// Command proxmox-mcp-server serves the Model Context Protocol for a Proxmox VE
// cluster over stdio; `sim` runs the Proxmox simulator and `demo` serves MCP
// against an in-process simulator.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/demo"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/httpserver"
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
		default:
			if !strings.HasPrefix(args[0], "-") {
				return fmt.Errorf("unknown command %q\n%s", args[0], usage)
			}
		}
	}
	fs := flag.NewFlagSet("proxmox-mcp-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hf := config.AddHTTPFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	}
	cfg, hc, err := config.LoadAll(os.LookupEnv, hf)
	if err != nil {
		return err
	}
	if hc.Transport == config.TransportHTTP {
		return serveHTTP(ctx, cfg, hc, stderr)
	}
	return serveStdio(ctx, cfg, stderr)
}

const usage = `usage: proxmox-mcp-server [command]

  (no command)  serve MCP over stdio against PROXMOX_HOST
  --transport http [--listen 127.0.0.1:8787] [--stateless] [--tls-cert F --tls-key F]
                serve MCP over Streamable HTTP at /mcp (bearer token: PVE_MCP_HTTP_TOKEN)
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

// build makes the logger, the Proxmox client and the MCP server.
func build(cfg *config.Config, stderr io.Writer) (*slog.Logger, *mcp.Server, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if cfg.InsecureTLS {
		logger.Warn("PROXMOX_INSECURE_TLS=true: the Proxmox certificate is not verified; anyone on the path can read and change this traffic")
	}
	client, err := server.NewClient(cfg, logger)
	if err != nil {
		return nil, nil, err
	}
	s, err := server.New(cfg, client, logger)
	if err != nil {
		return nil, nil, err
	}
	return logger, s, nil
}

func serveHTTP(ctx context.Context, cfg *config.Config, hc *config.HTTPConfig, stderr io.Writer) error {
	logger, s, err := build(cfg, stderr)
	if err != nil {
		return err
	}
	return httpserver.Serve(ctx, s, hc, logger)
}

func serveStdio(ctx context.Context, cfg *config.Config, stderr io.Writer) error {
	_, s, err := build(cfg, stderr)
	if err != nil {
		return err
	}
	err = s.Run(ctx, &mcp.StdioTransport{})
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
