package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	mcpgo "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	gomcp "github.com/mark3labs/mcp-go/mcp"
)

// newMCPGo connects mark3labs/mcp-go's Streamable HTTP client with its
// default options (only the bearer header added) and initializes it.
func newMCPGo(t *testing.T, hs *httpServer) (*mcpgo.Client, *gomcp.InitializeResult) {
	t.Helper()
	c, err := mcpgo.NewStreamableHttpClient(hs.url, transport.WithHTTPHeaders(hs.auth()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	init := gomcp.InitializeRequest{}
	init.Params.ClientInfo = gomcp.Implementation{Name: "mcp-go-e2e", Version: "1"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("initialize: %v\n%s", err, hs.log())
	}
	return c, res
}

func mcpgoText(res *gomcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(gomcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// TestHTTPMCPGoClient drives the server with mcp-go's client as it comes:
// it probes with server/discover at 2026-07-28 before anything else.
func TestHTTPMCPGoClient(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name  string
		flags []string
	}{{"sessions", nil}, {"stateless", []string{"--stateless"}}} {
		t.Run(mode.name, func(t *testing.T) {
			cl := newCluster(t, 0.02)
			hs := startHTTP(t, cl, nil, mode.flags...)
			c, init := newMCPGo(t, hs)
			if init.ServerInfo.Name == "" && init.Capabilities.Tools == nil {
				t.Errorf("initialize result without server info or tools: %+v", init)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tools, err := c.ListTools(ctx, gomcp.ListToolsRequest{})
			if err != nil {
				t.Fatalf("tools/list (protocol %s): %v\n%s", c.ProtocolVersion(), err, hs.log())
			}
			if len(tools.Tools) != 60 {
				t.Errorf("%d tools", len(tools.Tools))
			}
			call := gomcp.CallToolRequest{}
			call.Params.Name = "pve_vm_start"
			call.Params.Arguments = map[string]any{"node": "pve1", "vmid": 101}
			res, err := c.CallTool(ctx, call)
			if err != nil {
				t.Fatalf("tools/call: %v", err)
			}
			if res.IsError || !strings.Contains(mcpgoText(res), "OK") {
				t.Fatalf("start: %s", mcpgoText(res))
			}
			call.Params.Name = "pve_vm_status"
			res, err = c.CallTool(ctx, call)
			if err != nil || res.IsError || !strings.Contains(mcpgoText(res), "running") {
				t.Fatalf("status after start: %v %v", err, res)
			}
			t.Logf("mcp-go negotiated %s", c.ProtocolVersion())
		})
	}
}
