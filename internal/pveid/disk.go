package pveid

import "strconv"

// slotCount is how many disk slots of a bus a guest of kind has: the config
// keys that hold a guest's volumes, after qemu-server PVE/QemuServer/Drive.pm
// (MAX_IDE_DISKS and the rest; unusedN up to MAX_UNUSED_DISKS) and
// pve-container PVE/LXC/Config.pm (MAX_MOUNT_POINTS, MAX_UNUSED_DISKS).
func slotCount(kind, bus string) int {
	switch kind + "/" + bus {
	case "qemu/ide":
		return 4
	case "qemu/sata":
		return 6
	case "qemu/scsi":
		return 31
	case "qemu/virtio":
		return 16
	case "qemu/efidisk", "qemu/tpmstate":
		return 1
	case "qemu/unused", "lxc/mp", "lxc/unused":
		return 256
	}
	return 0
}

// DiskSlot tells whether key names a disk slot of a guest of kind "qemu"
// (ide0-3, sata0-5, scsi0-30, virtio0-15, efidisk0, tpmstate0, unused0-255)
// or "lxc" (rootfs, mp0-255, unused0-255).
func DiskSlot(kind, key string) bool {
	if kind == "lxc" && key == "rootfs" {
		return true
	}
	_, ok := slot(kind, key)
	return ok
}

// QemuDrive tells whether key names a VM drive (is_valid_drivename): a qemu
// disk slot other than unusedN.
func QemuDrive(key string) bool {
	bus, ok := slot("qemu", key)
	return ok && bus != "unused"
}

// slot splits key into a bus and an index below the bus's count, written as
// Proxmox writes it (no leading zeros).
func slot(kind, key string) (string, bool) {
	i := len(key)
	for i > 0 && isDigit(key[i-1]) {
		i--
	}
	bus, num := key[:i], key[i:]
	n := slotCount(kind, bus)
	if n == 0 || num == "" || (len(num) > 1 && num[0] == '0') {
		return "", false
	}
	idx, err := strconv.Atoi(num)
	return bus, err == nil && idx < n
}

// Patterns of the disk slots a resize names: a VM drive (QemuDrive) and a
// container's root or mount point (DiskSlot "lxc" other than unusedN).
const (
	QemuDrivePattern = `^(ide[0-3]|sata[0-5]|scsi([0-9]|[12][0-9]|30)|virtio([0-9]|1[0-5])|efidisk0|tpmstate0)$`
	CTVolumePattern  = `^(rootfs|mp([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5]))$`
	DiskSizePattern  = `^\+?[0-9]{1,12}(\.[0-9]{1,6})?[KMGT]$`
)
