package tools

import (
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

func TestDiffTwin(t *testing.T) {
	before := pvesim.TwinState{
		Guests: []pvesim.TwinGuest{{VMID: 100, Type: "qemu", Node: "pve1", Config: map[string]string{"memory": "2048", "cores": "2"}, Running: true},
			{VMID: 101, Type: "qemu", Node: "pve1", Config: map[string]string{}}},
		Volumes:  []pvesim.TwinVolume{{Node: "pve1", VolID: "local-lvm:vm-101-disk-0", Size: 1 << 30}},
		Storages: []pvesim.TwinStorage{{ID: "local-lvm", Type: "lvm", Nodes: []pvesim.TwinStorageNode{{Node: "pve1", Total: 10 << 30, Used: 9 << 30}}}},
	}
	after := pvesim.TwinState{
		Guests:   []pvesim.TwinGuest{{VMID: 100, Type: "qemu", Node: "pve2", Config: map[string]string{"memory": "4096"}, Running: false}},
		Volumes:  []pvesim.TwinVolume{{Node: "pve1", VolID: "local-lvm:vm-100-disk-1", Size: 2 << 30}},
		Storages: []pvesim.TwinStorage{{ID: "local-lvm", Type: "lvm", Nodes: []pvesim.TwinStorageNode{{Node: "pve1", Total: 10 << 30, Used: 11 << 30}}}},
	}
	ch := diffTwin(before, after)
	got := strings.Join(ch.summary(), "\n")
	for _, want := range []string{"qemu 100 on pve1; moves to pve2; becomes stopped; cores: 2 → (none); memory: 2048 → 4096",
		"qemu 101 destroyed on pve1", "volume local-lvm:vm-100-disk-1 on pve1 created (2.0 GiB)",
		"volume local-lvm:vm-101-disk-0 on pve1 destroyed (1.0 GiB)", "(more than it holds)"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	yes := true
	out := &planOut{WouldSucceed: &yes, Changes: ch}
	checkSpace(out, after.Storages)
	if *out.WouldSucceed || !strings.Contains(out.Failure, "thick LVM") {
		t.Errorf("an overfull thick LVM: %+v", out)
	}
	after.Storages[0].Type = "lvmthin"
	yes = true
	out = &planOut{WouldSucceed: &yes, Changes: ch}
	checkSpace(out, after.Storages)
	if !*out.WouldSucceed || len(out.Notes) != 1 {
		t.Errorf("an overcommitted thin pool: %+v", out)
	}
}
