package e2e

// Class 1: a volume in the default key's place, wherever it stands.
func atkDefaultKeyCases() []attackCase {
	cs := []attackCase{
		atkRefusedVM("scsi1-default-after-iothread", "scsi1", "iothread=1,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-file-after-ssd", "scsi1", "ssd=1,file=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-default-first", "scsi1", "local-lvm:vm-101-disk-0,iothread=1", atkOwner("101")...),
		atkRefusedVM("scsi1-default-between", "scsi1", "iothread=1,local-lvm:vm-101-disk-0,ssd=1", atkOwner("101")...),
		atkRefusedVM("scsi1-default-last-of-many", "scsi1", "cache=none,discard=on,iothread=1,ssd=1,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi30-last-slot", "scsi30", "cache=none,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("virtio1-other-node", "virtio1", "cache=none,local-lvm:vm-102-disk-0", atkOwner("102")...),
		atkRefusedVM("virtio15-file", "virtio15", "discard=on,file=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("sata1", "sata1", "discard=on,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("sata5-file", "sata5", "ssd=1,file=local-lvm:vm-102-disk-0", atkOwner("102")...),
		atkRefusedVM("ide1", "ide1", "media=disk,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("ide3-media-cdrom", "ide3", "local-lvm:vm-101-disk-0,media=cdrom", atkOwner("101")...),
		atkRefusedVM("efidisk0", "efidisk0", "efitype=4m,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("efidisk0-file", "efidisk0", "file=local-lvm:vm-102-disk-0,efitype=4m", atkOwner("102")...),
		atkRefusedVM("tpmstate0", "tpmstate0", "version=v2.0,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("tpmstate0-file", "tpmstate0", "file=local-lvm:vm-101-disk-0,version=v2.0", atkOwner("101")...),
		atkRefusedVM("unused0", "unused0", "local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("unused1-file", "unused1", "file=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-import-from", "scsi1", "local-lvm:0,import-from=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-import-from-first", "scsi1", "import-from=local-lvm:vm-102-disk-0,local-lvm:0", atkOwner("102")...),
		atkRefusedVM("virtio2-import-from-dir", "virtio2", "local-lvm:0,import-from=local:101/vm-101-disk-0.qcow2", atkOwner("101")...),
		atkRefusedVM("efidisk0-import-from", "efidisk0", "local-lvm:0,efitype=4m,import-from=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-base-of-forbidden", "scsi1", "local-lvm:base-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-empty-item", "scsi1", "iothread=1,,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-blank-item", "scsi1", "iothread=1, ,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-two-defaults", "scsi1", "local-lvm:vm-100-disk-0,local-lvm:vm-101-disk-0", atkBadFormat...),
		atkRefusedVM("scsi1-file-then-default", "scsi1", "file=local-lvm:vm-100-disk-0,local-lvm:vm-101-disk-0", atkBadFormat...),
		atkRefusedVM("scsi1-default-then-file", "scsi1", "local-lvm:vm-101-disk-0,file=local-lvm:vm-100-disk-0", atkBadFormat...),
		atkRefusedVM("scsi1-leading-space", "scsi1", "iothread=1, local-lvm:vm-101-disk-0", atkBadFormat...),

		{name: "create-scsi1", tool: "pve_vm_create", args: atkVmNew(m("scsi1", "iothread=1,local-lvm:vm-101-disk-0")), want: append([]string{"extra.scsi1"}, atkOwner("101")...)},
		{name: "create-virtio0-file", tool: "pve_vm_create", args: atkVmNew(m("virtio0", "cache=writeback,file=local-lvm:vm-102-disk-0")), want: append([]string{"extra.virtio0"}, atkOwner("102")...)},
		{name: "create-sata0", tool: "pve_vm_create", args: atkVmNew(m("sata0", "ssd=1,local-lvm:vm-101-disk-0")), want: append([]string{"extra.sata0"}, atkOwner("101")...)},
		{name: "create-ide0", tool: "pve_vm_create", args: atkVmNew(m("ide0", "local-lvm:vm-101-disk-0,media=disk")), want: append([]string{"extra.ide0"}, atkOwner("101")...)},
		{name: "create-efidisk0", tool: "pve_vm_create", args: atkVmNew(m("efidisk0", "efitype=4m,local-lvm:vm-101-disk-0")), want: append([]string{"extra.efidisk0"}, atkOwner("101")...)},
		{name: "create-tpmstate0", tool: "pve_vm_create", args: atkVmNew(m("tpmstate0", "version=v2.0,file=local-lvm:vm-101-disk-0")), want: append([]string{"extra.tpmstate0"}, atkOwner("101")...)},
		{name: "create-unused0", tool: "pve_vm_create", args: atkVmNew(m("unused0", "local-lvm:vm-101-disk-0")), want: append([]string{"extra.unused0"}, atkOwner("101")...)},
		{name: "create-import-from", tool: "pve_vm_create", args: atkVmNew(m("scsi1", "local-lvm:0,import-from=local-lvm:vm-101-disk-0")), want: append([]string{"extra.scsi1"}, atkOwner("101")...)},
		{name: "create-import-from-first", tool: "pve_vm_create", args: atkVmNew(m("virtio1", "import-from=local-lvm:vm-102-disk-0,local-lvm:0")), want: append([]string{"extra.virtio1"}, atkOwner("102")...)},
		{name: "create-scsi1-with-disk-arg", tool: "pve_vm_create", args: atkVmNew(m("scsi1", "ssd=1,local-lvm:vm-101-disk-0"), "disk", m("storage", "local-lvm", "sizeGb", 1)), want: append([]string{"extra.scsi1"}, atkOwner("101")...)},

		{name: "ct-mp0-bind-after-mp", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "mp=/host,/")), want: []string{"extra.mp0", "PVE_ALLOW_HOST_ACCESS"}},
		// Without mp= Proxmox refuses the string itself; with it, the atkOwner.
		{name: "ct-mp0-size-first", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "size=8G,local-lvm:vm-201-disk-0")), want: append([]string{"extra.mp0"}, atkBadFormat...)},
		{name: "ct-mp0-size-first-with-mp", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "size=8G,local-lvm:vm-201-disk-0,mp=/data")), want: append([]string{"extra.mp0"}, atkOwner("201")...)},
		{name: "ct-mp0-qemu-disk", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "local-lvm:vm-101-disk-0,mp=/data")), want: append([]string{"extra.mp0"}, atkOwner("101")...)},
		{name: "ct-mp1-volume-key-last", tool: "pve_lxc_create", args: atkCtNew(m("mp1", "mp=/data,volume=local-lvm:vm-201-disk-0")), want: append([]string{"extra.mp1"}, atkOwner("201")...)},
		{name: "ct-mp0-subvol", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "mp=/data,local-lvm:subvol-201-disk-0")), want: append([]string{"extra.mp0"}, atkOwner("201")...)},
		{name: "ct-mp9-dir-between", tool: "pve_lxc_create", args: atkCtNew(m("mp9", "backup=1,local:201/vm-201-disk-0.raw,mp=/d")), want: append([]string{"extra.mp9"}, atkOwner("201")...)},
		{name: "ct-unused0", tool: "pve_lxc_create", args: atkCtNew(m("unused0", "local-lvm:vm-201-disk-0")), want: append([]string{"unused0"}, atkOwner("201")...)},
		{name: "ct-rootfs-in-extra", tool: "pve_lxc_create", args: atkCtNew(m("rootfs", "size=8G,local-lvm:vm-201-disk-0")), want: []string{"extra", "rootfs"}},
		{name: "ct-rootfs-storage-volume", tool: "pve_lxc_create", args: atkCtNew(nil, "rootfs", m("storage", "local-lvm:vm-201-disk-0", "sizeGb", 1)), want: []string{"storage"}},
		{name: "create-disk-storage-volume", tool: "pve_vm_create", args: atkVmNew(nil, "disk", m("storage", "local-lvm:vm-101-disk-0", "sizeGb", 1)), want: []string{"storage"}},

		// Positive controls: the VM's own disk anywhere in the string, new disks.
		{name: "ok-own-disk-after-iothread", tool: "pve_vm_set_config", args: atkVmSet(m("scsi0", "iothread=1,local-lvm:vm-100-disk-0")), ok: true},
		{name: "ok-own-disk-file-between", tool: "pve_vm_set_config", args: atkVmSet(m("scsi0", "ssd=1,file=local-lvm:vm-100-disk-0,iothread=1")), ok: true},
		{name: "ok-new-disk", tool: "pve_vm_set_config", args: atkVmSet(m("scsi1", "iothread=1,local-lvm:1")), ok: true},
		{name: "ok-create-new-disks", tool: "pve_vm_create", args: m("node", "pve1", "vmid", 150, "async", true,
			"extra", m("scsi1", "ssd=1,local-lvm:1", "efidisk0", "efitype=4m,local-lvm:1", "tpmstate0", "local-lvm:1,version=v2.0")), ok: true},
		{name: "ok-ct-new-mount", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "local-lvm:1,mp=/data"), "async", true), ok: true},
		{name: "ok-cloudinit-drive", tool: "pve_vm_set_config", args: atkVmSet(m("ide3", "local-lvm:cloudinit")), sent: true},
	}
	return cs
}

