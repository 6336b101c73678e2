package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestHideUnpermitted: with PVE_HIDE_UNPERMITTED=true an auditor token is
// offered the tools it can use and none Proxmox would refuse, and the log
// says what was hidden and why.
func TestHideUnpermitted(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	const id, secret = "audit@pve!mcp", "0a1b2c3d-0000-4000-8000-000000000001"
	if err := cl.sim.AddAuditorToken(id, secret); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PROXMOX_HOST": cl.url, "PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret,
		"PVE_READONLY": "false", "PVE_HIDE_UNPERMITTED": "true", "LOG_LEVEL": "info"}
	c := start(t, env, clientOpts{})
	res, err := c.session.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	if !slices.Contains(names, "pve_list_vms") || !slices.Contains(names, "pve_vm_status") {
		t.Errorf("reads hidden: %v", names)
	}
	for _, w := range []string{"pve_vm_start", "pve_vm_delete", "pve_snapshot_create"} {
		if slices.Contains(names, w) {
			t.Errorf("%s listed for an auditor", w)
		}
	}
	if log := c.stderr.String(); !strings.Contains(log, "tool=pve_vm_start") || !strings.Contains(log, "VM.PowerMgmt") {
		t.Errorf("log lacks why pve_vm_start was hidden: %s", log)
	}
}
