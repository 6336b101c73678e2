package e2e

import (
	"slices"
	"strings"
	"testing"
)

type whoamiResult struct {
	AuthID      string `json:"authid"`
	Kind        string `json:"kind"`
	User        string `json:"user"`
	Permissions []struct {
		Paths      []string `json:"paths"`
		Privileges []string `json:"privileges"`
	} `json:"permissions"`
	Usable  []string `json:"usable"`
	Limited []struct {
		Tool, Needs string
		Only        []string
	} `json:"limited"`
	Refused []struct{ Tool, Needs string } `json:"refused"`
	Unknown []string                       `json:"unknown"`
}

func (w whoamiResult) refused(tool string) string {
	for _, r := range w.Refused {
		if r.Tool == tool {
			return r.Needs
		}
	}
	return ""
}

func (w whoamiResult) limited(tool string) []string {
	for _, l := range w.Limited {
		if l.Tool == tool {
			return l.Only
		}
	}
	return nil
}

// TestWhoami: the full token may use every tool; a privilege-separated
// token with a few grants is told which tools Proxmox would refuse, and
// Proxmox does refuse them.
func TestWhoami(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)

	root := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "all"}})
	var w whoamiResult
	text := root.ok("pve_whoami", nil, &w)
	id, secret := cl.sim.DefaultToken()
	// root has every privilege on every path: one set, shown once
	if len(w.Permissions) != 1 || !slices.Contains(w.Permissions[0].Paths, "/") || !slices.Contains(w.Permissions[0].Paths, "/vms") ||
		!slices.Contains(w.Permissions[0].Privileges, "Sys.Modify") || strings.Count(text, `"Sys.Modify"`) != 1 {
		t.Fatalf("root's permissions: %+v", w.Permissions)
	}
	_, perms, _ := cl.api(t, "/access/permissions", nil)
	if n := len(perms.(map[string]any)); n != len(w.Permissions[0].Paths) {
		t.Fatalf("%d paths of %d shown: %v", len(w.Permissions[0].Paths), n, w.Permissions[0].Paths)
	}
	if w.AuthID != id || w.Kind != "token" || w.User != "root@pam" || len(w.Refused) != 0 || len(w.Limited) != 0 || len(w.Unknown) != 0 {
		t.Fatalf("root token: %+v", w)
	}
	if !slices.Contains(w.Usable, "pve_node_services") || !slices.Contains(w.Usable, "pve_whoami") || len(w.Usable) < 60 {
		t.Fatalf("usable: %v", w.Usable)
	}

	const limited = "ops@pve!mcp"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cl.sim.AddToken(limited, "0ps-token-secret-1234", true))
	for _, ugid := range []string{"ops@pve", limited} {
		must(cl.sim.SetACL("/vms/101", ugid, "PVEVMUser", true))
		must(cl.sim.SetACL("/nodes/pve1", ugid, "PVEAuditor", true))
	}
	env := map[string]string{"PROXMOX_TOKEN_ID": limited, "PROXMOX_TOKEN_SECRET": "0ps-token-secret-1234", "PVE_TOOLSETS": "all"}
	c := cl.connect(t, clientOpts{env: env})
	c.ok("pve_whoami", nil, &w)
	if w.AuthID != limited || w.Kind != "token" || w.User != "ops@pve" {
		t.Fatalf("who: %+v", w)
	}
	paths := map[string][]string{}
	for _, p := range w.Permissions {
		for _, path := range p.Paths {
			paths[path] = p.Privileges
		}
	}
	if !slices.Contains(paths["/vms/101"], "VM.PowerMgmt") || !slices.Contains(paths["/nodes/pve1"], "Sys.Audit") || paths["/"] != nil {
		t.Fatalf("permissions: %v", paths)
	}
	for tool, needs := range map[string]string{
		"pve_cluster_status":  "Sys.Audit on /",
		"pve_schedule_backup": "Sys.Modify on /",
		"pve_vm_delete":       "VM.Allocate on /vms/{vmid}",
		"pve_node_journal":    "Sys.Syslog on /nodes/{node}",
		"pve_pool_create":     "Pool.Allocate on /pool/{poolid}",
	} {
		if got := w.refused(tool); got != needs {
			t.Errorf("%s: refused for %q, want %q", tool, got, needs)
		}
	}
	if only := w.limited("pve_vm_start"); !slices.Equal(only, []string{"/vms/101"}) {
		t.Errorf("pve_vm_start limited to %v", only)
	}
	if only := w.limited("pve_node_status"); !slices.Equal(only, []string{"/nodes/pve1"}) {
		t.Errorf("pve_node_status limited to %v", only)
	}
	if !slices.Contains(w.Usable, "pve_version") || slices.Contains(w.Usable, "pve_cluster_status") {
		t.Errorf("usable: %v", w.Usable)
	}
	if text := c.ok("pve_whoami", nil, nil); strings.Contains(text, secret) || strings.Contains(text, "0ps-token-secret") {
		t.Fatal("a secret in the answer")
	}

	// What whoami says is what Proxmox does.
	c.fails("pve_cluster_status", nil, "Permission check failed", "Sys.Audit")
	c.fails("pve_node_journal", m("node", "pve1"), "Permission check failed", "Sys.Syslog")
	c.task("pve_vm_start", m("node", "pve1", "vmid", 101))
	c.fails("pve_vm_start", m("node", "pve1", "vmid", 102), "Permission check failed")
	var node map[string]any
	c.ok("pve_node_status", m("node", "pve1"), &node)
}

// Only the enabled tools are judged.
func TestWhoamiEnabledTools(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "access,cluster"}})
	var w whoamiResult
	c.ok("pve_whoami", nil, &w)
	want := []string{"pve_cluster_log", "pve_cluster_resources", "pve_cluster_status", "pve_next_vmid", "pve_toolsets", "pve_version", "pve_whoami"}
	got := slices.Clone(w.Usable)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("usable %v, want %v", got, want)
	}
	// A toolset enabled at run time is judged from then on.
	c.ok("pve_toolsets", m("enable", []string{"pools"}), nil)
	c.loadTools()
	c.ok("pve_whoami", nil, &w)
	if !slices.Contains(w.Usable, "pve_pools") {
		t.Errorf("after enabling pools: usable %v", w.Usable)
	}
}
