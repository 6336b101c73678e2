package main

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// part runs only the scenario -only names, on the stdio session s (pid)
// already started, and prints its -compare rows: a full run takes minutes
// on a shared machine, too long to interleave A/B runs of one figure.
func (b *bench) part(ctx context.Context, s *mcp.ClientSession, pid int, tools []*mcp.Tool) error {
	var f figures
	switch b.o.only {
	case "lists":
		if err := b.lists(ctx, s, tools, &f); err != nil {
			return err
		}
		printCompare(b.out, f.checks()[2+len(levels()):])
	case "calls":
		var err error
		if f.cpuStdio, err = b.levels(ctx, "stdio", s, pid); err != nil {
			return err
		}
		hs, hpid, stop, err := b.http(ctx, b.ours())
		if err != nil {
			return err
		}
		defer stop()
		defer hs.Close()
		if f.cpuHTTP, err = b.levels(ctx, "http", hs, hpid); err != nil {
			return err
		}
		printCompare(b.out, f.checks()[2:2+2*len(levels())])
	default:
		return fmt.Errorf("-only: lists, calls, rss or cold, not %q", b.o.only)
	}
	return nil
}
