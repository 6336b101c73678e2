package e2e

import (
	"strings"
	"testing"
)

type diskMove struct {
	Action, UPID, ExitStatus, Disk, Volume, Source, KeptAs string
}

// volumes lists the volume ids a storage holds on a node.
func (c *client) volumes(node, storage string) string {
	c.t.Helper()
	return c.ok("pve_storage_content", m("node", node, "storage", storage), nil)
}

func volOf(c *client, kind, node string, vmid int, disk string) string {
	c.t.Helper()
	val, _ := c.config(kind, node, vmid)[disk].(string)
	first, _, _ := strings.Cut(val, ",")
	return first
}

// TestDiskMoves calls pve_vm_move_disk, pve_lxc_move_volume and
// pve_vm_unlink_disk over MCP and checks the configs and storages after each.
func TestDiskMoves(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: guestOpsEnv})

	t.Run("vm move keeps the source", func(t *testing.T) {
		old := volOf(c, "vm", "pve1", 101, "scsi0")
		var mv diskMove
		c.ok("pve_vm_move_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "storage", "nas"), &mv)
		now := volOf(c, "vm", "pve1", 101, "scsi0")
		if !strings.HasPrefix(now, "nas:") || mv.Volume != now || mv.Source != old || mv.KeptAs != "unused0" || mv.ExitStatus != "OK" {
			t.Fatalf("move: %+v; config scsi0 %s", mv, now)
		}
		if u := c.config("vm", "pve1", 101)["unused0"]; u != old {
			t.Errorf("unused0 = %v, want the source %s", u, old)
		}
		if !strings.Contains(c.volumes("pve1", "nas"), now) || !strings.Contains(c.volumes("pve1", "local-lvm"), old) {
			t.Errorf("after the move the storages lack %s or %s", now, old)
		}
	})

	t.Run("vm move refusals", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_vm_move_disk", m("node", "pve1", "vmid", 101, "disk", "scsi7", "storage", "nas"), `"disk"`, "no disk scsi7", "scsi0", "unused0")
		c.fails("pve_vm_move_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "storage", "local-lvm", "delete", true), "confirm: true", "delete its source volume")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused moves reached Proxmox: %v", w[before:])
		}
		c.fails("pve_vm_move_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "storage", "nas"), "you can't move to the same storage with same format", "another storage")
		c.fails("pve_vm_move_disk", m("node", "pve1", "vmid", 100, "disk", "scsi0", "storage", "nas", "delete", true, "confirm", true),
			"you can't move a disk with snapshots and delete the source", "snapshots")
		c.fails("pve_vm_move_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "storage", "nope"), "storage 'nope' does not exist")
		c.fails("pve_vm_move_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "storage", "nas", "format", "qcow3"), "format")
	})

	t.Run("vm move deletes the source with confirm", func(t *testing.T) {
		src := volOf(c, "vm", "pve1", 101, "scsi0")
		var mv diskMove
		c.ok("pve_vm_move_disk", m("node", "pve1", "vmid", 101, "disk", "scsi0", "storage", "local-lvm", "delete", true, "confirm", true), &mv)
		cfg := c.config("vm", "pve1", 101)
		if now := volOf(c, "vm", "pve1", 101, "scsi0"); !strings.HasPrefix(now, "local-lvm:") || mv.KeptAs != "" || mv.Source != src {
			t.Fatalf("move back: %+v; scsi0 %s", mv, now)
		}
		for k, v := range cfg {
			if v == src {
				t.Errorf("the deleted source %s is still in the config as %s", src, k)
			}
		}
		if strings.Contains(c.volumes("pve1", "nas"), src) {
			t.Errorf("the deleted source %s is still on nas", src)
		}
	})

	t.Run("running vm", func(t *testing.T) {
		var mv diskMove
		c.ok("pve_vm_move_disk", m("node", "pve1", "vmid", 100, "disk", "scsi0", "storage", "nas"), &mv)
		if !strings.HasPrefix(volOf(c, "vm", "pve1", 100, "scsi0"), "nas:") || c.status("vm", "pve1", 100) != "running" {
			t.Errorf("running VM move: %+v, status %s", mv, c.status("vm", "pve1", 100))
		}
	})

	t.Run("container", func(t *testing.T) {
		c.fails("pve_lxc_move_volume", m("node", "pve1", "vmid", 200, "volume", "rootfs", "storage", "nas"),
			"cannot move volumes of a running container", "pve_lxc_shutdown")
		c.fails("pve_lxc_move_volume", m("node", "pve2", "vmid", 201, "volume", "mp3", "storage", "nas"), `"volume"`, "no disk mp3", "rootfs")
		old := volOf(c, "lxc", "pve2", 201, "rootfs")
		var mv diskMove
		c.ok("pve_lxc_move_volume", m("node", "pve2", "vmid", 201, "volume", "rootfs", "storage", "nas"), &mv)
		if now := volOf(c, "lxc", "pve2", 201, "rootfs"); !strings.HasPrefix(now, "nas:") || mv.KeptAs != "unused0" || mv.Source != old {
			t.Fatalf("CT move: %+v; rootfs %s", mv, now)
		}
		if u := c.config("lxc", "pve2", 201)["unused0"]; u != old {
			t.Errorf("CT unused0 = %v, want %s", u, old)
		}
	})

	t.Run("unlink", func(t *testing.T) {
		// VM 101: scsi0 on local-lvm, unused0 the first move's source.
		unused := c.config("vm", "pve1", 101)["unused0"].(string)
		disk := volOf(c, "vm", "pve1", 101, "scsi0")
		before := len(cl.writes())
		c.fails("pve_vm_unlink_disk", m("node", "pve1", "vmid", 101, "idlist", "unused0"), "confirm: true", "delete the volumes of unused0")
		c.fails("pve_vm_unlink_disk", m("node", "pve1", "vmid", 101, "idlist", "scsi0", "force", true), "confirm: true", "scsi0 of VM 101")
		c.fails("pve_vm_unlink_disk", m("node", "pve1", "vmid", 101, "idlist", "scsi9"), "no disk scsi9", "scsi0")
		c.fails("pve_vm_unlink_disk", m("node", "pve1", "vmid", 101, "idlist", "net0"), "idlist")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused unlinks reached Proxmox: %v", w[before:])
		}
		var out struct {
			Kept    map[string]string
			Deleted []string
		}
		c.ok("pve_vm_unlink_disk", m("node", "pve1", "vmid", 101, "idlist", "unused0", "confirm", true), &out)
		if len(out.Deleted) != 1 || out.Deleted[0] != unused || strings.Contains(c.volumes("pve1", "local-lvm"), unused) {
			t.Errorf("unlink unused0: %+v", out)
		}
		out.Kept, out.Deleted = nil, nil
		c.ok("pve_vm_unlink_disk", m("node", "pve1", "vmid", 101, "idlist", "scsi0"), &out)
		cfg := c.config("vm", "pve1", 101)
		if _, still := cfg["scsi0"]; still || out.Kept["scsi0"] == "" || cfg[out.Kept["scsi0"]] != disk {
			t.Errorf("unlink scsi0: %+v; config %v", out, cfg)
		}
		if !strings.Contains(c.volumes("pve1", "local-lvm"), disk) {
			t.Errorf("unlink without force removed %s", disk)
		}
		// VM 100's old disk (unused0 since the running move) is in a snapshot.
		c.fails("pve_vm_unlink_disk", m("node", "pve1", "vmid", 100, "idlist", "unused0", "confirm", true), "volume is still in use (snapshot?)",
			"pve_list_snapshots", "pve_snapshot_delete", "keep it as an unused disk")
		// VM 103's attached disk, deleted with force.
		gone := volOf(c, "vm", "pve3", 103, "scsi0")
		out.Kept, out.Deleted = nil, nil
		c.ok("pve_vm_unlink_disk", m("node", "pve3", "vmid", 103, "idlist", "scsi0", "force", true, "confirm", true), &out)
		cfg = c.config("vm", "pve3", 103)
		if _, still := cfg["scsi0"]; still || len(out.Deleted) != 1 || out.Deleted[0] != gone || strings.Contains(c.volumes("pve3", "local-lvm"), gone) {
			t.Errorf("force unlink: %+v; config %v", out, cfg)
		}
	})
}
