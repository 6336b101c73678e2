package fidelity

import (
	"strings"
	"testing"

	proxmox "github.com/luthermonson/go-proxmox"
)

// TestGoProxmoxReleases: the core of the session against each older release
// the simulator serves (PVE 7.4 and 8.4), token and ticket.
func TestGoProxmoxReleases(t *testing.T) {
	for _, rel := range []string{"7.4", "8.4"} {
		t.Run(rel, func(t *testing.T) {
			e := startSim(t, "--schema", rel)
			for name, c := range map[string]*proxmox.Client{"token": tokenClient(e), "ticket": ticketClient(e)} {
				t.Run(name, func(t *testing.T) {
					v, err := c.Version(ctx)
					need(t, err, "Version")
					if v.Release != rel || !strings.HasPrefix(v.Version, rel) {
						t.Fatalf("version %+v", v)
					}
					node, err := c.Node(ctx, "pve1")
					need(t, err, "Node")
					if !strings.HasPrefix(node.PVEVersion, "pve-manager/"+rel) {
						t.Fatalf("pveversion %q", node.PVEVersion)
					}
					vm, err := node.VirtualMachine(ctx, 101)
					need(t, err, "VirtualMachine(101)")
					task, err := vm.Start(ctx)
					waitOK(t, task, err, "Start")
					task, err = vm.NewSnapshot(ctx, "rel"+name)
					waitOK(t, task, err, "NewSnapshot")
					task, err = vm.Snapshot("rel" + name).Delete(ctx)
					waitOK(t, task, err, "Snapshot.Delete")
					task, err = vm.Stop(ctx)
					waitOK(t, task, err, "Stop")
					need(t, vm.ConfigSync(ctx, proxmox.VirtualMachineOption{Name: "onboot", Value: true}), "ConfigSync")
					tmpl, err := node.VirtualMachine(ctx, 9000)
					need(t, err, "VirtualMachine(9000)")
					newid, task, err := tmpl.Clone(ctx, &proxmox.VirtualMachineCloneOptions{Name: "rel-" + name, Full: true})
					waitOK(t, task, err, "Clone")
					clone, err := node.VirtualMachine(ctx, newid)
					need(t, err, "VirtualMachine(clone)")
					task, err = clone.Delete(ctx, nil)
					waitOK(t, task, err, "Delete")
					ct, err := node.Container(ctx, 200)
					need(t, err, "Container(200)")
					ifaces, err := ct.Interfaces(ctx)
					if rel == "7.4" {
						// GET /nodes/{node}/lxc/{vmid}/interfaces came with PVE 8.
						if err == nil || !strings.HasPrefix(err.Error(), "501 ") {
							t.Fatalf("lxc interfaces on 7.4: %v %v, PVE 7.4 has no such endpoint", ifaces, err)
						}
					} else {
						need(t, err, "Container.Interfaces")
					}
				})
			}
		})
	}
}
