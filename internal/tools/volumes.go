package tools

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	diskKeyRe   = regexp.MustCompile(`^(rootfs|(scsi|virtio|sata|ide|efidisk|tpmstate|unused|mp)\d+)$`)
	newDiskRe   = regexp.MustCompile(`^[^:/\s]+:\d+(\.\d+)?$`) // storage:size allocates a new disk
	ownerRe     = regexp.MustCompile(`(?:^|[:/])(?:vm|base|subvol)-(\d+)-`)
	ownerDirRe  = regexp.MustCompile(`^[^:]+:(\d+)/`)
	archiveRe   = regexp.MustCompile(`vzdump-(?:qemu|lxc|openvz)-(\d+)-`)
	pbsRe       = regexp.MustCompile(`^[^:]+:backup/(?:vm|ct)/(\d+)/`)
	unownedKind = regexp.MustCompile(`^[^:]+:(iso|vztmpl|snippets|import)/`)
)

// restoreKeys turn a create into a restore; pve_restore is the tool for that,
// with its confirmation.
var restoreKeys = []string{"archive", "force", "restore", "live-restore", "unique"}

// checkVolumes refuses disk keys in extra that point at volumes of guests
// outside PVE_VMID_ALLOWLIST: attaching another guest's disk exposes its data.
func (c *call) checkVolumes(target VMID, form map[string]string) error {
	if !c.Guard.HasVMIDList() {
		return nil
	}
	for key, value := range form {
		if !diskKeyRe.MatchString(key) {
			continue
		}
		for _, vol := range volumesIn(value) {
			if vol == "none" || vol == "cdrom" || newDiskRe.MatchString(vol) || unownedKind.MatchString(vol) {
				continue
			}
			owner, ok := volumeOwner(vol)
			if !ok {
				return fmt.Errorf("%w: extra.%s names %q, whose owner cannot be told; with PVE_VMID_ALLOWLIST set only new disks (storage:size) and volumes of allowed guests are accepted", errRefused, key, vol)
			}
			if owner != int(target) {
				if err := c.Guard.VMID("extra."+key+"'s owner", VMID(owner)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// volumesIn returns the volumes a disk property string names: its first
// (default) item and the file, volume and import-from keys.
func volumesIn(prop string) []string {
	var out []string
	for i, part := range strings.Split(prop, ",") {
		k, v, hasKey := strings.Cut(part, "=")
		switch {
		case i == 0 && !hasKey:
			out = append(out, strings.TrimSpace(part))
		case hasKey && (k == "file" || k == "volume" || k == "import-from"):
			out = append(out, strings.TrimSpace(v))
		}
	}
	return out
}

func volumeOwner(vol string) (int, bool) {
	for _, re := range []*regexp.Regexp{ownerDirRe, ownerRe} {
		if m := re.FindStringSubmatch(vol); m != nil {
			n, err := strconv.Atoi(m[1])
			return n, err == nil
		}
	}
	return 0, false
}

// archiveOwner tells which guest a backup archive belongs to.
func archiveOwner(archive string) (int, bool) {
	for _, re := range []*regexp.Regexp{archiveRe, pbsRe} {
		if m := re.FindStringSubmatch(archive); m != nil {
			n, err := strconv.Atoi(m[1])
			return n, err == nil
		}
	}
	return 0, false
}
