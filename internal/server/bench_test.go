package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/server"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/stdio"
)

// stdioSession runs the server as the binary does over stdio (our stdio
// transport, the SDK's server) on pipes in this process, and connects the
// SDK's client to it.
func stdioSession(tb testing.TB) *mcp.ClientSession {
	tb.Helper()
	cl := simtest.Start(tb, simtest.Options{})
	logger := slog.New(slog.DiscardHandler)
	ms, err := server.New(cl.Config(tb, nil), cl.Client(tb, pve.Options{RequestTimeout: 30 * time.Second, Logger: logger}), logger)
	if err != nil {
		tb.Fatal(err)
	}
	toServer, serverIn := io.Pipe()
	serverOut, fromServer := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- stdio.Serve(ctx, ms, &stdio.Transport{In: toServer, Out: fromServer, Logger: logger})
		fromServer.Close()
	}()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "0"}, nil).
		Connect(context.Background(), &mcp.IOTransport{Reader: serverOut, Writer: serverIn}, nil)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cs.Close()
		serverIn.Close()
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("stdio.Serve: %v", err)
		}
	})
	return cs
}

// BenchmarkSmallCall is one pve_version call (answered from the client's
// cache after the first) end to end over the stdio path, client included:
// what is left is the MCP overhead per call.
//
//	go test -run '^$' -bench SmallCall -benchmem -count 6 ./internal/server
func BenchmarkSmallCall(b *testing.B) {
	cs := stdioSession(b)
	ctx := context.Background()
	call := func() error {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "pve_version"})
		if err == nil && res.IsError {
			err = fmt.Errorf("pve_version: %v", res.Content)
		}
		return err
	}
	if err := call(); err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("inflight=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			jobs := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for range n {
				wg.Go(func() {
					for range jobs {
						if err := call(); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			defer wg.Wait()
			defer close(jobs)
			for b.Loop() {
				select {
				case jobs <- struct{}{}:
				case err := <-errs:
					b.Fatal(err)
				}
			}
		})
	}
}
