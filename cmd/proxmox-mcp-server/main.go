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

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/demo"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/httpserver"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/redact"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/stdio"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return // --help of a command: its usage is printed
	}
	if errors.Is(err, errNotReady) || errors.Is(err, errChainBroken) {
		os.Exit(1) // doctor or audit verify printed why
	}
	if err != nil {
		if !config.IsConfigError(err) {
			err = fmt.Errorf("proxmox-mcp-server: %w", err)
		}
		// Whatever reflected a secret into the error, it is not printed.
		fmt.Fprintln(os.Stderr, redact.New(envSecrets(os.LookupEnv)...).String(err.Error()))
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "version", "--version", "-v":
			fmt.Fprintln(stdout, "proxmox-mcp-server", buildinfo.Get())
			return nil
		case "help", "--help", "-h", "-help":
			writeUsage(stdout)
			return nil
		case "sim":
			return runSim(ctx, args[1:], stdout, stderr)
		case "doctor":
			return runDoctor(ctx, args[1:], os.LookupEnv, stdout, stderr)
		case "selftest":
			return runSelftest(ctx, args[1:], os.LookupEnv, stdout, stderr)
		case "privileges":
			return runPrivileges(args[1:], os.LookupEnv, stdout, stderr)
		case "audit":
			return runAudit(args[1:], os.LookupEnv, stdout, stderr)
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
	fs.Usage = func() { writeUsage(stderr) }
	hf := config.AddHTTPFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	}
	cfg, hc, err := config.LoadAll(os.LookupEnv, hf)
	if isTerminal(stdin) && !wantsHTTP(fs, os.LookupEnv) {
		// A person typed the command: MCP on a terminal helps nobody.
		return explainTerminal(stderr, err)
	}
	if err != nil {
		if wantsHTTP(fs, os.LookupEnv) {
			return err
		}
		return failStdio(ctx, stdin, stdout, err)
	}
	if hc.Transport == config.TransportHTTP {
		return serveHTTP(ctx, cfg, hc, stderr)
	}
	return serveStdio(ctx, cfg, hc, stdin, stdout, stderr)
}

// failStdio answers the MCP client that started the server with the reason
// it cannot start, then returns err (printed on stderr as well).
func failStdio(ctx context.Context, stdin io.Reader, stdout io.Writer, err error) error {
	text := redact.New(envSecrets(os.LookupEnv)...).String(err.Error())
	stdio.ServeStartupError(ctx, stdin, stdout, errors.New(text))
	return err
}

const usage = `usage: proxmox-mcp-server [command] [--help]

  (no command)  serve MCP over stdio against PROXMOX_HOST
  --transport http [--listen 127.0.0.1:8787] [--stateless] [--tls-cert F --tls-key F]
                serve MCP over Streamable HTTP at /mcp (bearer token: PVE_MCP_HTTP_TOKEN)
  demo          serve MCP over stdio against a built-in simulated cluster
                (--tour: watch a short scripted session)
  sim           run the Proxmox VE simulator (--plain-http --listen 127.0.0.1:18006;
                --ssh-listen 127.0.0.1:2222 --ssh-dir DIR: an sshd per node for pve_lxc_exec)
  doctor        check the setup step by step: configuration, DNS, TCP, TLS, login, version
                and quorum, the privileges of every enabled tool (--json for scripts)
  privileges    print the least-privilege roles for a selection of tools as pveum commands
                (--toolsets, --tools, --writes, --token)
  audit verify [FILE]
                check the audit log's hash chain (FILE, else PVE_AUDIT_LOG); says where it breaks
  selftest --live
                drive a create, start, snapshot, clone, backup, delete, restore cycle through the
                tools against the configured cluster, in a free id range, and clean up after it
  version       print the version
`

// writeUsage prints the commands and every environment variable.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	fmt.Fprint(w, "\nEnvironment variables:\n")
	config.WriteVars(w)
}

