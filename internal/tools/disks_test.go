package tools

import (
	"strings"
	"testing"
)

// A move whose task ends OK while the config still shows the disk where it
// was is not reported as done; a refused delete sends nothing.
func TestMoveDiskChecksTheConfig(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/qemu/100/config"] = `{"scsi0":"local-lvm:vm-100-disk-0,iothread=1,size=32G","ide2":"none,media=cdrom"}`
	args := map[string]any{"node": "pve1", "vmid": 100, "disk": "scsi0", "storage": "nfs"}
	res, text := e.call(t, "pve_vm_move_disk", args)
	if !res.IsError || !strings.Contains(text, "the task ended OK, but the config shows scsi0 on \"local-lvm\"") {
		t.Errorf("unmoved disk reported as: %s", text)
	}
	if w := e.fake.writes(); len(w) != 1 || !strings.Contains(w[0], "move_disk?disk=scsi0&storage=nfs") {
		t.Errorf("writes: %v", w)
	}
	args["delete"] = true
	e.refused(t, "pve_vm_move_disk", args, "confirm: true", "delete its source volume")
	e.refused(t, "pve_vm_move_disk", map[string]any{"node": "pve1", "vmid": 100, "disk": "sata9", "storage": "nfs"}, `"disk"`)
	e.refused(t, "pve_vm_unlink_disk", map[string]any{"node": "pve1", "vmid": 100, "idlist": "scsi0,unused3"}, "confirm: true")
	e.refused(t, "pve_vm_unlink_disk", map[string]any{"node": "pve1", "vmid": 100, "idlist": "scsi0", "force": true}, "confirm: true")
	if res, text := e.call(t, "pve_vm_move_disk", map[string]any{"node": "pve1", "vmid": 100, "disk": "virtio2", "storage": "nfs"}); !res.IsError ||
		!strings.Contains(text, "no disk virtio2 (it has: ide2, scsi0)") {
		t.Errorf("absent disk: %s", text)
	}
	if w := e.fake.writes(); len(w) != 1 {
		t.Errorf("refused moves wrote: %v", w[1:])
	}
}

// An unlink Proxmox answered OK is checked against the config read after it.
func TestUnlinkOutcome(t *testing.T) {
	before := map[string]string{"scsi0": "local-lvm:vm-100-disk-0,size=32G", "scsi1": "local-lvm:vm-100-disk-1,size=8G",
		"unused0": "nas:100/vm-100-disk-2.qcow2", "ide2": "local:cloudinit,media=cdrom"}
	after := map[string]string{"scsi0": before["scsi0"], "unused1": "local-lvm:vm-100-disk-1"}
	var out unlinkOut
	if err := unlinkOutcome("unlink", []string{"scsi1", "unused0", "ide2"}, before, after, false, &out); err != nil {
		t.Fatal(err)
	}
	if out.Kept["scsi1"] != "unused1" || len(out.Delete) != 2 {
		t.Errorf("outcome: %+v", out)
	}
	if err := unlinkOutcome("unlink", []string{"scsi0"}, before, after, false, &unlinkOut{}); err == nil || !strings.Contains(err.Error(), "still has scsi0") {
		t.Errorf("disk still attached: %v", err)
	}
	if err := unlinkOutcome("unlink", []string{"scsi1"}, before, after, true, &unlinkOut{}); err == nil || !strings.Contains(err.Error(), "still in the config as unused1") {
		t.Errorf("force kept the volume: %v", err)
	}
}
