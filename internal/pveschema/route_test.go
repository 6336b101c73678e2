package pveschema

import (
	"maps"
	"testing"
)

func TestRoute(t *testing.T) {
	s := mustLoad(t, "9.1")
	for _, tc := range []struct {
		method   string
		segs     []string
		template string
		params   map[string]string
	}{
		{"POST", []string{"nodes", "pve1", "qemu", "100", "status", "start"}, "/nodes/{node}/qemu/{vmid}/status/start", map[string]string{"node": "pve1", "vmid": "100"}},
		{"get", []string{"cluster", "backup", "job1"}, "/cluster/backup/{id}", map[string]string{"id": "job1"}},
		{"GET", []string{"cluster", "resources"}, "/cluster/resources", map[string]string{}},
		// content/{volume} takes the rest of the path, slashes and empty segments included
		{"DELETE", []string{"nodes", "pve1", "storage", "local", "content", "local:vztmpl", "a.tar.xz"}, "/nodes/{node}/storage/{storage}/content/{volume}", map[string]string{"node": "pve1", "storage": "local", "volume": "local:vztmpl/a.tar.xz"}},
		{"GET", []string{"nodes", "pve1", "storage", "local", "content", "local:iso/x.iso"}, "/nodes/{node}/storage/{storage}/content/{volume}", map[string]string{"node": "pve1", "storage": "local", "volume": "local:iso/x.iso"}},
		{"GET", []string{"nodes", "pve1", "storage", "local", "content", "a", "", "b"}, "/nodes/{node}/storage/{storage}/content/{volume}", map[string]string{"node": "pve1", "storage": "local", "volume": "a//b"}},
	} {
		e, params, ok := s.Route(tc.method, tc.segs)
		if !ok {
			t.Errorf("Route(%s %q) not found", tc.method, tc.segs)
			continue
		}
		if e.Path != tc.template || !maps.Equal(params, tc.params) {
			t.Errorf("Route(%s %q) = %s %v, want %s %v", tc.method, tc.segs, e.Path, params, tc.template, tc.params)
		}
	}
	for _, tc := range []struct {
		method string
		segs   []string
	}{
		{"GET", []string{"nodes", "pve1", "foo"}},
		{"GET", []string{"nodes", "pve1", "qemu", "100", "status", "start"}}, // POST only
		{"GET", []string{"nodes", "", "qemu"}},                               // an empty segment is no {node}
		{"GET", []string{"nodes", "pve1", "storage", "", "content", "x"}},
		{"GET", []string{"nodes", "pve1", "storage", "local", "content", "", "x"}},
		{"GET", []string{"nodes", "pve1", "qemu", "100", "config", "x"}}, // only content/{volume} is greedy
	} {
		if e, _, ok := s.Route(tc.method, tc.segs); ok {
			t.Errorf("Route(%s %q) = %s, want not found", tc.method, tc.segs, e.Path)
		}
	}
}