// isTerminal tells whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// build makes the logger, the Proxmox client and the MCP server. The logger
// masks every configured secret, whatever reflects one into a log line.
func build(ctx context.Context, cfg *config.Config, hc *config.HTTPConfig, stderr io.Writer) (*slog.Logger, *mcp.Server, *pve.Client, error) {
	text := slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	logger := slog.New(redact.Handler(text, redact.New(secrets(cfg, hc)...)))
	for _, w := range startupWarnings(cfg) {
		logger.Warn(w)
	}
	client, err := server.NewClient(cfg, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	b, err := server.Build(cfg, client, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.Clusters != nil {
		go reloadOnHangup(ctx, b, cfg.Clusters.Path, logger)
	}
	return logger, b.Server, client, nil
}

// secrets lists the configured secrets the logger masks.
func secrets(cfg *config.Config, hc *config.HTTPConfig) []string {
	out := []string{cfg.TokenSecret, cfg.Password}
	if cfg.Clusters != nil {
		for _, c := range cfg.Clusters.List {
			out = append(out, c.TokenSecret, c.Password)
		}
	}
	if hc != nil {
		for _, t := range hc.Tokens {
			out = append(out, t.Secret)
		}
	}
	return out
}

// envSecrets lists the secrets set in the environment, for errors raised
// before (or while) the configuration is read.
func envSecrets(getenv config.Getenv) []string {
	var out []string
	for _, k := range []string{"PROXMOX_TOKEN_SECRET", "PROXMOX_PASSWORD", "PVE_MCP_HTTP_TOKEN"} {
		if v, ok := getenv(k); ok {
			out = append(out, v, strings.TrimSpace(v))
		}
	}
	return out
}

// startupWarnings are the risky settings the server runs with anyway.
func startupWarnings(cfg *config.Config) []string {
	var out []string
	if cfg.InsecureTLS {
		out = append(out, "PROXMOX_INSECURE_TLS=true: the Proxmox certificate is not verified; anyone on the path can read and change this traffic")
	}
	if cfg.Username == "root@pam" {
		out = append(out, "PROXMOX_USERNAME=root@pam: the server logs in as root with its password, so a tool call can do anything root can; "+
			"create an API token with only the privileges the tools need and set PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET instead "+
			"(README, \"A least-privilege API token\")")
	}
	if cfg.SSH != nil {
		out = append(out, "PVE_SSH_KEY_FILE is set: pve_lxc_exec logs in to the nodes over SSH as "+cfg.SSH.User+
			", which bypasses Proxmox's permission system; only PVE_AGENT_EXEC_ALLOWLIST and the user's consent limit what runs")
		if cfg.AgentCommands.Empty() {
			out = append(out, "PVE_SSH_KEY_FILE is set but PVE_AGENT_EXEC_ALLOWLIST names no command: pve_lxc_exec refuses every command")
		}
	}
	return out
}

func serveHTTP(ctx context.Context, cfg *config.Config, hc *config.HTTPConfig, stderr io.Writer) error {
	logger, s, client, err := build(ctx, cfg, hc, stderr)
	if err != nil {
		return err
	}
	return httpserver.Serve(ctx, s, hc, logger, httpserver.WithReadyCheck(httpserver.ProxmoxVersion(client)))
}

// serveStdio serves MCP on stdin and stdout until stdin ends or a signal
// cancels ctx; calls in progress then get stdio.ShutdownGrace to finish.
func serveStdio(ctx context.Context, cfg *config.Config, hc *config.HTTPConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	logger, s, _, err := build(ctx, cfg, hc, stderr)
	if err != nil {
		return failStdio(ctx, stdin, stdout, err)
	}
	s.AddReceivingMiddleware(onSecondMessage(func() { tuneGC(os.LookupEnv) }))
	return stdio.Serve(ctx, s, &stdio.Transport{In: stdin, Out: stdout, Logger: logger})
}
