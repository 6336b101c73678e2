package guard

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestProtectedGuests: guest 100 has Proxmox's protection flag, container
// 200 the protecting tag (in another case); they may be read, started,
// snapshotted, cloned and backed up, and nothing else, by any request.
func TestProtectedGuests(t *testing.T) {
	configs := map[string]string{"100": `{"protection":1,"name":"db"}`, "200": `{"tags":"web;MCP-Protected"}`, "101": `{"tags":"web"}`}
	o := Options{ProtectedTags: []string{"mcp-protected"}}
	for _, tc := range []struct {
		name         string
		method, path string
		form         url.Values
		refused      bool
		has          []string
	}{
		{"config of the flagged VM", "PUT", vmConfig, form("memory", "4096"), true, []string{"guest 100 is protected", "protection flag", "qm set 100 --protection 0"}},
		{"lifting the flag itself", "PUT", vmConfig, form("protection", "0"), true, []string{"guest 100 is protected"}},
		{"config of the tagged container", "PUT", ctConfig, form("memory", "512"), true, []string{"guest 200 carries the tag MCP-Protected", "PVE_PROTECTED_TAGS", "pct set 200"}},
		{"stop", "POST", "/nodes/pve1/qemu/100/status/stop", nil, true, nil},
		{"shutdown of the container", "POST", "/nodes/pve1/lxc/200/status/shutdown", nil, true, nil},
		{"rollback", "POST", "/nodes/pve1/qemu/100/snapshot/before/rollback", nil, true, nil},
		{"snapshot delete", "DELETE", "/nodes/pve1/qemu/100/snapshot/before", nil, true, nil},
		{"delete", "DELETE", "/nodes/pve1/qemu/100", nil, true, nil},
		{"migrate", "POST", "/nodes/pve1/qemu/100/migrate", form("target", "pve2"), true, nil},
		{"resize", "PUT", "/nodes/pve1/qemu/100/resize", form("disk", "scsi0", "size", "+1G"), true, nil},
		{"guest firewall", "PUT", "/nodes/pve1/qemu/100/firewall/options", form("enable", "1"), true, nil},
		{"agent exec is not a read", "POST", "/nodes/pve1/qemu/100/agent", form("command", "shutdown"), true, nil},
		{"restore over it", "POST", vmCreate, form("vmid", "100", "archive", "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst", "force", "1"), true, nil},
		{"HA resource", "POST", "/cluster/ha/resources", form("sid", "vm:100"), true, nil},
		{"HA rule", "POST", "/cluster/ha/rules", form("rule", "r1", "type", "node-affinity", "resources", "vm:101,ct:200", "nodes", "pve2"), true, []string{"guest 200"}},
		{"stop all on the node", "POST", "/nodes/pve1/stopall", nil, true, []string{"guest 100", "guest 200"}},
		{"stop-mode backup", "POST", "/nodes/pve1/vzdump", form("vmid", "100", "mode", "stop", "storage", "local"), true, nil},
		{"stop-mode backup of all", "POST", "/nodes/pve1/vzdump", form("all", "1", "mode", "stop", "storage", "local"), true, []string{"guest 100"}},
		{"its disk freed", "DELETE", "/nodes/pve1/storage/local-lvm/content/local-lvm:vm-100-disk-0", nil, true, []string{"guest 100"}},
		{"an unprotected guest's disk", "DELETE", "/nodes/pve1/storage/local-lvm/content/local-lvm:vm-101-disk-0", nil, false, nil},
		{"its backup deleted", "DELETE", "/nodes/pve1/storage/local/content/local:backup%2Fvzdump-qemu-100-2026_01_01-00_00_00.vma.zst", nil, false, nil},
		{"stop all on localhost", "POST", "/nodes/localhost/stopall", nil, true, []string{"guest 100"}},
		{"stop through another node's path", "POST", "/nodes/pve2/qemu/100/status/stop", nil, true, []string{"guest 100 is protected"}},
		{"a disk moved into it", "POST", "/nodes/pve1/qemu/101/move_disk", form("disk", "scsi1", "target-vmid", "100", "target-disk", "scsi5"), true, []string{"guest 100"}},
		{"node reboot", "POST", "/nodes/pve1/status", form("command", "reboot"), true, []string{"guest 100"}},
		{"a stop-mode job", "POST", "/cluster/backup", form("schedule", "daily", "vmid", "200", "mode", "stop", "storage", "local"), true, []string{"guest 200"}},
		{"an HA rule holding it", "PUT", "/cluster/ha/rules/r1", form("type", "node-affinity", "nodes", "pve3"), true, []string{"guest 100"}},
		{"start", "POST", "/nodes/pve1/qemu/100/status/start", nil, false, nil},
		{"snapshot", "POST", "/nodes/pve1/qemu/100/snapshot", form("snapname", "s1"), false, nil},
		{"clone", "POST", "/nodes/pve1/qemu/100/clone", form("newid", "150"), false, nil},
		{"agent ping", "POST", "/nodes/pve1/qemu/100/agent/ping", nil, false, nil},
		{"snapshot-mode backup", "POST", "/nodes/pve1/vzdump", form("vmid", "100", "mode", "snapshot", "storage", "local"), false, nil},
		{"an unprotected guest", "PUT", "/nodes/pve1/qemu/101/config", form("memory", "4096"), false, nil},
		{"stop all but the protected", "POST", "/nodes/pve1/stopall", form("vms", "101"), false, nil},
		{"a new guest", "POST", vmCreate, form("vmid", "150", "memory", "1024"), false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, o)
			e.fake.configs = configs
			out := e.send(tc.method, tc.path, tc.form)
			refused := out.err != nil && errors.Is(out.err, ErrRefused)
			if refused != tc.refused {
				t.Fatalf("refused %v, want %v (err %v)", refused, tc.refused, out.err)
			}
			if refused && out.wrote(tc.method, tc.path) {
				t.Fatalf("refused, yet sent: %v", out.sent)
			}
			for _, h := range tc.has {
				if !strings.Contains(out.err.Error(), h) {
					t.Errorf("%q lacks %q", out.err, h)
				}
			}
		})
	}
}

