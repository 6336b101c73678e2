package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The TypeScript SDK client against resources, prompts and completions
// (internal/mcpctx), over stdio to the built binary.

var tsAllow = map[string]string{"PVE_NODE_ALLOWLIST": "pve1", "PVE_VMID_ALLOWLIST": "100,101,200"}

func TestTSResources(t *testing.T) {
	cl := newCluster(t, 4) // a VM start of about 6 s: subscribed to before it ends
	var out struct {
		URIs, Templates, ClusterNodes, Refused []string
		Guests                                 []int
		NodeGuests                             int
		VMName, CTHostname                     string
		Task                                   struct {
			Status, Exitstatus string
			LogLines           int
		}
		Updates int
	}
	if err := json.Unmarshal(runTS(t, cl, "resources", tsAllow), &out); err != nil {
		t.Fatal(err)
	}
	if want := []string{"pve://cluster", "pve://nodes/pve1", "pve://pve1/qemu/100/config", "pve://pve1/qemu/101/config", "pve://pve1/lxc/200/config"}; !slices.Equal(out.URIs, want) {
		t.Errorf("resources/list: %v, want %v", out.URIs, want)
	}
	if want := []string{"pve://nodes/{node}", "pve://tasks/{upid}/log", "pve://{node}/lxc/{vmid}/config", "pve://{node}/qemu/{vmid}/config"}; !slices.Equal(out.Templates, want) {
		t.Errorf("templates: %v", out.Templates)
	}
	if !slices.Equal(out.ClusterNodes, []string{"pve1"}) || !slices.Equal(out.Guests, []int{100, 101, 200}) || out.NodeGuests != 3 {
		t.Errorf("cluster view under the allowlists: nodes %v, guests %v, node guests %d", out.ClusterNodes, out.Guests, out.NodeGuests)
	}
	if out.VMName != "web01" || out.CTHostname != "proxy" {
		t.Errorf("configs: %q, %q", out.VMName, out.CTHostname)
	}
	for i, want := range []string{"PVE_NODE_ALLOWLIST", "PVE_VMID_ALLOWLIST", "PVE_NODE_ALLOWLIST"} {
		if i >= len(out.Refused) || !strings.Contains(out.Refused[i], want) {
			t.Errorf("refused read %d: %v; want %s", i, out.Refused, want)
		}
	}
	if out.Task.Status != "stopped" || out.Task.Exitstatus != "OK" || out.Task.LogLines == 0 || out.Updates == 0 {
		t.Errorf("task log subscription: %+v, %d updates", out.Task, out.Updates)
	}
}

func TestTSPrompts(t *testing.T) {
	cl := newCluster(t, 50)
	var out struct {
		Prompts []struct {
			Name string
			Args []string
		}
		Troubleshoot, Drain string
		Errors              []string
	}
	if err := json.Unmarshal(runTS(t, cl, "prompts", tsAllow), &out); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range out.Prompts {
		names = append(names, p.Name)
		if p.Name == "troubleshoot_guest" && !slices.Equal(p.Args, []string{"vmid!", "symptom", "snapshot"}) {
			t.Errorf("troubleshoot_guest arguments: %v", p.Args)
		}
	}
	if len(names) != 6 || !slices.Contains(names, "check_cluster_health") || !slices.Contains(names, "drain_node") {
		t.Errorf("prompts: %v", names)
	}
	if !strings.Contains(out.Troubleshoot, "guest 100") || !strings.Contains(out.Troubleshoot, "pve_vm_config") || !strings.Contains(out.Troubleshoot, `"slow"`) {
		t.Errorf("troubleshoot_guest text: %s", out.Troubleshoot)
	}
	if !strings.Contains(out.Drain, "node pve1") || !strings.Contains(out.Drain, "pve_vm_migrate") {
		t.Errorf("drain_node text: %s", out.Drain)
	}
	if len(out.Errors) != 2 || !strings.Contains(out.Errors[0], `missing argument "vmid"`) || !strings.Contains(out.Errors[1], "PVE_VMID_ALLOWLIST") {
		t.Errorf("refused prompts: %v", out.Errors)
	}
}

func TestTSCompletion(t *testing.T) {
	cl := newCluster(t, 50)
	var out struct {
		Nodes, Guests, ByName, Configs, Snapshots []string
		Labels                                    map[string]string
	}
	if err := json.Unmarshal(runTS(t, cl, "complete", map[string]string{"PVE_NODE_ALLOWLIST": "pve1,pve2", "PVE_VMID_ALLOWLIST": "100,101,102,103,9000"}), &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{
		{"nodes", out.Nodes, []string{"pve1", "pve2"}},
		{"guests", out.Guests, []string{"100", "101", "102"}}, // 103 is on pve3
		{"guests by name", out.ByName, []string{"100"}},
		{"VM configs on pve1", out.Configs, []string{"100", "101", "9000"}},
		{"snapshots of 100", out.Snapshots, []string{"before-upgrade"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if out.Labels["101"] != "db01 (qemu, stopped, on pve1)" {
		t.Errorf("labels: %v", out.Labels)
	}
}