// Class 2: extra setting what the tool builds from its checked arguments.
func atkOverrideCases() []attackCase {
	iso := m("storage", "local", "file", isoDebian)
	return []attackCase{
		{name: "create-extra-vmid", tool: "pve_vm_create", args: atkVmNew(m("vmid", 101)), want: []string{"extra", `"vmid"`}},
		{name: "create-extra-node", tool: "pve_vm_create", args: atkVmNew(m("node", "pve3")), want: []string{"extra", `"node"`}},
		{name: "create-extra-memory", tool: "pve_vm_create", args: atkVmNew(m("memory", 999999), "memory", 512), want: []string{"extra", `"memory"`}},
		{name: "create-extra-memory-default", tool: "pve_vm_create", args: atkVmNew(m("memory", "999999")), want: []string{"extra", `"memory"`}},
		{name: "create-extra-cores", tool: "pve_vm_create", args: atkVmNew(m("cores", 512)), want: []string{"extra", `"cores"`}},
		{name: "create-extra-ide2-with-iso", tool: "pve_vm_create", args: atkVmNew(m("ide2", "local-lvm:vm-101-disk-0,media=cdrom"), "iso", iso), want: []string{"extra", `"ide2"`, "iso"}},
		{name: "create-extra-cdrom-with-iso", tool: "pve_vm_create", args: atkVmNew(m("cdrom", "local-lvm:vm-101-disk-0"), "iso", iso), want: []string{"extra", `"cdrom"`, "iso"}},
		{name: "create-extra-net0-with-net", tool: "pve_vm_create", args: atkVmNew(m("net0", "virtio,bridge=vmbr9"), "net", m("bridge", "vmbr0")), want: []string{"extra", `"net0"`, "net"}},
		{name: "create-extra-start", tool: "pve_vm_create", args: atkVmNew(m("start", 1)), want: []string{"extra", `"start"`}},
		{name: "create-extra-name", tool: "pve_vm_create", args: atkVmNew(m("name", "x")), want: []string{"extra", `"name"`}},
		{name: "create-extra-ostype", tool: "pve_vm_create", args: atkVmNew(m("ostype", "win11")), want: []string{"extra", `"ostype"`}},
		{name: "create-extra-archive", tool: "pve_vm_create", args: atkVmNew(m("archive", bk101)), want: []string{"extra", `"archive"`, "pve_restore"}},
		{name: "create-extra-force", tool: "pve_vm_create", args: atkVmNew(m("force", 1)), want: []string{"extra", `"force"`, "pve_restore"}},
		{name: "create-extra-live-restore", tool: "pve_vm_create", args: atkVmNew(m("live-restore", 1, "archive", bk101)), want: []string{"extra", `"live-restore"`}},
		{name: "create-extra-unique", tool: "pve_vm_create", args: atkVmNew(m("unique", 1)), want: []string{"extra", `"unique"`}},

		{name: "ct-extra-ostemplate", tool: "pve_lxc_create", args: atkCtNew(m("ostemplate", bk201)), want: []string{"extra", `"ostemplate"`}},
		{name: "ct-extra-vmid", tool: "pve_lxc_create", args: atkCtNew(m("vmid", 201)), want: []string{"extra", `"vmid"`}},
		{name: "ct-extra-node", tool: "pve_lxc_create", args: atkCtNew(m("node", "pve3")), want: []string{"extra", `"node"`}},
		{name: "ct-extra-memory", tool: "pve_lxc_create", args: atkCtNew(m("memory", 999999)), want: []string{"extra", `"memory"`}},
		{name: "ct-extra-password", tool: "pve_lxc_create", args: atkCtNew(m("password", "attacker-pw-1")), want: []string{"extra", `"password"`}, hide: []string{"attacker-pw-1"}},
		{name: "ct-extra-password-over-arg", tool: "pve_lxc_create", args: atkCtNew(m("password", "attacker-pw-2"), "password", "owner-pw-1"), want: []string{"extra", `"password"`}, hide: []string{"attacker-pw-2", "owner-pw-1"}},
		{name: "ct-extra-ssh-keys", tool: "pve_lxc_create", args: atkCtNew(m("ssh-public-keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAttacker attacker")), want: []string{"extra", `"ssh-public-keys"`}},
		{name: "ct-extra-ssh-keys-over-arg", tool: "pve_lxc_create", args: atkCtNew(m("ssh-public-keys", "ssh-ed25519 AAAAattacker x"), "sshPublicKeys", "ssh-ed25519 AAAAowner y"), want: []string{"extra", `"ssh-public-keys"`}},
		{name: "ct-extra-unprivileged", tool: "pve_lxc_create", args: atkCtNew(m("unprivileged", false)), want: []string{"extra", `"unprivileged"`}},
		{name: "ct-extra-unprivileged-over-arg", tool: "pve_lxc_create", args: atkCtNew(m("unprivileged", 0), "unprivileged", true), want: []string{"extra", `"unprivileged"`}},
		{name: "ct-extra-restore", tool: "pve_lxc_create", args: atkCtNew(m("restore", 1)), want: []string{"extra", `"restore"`, "pve_restore"}},
		{name: "ct-extra-force", tool: "pve_lxc_create", args: atkCtNew(m("force", true)), want: []string{"extra", `"force"`}},
		{name: "ct-extra-net0-with-net", tool: "pve_lxc_create", args: atkCtNew(m("net0", "name=eth0,bridge=vmbr9"), "net", m("bridge", "vmbr0")), want: []string{"extra", `"net0"`, "net"}},
		{name: "ct-extra-hostname", tool: "pve_lxc_create", args: atkCtNew(m("hostname", "x")), want: []string{"extra", `"hostname"`}},
		{name: "ct-extra-start", tool: "pve_lxc_create", args: atkCtNew(m("start", 1)), want: []string{"extra", `"start"`}},

		{name: "set-extra-vmid", tool: "pve_vm_set_config", args: atkVmSet(m("vmid", 101)), want: []string{"extra", `"vmid"`}},
		{name: "set-extra-node", tool: "pve_vm_set_config", args: atkVmSet(m("node", "pve3")), want: []string{"extra", `"node"`}},
		{name: "set-extra-memory-over-arg", tool: "pve_vm_set_config", args: func() map[string]any {
			a := atkVmSet(m("memory", 999999))
			a["memory"] = 4096
			return a
		}(), want: []string{"extra", `"memory"`}},
		{name: "set-extra-cores", tool: "pve_vm_set_config", args: atkVmSet(m("cores", 64)), want: []string{"extra", `"cores"`}},
		{name: "set-extra-description", tool: "pve_vm_set_config", args: atkVmSet(m("description", "x")), want: []string{"extra", `"description"`}},

		{name: "extra-key-uppercase", tool: "pve_vm_set_config", args: atkVmSet(m("Scsi1", "local-lvm:vm-101-disk-0")), want: []string{"extra", "Scsi1"}},
		{name: "extra-key-trailing-space", tool: "pve_vm_set_config", args: atkVmSet(m("scsi1 ", "local-lvm:vm-101-disk-0")), want: []string{"extra", "scsi1 "}},
		{name: "extra-key-unknown-slot", tool: "pve_vm_set_config", args: atkVmSet(m("scsi31", "local-lvm:1")), want: []string{"extra.scsi31"}},
		{name: "extra-value-object", tool: "pve_vm_set_config", args: atkVmSet(m("scsi1", m("file", "local-lvm:vm-101-disk-0"))), want: []string{"extra.scsi1"}},
		{name: "extra-value-array", tool: "pve_vm_set_config", args: atkVmSet(m("scsi1", []string{"local-lvm:vm-101-disk-0"})), want: []string{"extra.scsi1"}},
		{name: "extra-value-newline", tool: "pve_vm_set_config", args: atkVmSet(m("tags", "x\nscsi1: local-lvm:vm-101-disk-0")), want: []string{"extra.tags"}},

		// Positive controls.
		{name: "ok-ct-password-and-keys", tool: "pve_lxc_create", args: atkCtNew(nil, "vmid", 251, "password", "owner-pw-3", "async", true,
			"sshPublicKeys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwner owner", "hostname", "ct251"), ok: true, hide: []string{"owner-pw-3"}},
		{name: "ok-set-other-keys", tool: "pve_vm_set_config", args: func() map[string]any {
			a := atkVmSet(m("tags", "web;prod", "onboot", 1))
			a["memory"] = 4096
			return a
		}(), ok: true},
		{name: "ok-create-other-keys", tool: "pve_vm_create", args: m("node", "pve1", "vmid", 152, "async", true,
			"extra", m("agent", "enabled=1", "serial0", "socket", "description", "made by the attack suite")), ok: true},
	}
}

