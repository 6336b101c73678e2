package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

const toolsJSON = `{"tools":[
 {"name":"pve_version","description":"Proxmox version","inputSchema":{"type":"object","properties":{}}},
 {"name":"pve_list_vms","description":"List VMs","inputSchema":{"type":"object","properties":{"limit":{"type":"integer","minimum":0}}},
  "outputSchema":{"type":"object"},"annotations":{"readOnlyHint":true}}]}`

func TestParseToolsBothShapes(t *testing.T) {
	list, err := parseTools([]byte(toolsJSON))
	if err != nil || len(list) != 2 {
		t.Fatalf("tools/list shape: %d tools, %v", len(list), err)
	}
	raw, _ := json.Marshal(list)
	arr, err := parseTools(raw)
	if err != nil || len(arr) != 2 || arr[1].Name != "pve_list_vms" {
		t.Fatalf("array shape: %v, %v", arr, err)
	}
	if _, err := parseTools([]byte(`{"tools":[]}`)); err == nil {
		t.Fatal("no error for an empty list")
	}
}

func TestRepeatTools(t *testing.T) {
	ts, _ := parseTools([]byte(toolsJSON))
	got, err := repeatTools(ts, 5)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range got {
		names = append(names, x.Name)
	}
	want := []string{"pve_version", "pve_list_vms", "pve_version_r1", "pve_list_vms_r1", "pve_version_r2"}
	if len(names) != len(want) {
		t.Fatalf("names %v", names)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("names %v, want %v", names, want)
		}
	}
	if ts[0].Name != "pve_version" {
		t.Fatalf("the input was renamed: %q", ts[0].Name)
	}
	if _, err := repeatTools(ts, -1); err == nil {
		t.Fatal("no error for -n -1")
	}
}

// TestServesTheFileTools lists and calls the tools over an in-memory session.
func TestServesTheFileTools(t *testing.T) {
	ctx := context.Background()
	cs := session(t, nil)
	tl, err := cs.ListTools(ctx, nil)
	if err != nil || len(tl.Tools) != 2 {
		t.Fatalf("tools/list: %v, %v", tl, err)
	}
	schema, _ := json.Marshal(tl.Tools[0].InputSchema)
	if tl.Tools[0].Name != "pve_list_vms" || string(schema) != `{"properties":{"limit":{"minimum":0,"type":"integer"}},"type":"object"}` {
		t.Fatalf("first tool %s %s", tl.Tools[0].Name, schema)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "pve_version"})
	if err != nil || res.IsError || len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != "ok: pve_version" {
		t.Fatalf("call: %+v, %v", res, err)
	}
}

// session is a client session with the baseline serving toolsJSON, each
// call answered by fetch when it is not nil; closed when t ends.
func session(t *testing.T, fetch func(context.Context) (string, error)) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	ts, _ := parseTools([]byte(toolsJSON))
	ct, st := mcp.NewInMemoryTransports()
	ss, err := newServer(ts, fetch).Connect(ctx, st, nil)
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
