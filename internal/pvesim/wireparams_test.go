package pvesim

import (
	"net/http"
	"strings"
	"testing"
)

// How parameters arrive, as the client libraries send them: repeated form
// keys (an array since pve-http-server 8, NUL-joined before), JSON arrays
// and objects (kept as such, refused by scalar parameters), a key in both
// the query and the body (the query wins).
func TestParameterShapes(t *testing.T) {
	send := func(e *env, method, path, ctype, body string) resp {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+"/api2/json"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", e.token)
		return e.send(req)
	}
	const form = "application/x-www-form-urlencoded"
	e := newEnv(t, Options{})
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("description", "d", "tags", "a"))
	if r := send(e, "PUT", "/nodes/pve1/qemu/101/config", form, "delete=description&delete=tags"); r.status != 400 ||
		r.errors["delete"] != "type check ('string') failed - got ARRAY" {
		t.Errorf("repeated delete on 9.1: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/cluster/resources?type=vm&type=node", nil); r.status != 400 || r.errors["type"] != "type check ('string') failed - got ARRAY" {
		t.Errorf("repeated query key: %d %s", r.status, r.raw)
	}
	if r := send(e, "PUT", "/nodes/pve1/qemu/101/config", "application/json", `{"delete":["description"]}`); r.status != 400 ||
		r.errors["delete"] != "type check ('string') failed - got ARRAY" {
		t.Errorf("JSON array for a string: %d %s", r.status, r.raw)
	}
	if r := send(e, "PUT", "/nodes/pve1/qemu/101/config", "application/json", `{"description":{"a":1}}`); r.status != 400 ||
		r.errors["description"] != "type check ('string') failed - got HASH" {
		t.Errorf("JSON object for a string: %d %s", r.status, r.raw)
	}
	if r := send(e, "PUT", "/nodes/pve1/qemu/101/config?description=query", form, "description=body"); r.status != 200 {
		t.Fatalf("query and body: %d %s", r.status, r.raw)
	}
	if d := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)["description"]; d != "query" {
		t.Errorf("description %q, want the query's value", d)
	}
	if r := send(e, "PUT", "/nodes/pve1/qemu/101/config", "multipart/form-data; boundary=x", "--x--"); r.status != 506 ||
		r.message != "upload 'Content-Type 'multipart/form-data; boundary=x' not implemented" {
		t.Errorf("multipart to config: %d %q", r.status, r.message)
	}

	old := newEnv(t, Options{Schema: "7.4"})
	old.ok("PUT", "/nodes/pve1/qemu/101/config", vals("description", "d", "tags", "a"))
	if r := send(old, "PUT", "/nodes/pve1/qemu/101/config", form, "delete=description&delete=tags"); r.status != 200 {
		t.Fatalf("repeated delete on 7.4: %d %s", r.status, r.raw)
	}
	conf := old.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
	if conf["description"] != nil || conf["tags"] != nil {
		t.Errorf("7.4 joins repeated keys and deletes both: %v %v", conf["description"], conf["tags"])
	}
}
