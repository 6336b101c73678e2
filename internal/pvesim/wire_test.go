package pvesim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWireContract(t *testing.T) {
	e := newEnv(t, Options{})

	t.Run("envelope and headers", func(t *testing.T) {
		r := e.do("GET", "/version", nil)
		if r.status != 200 || r.header.Get("Content-Type") != "application/json;charset=UTF-8" || r.header.Get("Server") != "pve-api-daemon/3.0" {
			t.Fatalf("%d %v", r.status, r.header)
		}
		v := r.data.(map[string]any)
		if v["version"] != "9.1.3" || v["release"] != "9.1" || !strings.HasPrefix(r.raw, `{"data":`) {
			t.Fatalf("%s", r.raw)
		}
	})
	t.Run("total on task list", func(t *testing.T) {
		r := e.do("GET", "/nodes/pve1/tasks", vals("limit", "2"))
		if r.total < 3 || len(r.data.([]any)) != 2 {
			t.Fatalf("total %d, %d items", r.total, len(r.data.([]any)))
		}
	})
	t.Run("401 empty body", func(t *testing.T) {
		r := e.doAuth("GET", "/version", nil, "")
		if r.status != 401 || r.reason != "No ticket" || r.raw != "" {
			t.Fatalf("%d %q %q", r.status, r.reason, r.raw)
		}
		r = e.doAuth("GET", "/version", nil, "PVEAPIToken=root@pam!mcp=wrong")
		if r.status != 401 || r.reason != "Authentication failed!" || r.raw != "" {
			t.Fatalf("%d %q %q", r.status, r.reason, r.raw)
		}
	})
	t.Run("missing guest 500", func(t *testing.T) {
		r := e.do("GET", "/nodes/pve1/qemu/4242/status/current", nil)
		want := "Configuration file 'nodes/pve1/qemu-server/4242.conf' does not exist"
		if r.status != 500 || r.reason != want || r.message != want+"\n" || r.data != nil {
			t.Fatalf("%d %q %q", r.status, r.reason, r.raw)
		}
		// a guest on another node
		r = e.do("GET", "/nodes/pve2/qemu/100/config", nil)
		if r.status != 500 || r.reason != "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist" {
			t.Fatalf("%d %q", r.status, r.reason)
		}
	})
	t.Run("unknown path 501", func(t *testing.T) {
		r := e.do("GET", "/x", nil)
		if r.status != 501 || r.reason != "Method 'GET /x' not implemented" || r.message != "Method 'GET /x' not implemented" {
			t.Fatalf("%d %q %q", r.status, r.reason, r.raw)
		}
		r = e.do("PUT", "/nodes/pve1/qemu", vals("a", "b"))
		if r.status != 501 || r.reason != "Method 'PUT /nodes/pve1/qemu' not implemented" {
			t.Fatalf("%d %q", r.status, r.reason)
		}
	})
	t.Run("body on GET and DELETE is 501", func(t *testing.T) {
		for _, m := range []string{"GET", "DELETE"} {
			req, _ := http.NewRequest(m, e.srv.URL+"/api2/json/version", strings.NewReader("a=b"))
			req.Header.Set("Authorization", e.token)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r := e.send(req)
			if r.status != 501 || r.reason != "Unexpected content for method '"+m+"'" {
				t.Fatalf("%s: %d %q", m, r.status, r.reason)
			}
		}
	})
	t.Run("unknown node", func(t *testing.T) {
		r := e.do("GET", "/nodes/foo/qemu", nil)
		if r.status != 500 || r.reason != "hostname lookup 'foo' failed - failed to get address info for: foo: Name or service not known" {
			t.Fatalf("%d %q", r.status, r.reason)
		}
	})
	t.Run("booleans 0/1 and nextid string", func(t *testing.T) {
		r := e.do("GET", "/cluster/nextid", nil)
		if r.raw != `{"data":"104"}` {
			t.Fatalf("%s", r.raw)
		}
		r = e.do("GET", "/nodes/pve1/qemu/9000/config", nil)
		if !strings.Contains(r.raw, `"template":1`) || strings.Contains(r.raw, "true") {
			t.Fatalf("%s", r.raw)
		}
		r = e.do("GET", "/cluster/nextid", vals("vmid", "100"))
		if r.status != 400 || r.errors["vmid"] != "VM 100 already exists" {
			t.Fatalf("%d %v", r.status, r.errors)
		}
	})
	t.Run("sync errors", func(t *testing.T) {
		r := e.do("POST", "/nodes/pve1/qemu", vals("vmid", "102", "name", "dup"))
		if r.status != 500 || r.reason != "unable to create VM 102 - VM 102 already exists on node 'pve2'" {
			t.Fatalf("%d %q", r.status, r.reason)
		}
		r = e.do("POST", "/nodes/pve1/lxc/200/status/start", nil)
		if r.status != 500 || r.reason != "CT 200 already running" {
			t.Fatalf("%d %q", r.status, r.reason)
		}
		r = e.do("PUT", "/nodes/pve1/qemu/100/config", vals("skiplock", "1", "cores", "2"))
		if r.status != 400 || r.errors["skiplock"] != "Only root may use this option." {
			t.Fatalf("%d %v", r.status, r.errors)
		}
	})
	t.Run("stop of stopped qemu is task OK", func(t *testing.T) {
		upid := e.ok("POST", "/nodes/pve1/qemu/101/status/stop", nil).(string)
		if got := e.waitTask(upid); got != "OK" {
			t.Fatal(got)
		}
	})
	t.Run("wrong node task status", func(t *testing.T) {
		upid := e.ok("POST", "/nodes/pve1/qemu/101/status/stop", nil).(string)
		r := e.do("GET", "/nodes/pve2/tasks/"+url.PathEscape(upid)+"/status", nil)
		if r.status != 400 || r.errors["upid"] != "no such task" {
			t.Fatalf("%d %v", r.status, r.errors)
		}
		r = e.do("GET", "/nodes/pve2/tasks/"+url.PathEscape(upid)+"/log", nil)
		if r.status != 200 || !strings.Contains(r.raw, "unable to open file") {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("json body accepted", func(t *testing.T) {
		req, _ := http.NewRequest("PUT", e.srv.URL+"/api2/json/nodes/pve1/qemu/101/config", strings.NewReader(`{"onboot":true,"cores":3}`))
		req.Header.Set("Authorization", e.token)
		req.Header.Set("Content-Type", "application/json")
		if r := e.send(req); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		c := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
		if c["onboot"] != float64(1) || c["cores"] != float64(3) {
			t.Fatalf("%v", c)
		}
	})
}

func TestVersionSchemas(t *testing.T) {
	for _, v := range []struct{ schema, version string }{{"8.4", "8.4.14"}, {"7.4", "7.4-16"}} {
		e := newEnv(t, Options{Schema: v.schema})
		got := e.ok("GET", "/version", nil).(map[string]any)
		if got["version"] != v.version {
			t.Fatalf("%s: %v", v.schema, got)
		}
	}
	// download-url arrived in 7.2; a 7.4 node has it, a path unknown to 7.4 is 501
	e := newEnv(t, Options{Schema: "7.4"})
	r := e.do("GET", "/cluster/resources", vals("type", "vm"))
	if r.status != 200 {
		t.Fatalf("%d", r.status)
	}
}
