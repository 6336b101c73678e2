package e2e

import "testing"

// The sim command over HTTPS answers the API root and the node index with
// what it routes.
func TestSimAPIIndexes(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	root, _ := a.ok("GET", "/", nil).([]any)
	if len(root) < 4 {
		t.Fatalf("root index %v", root)
	}
	for _, item := range root {
		name, _ := item.(map[string]any)["subdir"].(string)
		if ans := a.do("GET", "/"+name, nil); ans.Status != 200 {
			t.Errorf("GET /%s = %d %s", name, ans.Status, ans.Raw)
		}
	}
	upid, _ := a.ok("POST", "/nodes/pve1/qemu/100/snapshot", form("snapname", "e2e")).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Errorf("snapshot task ended %q", exit)
	}
	if ans := a.do("GET", "/nodes/pve1/qemu/100/nope", nil); ans.Status != 501 {
		t.Errorf("an unknown path = %d, want 501", ans.Status)
	}
}
