package e2e

import (
	"strings"
	"testing"
)

// TestOlderReleases runs a short cycle against the PVE 8.4 and 7.4 schemas:
// every request the tools send must be valid there too.
func TestOlderReleases(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"8.4", "7.4"} {
		t.Run(v, func(t *testing.T) {
			cl := newClusterSchema(t, 0.02, v)
			c := cl.connect(t, clientOpts{})
			var ver struct{ Version string }
			c.ok("pve_version", nil, &ver)
			if !strings.HasPrefix(ver.Version, v) {
				t.Fatalf("version %q", ver.Version)
			}
			c.task("pve_vm_create", m("node", "pve1", "vmid", 900, "name", "old", "disk", m("storage", "local-lvm", "sizeGb", 1), "net", m("vlan", 5)))
			c.task("pve_vm_start", m("node", "pve1", "vmid", 900))
			c.ok("pve_vm_set_config", m("node", "pve1", "vmid", 900, "memory", 1024), nil)
			c.task("pve_snapshot_create", m("node", "pve1", "vmid", 900, "type", "qemu", "snapname", "s1"))
			c.task("pve_vm_stop", m("node", "pve1", "vmid", 900, "confirm", true))
			c.task("pve_vm_clone", m("node", "pve1", "vmid", 900, "newid", 901, "full", true))
			c.task("pve_vm_migrate", m("node", "pve1", "vmid", 901, "target", "pve2"))
			c.task("pve_backup_now", m("node", "pve1", "vmid", 900, "storage", "local"))
			c.task("pve_lxc_create", m("node", "pve1", "vmid", 902, "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
				"rootfs", m("storage", "local-lvm", "sizeGb", 1), "net", m("ip", "dhcp")))
			c.task("pve_download_iso", m("node", "pve1", "storage", "local", "url", "https://93.184.216.34/x.iso", "filename", "x.iso"))
			c.ok("pve_create_bridge", m("node", "pve1", "iface", "vmbr3"), nil)
			c.ok("pve_schedule_backup", m("schedule", "daily", "storage", "local", "vmids", []int{900}), nil)
			c.ok("pve_list_tasks", m("node", "pve1", "running", true), nil)
			c.task("pve_vm_delete", m("node", "pve1", "vmid", 900, "confirm", true, "confirmVmid", 900))
		})
	}
}
