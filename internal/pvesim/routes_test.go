package pvesim

import (
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Every handler is bound to an endpoint of each served release's schema.
func TestRoutesMatchSchema(t *testing.T) {
	for _, v := range []string{"7.4", "8.4", "9.1"} {
		s, err := New(Options{Schema: v})
		if err != nil {
			t.Fatalf("New(%s): %v", v, err)
		}
		s.Close()
	}
}

func TestRouterRejectsUnknownTemplate(t *testing.T) {
	sc, err := pveschema.Load("7.4")
	if err != nil {
		t.Fatal(err)
	}
	ok := func(*call) (any, error) { return nil, nil }
	for _, tc := range []struct {
		name  string
		table []route
		want  string
	}{
		{"not in schema", []route{{method: "GET", tmpl: "/nodes/{node}/nope", h: ok}}, "schema lacks"},
		{"wrong method", []route{{method: "POST", tmpl: "/version", h: ok}}, "schema lacks"},
		{"newer only", []route{{method: "GET", tmpl: "/nodes/{node}/lxc/{vmid}/interfaces", h: ok}}, "schema lacks"},
		{"since contradicted", []route{{method: "GET", tmpl: "/version", since: "8.4", h: ok}}, "marked since"},
		{"duplicate", []route{{method: "GET", tmpl: "/version", h: ok}, {method: "GET", tmpl: "/version", h: ok}}, "two handlers"},
	} {
		_, err := newRouter(sc, "7.4", tc.table)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: newRouter = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	if _, err := newRouter(sc, "7.4", []route{{method: "GET", tmpl: "/nodes/{node}/lxc/{vmid}/interfaces", since: "8.4", h: ok}}); err != nil {
		t.Errorf("a route marked since 8.4 on 7.4: %v", err)
	}
}

func TestRouteDispatch(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct{ method, path, tmpl string }{
		{"GET", "/cluster/backup/backup-1a2b3c4d-5e6f", "/cluster/backup/{id}"},
		{"GET", "/nodes/pve1/qemu/100/status/current", "/nodes/{node}/qemu/{vmid}/status/current"},
		{"DELETE", "/nodes/pve1/storage/local/content/local:vztmpl/a.tar.xz", "/nodes/{node}/storage/{storage}/content/{volume}"},
		{"GET", "/nodes/pve1/storage/local/content/local%3Aiso%2Fx.iso", "/nodes/{node}/storage/{storage}/content/{volume}"},
		{"POST", "/nodes/pve1/qemu/100/vncproxy", ""}, // in the schema, not implemented
		{"GET", "/nodes//qemu", ""},
		{"GET", "/nodes/pve1/nope", ""},
	} {
		ep, _, _ := s.router.route(tc.method, tc.path)
		got := ""
		if ep != nil {
			got = ep.Path
		}
		if got != tc.tmpl {
			t.Errorf("route(%s %s) = %q, want %q", tc.method, tc.path, got, tc.tmpl)
		}
	}
}

// Over HTTP: what the schema has and the simulator does not implement is a
// 501 like an unknown path; "localhost" is the node that answers; an
// endpoint of a newer release is a 501 on an older one.
func TestDispatchOverHTTP(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("POST", "/nodes/pve1/qemu/100/vncproxy", nil)
	if r.status != 501 || r.reason != "Method 'POST /nodes/pve1/qemu/100/vncproxy' not implemented" {
		t.Fatalf("vncproxy: %d %q", r.status, r.reason)
	}
	if r := e.do("GET", "/nodes/localhost/qemu/100/status/current", nil); r.status != 200 {
		t.Fatalf("localhost: %d %q", r.status, r.reason)
	}
	if r := e.do("GET", "/nodes//qemu", nil); r.status != 501 {
		t.Fatalf("empty node segment: %d %q", r.status, r.reason)
	}
	old := newEnv(t, Options{Schema: "7.4"})
	if r := old.do("GET", "/nodes/pve1/lxc/200/interfaces", nil); r.status != 501 {
		t.Fatalf("lxc interfaces on 7.4: %d %q", r.status, r.reason)
	}
	if r := e.do("GET", "/nodes/pve1/lxc/200/interfaces", nil); r.status != 200 {
		t.Fatalf("lxc interfaces on 9.1: %d %q", r.status, r.reason)
	}
}
