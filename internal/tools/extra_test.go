package tools

import "testing"

// Finding 2: extra cannot set or replace what a tool builds from its own
// arguments; the error names the argument to use.
func TestExtraCannotOverrideArguments(t *testing.T) {
	e := newEnv(t, envOpts{})
	ct := map[string]any{"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/debian-12.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 4}}
	with := func(base map[string]any, extra map[string]any) map[string]any {
		out := map[string]any{"extra": extra}
		for k, v := range base {
			out[k] = v
		}
		return out
	}
	vm := map[string]any{"node": "pve1", "vmid": 300, "iso": map[string]any{"storage": "local", "file": "d.iso"}}
	for _, c := range []struct {
		tool  string
		args  map[string]any
		wants []string
	}{
		{"pve_lxc_create", with(ct, map[string]any{"ostemplate": "local:backup/vzdump-lxc-101-2024_01_01-00_00_00.tar.zst"}), []string{`"ostemplate"`, "from ostemplate"}},
		{"pve_lxc_create", with(ct, map[string]any{"unprivileged": false}), []string{"from unprivileged"}},
		{"pve_lxc_create", with(ct, map[string]any{"ssh-public-keys": "ssh-ed25519 AAAA"}), []string{"from sshPublicKeys"}},
		{"pve_lxc_create", with(ct, map[string]any{"password": "hunter22"}), []string{"from password"}},
		{"pve_lxc_create", with(ct, map[string]any{"vmid": 101}), []string{"from vmid"}},
		{"pve_vm_create", with(vm, map[string]any{"cdrom": "local-lvm:vm-101-disk-0"}), []string{`"cdrom"`, "from iso"}},
		{"pve_vm_create", with(vm, map[string]any{"ide2": "local:iso/other.iso,media=cdrom"}), []string{"from iso"}},
		{"pve_vm_create", with(vm, map[string]any{"memory": 65536}), []string{"from memory"}},
		{"pve_vm_create", with(vm, map[string]any{"node": "pve2"}), []string{"from node"}},
		{"pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "cores": 2, "extra": map[string]any{"cores": 64}}, []string{"from cores"}},
		{"pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "extra": map[string]any{"cdrom": "local:iso/a.iso", "ide2": "local:iso/b.iso"}}, []string{"same Proxmox parameter"}},
	} {
		e.refused(t, c.tool, c.args, c.wants...)
	}
	// Keys no argument builds still pass, checked by the guard.
	e.ok(t, "pve_vm_create", with(vm, map[string]any{"scsi1": "local-lvm:8", "agent": "1"}))
}

// Host-level keys need PVE_ALLOW_HOST_ACCESS, then confirm (the create
// tools take confirm for that).
func TestHostLevelKeysThroughTools(t *testing.T) {
	closed := newEnv(t, envOpts{})
	closed.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true,
		"extra": map[string]any{"args": "-fw_cfg name=opt/x,file=/etc/shadow"}}, "extra.args", "PVE_ALLOW_HOST_ACCESS")
	closed.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/d.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 4}, "extra": map[string]any{"mp0": "mp=/host,/"}}, "extra.mp0.volume", "PVE_ALLOW_HOST_ACCESS")
	closed.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/d.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 4}, "unprivileged": false}, "unprivileged", "PVE_ALLOW_HOST_ACCESS")
	open := newEnv(t, envOpts{hostAccess: true})
	args := map[string]any{"node": "pve1", "vmid": 300, "extra": map[string]any{"hookscript": "local:snippets/h.sh"}}
	open.refused(t, "pve_vm_create", args, "confirm: true", "hookscript")
	args["confirm"] = true
	open.ok(t, "pve_vm_create", args)
	if f := form(open.fake.writes()[0]); f.Get("hookscript") != "local:snippets/h.sh" {
		t.Errorf("sent %v", f)
	}
}

func TestExtraCheckedAgainstSchema(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"onbot": 1}}, `"onbot"`, "onboot")
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"balloon": -5}}, "extra.balloon")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"net0": "virtio,bridge=vmbr0,bogus=1"}}, "extra.net0")
	e.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 300, "ostemplate": "local:vztmpl/x.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}, "extra": map[string]any{"ostype": "windows"}}, "extra.ostype")
	e.ok(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"onboot": true, "net1": "virtio,bridge=vmbr0"}})
}

func TestDestructiveExtraNeedsConfirm(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"delete": "scsi1"}}, "confirm: true", "delete")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"scsi0": "local-lvm:8"}}, "confirm: true", "scsi0")
	e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "confirm": true, "extra": map[string]any{"delete": "scsi1"}})
	e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 200, "extra": map[string]any{"onboot": 1}})
}

func TestExtraCannotRestoreOrBorrowDisks(t *testing.T) {
	e := newEnv(t, envOpts{vmids: []int{100}})
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 100,
		"extra": map[string]any{"archive": "local:backup/vzdump-qemu-105-2024_01_01-00_00_00.vma.zst", "force": true}}, "pve_restore")
	e.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 100, "ostemplate": "local:backup/vzdump-lxc-105.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}}, "ostemplate")
	e.refused(t, "pve_lxc_create", map[string]any{"node": "pve1", "vmid": 100, "ostemplate": "local:vztmpl/x.tar.zst",
		"rootfs": map[string]any{"storage": "local-lvm", "sizeGb": 1}, "extra": map[string]any{"restore": true}}, "pve_restore")
	e.refused(t, "pve_vm_create", map[string]any{"node": "pve1", "vmid": 100, "extra": map[string]any{"scsi1": "local-lvm:vm-105-disk-0"}}, "105")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true,
		"extra": map[string]any{"virtio1": "nfs:105/vm-105-disk-1.qcow2,iothread=1"}}, "105")
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true,
		"extra": map[string]any{"scsi2": "file=local-lvm:vm-105-disk-0,ssd=1"}}, "105")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu",
		"archive": "local:backup/vzdump-qemu-105-2024_01_01-00_00_00.vma.zst", "confirm": true, "confirmVmid": 100}, "105")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu",
		"archive": "pbs:backup/vm/105/2024-01-01T00:00:00Z", "confirm": true, "confirmVmid": 100}, "105")
	// Own volumes, new disks and ISOs stay fine.
	e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "confirm": true,
		"extra": map[string]any{"scsi1": "local-lvm:8", "scsi2": "local-lvm:vm-100-disk-3", "ide2": "local:iso/debian-12.iso,media=cdrom"}})
	e.ok(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu",
		"archive": "local:backup/vzdump-qemu-100-2024_01_01-00_00_00.vma.zst", "confirm": true, "confirmVmid": 100})
}
