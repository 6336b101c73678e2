package pveid_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

func TestDiskSlot(t *testing.T) {
	for key, want := range map[string][2]bool{ // qemu, lxc
		"scsi0": {true, false}, "scsi30": {true, false}, "scsi31": {false, false}, "scsi01": {false, false},
		"ide3": {true, false}, "ide4": {false, false}, "sata5": {true, false}, "virtio15": {true, false},
		"efidisk0": {true, false}, "efidisk1": {false, false}, "tpmstate0": {true, false},
		"unused0": {true, true}, "unused255": {true, true}, "unused256": {false, false},
		"rootfs": {false, true}, "mp0": {false, true}, "mp255": {false, true}, "mp256": {false, false},
		"net0": {false, false}, "scsi": {false, false}, "": {false, false}, "cdrom": {false, false},
	} {
		if got := [2]bool{pveid.DiskSlot("qemu", key), pveid.DiskSlot("lxc", key)}; got != want {
			t.Errorf("DiskSlot(qemu, lxc; %q) = %v, want %v", key, got, want)
		}
	}
	if pveid.QemuDrive("unused0") || !pveid.QemuDrive("virtio0") {
		t.Error("QemuDrive: unusedN is no drive, virtio0 is")
	}
}

// The slot counts are those of every shipped API schema's config endpoints.
func TestDiskSlotsMatchSchemas(t *testing.T) {
	buses := map[string][]string{
		"qemu": {"ide", "sata", "scsi", "virtio", "efidisk", "tpmstate", "unused"},
		"lxc":  {"mp", "unused"},
	}
	for _, v := range pveschema.Versions() {
		s, err := pveschema.Load(v)
		if err != nil {
			t.Fatal(err)
		}
		for kind, bs := range buses {
			ep, ok := s.Endpoint("PUT", "/nodes/{node}/"+kind+"/{vmid}/config")
			if !ok {
				t.Fatalf("%s: no %s config endpoint", v, kind)
			}
			for _, bus := range bs {
				n := 0
				for ; n < 1000; n++ {
					if _, ok := ep.Param(fmt.Sprint(bus, n)); !ok {
						break
					}
				}
				if n == 0 {
					t.Errorf("%s %s: the schema has no %s0", v, kind, bus)
				}
				if !pveid.DiskSlot(kind, fmt.Sprint(bus, n-1)) || pveid.DiskSlot(kind, fmt.Sprint(bus, n)) {
					t.Errorf("%s %s: the schema has %s0 to %s%d; DiskSlot disagrees", v, kind, bus, bus, n-1)
				}
			}
			if _, ok := ep.Param("rootfs"); ok != pveid.DiskSlot(kind, "rootfs") {
				t.Errorf("%s %s: rootfs in the schema %v", v, kind, ok)
			}
		}
	}
}

// The slot patterns accept exactly the keys the slot rules accept.
func TestDiskSlotPatterns(t *testing.T) {
	qemu, ct := regexp.MustCompile(pveid.QemuDrivePattern), regexp.MustCompile(pveid.CTVolumePattern)
	for _, bus := range []string{"ide", "sata", "scsi", "virtio", "efidisk", "tpmstate", "unused", "mp", "rootfs", "net"} {
		for _, n := range []string{"", "0", "00", "01", "5", "6", "15", "16", "30", "31", "99", "100", "255", "256"} {
			key := bus + n
			if got, want := qemu.MatchString(key), pveid.QemuDrive(key); got != want {
				t.Errorf("QemuDrivePattern(%q) = %v, QemuDrive says %v", key, got, want)
			}
			if got, want := ct.MatchString(key), pveid.DiskSlot("lxc", key) && bus != "unused"; got != want {
				t.Errorf("CTVolumePattern(%q) = %v, DiskSlot says %v", key, got, want)
			}
		}
	}
}
