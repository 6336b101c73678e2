package mcpctx_test

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/mcpctx"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// example gives each prompt argument a value the simulator's seed has.
var example = map[string]string{"node": "pve1", "vmid": "102", "template": "9000", "target": "pve2",
	"storage": "local", "snapshot": "clean", "iso": "local:iso/debian-12.8.0-amd64-netinst.iso",
	"older_than": "14d", "symptom": "slow\nresponses", "name": "web02"}

var (
	toolName = regexp.MustCompile(`\bpve_[a-z0-9_]+`)
	toolArgs = regexp.MustCompile(`\b(pve_[a-z0-9_]+) (?:with ([a-zA-Z_]+)|\(([a-zA-Z_]+(?:, [a-zA-Z_]+)*)\))`)
)

// TestPromptsNameRealTools: every tool a runbook names is in the inventory,
// with every argument given and with only the required ones.
func TestPromptsNameRealTools(t *testing.T) {
	known := map[string]map[string]bool{} // tool -> its arguments
	for _, tl := range tools.Inventory(&tools.Deps{}) {
		var schema struct{ Properties map[string]any }
		raw, _ := json.Marshal(tl.Definition().InputSchema)
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatal(err)
		}
		known[tl.Def.Name] = map[string]bool{}
		for k := range schema.Properties {
			known[tl.Def.Name][k] = true
		}
	}
	e := newEnv(t, nil)
	listed, err := e.cs.ListPrompts(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range listed.Prompts {
		names = append(names, p.Name)
	}
	want := []string{"audit_backups", "check_cluster_health", "create_vm_from_iso", "drain_node", "provision_vm_from_template", "troubleshoot_guest"}
	if slices.Sort(names); !slices.Equal(names, want) || len(mcpctx.Prompts()) != len(want) {
		t.Fatalf("prompts %v, want %v", names, want)
	}
	checked := 0
	for _, p := range listed.Prompts {
		all, required := map[string]string{}, map[string]string{}
		for _, a := range p.Arguments {
			all[a.Name] = example[a.Name]
			if a.Required {
				required[a.Name] = example[a.Name]
			}
		}
		for _, args := range []map[string]string{all, required} {
			res, err := e.cs.GetPrompt(context.Background(), &mcp.GetPromptParams{Name: p.Name, Arguments: args})
			if err != nil {
				t.Fatalf("%s %v: %v", p.Name, args, err)
			}
			text := res.Messages[0].Content.(*mcp.TextContent).Text
			used := toolName.FindAllString(text, -1)
			if len(used) < 3 {
				t.Errorf("%s names only %v", p.Name, used)
			}
			for _, n := range used {
				if known[n] == nil {
					t.Errorf("%s names %s, which is no tool of this server", p.Name, n)
				}
			}
			// "pve_x with arg ..." and "pve_x (arg, arg)" name arguments the tool has.
			for _, m := range toolArgs.FindAllStringSubmatch(text, -1) {
				args := strings.Split(m[2]+m[3], ", ")
				for _, a := range args {
					checked++
					if known[m[1]] != nil && !known[m[1]][a] {
						t.Errorf("%s: %s has no argument %q (%q)", p.Name, m[1], a, m[0])
					}
				}
			}
			for k, v := range args {
				if k != "symptom" && !strings.Contains(text, v) {
					t.Errorf("%s: the text does not carry %s=%q", p.Name, k, v)
				}
			}
			if strings.Contains(text, "%!") {
				t.Errorf("%s: a formatting error in %s", p.Name, text)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d tool arguments named in the prompts were checked", checked)
	}
}

func TestPromptArgumentErrors(t *testing.T) {
	e := newEnv(t, map[string]string{"PVE_NODE_ALLOWLIST": "pve1", "PVE_VMID_ALLOWLIST": "100"})
	for _, c := range []struct {
		name string
		args map[string]string
		want string
	}{
		{"troubleshoot_guest", nil, `missing argument "vmid"`},
		{"troubleshoot_guest", map[string]string{"vmid": "abc"}, `invalid argument "vmid"`},
		{"troubleshoot_guest", map[string]string{"vmid": "101"}, "PVE_VMID_ALLOWLIST"},
		{"troubleshoot_guest", map[string]string{"vmid": "100", "snapshot": "1 bad"}, `invalid argument "snapshot"`},
		{"troubleshoot_guest", map[string]string{"vmid": "100", "color": "red"}, `unknown argument "color" (accepted: vmid, symptom, snapshot)`},
		{"drain_node", map[string]string{"node": "pve2"}, "PVE_NODE_ALLOWLIST"},
		{"audit_backups", map[string]string{"older_than": "a week"}, `invalid argument "older_than"`},
		{"create_vm_from_iso", map[string]string{"node": "pve1", "iso": "/etc/passwd"}, `invalid argument "iso"`},
		{"no_such_prompt", nil, "unknown prompt"},
	} {
		_, err := e.cs.GetPrompt(context.Background(), &mcp.GetPromptParams{Name: c.name, Arguments: c.args})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: %v; want %q", c.name, c.args, err, c.want)
		}
	}
}
