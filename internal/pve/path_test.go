package pve

import "testing"

func TestDotAndUnescapedPathsRejected(t *testing.T) {
	for _, p := range []string{"/nodes/./qemu", "/nodes/%2E/qemu", "/nodes/pve1/.", Path("nodes", ".", "qemu"),
		"/nodes/pve 1", "/storage/€", "/nodes/pve1%0D", "/cluster/acl/", Path("nodes", "pve1", "qemu", "")} {
		if err := checkPath(p); err == nil {
			t.Errorf("%q accepted", p)
		}
	}
	for _, p := range []string{"/version", "/nodes/pve1/qemu/100/status/current", Path("nodes", "pve1", "storage", "local", "content", "local:iso/a b.iso"),
		"/access/permissions", "/nodes/pve1/tasks/UPID:pve1:0:0:0:qmstart:100:root@pam!mcp:/status", "/cluster/acl", "/a/.b/c."} {
		if err := checkPath(p); err != nil {
			t.Errorf("%q refused: %v", p, err)
		}
	}
}
