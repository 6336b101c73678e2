package tools

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// setConfigCases match BenchmarkGuardCheck's cases (internal/guard), whose
// time over this one's is the guard's share of the call.
var setConfigCases = []struct {
	name  string
	vmids []int
	args  map[string]any
}{
	{"cores_memory", nil, map[string]any{"node": "pve1", "vmid": 100, "cores": 2, "memory": 2048}},
	{"cores_memory_allowlist", []int{100}, map[string]any{"node": "pve1", "vmid": 100, "cores": 2, "memory": 2048}},
	{"disk", nil, map[string]any{"node": "pve1", "vmid": 100, "cores": 2, "memory": 2048, "confirm": true,
		"extra": map[string]any{"scsi1": "local-lvm:vm-100-disk-1"}}},
	{"disk_allowlist", []int{100}, map[string]any{"node": "pve1", "vmid": 100, "cores": 2, "memory": 2048, "confirm": true,
		"extra": map[string]any{"scsi1": "local-lvm:vm-100-disk-1"}}},
}

// BenchmarkSetConfigCall runs pve_vm_set_config end to end against the fake
// Proxmox: mcp through an in-memory MCP session, handle through Tool.Handle
// (no JSON-RPC, so the guard's share looks larger).
func BenchmarkSetConfigCall(b *testing.B) {
	for _, mode := range []string{"mcp", "handle"} {
		for _, bc := range setConfigCases {
			b.Run(mode+"/"+bc.name, func(b *testing.B) {
				run, fake := setConfigBench(b, mode, bc.vmids, bc.args)
				run() // resolves the input schema and loads the API schema
				for b.Loop() {
					run()
					fake.mu.Lock()
					fake.requests = fake.requests[:0]
					fake.mu.Unlock()
				}
			})
		}
	}
}

// setConfigBench builds what newEnv builds (which takes a *testing.T) and
// returns one pve_vm_set_config call.
func setConfigBench(b *testing.B, mode string, vmids []int, args map[string]any) (func(), *fakePVE) {
	b.Helper()
	fake := &fakePVE{routes: map[string]string{}, exit: "OK"}
	hs := httptest.NewServer(fake)
	b.Cleanup(hs.Close)
	client, err := pve.New(pve.Options{BaseURL: hs.URL, TokenID: "root@pam!mcp", TokenSecret: "s3cr3t-token", RequestTimeout: 5 * time.Second, MaxRetries: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.CloseIdleConnections)
	g := guard.New(client, guard.Options{Allow: guard.NewAllowlist(nil, vmids), Release: "9.1", Schemas: testSchemas})
	var tool Tool
	for _, tl := range Inventory(&Deps{Guard: g, TaskTimeout: 10 * time.Second}) {
		if tl.Def.Name == "pve_vm_set_config" {
			tool = tl
		}
	}
	ctx := context.Background()
	check := func(res *mcp.CallToolResult, err error) {
		if err != nil {
			b.Fatal(err)
		}
		if res.IsError {
			b.Fatalf("pve_vm_set_config failed: %v", res.Content)
		}
	}
	if mode == "handle" {
		raw, err := json.Marshal(args)
		if err != nil {
			b.Fatal(err)
		}
		return func() {
			check(tool.Handle(ctx, &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: tool.Def.Name, Arguments: raw}}))
		}, fake
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "0"}, nil)
	tool.Register(srv)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "0"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cs.Close(); ss.Wait() })
	params := &mcp.CallToolParams{Name: tool.Def.Name, Arguments: args}
	return func() { check(cs.CallTool(ctx, params)) }, fake
}
