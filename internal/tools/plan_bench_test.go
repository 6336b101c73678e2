package tools

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// simDeps is a server's Deps over the standard simulated cluster, in
// process, with every tool offered.
func simDeps(tb testing.TB) (*Deps, *pvesim.Sim) {
	tb.Helper()
	sim, err := pvesim.New(pvesim.Options{Speed: 0.001, Schemas: testSchemas})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sim.Close)
	id, secret := sim.DefaultToken()
	client, err := pve.New(pve.Options{BaseURL: "http://sim.invalid", TokenID: id, TokenSecret: secret, MaxRetries: -1,
		HTTPClient: &http.Client{Transport: handlerTransport{sim.Handler()}}})
	if err != nil {
		tb.Fatal(err)
	}
	d := &Deps{Guard: guard.New(client, guard.Options{Release: "9.1", Schemas: testSchemas}), TaskTimeout: 10 * time.Second}
	srv := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "0"}, nil)
	box, err := NewToolbox(srv, d, Selection{Toolsets: []string{"all"}}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	d.Toolbox = box
	return d, sim
}

// BenchmarkPlan is a plan of a single-guest call (issue 20: under 100 ms):
// the reads, the twin, the rehearsal and the diff.
func BenchmarkPlan(b *testing.B) {
	for _, tc := range []struct {
		name, tool string
		args       map[string]any
	}{
		{"set_config", "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 101, "memory": 6144}},
		{"start", "pve_vm_start", map[string]any{"node": "pve1", "vmid": 101}},
		{"clone", "pve_vm_clone", map[string]any{"node": "pve1", "vmid": 9000, "newid": 150}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d, _ := simDeps(b)
			plan, _ := d.Toolbox.offered(planName)
			raw, _ := json.Marshal(map[string]any{"tool": tc.tool, "arguments": tc.args})
			req := &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: planName, Arguments: raw}}
			for b.Loop() {
				res, err := plan.handler(context.Background(), req)
				if err != nil || res.IsError {
					b.Fatalf("%v %v", err, resultText(res))
				}
			}
		})
	}
}
