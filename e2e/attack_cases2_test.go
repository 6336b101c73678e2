package e2e

import (
	"maps"
	"strings"
)

// Class 5: a node allowlist with storage shared between allowed and
// forbidden nodes. Guest 103 is on pve3; its id is allowed, its node is not.
func atkSharedStorageCases(fx attackFx) []attackCase {
	d, b := fx.disk103, fx.backup103
	onPve3 := []string{"103", "pve3"}
	cs := []attackCase{
		{name: "set-shared-disk", tool: "pve_vm_set_config", args: atkVmSet(m("scsi2", d)), want: append([]string{"extra.scsi2"}, onPve3...), reads: true},
		{name: "set-shared-disk-default-after", tool: "pve_vm_set_config", args: atkVmSet(m("scsi2", "iothread=1,"+d)), want: append([]string{"extra.scsi2"}, onPve3...), reads: true},
		{name: "set-shared-disk-file-key", tool: "pve_vm_set_config", args: atkVmSet(m("virtio3", "cache=none,file="+d)), want: append([]string{"extra.virtio3"}, onPve3...), reads: true},
		{name: "set-shared-import-from", tool: "pve_vm_set_config", args: atkVmSet(m("scsi2", "local-lvm:0,import-from="+d)), want: append([]string{"extra.scsi2"}, onPve3...), reads: true},
		{name: "set-shared-cdrom", tool: "pve_vm_set_config", args: atkVmSet(m("cdrom", d)), want: append([]string{"extra.cdrom"}, onPve3...), reads: true},
		{name: "set-shared-unused", tool: "pve_vm_set_config", args: atkVmSet(m("unused5", d)), want: append([]string{"extra.unused5"}, onPve3...), reads: true},
		{name: "create-shared-disk", tool: "pve_vm_create", args: atkVmNew(m("scsi1", d)), want: append([]string{"extra.scsi1"}, onPve3...), reads: true},
		{name: "create-shared-import-from", tool: "pve_vm_create", args: atkVmNew(m("virtio0", "import-from="+d+",local-lvm:0")), want: append([]string{"extra.virtio0"}, onPve3...), reads: true},
		{name: "ct-shared-mount", tool: "pve_lxc_create", args: atkCtNew(m("mp0", d+",mp=/data")), want: append([]string{"extra.mp0"}, onPve3...), reads: true},
		{name: "ct-shared-mount-size-first", tool: "pve_lxc_create", args: atkCtNew(m("mp0", "size=1G,mp=/data,"+d)), want: append([]string{"extra.mp0"}, onPve3...), reads: true},
		{name: "restore-shared-backup", tool: "pve_restore", args: atkRestore(155, "qemu", b), want: append([]string{"archive"}, onPve3...), reads: true},
		{name: "restore-shared-backup-over-own", tool: "pve_restore", args: atkRestore(100, "qemu", b), want: append([]string{"archive"}, onPve3...), reads: true},
		{name: "restore-own-id-of-forbidden-node-guest", tool: "pve_restore", args: atkRestore(103, "qemu", b), want: append([]string{"103"}, "pve3"), reads: true},
		{name: "restore-shared-backup-as-lxc", tool: "pve_restore", args: atkRestore(255, "lxc", b), want: append([]string{"archive"}, onPve3...), reads: true},
		{name: "schedule-backup-guest-on-forbidden-node", tool: "pve_schedule_backup", args: m("schedule", "daily", "storage", fx.shared, "vmids", []int{100, 103}),
			want: append([]string{"vmids"}, onPve3...), reads: true},
		{name: "schedule-backup-only-forbidden-node", tool: "pve_schedule_backup", args: m("schedule", "daily", "storage", fx.shared, "vmids", []int{103}),
			want: append([]string{"vmids"}, onPve3...), reads: true},
		{name: "set-disk-of-unknown-guest", tool: "pve_vm_set_config", args: atkVmSet(m("scsi2", "local-lvm:vm-159-disk-0")), want: []string{"extra.scsi2", "159"}, reads: true},
		{name: "task-log-of-forbidden-node-guest", tool: "pve_task_log", args: m("upid", fx.migrate103), want: onPve3, reads: true},
		{name: "task-status-of-forbidden-node-guest", tool: "pve_task_status", args: m("upid", fx.migrate103), want: onPve3, reads: true},

		// The lists: what they show is checked; that they answer is the control.
		{name: "list-content-shared", tool: "pve_storage_content", args: m("node", "pve1", "storage", fx.shared), ok: true,
			check: atkWithout([]int{101, 102, 103, 201}, []string{"pve3"}, fx.backup100)},
		{name: "list-content-shared-backups", tool: "pve_storage_content", args: m("node", "pve1", "storage", fx.shared, "content", "backup"), ok: true,
			check: atkWithout([]int{103}, nil, fx.backup100)},
		{name: "list-content-shared-images", tool: "pve_storage_content", args: m("node", "pve2", "storage", fx.shared, "content", "images"), ok: true,
			check: atkWithout([]int{103}, nil)},
		{name: "list-backups-shared", tool: "pve_list_backups", args: m("node", "pve1", "storage", fx.shared), ok: true,
			check: atkWithout([]int{103}, nil, fx.backup100)},
		{name: "list-backups-shared-from-pve2", tool: "pve_list_backups", args: m("node", "pve2", "storage", fx.shared), ok: true,
			check: atkWithout([]int{103}, nil, fx.backup100)},
		{name: "list-backups-local", tool: "pve_list_backups", args: m("node", "pve1", "storage", "local"), ok: true,
			check: atkWithout([]int{101, 102, 103, 201}, nil, fx.backup100local, fx.backup200local)},
		{name: "list-cluster-resources", tool: "pve_cluster_resources", args: nil, ok: true,
			check: atkWithout([]int{101, 102, 103, 201}, []string{"pve3"}, `"qemu/100"`)},
		{name: "list-cluster-resources-vm", tool: "pve_cluster_resources", args: m("type", "vm"), ok: true,
			check: atkWithout([]int{101, 102, 103, 201}, []string{"pve3"}, `"qemu/100"`, `"lxc/200"`)},
		{name: "list-cluster-resources-storage", tool: "pve_cluster_resources", args: m("type", "storage"), ok: true,
			check: atkWithout(nil, []string{"pve3"}, "storage/pve1/"+fx.shared)},
		{name: "list-tasks-pve1", tool: "pve_list_tasks", args: m("node", "pve1", "limit", 500), ok: true,
			check: atkWithout([]int{101, 102, 103, 201}, nil, fx.task100)},
		{name: "list-tasks-pve2", tool: "pve_list_tasks", args: m("node", "pve2", "limit", 500), ok: true,
			check: atkWithout([]int{101, 102, 103, 201}, nil)},
		{name: "list-vms", tool: "pve_list_vms", args: nil, ok: true,
			check: atkWithout([]int{101, 102, 103}, []string{"pve3"}, `"vmid":100`)},
		{name: "list-containers-pve2", tool: "pve_list_containers", args: m("node", "pve2"), ok: true,
			check: atkWithout([]int{201}, nil)},

		// Positive control: a new disk on the shared storage.
		{name: "ok-new-disk-on-shared", tool: "pve_vm_set_config", args: atkVmSet(m("scsi2", fx.shared+":1")), ok: true},
	}
	for i := range cs {
		if cs[i].reads && !strings.HasPrefix(cs[i].tool, "pve_task_") {
			cs[i].readPaths = []string{"/cluster/resources"}
		}
	}
	for i, s := range fx.seededShared {
		cs = append(cs,
			attackCase{name: "seeded-" + s + "-list-backups", tool: "pve_list_backups", args: m("node", "pve1", "storage", s), ok: true,
				check: atkWithout([]int{103}, nil)},
			attackCase{name: "seeded-" + s + "-restore", tool: "pve_restore", args: atkRestore(155, "qemu", fx.seeded103[i]),
				want: append([]string{"archive"}, onPve3...), reads: true})
	}
	return cs
}

