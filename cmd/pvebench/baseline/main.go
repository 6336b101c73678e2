// Command baseline is a bare go-sdk MCP server for pvebench to compare the
// real server against: the same tool definitions (read from a tools/list
// JSON file), each answering a fixed small text, and nothing else — no
// Proxmox client, no configuration, no schema validation of its own.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	toolsFile := fs.String("tools", "", "JSON file with the tool definitions: a tools/list result or an array of tools")
	n := fs.Int("n", 0, "tools to register; 0 = every tool in -tools, more = the file's tools again with a suffix")
	transport := fs.String("transport", "stdio", "stdio or http (Streamable HTTP)")
	listen := fs.String("listen", "127.0.0.1:8080", "address for -transport http")
	fetch := fs.String("fetch", "", "URL each tool call GETs (TLS unverified) and answers with, the least real work a Proxmox tool does (a build with -tags pvebench_fetch)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *toolsFile == "" {
		return errors.New("-tools is required")
	}
	raw, err := os.ReadFile(*toolsFile)
	if err != nil {
		return fmt.Errorf("read tools: %w", err)
	}
	tools, err := parseTools(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", *toolsFile, err)
	}
	tools, err = repeatTools(tools, *n)
	if err != nil {
		return err
	}
	fetchFn, err := fetcher(*fetch)
	if err != nil {
		return err
	}
	srv := newServer(tools, fetchFn)
	switch *transport {
	case "stdio":
		return srv.Run(ctx, &mcp.StdioTransport{})
	case "http":
		return serveHTTP(ctx, srv, *listen)
	default:
		return fmt.Errorf("unknown -transport %q (stdio or http)", *transport)
	}
}

// parseTools accepts either {"tools": [...]} (a tools/list result) or a bare array.
func parseTools(raw []byte) ([]*mcp.Tool, error) {
	var list mcp.ListToolsResult
	if err := json.Unmarshal(raw, &list); err == nil && len(list.Tools) > 0 {
		return list.Tools, nil
	}
	var tools []*mcp.Tool
	if err := json.Unmarshal(raw, &tools); err != nil {
		return nil, fmt.Errorf("parse tools: %w", err)
	}
	if len(tools) == 0 {
		return nil, errors.New("no tools")
	}
	return tools, nil
}

// repeatTools returns n tools cycling through ts (all of ts for n == 0);
// copies past the first round get a "_rN" suffix so names stay unique.
func repeatTools(ts []*mcp.Tool, n int) ([]*mcp.Tool, error) {
	if n < 0 {
		return nil, fmt.Errorf("-n %d: must be 0 or more", n)
	}
	if n == 0 {
		return ts, nil
	}
	out := make([]*mcp.Tool, 0, n)
	for i := range n {
		t := *ts[i%len(ts)]
		if round := i / len(ts); round > 0 {
			t.Name = fmt.Sprintf("%s_r%d", t.Name, round)
		}
		out = append(out, &t)
	}
	return out, nil
}

// newServer answers each tool with a fixed text, or with what fetch gets
// when it is not nil.
func newServer(tools []*mcp.Tool, fetch func(context.Context) (string, error)) *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "pvebench-baseline", Version: "1"}, nil)
	for _, t := range tools {
		name := t.Name
		srv.AddTool(t, func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			text := "ok: " + name
			if fetch != nil {
				var err error
				if text, err = fetch(ctx); err != nil {
					return nil, err
				}
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}, nil
		})
	}
	return srv
}

func serveHTTP(ctx context.Context, srv *mcp.Server, addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
		return nil
	}
}
