package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type step struct {
	say  string
	tool string
	args map[string]any
}

// runTour connects an in-memory client to srv and walks a newcomer through a
// short session, printing each call and a one-line result.
func runTour(ctx context.Context, srv *mcp.Server, w io.Writer) error {
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		return fmt.Errorf("tour: connect server: %w", err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "demo-tour", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		return fmt.Errorf("tour: connect client: %w", err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		return fmt.Errorf("tour: list tools: %w", err)
	}
	fmt.Fprintf(w, "Connected to proxmox-mcp-server over MCP: %d tools.\n\n", len(tools.Tools))
	const id, clone = 150, 151
	steps := []step{
		{"What is in the cluster?", "pve_cluster_resources", map[string]any{"type": "vm"}},
		{"Which nodes are there?", "pve_list_nodes", nil},
		{"Create a VM with a 4 GiB disk and a NIC.", "pve_vm_create", map[string]any{"node": "pve1", "vmid": id, "name": "tour-web",
			"memory": 1024, "disk": map[string]any{"storage": "local-lvm", "sizeGb": 4}, "net": map[string]any{"bridge": "vmbr0"}}},
		{"Start it.", "pve_vm_start", map[string]any{"node": "pve1", "vmid": id}},
		{"Is it running?", "pve_vm_status", map[string]any{"node": "pve1", "vmid": id}},
		{"Take a snapshot before changing anything.", "pve_snapshot_create", map[string]any{"node": "pve1", "vmid": id, "type": "qemu", "snapname": "fresh"}},
		{"Clone it (a full copy).", "pve_vm_clone", map[string]any{"node": "pve1", "vmid": id, "newid": clone, "name": "tour-web-2", "full": true}},
		{"Deleting without confirmation is refused.", "pve_vm_delete", map[string]any{"node": "pve1", "vmid": clone, "confirmVmid": clone}},
		{"Delete the clone, confirmed.", "pve_vm_delete", map[string]any{"node": "pve1", "vmid": clone, "confirm": true, "confirmVmid": clone}},
	}
	for i, s := range steps {
		fmt.Fprintf(w, "%d. %s\n   -> %s %s\n", i+1, s.say, s.tool, compactArgs(s.args))
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: s.tool, Arguments: s.args})
		if err != nil {
			return fmt.Errorf("tour: %s: %w", s.tool, err)
		}
		fmt.Fprintf(w, "   <- %s\n\n", summary(res))
	}
	fmt.Fprintln(w, "Done. Run `proxmox-mcp-server demo` from an MCP client to try it yourself.")
	return nil
}

func compactArgs(a map[string]any) string {
	if a == nil {
		return "{}"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// summary shortens a tool result to one readable line.
func summary(res *mcp.CallToolResult) string {
	var text string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			text += t.Text
		}
	}
	if res.IsError {
		return "refused/error: " + text
	}
	var list []map[string]any
	if json.Unmarshal([]byte(text), &list) == nil {
		var names []string
		for _, it := range list {
			n := fmt.Sprint(it["node"])
			if v, ok := it["vmid"]; ok {
				n = fmt.Sprintf("%v %v (%v, %v)", it["type"], v, it["name"], it["status"])
			}
			names = append(names, n)
		}
		return fmt.Sprintf("%d entries: %s", len(list), strings.Join(names, "; "))
	}
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) == nil {
		if v, ok := obj["exitStatus"]; ok {
			return fmt.Sprintf("%v: task %v", obj["action"], v)
		}
		if v, ok := obj["status"]; ok {
			return fmt.Sprintf("status %v, uptime %vs", v, obj["uptime"])
		}
	}
	if len(text) > 160 {
		text = text[:160] + "..."
	}
	return text
}
