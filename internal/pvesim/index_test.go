package pvesim

import (
	"testing"
)

// Every directory index lists only what is routed: a client that follows
// each entry with GET, from the API root down, never meets a 501 where GET
// is routed, and every entry leads somewhere routed.
func TestIndexesListOnlyRouted(t *testing.T) {
	for _, release := range []string{"7.4", "8.4", "9.1"} {
		e := newEnv(t, Options{Schema: release})
		seen := map[string]bool{}
		var walk func(path string)
		walk = func(path string) {
			if seen[path] {
				return
			}
			seen[path] = true
			r := e.do("GET", path, nil)
			if r.status == 501 {
				t.Errorf("%s: GET %s = 501 %s", release, path, r.message)
				return
			}
			list, ok := r.data.([]any)
			if !ok || r.status != 200 {
				return
			}
			for _, item := range list {
				m, ok := item.(map[string]any)
				if !ok || len(m) != 1 {
					return // a data list, not an index
				}
				for _, key := range []string{"name", "subdir", "cmd"} {
					name, ok := m[key].(string)
					if !ok {
						continue
					}
					child := path + "/" + name
					if path == "/" {
						child = "/" + name
					}
					if len(e.sim.router.schema.PathMethods(child)) == 0 {
						t.Errorf("%s: %s lists %q, which is no path", release, path, name)
						continue
					}
					if _, h, _ := e.sim.router.route("GET", child); h != nil {
						walk(child)
					} else if !routedBelow(e.sim.router, child) {
						t.Errorf("%s: %s lists %q, under which nothing is routed", release, path, name)
					}
				}
			}
		}
		for _, start := range []string{"/", "/nodes/pve1", "/nodes/pve1/qemu/100", "/nodes/pve1/lxc/200",
			"/nodes/pve1/storage/local", "/nodes/pve1/qemu/100/snapshot/before-upgrade"} {
			walk(start)
		}
		if len(seen) < 10 {
			t.Errorf("%s: the walk reached only %d paths", release, len(seen))
		}
	}
}

// routedBelow tells whether path or anything under it has a handler.
func routedBelow(rt *router, path string) bool {
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		if _, h, _ := rt.route(m, path); h != nil {
			return true
		}
	}
	ep, _, ok := rt.schema.Lookup("GET", path)
	if !ok {
		for _, m := range []string{"POST", "PUT", "DELETE"} {
			if ep, _, ok = rt.schema.Lookup(m, path); ok {
				break
			}
		}
	}
	return ok && len(rt.children[ep.Path]) > 0
}
