package e2e

import (
	"fmt"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/tools"
)

// leastPrivilege makes a privilege-separated token holding exactly the
// roles `proxmox-mcp-server privileges --writes` prints for the default
// toolsets, granted as its pveum lines grant them (to the user and the
// token), and returns the client options that use it.
func leastPrivilege(t *testing.T, cl *cluster) clientOpts {
	t.Helper()
	names, err := tools.SelectedNames(tools.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	const user, id, secret = "least@pve", "least@pve!mcp", "5e1f0000-1111-4222-8333-444455556666"
	if err := cl.sim.AddToken(id, secret, true); err != nil {
		t.Fatal(err)
	}
	for i, g := range tools.Grants(names) {
		role := fmt.Sprintf("%s-%d", g.Role, i)
		if err := cl.sim.AddRole(role, g.Privileges...); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{user, id} {
			if err := cl.sim.SetACL(g.Path, who, role, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	return clientOpts{env: map[string]string{"PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret}}
}

// TestLeastPrivilegeCycle runs the full cycles with a token that holds only
// the computed privileges: a call that needs more than computed gets
// Proxmox's 403 and fails the test.
func TestLeastPrivilegeCycle(t *testing.T) {
	t.Parallel()
	for name, cycle := range map[string]func(*testing.T, *cluster, clientOpts){
		"cluster reads": clusterReads, "vm": vmCycle, "container": containerCycle,
		"storage, network, schedule": storageNetworkSchedule, "tasks": taskTools,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cl := newCluster(t, 0.02)
			cycle(t, cl, leastPrivilege(t, cl))
		})
	}
}