// Class 3: aliases of keys and of property keys.
func atkAliasCases() []attackCase {
	return []attackCase{
		atkRefusedVM("cdrom-forbidden-disk", "cdrom", "local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("cdrom-media-first", "cdrom", "media=cdrom,local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("cdrom-file-key", "cdrom", "file=local-lvm:vm-102-disk-0,media=cdrom", atkOwner("102")...),
		atkRefusedVM("cdrom-volume-key", "cdrom", "volume=local-lvm:vm-101-disk-0,media=cdrom", atkOwner("101")...),
		atkRefusedVM("scsi1-volume-alias", "scsi1", "volume=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("scsi1-volume-alias-last", "scsi1", "iothread=1,volume=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("ide2-volume-alias", "ide2", "volume=local-lvm:vm-101-disk-0,media=cdrom", atkOwner("101")...),
		atkRefusedVM("efidisk0-volume-alias", "efidisk0", "efitype=4m,volume=local-lvm:vm-102-disk-0", atkOwner("102")...),
		atkRefusedVM("tpmstate0-volume-alias", "tpmstate0", "volume=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("unused0-volume-alias", "unused0", "volume=local-lvm:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("virtio1-file-and-volume", "virtio1", "file=local-lvm:vm-100-disk-0,volume=local-lvm:vm-101-disk-0", atkBadFormat...),
		atkRefusedVM("virtio1-volume-then-file", "virtio1", "volume=local-lvm:vm-101-disk-0,file=local-lvm:vm-100-disk-0", atkBadFormat...),
		atkRefusedVM("scsi1-default-and-volume", "scsi1", "local-lvm:vm-100-disk-0,volume=local-lvm:vm-101-disk-0", atkBadFormat...),
		{name: "cdrom-and-ide2", tool: "pve_vm_set_config", args: atkVmSet(m("cdrom", "local:iso/"+isoDebian, "ide2", "local-lvm:vm-101-disk-0,media=cdrom")),
			want: []string{"extra", `"cdrom"`, `"ide2"`}},
		{name: "cdrom-and-ide2-both-isos", tool: "pve_vm_set_config", args: atkVmSet(m("cdrom", "local:iso/"+isoDebian, "ide2", "local:iso/"+isoDebian+",media=cdrom")),
			want: []string{"extra", `"cdrom"`, `"ide2"`}},
		{name: "create-cdrom-without-iso", tool: "pve_vm_create", args: atkVmNew(m("cdrom", "local-lvm:vm-101-disk-0")), want: []string{"extra", `"cdrom"`}},
		{name: "ct-mp0-volume-key-first", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "volume=local-lvm:vm-201-disk-0,mp=/d,backup=1")), want: append([]string{"extra.mp0"}, atkOwner("201")...)},

		// Positive controls.
		{name: "ok-cdrom-iso", tool: "pve_vm_set_config", args: atkVmSet(m("cdrom", "local:iso/"+isoDebian)), ok: true},
		{name: "ok-own-disk-volume-alias", tool: "pve_vm_set_config", args: atkVmSet(m("scsi0", "volume=local-lvm:vm-100-disk-0,iothread=1")), ok: true},
		{name: "ok-create-with-iso", tool: "pve_vm_create", args: m("node", "pve1", "vmid", 153, "async", true, "iso", m("storage", "local", "file", isoDebian)), ok: true},
	}
}

// Class 4: reading a volume's atkOwner as Proxmox does.
func atkOwnerCases(fx attackFx) []attackCase {
	return []attackCase{
		atkRefusedVM("zfs-linked-clone", "scsi1", "attack-zfs:base-9000-disk-0/vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("zfs-linked-clone-basevol", "scsi1", "attack-zfs:basevol-9000-disk-0/subvol-101-disk-0", atkOwner("101")...),
		atkRefusedVM("dir-linked-clone", "scsi1", "local:9000/base-9000-disk-0.qcow2/101/vm-101-disk-0.qcow2", atkOwner("101")...),
		atkRefusedVM("dir-linked-clone-raw", "scsi1", "local:100/base-100-disk-0.raw/102/vm-102-disk-0.raw", atkOwner("102")...),
		atkRefusedVM("dir-linked-clone-import-from", "scsi1", "local-lvm:0,import-from=local:9000/base-9000-disk-0.qcow2/101/vm-101-disk-0.qcow2", atkOwner("101")...),
		atkRefusedVM("rbd-no-prefix", "scsi1", "attack-rbd:-101-disk-0", atkOwner("101")...),
		atkRefusedVM("zfs-subvol", "scsi1", "attack-zfs:subvol-101-disk-0", atkOwner("101")...),
		atkRefusedVM("storage-id-like-guest", "scsi1", "vm-100-store:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("storage-id-is-own-volume", "scsi1", "vm-100-disk-0:vm-101-disk-0", atkOwner("101")...),
		atkRefusedVM("storage-id-base-clone", "scsi1", "base-100-disk-0:base-9000-disk-0/vm-101-disk-0", atkOwner("101")...),
		{name: "storage-id-is-forbidden-volume", tool: "pve_vm_set_config", args: atkVmSet(m("scsi1", "vm-101-disk-0:vm-100-disk-1")),
			want: []string{"extra.scsi1", "vm-101-disk-0", "not configured"}, reads: true},
		atkRefusedVM("iso-dotdot-images", "scsi1", "local:iso/../images/101/vm-101-disk-0.raw", ".."),
		atkRefusedVM("iso-dotdot-owner-dir", "scsi1", "local:iso/../101/vm-101-disk-0.raw", ".."),
		atkRefusedVM("dot-segment", "scsi1", "local:./101/vm-101-disk-0.raw", "'.' component"),
		atkRefusedVM("import-from-dotdot", "scsi1", "local-lvm:0,import-from=local:iso/../images/101/vm-101-disk-0.qcow2", ".."),
		atkRefusedVM("cdrom-iso-dotdot", "cdrom", "local:iso/../../images/101/vm-101-disk-0.raw", ".."),
		{name: "ostemplate-dotdot", tool: "pve_lxc_create", args: atkCtNew(nil, "ostemplate", "local:vztmpl/../backup/vzdump-lxc-201-2024_01_01-00_00_00.tar.zst"), want: []string{"ostemplate", ".."}},
		{name: "ostemplate-forbidden-with-vztmpl-tail", tool: "pve_lxc_create", args: atkCtNew(nil, "ostemplate", "local-lvm:vm-201-disk-0:vztmpl/x.tar.zst"), want: []string{"ostemplate", "unable to parse lvm volume name"}},
		{name: "ostemplate-backup-of-forbidden", tool: "pve_lxc_create", args: atkCtNew(nil, "ostemplate", bk201), want: []string{"ostemplate"}},
		{name: "ostemplate-pbs-of-forbidden", tool: "pve_lxc_create", args: atkCtNew(nil, "ostemplate", "pbs:backup/ct/201/2024-01-01T00:00:00Z"), want: []string{"ostemplate"}},
		atkRefusedVM("unparseable-name", "scsi1", "local-lvm:garbage", "garbage"),
		atkRefusedVM("unparseable-images-path", "scsi1", "local:images/101/vm-101-disk-0.raw", "images/101"),
		atkRefusedVM("unparseable-no-id", "scsi1", "local-lvm:vm--disk-0", "vm--disk-0"),
		atkRefusedVM("unparseable-storage", "scsi1", "1local:vm-101-disk-0", atkBadFormat...),
		atkRefusedVM("huge-id-overflow", "scsi1", "local-lvm:vm-99999999999999999999-disk-0", "99999999999999999999"),
		atkRefusedVM("huge-id-out-of-range", "scsi1", "local-lvm:vm-1000000000-disk-0", "1000000000"),
		atkRefusedVM("huge-id-dir", "scsi1", "local:99999999999999999999/vm-1-disk-0.raw", "99999999999999999999"),
		atkRefusedVM("huge-id-zfs-base", "scsi1", "local-lvm:base-99999999999999999999-disk-0/vm-100-disk-0", "99999999999999999999"),
		atkRefusedVM("leading-zero-id", "scsi1", "local-lvm:vm-0101-disk-0", atkOwner("101")...),
		atkRefusedVM("low-id", "scsi1", "local-lvm:vm-99-disk-0", "99"),

		{name: "restore-qemu-forbidden", tool: "pve_restore", args: atkRestore(150, "qemu", bk101), want: append([]string{"archive"}, atkOwner("101")...)},
		{name: "restore-qemu-forbidden-other-node", tool: "pve_restore", args: atkRestore(100, "qemu", bk102), want: append([]string{"archive"}, atkOwner("102")...)},
		{name: "restore-pbs-vm", tool: "pve_restore", args: atkRestore(150, "qemu", "pbs:backup/vm/101/2024-01-01T00:00:00Z"), want: append([]string{"archive"}, atkOwner("101")...)},
		{name: "restore-pbs-vm-leading-zero", tool: "pve_restore", args: atkRestore(150, "qemu", "pbs:backup/vm/0101/2024-01-01T00:00:00Z"), want: append([]string{"archive"}, atkOwner("101")...)},
		{name: "restore-pbs-ct", tool: "pve_restore", args: atkRestore(250, "lxc", "pbs:backup/ct/201/2024-01-01T00:00:00Z"), want: append([]string{"archive"}, atkOwner("201")...)},
		{name: "restore-lxc-forbidden", tool: "pve_restore", args: atkRestore(250, "lxc", bk201), want: append([]string{"archive"}, atkOwner("201")...)},
		{name: "restore-lxc-into-own", tool: "pve_restore", args: atkRestore(200, "lxc", bk201), want: append([]string{"archive"}, atkOwner("201")...)},
		{name: "restore-openvz-forbidden", tool: "pve_restore", args: atkRestore(250, "lxc", "local:backup/vzdump-openvz-201-2024_01_01-00_00_00.tgz"), want: append([]string{"archive"}, atkOwner("201")...)},
		{name: "restore-lxc-from-qemu-disk", tool: "pve_restore", args: atkRestore(250, "lxc", "local-lvm:vm-101-disk-0"), want: append([]string{"archive"}, atkOwner("101")...)},
		{name: "restore-huge-id", tool: "pve_restore", args: atkRestore(150, "qemu", "local:backup/vzdump-qemu-99999999999999999999-2024_01_01-00_00_00.vma.zst"), want: []string{"archive"}},
		{name: "restore-dotdot", tool: "pve_restore", args: atkRestore(150, "qemu", "local:backup/../images/101/vm-101-disk-0.raw"), want: []string{"archive", ".."}},
		{name: "restore-host-path", tool: "pve_restore", args: atkRestore(150, "qemu", "/var/lib/vz/dump/vzdump-qemu-101-2024_01_01-00_00_00.vma.zst"), want: []string{"archive"}},
		{name: "restore-stdin", tool: "pve_restore", args: atkRestore(150, "qemu", "-"), want: []string{"archive"}},

		// Positive controls: the VM's own disks on ZFS and RBD storage (the
		// names only those plugins read), and the allowed guests' own
		// backups, restored to new ids.
		{name: "ok-own-disk-on-zfs", tool: "pve_vm_set_config", args: atkVmSet(m("scsi5", "iothread=1,"+fx.zfs100)), ok: true},
		{name: "ok-own-disk-on-rbd", tool: "pve_vm_set_config", args: atkVmSet(m("scsi6", "iothread=1,"+fx.rbd100)), ok: true},
		{name: "zfs-storage-forbidden-subvol", tool: "pve_lxc_create", args: atkCtNew(m("mp0", fx.zfsStore+":subvol-201-disk-0,mp=/data")), want: append([]string{"extra.mp0"}, atkOwner("201")...)},
		{name: "ok-restore-own-qemu", tool: "pve_restore", args: func() map[string]any {
			a := atkRestore(154, "qemu", fx.backup100local)
			a["async"] = true
			return a
		}(), ok: true},
		{name: "ok-restore-own-lxc", tool: "pve_restore", args: func() map[string]any {
			a := atkRestore(252, "lxc", fx.backup200local)
			a["async"] = true
			return a
		}(), ok: true},
	}
}
