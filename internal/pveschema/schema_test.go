package pveschema

import (
	"testing"
	"time"
)

func mustLoad(t testing.TB, v string) *Schema {
	t.Helper()
	s, err := Load(v)
	if err != nil {
		t.Fatalf("Load(%q): %v", v, err)
	}
	return s
}

func TestLoadAllVersions(t *testing.T) {
	for _, tc := range []struct {
		in, want  string
		endpoints int
	}{
		{"9.1", "9.1.3", 649}, {"9.1.3", "9.1.3", 649},
		{"8.4", "8.4.0", 605}, {"8.4.0", "8.4.0", 605},
		{"7.4", "7.4", 540},
	} {
		start := time.Now()
		s := mustLoad(t, tc.in)
		t.Logf("Load(%s) took %v", tc.in, time.Since(start))
		if s.Version() != tc.want {
			t.Errorf("Load(%q).Version() = %q, want %q", tc.in, s.Version(), tc.want)
		}
		if n := len(s.Endpoints()); n != tc.endpoints {
			t.Errorf("Load(%q): %d endpoints, want %d", tc.in, n, tc.endpoints)
		}
	}
	if _, err := Load("6.4"); err == nil {
		t.Error("Load(6.4) succeeded")
	}
}

func TestRegistryCaches(t *testing.T) {
	var r Registry
	a, err := r.Load("9.1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Load("9.1.3")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("Registry returned different schemas for 9.1 and 9.1.3")
	}
}

func TestLookup(t *testing.T) {
	s := mustLoad(t, "9.1")
	for _, tc := range []struct {
		method, path, template string
		params                 map[string]string
	}{
		{"POST", "/nodes/pve1/qemu/100/status/start", "/nodes/{node}/qemu/{vmid}/status/start", map[string]string{"node": "pve1", "vmid": "100"}},
		{"GET", "/api2/json/nodes/pve1/qemu", "/nodes/{node}/qemu", map[string]string{"node": "pve1"}},
		{"get", "/nodes/pve1/tasks/UPID:pve1:0000:0000:00000000:qmstart:100:root@pam:/status", "/nodes/{node}/tasks/{upid}/status", map[string]string{"node": "pve1", "upid": "UPID:pve1:0000:0000:00000000:qmstart:100:root@pam:"}},
		{"GET", "/nodes/pve1/storage/local/content/local%3Aiso%2Fx.iso", "/nodes/{node}/storage/{storage}/content/{volume}", map[string]string{"node": "pve1", "storage": "local", "volume": "local:iso/x.iso"}},
		{"GET", "/cluster/resources", "/cluster/resources", map[string]string{}},
		{"GET", "/version?x=1", "/version", map[string]string{}},
		{"POST", "/nodes/pve1/qemu/100/snapshot/pre-up/rollback", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", map[string]string{"node": "pve1", "vmid": "100", "snapname": "pre-up"}},
	} {
		e, params, ok := s.Lookup(tc.method, tc.path)
		if !ok {
			t.Errorf("Lookup(%s %s) not found", tc.method, tc.path)
			continue
		}
		if e.Path != tc.template {
			t.Errorf("Lookup(%s %s) = %s, want %s", tc.method, tc.path, e.Path, tc.template)
		}
		if len(params) != len(tc.params) {
			t.Errorf("Lookup(%s %s) params = %v, want %v", tc.method, tc.path, params, tc.params)
		}
		for k, v := range tc.params {
			if params[k] != v {
				t.Errorf("Lookup(%s %s) param %s = %q, want %q", tc.method, tc.path, k, params[k], v)
			}
		}
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/nodes/pve1/foo"},
		{"PATCH", "/nodes/pve1/qemu"},
		{"GET", "/nodes/pve1/qemu/100/status/start"}, // exists as POST only
	} {
		if e, _, ok := s.Lookup(tc.method, tc.path); ok {
			t.Errorf("Lookup(%s %s) = %s, want not found", tc.method, tc.path, e.Path)
		}
	}
	if got := s.PathMethods("/nodes/pve1/qemu/100/status/start"); len(got) != 1 || got[0] != "POST" {
		t.Errorf("PathMethods = %v, want [POST]", got)
	}
	if got := s.PathMethods("/nodes/pve1/nope"); got != nil {
		t.Errorf("PathMethods(unknown) = %v, want nil", got)
	}
}

func TestLiteralBeatsParam(t *testing.T) {
	s := mustLoad(t, "9.1")
	// /cluster/backup-info/not-backed-up is literal; /cluster/backup/{id} is a param.
	e, params, ok := s.Lookup("GET", "/cluster/backup/job1")
	if !ok || e.Path != "/cluster/backup/{id}" || params["id"] != "job1" {
		t.Fatalf("Lookup backup/{id} = %v %v %v", e, params, ok)
	}
	e, _, ok = s.Lookup("GET", "/nodes/pve1/qemu/100/status/current")
	if !ok || e.Path != "/nodes/{node}/qemu/{vmid}/status/current" {
		t.Fatalf("status/current = %v %v", e, ok)
	}
}

func TestParamResolvesIndexed(t *testing.T) {
	s := mustLoad(t, "9.1")
	e, ok := s.Endpoint("POST", "/nodes/{node}/qemu")
	if !ok {
		t.Fatal("no create_vm")
	}
	for name, want := range map[string]string{
		"net0": "net[n]", "net31": "net[n]", "scsi30": "scsi[n]", "virtio15": "virtio[n]",
		"virtiofs3": "virtiofs[n]", "ide3": "ide[n]", "sata5": "sata[n]", "unused255": "unused[n]",
		"vmid": "vmid",
	} {
		p, ok := e.Param(name)
		if !ok || p.Name != want {
			t.Errorf("Param(%s) = %v, %v; want %s", name, p, ok, want)
		}
	}
	for _, name := range []string{"net32", "scsi31", "virtio16", "ide4", "sata6", "net01", "net", "netx", "nope"} {
		if p, ok := e.Param(name); ok {
			t.Errorf("Param(%s) = %s, want not found", name, p.Name)
		}
	}
}
