package server

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// callOff calls a tool on a server built from env and returns the error text.
func callOff(t *testing.T, env map[string]string, tool string) string {
	t.Helper()
	env["PROXMOX_HOST"] = "https://127.0.0.1:1"
	env["PROXMOX_TOKEN_ID"] = "mcp@pve!mcp"
	env["PROXMOX_TOKEN_SECRET"] = "0f4b7f9e-aaaa-bbbb-cccc-444455556666"
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := NewClient(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg, client, logger)
	if err != nil {
		t.Fatal(err)
	}
	_, err = inMemorySession(t, s).CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: map[string]any{}})
	if err == nil {
		t.Fatalf("%s: no error", tool)
	}
	return err.Error()
}

func TestOffToolsSayWhy(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		tool string
		want []string
	}{
		{"read-only", map[string]string{}, "pve_vm_start", []string{`"pve_vm_start" exists`, "PVE_READONLY=false"}},
		{"no destructive", map[string]string{"PVE_READONLY": "false", "PVE_DISABLE_DESTRUCTIVE": "true"}, "pve_vm_delete",
			[]string{`"pve_vm_delete" exists`, "PVE_DISABLE_DESTRUCTIVE"}},
		{"excluded", map[string]string{"PVE_EXCLUDE_TOOLS": "pve_node_status"}, "pve_node_status", []string{"PVE_EXCLUDE_TOOLS"}},
		{"toolset off", map[string]string{}, "pve_api_search", []string{`toolset "api"`, "pve_toolsets", "PVE_TOOLSETS"}},
		{"misspelt", map[string]string{}, "pve_node_statsu", []string{"no such tool", "did you mean", "pve_node_status"}},
	} {
		got := callOff(t, tc.env, tc.tool)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
	}
}

// inMemorySession connects an MCP client to s in memory; both ends close
// when the test ends.
func inMemorySession(t *testing.T, s *mcp.Server) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := s.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}
