package pvesim

import "testing"

func TestVzdumpDefaults(t *testing.T) {
	e := newEnv(t, Options{})
	d := e.ok("GET", "/nodes/pve1/vzdump/defaults", nil).(map[string]any)
	for k, want := range map[string]any{"storage": "local", "dumpdir": "/var/lib/vz/dump", "mode": "snapshot",
		"compress": "0", "ionice": float64(7), "lockwait": float64(180), "remove": float64(1), "prune-backups": "keep-all=1"} {
		if d[k] != want {
			t.Errorf("%s = %#v, want %#v", k, d[k], want)
		}
	}
	if r := e.do("GET", "/nodes/pve1/vzdump/defaults", vals("storage", "nope")); r.status != 500 || r.message != "storage 'nope' does not exist\n" {
		t.Errorf("unknown storage: %d %q", r.status, r.message)
	}
	if err := e.sim.AddToken("ro@pve!tk", "s", false); err != nil {
		t.Fatal(err)
	}
	if r := e.doAuth("GET", "/nodes/pve1/vzdump/defaults", nil, "PVEAPIToken=ro@pve!tk=s"); r.status != 403 ||
		r.message != "Permission check failed (/storage/local, Datastore.Audit|Datastore.AllocateSpace)\n" {
		t.Errorf("without storage rights: %d %q", r.status, r.message)
	}
}
