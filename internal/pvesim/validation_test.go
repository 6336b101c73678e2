package pvesim

import (
	"net/url"
	"sort"
	"strings"
	"testing"
)

type reqCase struct {
	method, path string
	params       url.Values
	status       int
	keys         []string // errors keys for 400
}

// invalidCases are requests a PVE 9.1 node refuses with 400 Parameter
// verification failed. and exactly these errors keys.
var invalidCases = []reqCase{
	{"GET", "/nodes/pve1/qemu/abc/status/current", nil, 400, []string{"vmid"}},
	{"GET", "/nodes/pve1/qemu/99/status/current", nil, 400, []string{"vmid"}},
	{"GET", "/nodes/pve1/qemu/1000000000/config", nil, 400, []string{"vmid"}},
	{"GET", "/nodes/pve1/qemu", vals("full", "yes"), 400, []string{"full"}},
	{"GET", "/nodes/pve1/qemu", vals("bogus", "1"), 400, []string{"bogus"}},
	{"GET", "/nodes/pve1/tasks", vals("running", "1"), 400, []string{"running"}},
	{"GET", "/nodes/pve1/tasks", vals("source", "current"), 400, []string{"source"}},
	{"GET", "/nodes/pve1/tasks", vals("limit", "-1"), 400, []string{"limit"}},
	{"GET", "/nodes/pve1/tasks", vals("start", "x"), 400, []string{"start"}},
	{"GET", "/cluster/resources", vals("type", "qemu"), 400, []string{"type"}},
	{"GET", "/cluster/nextid", vals("vmid", "50"), 400, []string{"vmid"}},
	{"POST", "/nodes/pve1/qemu", vals("name", "x"), 400, []string{"vmid"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "cores", "0"), 400, []string{"cores"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "cores", "two"), 400, []string{"cores"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "ostype", "linux"), 400, []string{"ostype"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "name", "bad name!"), 400, []string{"name"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "net0", "virtio,bridge=vmbr0,tag=5000"), 400, []string{"net0"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "net0", "foo,bridge=vmbr0"), 400, []string{"net0"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "scsi0", "local-lvm:8,cache=fast"), 400, []string{"scsi0"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "start", "true"), 400, []string{"start"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "scsihw", "virtio"), 400, []string{"scsihw"}},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "700", "force", "1"), 400, []string{"archive"}},
	{"POST", "/nodes/pve1/qemu/100/clone", vals("name", "x"), 400, []string{"newid"}},
	{"POST", "/nodes/pve1/qemu/100/clone", vals("newid", "1"), 400, []string{"newid"}},
	{"POST", "/nodes/pve1/qemu/100/clone", vals("newid", "600", "target", "bad_node!"), 400, []string{"target"}},
	{"POST", "/nodes/pve1/qemu/100/migrate", nil, 400, []string{"target"}},
	{"POST", "/nodes/pve1/qemu/100/snapshot", vals("snapname", "1bad"), 400, []string{"snapname"}},
	{"POST", "/nodes/pve1/qemu/100/snapshot", vals("snapname", strings.Repeat("a", 41)), 400, []string{"snapname"}},
	{"POST", "/nodes/pve1/qemu/100/snapshot", nil, 400, []string{"snapname"}},
	{"PUT", "/nodes/pve1/qemu/100/config", vals("memory", "lots"), 400, []string{"memory"}},
	{"PUT", "/nodes/pve1/qemu/100/config", vals("digest", strings.Repeat("a", 41)), 400, []string{"digest"}},
	{"PUT", "/nodes/pve1/qemu/100/config", vals("tags", "bad!tag"), 400, []string{"tags"}},
	{"POST", "/nodes/pve1/lxc", vals("vmid", "700"), 400, []string{"ostemplate"}},
	{"POST", "/nodes/pve1/lxc", vals("vmid", "700", "ostemplate", "local:vztmpl/x.tar.zst", "net0", "bridge=vmbr0"), 400, []string{"net0"}},
	{"POST", "/nodes/pve1/lxc", vals("vmid", "700", "ostemplate", "local:vztmpl/x.tar.zst", "swap", "-1"), 400, []string{"swap"}},
	{"POST", "/nodes/pve1/vzdump", vals("vmid", "100", "mode", "fast"), 400, []string{"mode"}},
	{"POST", "/nodes/pve1/vzdump", vals("vmid", "100", "compress", "bzip2"), 400, []string{"compress"}},
	{"POST", "/nodes/pve1/storage/local/download-url", vals("url", "ftp://example.com/x.iso", "filename", "x.iso", "content", "iso"), 400, []string{"url"}},
	{"POST", "/nodes/pve1/storage/local/download-url", vals("url", "https://example.com/x.iso", "content", "iso"), 400, []string{"filename"}},
	{"POST", "/nodes/pve1/storage/local/download-url", vals("url", "https://example.com/x.iso", "filename", "x.iso", "content", "images"), 400, []string{"content"}},
	{"POST", "/nodes/pve1/network", vals("iface", "vmbr1"), 400, []string{"type"}},
	{"POST", "/nodes/pve1/network", vals("iface", "vmbr1", "type", "bridge", "cidr", "10.0.0.1"), 400, []string{"cidr"}},
	{"POST", "/cluster/backup", vals("schedule", "sun 01:00", "storage", "local", "mode", "hot"), 400, []string{"mode"}},
	{"GET", "/nodes/pve1/storage/local/content", vals("vmid", "0"), 400, []string{"vmid"}},
}