// atkHostRefused is a host-level attack refused atkWithout PVE_ALLOW_HOST_ACCESS.
func atkHostRefused(name, tool string, args map[string]any, arg string) attackCase {
	return attackCase{name: name, tool: tool, args: args, want: []string{arg, "PVE_ALLOW_HOST_ACCESS"}}
}

// Class 6: keys that reach the node, with PVE_ALLOW_HOST_ACCESS unset.
func atkHostLevelCases() []attackCase {
	set := func(name, key string, val any, arg string) attackCase {
		return atkHostRefused(name, "pve_vm_set_config", atkVmSet(m(key, val)), arg)
	}
	return []attackCase{
		set("args", "args", "-drive file=/dev/sda,if=virtio", "extra.args"),
		set("hookscript", "hookscript", "local:snippets/hook.pl", "extra.hookscript"),
		set("lock", "lock", "backup", "extra.lock"),
		set("affinity", "affinity", "0-3", "extra.affinity"),
		set("hostpci0", "hostpci0", "0000:01:00.0", "extra.hostpci0"),
		set("hostpci1-keyed", "hostpci1", "host=0000:02:00.0,pcie=1", "extra.hostpci1"),
		set("usb0-host", "usb0", "host=1d6b:0002", "extra.usb0"),
		set("usb1-host-default-key", "usb1", "1d6b:0002,usb3=1", "extra.usb1"),
		set("usb2-host-port", "usb2", "usb3=1,host=1-2", "extra.usb2"),
		set("serial0-device", "serial0", "/dev/ttyS0", "extra.serial0"),
		set("serial1-usb-device", "serial1", "/dev/ttyUSB0", "extra.serial1"),
		set("parallel0", "parallel0", "/dev/parport0", "extra.parallel0"),
		set("virtiofs0", "virtiofs0", "dirid=share1", "extra.virtiofs0"),
		set("skiplock", "skiplock", 1, "extra.skiplock"),
		set("skiplock-true", "skiplock", true, "extra.skiplock"),
		set("drive-host-path", "scsi1", "/dev/sda", "extra.scsi1"),
		set("drive-host-path-file-key", "scsi1", "file=/dev/disk/by-id/ata-x,iothread=1", "extra.scsi1"),
		set("drive-host-path-default-after", "virtio1", "cache=none,/dev/sdb", "extra.virtio1"),
		set("import-from-shadow", "scsi1", "local-lvm:0,import-from=/etc/shadow", "extra.scsi1"),
		set("import-from-device-first", "sata1", "import-from=/dev/sda,local-lvm:0", "extra.sata1"),
		set("cdrom-host-device", "cdrom", "/dev/sr0", "extra.cdrom"),
		set("efidisk-host-path", "efidisk0", "/dev/sdc,efitype=4m", "extra.efidisk0"),
		set("tpmstate-host-path", "tpmstate0", "file=/dev/tpm0", "extra.tpmstate0"),
		set("arch", "arch", "aarch64", "extra.arch"),
		set("hugepages", "hugepages", "1024", "extra.hugepages"),
		set("ivshmem", "ivshmem", "size=32", "extra.ivshmem"),
		set("vmgenid", "vmgenid", "00000000-0000-0000-0000-000000000001", "extra.vmgenid"),
		atkHostRefused("create-args", "pve_vm_create", atkVmNew(m("args", "-monitor stdio")), "extra.args"),
		atkHostRefused("create-hostpci0", "pve_vm_create", atkVmNew(m("hostpci0", "0000:01:00.0")), "extra.hostpci0"),
		atkHostRefused("create-hookscript", "pve_vm_create", atkVmNew(m("hookscript", "local:snippets/hook.pl")), "extra.hookscript"),
		atkHostRefused("create-drive-host-path", "pve_vm_create", atkVmNew(m("scsi1", "/dev/sda")), "extra.scsi1"),
		atkHostRefused("create-serial0-device", "pve_vm_create", atkVmNew(m("serial0", "/dev/ttyS0")), "extra.serial0"),
		atkHostRefused("create-import-from-shadow", "pve_vm_create", atkVmNew(m("scsi1", "local-lvm:0,import-from=/etc/shadow")), "extra.scsi1"),
		atkHostRefused("create-usb-host", "pve_vm_create", atkVmNew(m("usb0", "host=1d6b:0002")), "extra.usb0"),

		atkHostRefused("ct-dev0", "pve_lxc_create", atkCtNew(m("dev0", "/dev/sda")), "extra.dev0"),
		atkHostRefused("ct-dev1-keyed", "pve_lxc_create", atkCtNew(m("dev1", "path=/dev/kvm,mode=0666")), "extra.dev1"),
		atkHostRefused("ct-bind-mount-root", "pve_lxc_create", atkCtNew(m("mp0", "/,mp=/mnt")), "extra.mp0"),
		atkHostRefused("ct-bind-mount-volume-key", "pve_lxc_create", atkCtNew(m("mp0", "volume=/etc,mp=/mnt/etc")), "extra.mp0"),
		atkHostRefused("ct-bind-mount-after-mp", "pve_lxc_create", atkCtNew(m("mp3", "mp=/mnt,ro=1,/root")), "extra.mp3"),
		atkHostRefused("ct-device-mount", "pve_lxc_create", atkCtNew(m("mp0", "/dev/sdb1,mp=/mnt/disk")), "extra.mp0"),
		atkHostRefused("ct-features-keyctl", "pve_lxc_create", atkCtNew(m("features", "keyctl=1")), "extra.features"),
		atkHostRefused("ct-features-mount", "pve_lxc_create", atkCtNew(m("features", "mount=nfs;cifs")), "extra.features"),
		atkHostRefused("ct-features-fuse", "pve_lxc_create", atkCtNew(m("features", "fuse=1")), "extra.features"),
		atkHostRefused("ct-features-nesting-and-keyctl", "pve_lxc_create", atkCtNew(m("features", "nesting=1,keyctl=1")), "extra.features.keyctl"),
		atkHostRefused("ct-features-mknod", "pve_lxc_create", atkCtNew(m("features", "mknod=1")), "extra.features"),
		atkHostRefused("ct-unprivileged-false-arg", "pve_lxc_create", atkCtNew(nil, "unprivileged", false), "unprivileged"),
		atkHostRefused("ct-hookscript", "pve_lxc_create", atkCtNew(m("hookscript", "local:snippets/hook.pl")), "extra.hookscript"),
		atkHostRefused("ct-lock", "pve_lxc_create", atkCtNew(m("lock", "backup")), "extra.lock"),

		// Positive controls.
		{name: "ok-serial-socket", tool: "pve_vm_set_config", args: atkVmSet(m("serial1", "socket")), ok: true},
		{name: "ok-usb-spice", tool: "pve_vm_set_config", args: atkVmSet(m("usb0", "host=spice")), ok: true},
		{name: "ok-ct-nesting", tool: "pve_lxc_create", args: atkCtNew(m("features", "nesting=1"), "vmid", 253, "async", true), ok: true},
		{name: "ok-ct-unprivileged", tool: "pve_lxc_create", args: atkCtNew(nil, "vmid", 254, "unprivileged", true, "async", true), ok: true},
	}
}