// TestProtectionUnseenAndDefaults: an id no list shows but Proxmox calls
// taken is left alone; a backup without a mode takes the node's default.
func TestProtectionUnseenAndDefaults(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.fake.hidden = map[string]bool{"400": true}
	e.fake.configs = map[string]string{"100": `{"protection":1}`}
	if out := e.send("DELETE", "/nodes/pve1/qemu/400", nil); out.err == nil || !strings.Contains(out.err.Error(), "not among the guests") {
		t.Errorf("an unseen guest: %v", out.err)
	}
	if out := e.send("DELETE", "/nodes/pve1/qemu/401", nil); out.err != nil {
		t.Errorf("a guest that does not exist: %v", out.err)
	}
	if out := e.send("POST", "/nodes/pve1/vzdump", form("vmid", "100", "storage", "local")); out.err != nil {
		t.Errorf("a snapshot-mode default: %v", out.err)
	}
	e.fake.vzdumpMode = "stop"
	if out := e.send("POST", "/nodes/pve1/vzdump", form("vmid", "100", "storage", "local")); out.err == nil || !strings.Contains(out.err.Error(), "guest 100") {
		t.Errorf("a stop-mode default: %v", out.err)
	}
}

// TestProtectionTagsOff: without PVE_PROTECTED_TAGS' tags only the flag
// counts; a config that cannot be read leaves the guest alone.
func TestProtectionTagsOff(t *testing.T) {
	e := newTestEnv(t, Options{})
	e.fake.configs = map[string]string{"200": `{"tags":"mcp-protected"}`, "101": `null`}
	if out := e.send("PUT", ctConfig, form("memory", "512")); out.err != nil {
		t.Errorf("a tag no one protects: %v", out.err)
	}
	out := e.send("PUT", "/nodes/pve1/qemu/101/config", form("memory", "512"))
	if out.err == nil || !strings.Contains(out.err.Error(), "cannot tell whether guest 101 is protected") {
		t.Errorf("an unreadable config: %v", out.err)
	}
}