// validCases are accepted (status 200) by a PVE 9.1 node with the seeded state.
var validCases = []reqCase{
	{"GET", "/version", nil, 200, nil},
	{"GET", "/nodes", nil, 200, nil},
	{"GET", "/nodes/pve1/status", nil, 200, nil},
	{"GET", "/nodes/localhost/qemu", nil, 200, nil},
	{"GET", "/cluster/resources", nil, 200, nil},
	{"GET", "/cluster/resources", vals("type", "vm"), 200, nil},
	{"GET", "/cluster/resources", vals("type", "storage"), 200, nil},
	{"GET", "/cluster/status", nil, 200, nil},
	{"GET", "/cluster/nextid", nil, 200, nil},
	{"GET", "/cluster/nextid", vals("vmid", "777"), 200, nil},
	{"GET", "/nodes/pve1/tasks", vals("limit", "10", "source", "all"), 200, nil},
	{"GET", "/nodes/pve1/tasks", vals("source", "active"), 200, nil},
	{"GET", "/nodes/pve1/qemu", vals("full", "1"), 200, nil},
	{"GET", "/nodes/pve1/qemu/100/status/current", nil, 200, nil},
	{"GET", "/nodes/pve1/qemu/100/config", nil, 200, nil},
	{"GET", "/nodes/pve1/qemu/100/config", vals("current", "1"), 200, nil},
	{"GET", "/nodes/pve1/qemu/100/snapshot", nil, 200, nil},
	{"GET", "/nodes/pve1/lxc", nil, 200, nil},
	{"GET", "/nodes/pve1/lxc/200/status/current", nil, 200, nil},
	{"GET", "/nodes/pve1/lxc/200/config", nil, 200, nil},
	{"GET", "/nodes/pve1/lxc/200/snapshot", nil, 200, nil},
	{"GET", "/nodes/pve1/storage", nil, 200, nil},
	{"GET", "/nodes/pve1/storage", vals("content", "iso"), 200, nil},
	{"GET", "/nodes/pve1/storage/local/content", vals("content", "iso"), 200, nil},
	{"GET", "/nodes/pve1/storage/local/content", vals("content", "backup"), 200, nil},
	{"GET", "/nodes/pve1/network", nil, 200, nil},
	{"GET", "/nodes/pve1/network", vals("type", "any_bridge"), 200, nil},
	{"GET", "/cluster/backup", nil, 200, nil},
	{"GET", "/access/permissions", nil, 200, nil},
	{"PUT", "/nodes/pve1/qemu/101/config", vals("cores", "2", "memory", "4096", "description", "db server"), 200, nil},
	{"PUT", "/nodes/pve1/qemu/101/config", vals("tags", "db;prod", "onboot", "1"), 200, nil},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "710", "name", "v710", "cores", "1", "sockets", "1", "memory", "512", "ostype", "l26", "scsihw", "virtio-scsi-single", "scsi0", "local-lvm:4", "net0", "virtio,bridge=vmbr0,tag=10", "start", "0"), 200, nil},
	{"POST", "/nodes/pve1/qemu", vals("vmid", "711", "ide2", "local:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom", "virtio0", "local-lvm:2"), 200, nil},
	{"POST", "/nodes/pve1/lxc", vals("vmid", "712", "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "hostname", "ct712", "rootfs", "local-lvm:4", "net0", "name=eth0,bridge=vmbr0,ip=dhcp", "unprivileged", "1", "memory", "512", "swap", "512", "cores", "1"), 200, nil},
	{"POST", "/nodes/pve1/qemu/9000/clone", vals("newid", "713", "name", "from-tmpl"), 200, nil},
	{"POST", "/nodes/pve1/qemu/100/snapshot", vals("snapname", "s_1-ok", "description", "test"), 200, nil},
	{"POST", "/nodes/pve1/vzdump", vals("vmid", "101", "storage", "local", "mode", "snapshot", "compress", "zstd"), 200, nil},
	{"POST", "/nodes/pve1/storage/local/download-url", vals("url", "https://example.com/alpine.iso", "filename", "alpine.iso", "content", "iso", "checksum", "abc", "checksum-algorithm", "sha256"), 200, nil},
	{"POST", "/nodes/pve1/network", vals("iface", "vmbr1", "type", "bridge", "autostart", "1", "bridge_vlan_aware", "1", "comments", "test"), 200, nil},
	{"POST", "/cluster/backup", vals("schedule", "sun 01:00", "storage", "local", "mode", "snapshot", "compress", "zstd", "enabled", "1", "vmid", "100,101"), 200, nil},
	{"POST", "/nodes/pve2/qemu/102/migrate", vals("target", "pve3", "online", "1", "with-local-disks", "1"), 200, nil},
}

func TestInvalidRequestsRejected(t *testing.T) {
	e := newEnv(t, Options{})
	if len(invalidCases) < 30 {
		t.Fatalf("only %d invalid cases", len(invalidCases))
	}
	for _, tc := range invalidCases {
		r := e.do(tc.method, tc.path, tc.params)
		var keys []string
		for k := range r.errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if r.status != tc.status || strings.Join(keys, ",") != strings.Join(tc.keys, ",") || r.reason != "Parameter verification failed." {
			t.Errorf("%s %s %v: got %d %q errors %v, want %d keys %v", tc.method, tc.path, tc.params, r.status, r.reason, r.errors, tc.status, tc.keys)
		}
	}
}

func TestValidRequestsAccepted(t *testing.T) {
	e := newEnv(t, Options{})
	if len(validCases) < 30 {
		t.Fatalf("only %d valid cases", len(validCases))
	}
	for _, tc := range validCases {
		r := e.do(tc.method, tc.path, tc.params)
		if r.status != 200 {
			t.Errorf("%s %s %v: got %d %q %s", tc.method, tc.path, tc.params, r.status, r.reason, r.raw)
		}
	}
}
