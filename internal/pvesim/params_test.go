package pvesim

import (
	"testing"
	"time"
)

// Handlers take the defaults the endpoint's schema declares: a container is
// privileged unless asked otherwise, and task lists stop at 50 entries.
func TestSchemaDefaults(t *testing.T) {
	e := newEnv(t, Options{Speed: 0.01})
	create := func(vmid string, kv ...string) map[string]any {
		t.Helper()
		upid := e.ok("POST", "/nodes/pve1/lxc", vals(append([]string{"vmid", vmid, "ostemplate", tmplVol, "rootfs", "local-lvm:4"}, kv...)...)).(string)
		if exit := e.waitTask(upid); exit != "OK" {
			t.Fatalf("create %s: %s", vmid, exit)
		}
		return e.ok("GET", "/nodes/pve1/lxc/"+vmid+"/config", nil).(map[string]any)
	}
	if conf := create("990"); conf["unprivileged"] != nil {
		t.Errorf("a container created without unprivileged has unprivileged=%v; the API's default is privileged", conf["unprivileged"])
	}
	if conf := create("991", "unprivileged", "1"); conf["unprivileged"] != float64(1) {
		t.Errorf("unprivileged=1 gives unprivileged=%v", conf["unprivileged"])
	}
	for i := 0; i < 60; i++ {
		e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil)
		e.advance(3 * time.Minute)
		e.ok("POST", "/nodes/pve1/qemu/101/status/stop", nil)
		e.advance(3 * time.Minute)
	}
	if n := len(e.ok("GET", "/nodes/pve1/tasks", nil).([]any)); n != 50 {
		t.Errorf("GET /nodes/pve1/tasks lists %d tasks, want the default limit of 50", n)
	}
	if n := len(e.ok("GET", "/nodes/pve1/tasks", vals("limit", "70")).([]any)); n != 70 {
		t.Errorf("limit=70 lists %d tasks", n)
	}
}