// Class 6 with PVE_ALLOW_HOST_ACCESS=true: each host-level key needs
// confirm: true and then the user's yes.
func atkHostAccessCases(hc, ha *client, declined, accepted *askLog) []attackCase {
	type hostKey struct {
		name, tool string
		args       map[string]any // noConfirm confirm
		key        string         // the question and the refusal name it
	}
	noConfirm := func(a map[string]any) map[string]any {
		a = maps.Clone(a)
		delete(a, "confirm")
		return a
	}
	keys := []hostKey{
		{"args", "pve_vm_set_config", noConfirm(atkVmSet(m("args", "-no-reboot"))), "extra.args"},
		{"hookscript", "pve_vm_set_config", noConfirm(atkVmSet(m("hookscript", "local:snippets/hook.pl"))), "extra.hookscript"},
		{"hostpci0", "pve_vm_set_config", noConfirm(atkVmSet(m("hostpci0", "0000:01:00.0"))), "extra.hostpci0"},
		{"usb0-host", "pve_vm_set_config", noConfirm(atkVmSet(m("usb1", "host=1d6b:0002"))), "extra.usb1.host"},
		{"serial0-device", "pve_vm_set_config", noConfirm(atkVmSet(m("serial2", "/dev/ttyS0"))), "extra.serial2"},
		{"drive-host-path", "pve_vm_set_config", noConfirm(atkVmSet(m("scsi3", "/dev/sda"))), "extra.scsi3"},
		{"skiplock", "pve_vm_set_config", noConfirm(atkVmSet(m("skiplock", 1, "tags", "x"))), "extra.skiplock"},
		{"create-hostpci0", "pve_vm_create", noConfirm(atkVmNew(m("hostpci0", "0000:01:00.0"), "vmid", 156, "async", true)), "extra.hostpci0"},
		{"ct-unprivileged-false", "pve_lxc_create", noConfirm(atkCtNew(nil, "vmid", 256, "unprivileged", false, "async", true)), "unprivileged"},
		{"ct-dev0", "pve_lxc_create", noConfirm(atkCtNew(m("dev0", "/dev/sda"), "vmid", 257, "async", true)), "extra.dev0"},
		{"ct-features-keyctl", "pve_lxc_create", noConfirm(atkCtNew(m("features", "keyctl=1"), "vmid", 258, "async", true)), "extra.features.keyctl"},
		{"ct-bind-mount", "pve_lxc_create", noConfirm(atkCtNew(m("mp0", "/srv,mp=/mnt"), "vmid", 259, "async", true)), "extra.mp0"},
	}
	var cs []attackCase
	for _, k := range keys {
		confirmed := maps.Clone(k.args)
		confirmed["confirm"] = true
		cs = append(cs,
			attackCase{name: k.name + "-without-confirm", tool: k.tool, args: k.args, on: hc, want: []string{"confirm", k.key},
				reads: true, log: declined, notAsked: true},
			attackCase{name: k.name + "-declined", tool: k.tool, args: confirmed, on: hc, want: []string{"declined", k.key},
				reads: true, log: declined, asked: []string{k.key}},
			attackCase{name: k.name + "-accepted", tool: k.tool, args: confirmed, on: ha, sent: true,
				log: accepted, asked: []string{k.key}},
		)
	}
	// Host access lets host-level keys be asked about, nothing else through.
	cs = append(cs,
		attackCase{name: "allowlist-still-applies", tool: "pve_vm_set_config", on: ha, args: atkVmSet(m("scsi1", "iothread=1,local-lvm:vm-101-disk-0")),
			want: append([]string{"extra.scsi1"}, atkOwner("101")...), log: accepted, notAsked: true},
		attackCase{name: "allowlist-still-applies-ct", tool: "pve_lxc_create", on: ha, args: atkCtNew(m("mp0", "size=8G,local-lvm:vm-201-disk-0,mp=/data")),
			want: append([]string{"extra.mp0"}, atkOwner("201")...), log: accepted, notAsked: true},
		attackCase{name: "host-key-and-forbidden-disk", tool: "pve_vm_set_config", on: ha, args: atkVmSet(m("args", "-no-reboot", "scsi1", "local-lvm:vm-101-disk-0")),
			want: append([]string{"extra.scsi1"}, atkOwner("101")...), log: accepted, notAsked: true},
	)
	return cs
}
