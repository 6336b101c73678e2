package mcpctx_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/mcpctx"
)

func prompt(name string) *mcp.CompleteReference {
	return &mcp.CompleteReference{Type: "ref/prompt", Name: name}
}
func tmpl(uri string) *mcp.CompleteReference {
	return &mcp.CompleteReference{Type: "ref/resource", URI: uri}
}

func TestComplete(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		what  string
		ref   *mcp.CompleteReference
		arg   string
		typed string
		known map[string]string
		want  []string
	}{
		{"nodes", prompt("drain_node"), "node", "", nil, []string{"pve1", "pve2", "pve3"}},
		{"nodes by prefix", prompt("drain_node"), "target", "pve3", nil, []string{"pve3"}},
		{"guests, no templates", prompt("troubleshoot_guest"), "vmid", "", nil, []string{"100", "101", "102", "103", "200", "201"}},
		{"guests by id prefix", prompt("troubleshoot_guest"), "vmid", "20", nil, []string{"200", "201"}},
		{"guests by name", prompt("troubleshoot_guest"), "vmid", "WEB", nil, []string{"100"}},
		{"templates", prompt("provision_vm_from_template"), "template", "", nil, []string{"9000"}},
		{"snapshots of the guest given", prompt("troubleshoot_guest"), "snapshot", "", map[string]string{"vmid": "102"}, []string{"clean", "pre-update"}},
		{"no guest yet: no snapshots", prompt("troubleshoot_guest"), "snapshot", "", nil, []string{}},
		{"backup storages", prompt("audit_backups"), "storage", "", nil, []string{"local", "nas", "pbs"}},
		{"disk storages of a node", prompt("create_vm_from_iso"), "storage", "", map[string]string{"node": "pve1"}, []string{"local-lvm", "nas"}},
		{"ISOs", prompt("create_vm_from_iso"), "iso", "local:iso/u", map[string]string{"node": "pve2"}, []string{"local:iso/ubuntu-24.04.1-live-server-amd64.iso"}},
		{"template variable node", tmpl("pve://nodes/{node}"), "node", "pve2", nil, []string{"pve2"}},
		{"VM configs of a node", tmpl("pve://{node}/qemu/{vmid}/config"), "vmid", "", map[string]string{"node": "pve1"}, []string{"100", "101", "9000"}},
		{"container configs", tmpl("pve://{node}/lxc/{vmid}/config"), "vmid", "", nil, []string{"200", "201"}},
	} {
		res := e.complete(t, c.ref, c.arg, c.typed, c.known)
		if got := res.Completion.Values; !slices.Equal(got, c.want) || res.Completion.Total != len(c.want) || res.Completion.HasMore {
			t.Errorf("%s: %+v, want %v", c.what, res.Completion, c.want)
		}
	}
	res := e.complete(t, prompt("troubleshoot_guest"), "vmid", "10", nil)
	labels, _ := res.Meta[mcpctx.LabelsMeta].(map[string]any)
	if labels["100"] != "web01 (qemu, running, on pve1)" {
		t.Errorf("labels %v", res.Meta)
	}
}

// TestCompleteAllowlist: completions offer only what the allowlists permit.
func TestCompleteAllowlist(t *testing.T) {
	e := newEnv(t, map[string]string{"PVE_NODE_ALLOWLIST": "pve1,pve2", "PVE_VMID_ALLOWLIST": "100,102,103,9000"})
	for _, c := range []struct {
		ref   *mcp.CompleteReference
		arg   string
		known map[string]string
		want  []string
	}{
		{prompt("drain_node"), "node", nil, []string{"pve1", "pve2"}},
		{prompt("troubleshoot_guest"), "vmid", nil, []string{"100", "102"}}, // 103 lives on pve3
		{prompt("provision_vm_from_template"), "template", nil, []string{"9000"}},
		{prompt("troubleshoot_guest"), "snapshot", map[string]string{"vmid": "200"}, []string{}},
		{tmpl("pve://{node}/lxc/{vmid}/config"), "vmid", nil, []string{}},
	} {
		if got := e.complete(t, c.ref, c.arg, "", c.known).Completion.Values; !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.ref.Name+c.ref.URI, c.arg, got, c.want)
		}
	}
}

func TestCompleteErrors(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		ref  *mcp.CompleteReference
		arg  string
		want string
	}{
		{prompt("nope"), "node", `unknown prompt "nope"`},
		{prompt("drain_node"), "vmid", `prompt drain_node has no argument "vmid" (accepted: node, target)`},
		{tmpl("pve://x/{y}"), "y", "unknown resource template"},
		{tmpl("pve://nodes/{node}"), "vmid", `has no variable "vmid"`},
	} {
		_, err := e.cs.Complete(t.Context(), &mcp.CompleteParams{Ref: c.ref, Argument: mcp.CompleteParamsArgument{Name: c.arg}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v %s: %v; want %q", c.ref, c.arg, err, c.want)
		}
	}
}

// TestCompleteCached: completions on every keystroke read the cluster once
// per few seconds, not once per keystroke.
func TestCompleteCached(t *testing.T) {
	e := newEnv(t, nil)
	reads := func() int {
		n := 0
		for _, r := range e.cl.Sim.Requests() {
			if r.Path == "/cluster/resources" {
				n++
			}
		}
		return n
	}
	before := reads()
	for _, typed := range []string{"", "1", "10", "100"} {
		e.complete(t, prompt("troubleshoot_guest"), "vmid", typed, nil)
	}
	if n := reads() - before; n != 1 {
		t.Errorf("%d reads of /cluster/resources for 4 completions, want 1", n)
	}
}

// TestCompleteTasks: task ids complete with their type, guest and state,
// only those of allowed guests.
func TestCompleteTasks(t *testing.T) {
	e := newEnv(t, map[string]string{"PVE_VMID_ALLOWLIST": "101,200"})
	ok := e.startTask(t, "pve1", "qemu", "101")
	hidden := e.startTask(t, "pve3", "qemu", "103")
	res := e.complete(t, tmpl("pve://tasks/{upid}/log"), "upid", "", nil)
	if !slices.Contains(res.Completion.Values, ok) || slices.Contains(res.Completion.Values, hidden) {
		t.Errorf("tasks %v; want %s and not %s", res.Completion.Values, ok, hidden)
	}
	labels, _ := res.Meta[mcpctx.LabelsMeta].(map[string]any)
	if l, _ := labels[ok].(string); !strings.HasPrefix(l, "qmstart 101 on pve1: ") {
		t.Errorf("label %q", l)
	}
	if got := e.complete(t, tmpl("pve://tasks/{upid}/log"), "upid", "qmstart", nil).Completion.Values; !slices.Equal(got, []string{ok}) {
		t.Errorf("tasks matching qmstart: %v", got)
	}
}
