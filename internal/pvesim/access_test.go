package pvesim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAuditorTokenReadsButCannotWrite(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	auth := "PVEAPIToken=audit@pve!ro=s3cret"
	r := e.doAuth("GET", "/cluster/resources", vals("type", "vm"), auth)
	if r.status != 200 || len(r.data.([]any)) != 7 {
		t.Fatalf("auditor list: %d %d", r.status, len(r.data.([]any)))
	}
	r = e.doAuth("POST", "/nodes/pve1/qemu/100/status/start", nil, auth)
	if r.status != 403 || r.reason != "Permission check failed (/vms/100, VM.PowerMgmt)" || r.message != "Permission check failed (/vms/100, VM.PowerMgmt)\n" {
		t.Fatalf("auditor start: %d %q %q", r.status, r.reason, r.raw)
	}
	// permission is checked before parameters and existence
	r = e.doAuth("PUT", "/nodes/pve1/qemu/4242/config", vals("cores", "x"), auth)
	if r.status != 403 {
		t.Fatalf("403 before 400: %d", r.status)
	}
	r = e.doAuth("POST", "/nodes/pve1/qemu", vals("vmid", "990"), auth)
	if r.status != 403 || r.reason != "Permission check failed" {
		t.Fatalf("auditor create: %d %q", r.status, r.reason)
	}
	perms := e.okAuth("GET", "/access/permissions", nil, auth).(map[string]any)
	if root := perms["/"].(map[string]any); root["VM.Audit"] != float64(1) || root["VM.PowerMgmt"] != nil {
		t.Fatalf("permissions: %v", perms)
	}
}

func (e *env) okAuth(method, path string, params url.Values, auth string) any {
	e.t.Helper()
	r := e.doAuth(method, path, params, auth)
	if r.status != 200 {
		e.t.Fatalf("%s %s: %d %s", method, path, r.status, r.raw)
	}
	return r.data
}

func TestPrivsepAndFilteredLists(t *testing.T) {
	e := newEnv(t, Options{})
	// a fresh privsep token has nothing
	if err := e.sim.AddToken("ops@pve!tk", "x", true); err != nil {
		t.Fatal(err)
	}
	auth := "PVEAPIToken=ops@pve!tk=x"
	// nodes are always listed (without stats); guests and storage need Audit
	if r := e.doAuth("GET", "/cluster/resources", nil, auth); r.status != 200 || len(r.data.([]any)) != 3 {
		t.Fatalf("fresh privsep token sees %d", len(r.data.([]any)))
	}
	// user and token both get PVEVMUser on /vms/100 only
	must(t, e.sim.SetACL("/vms/100", "ops@pve", "PVEVMUser", true))
	if r := e.doAuth("GET", "/cluster/resources", vals("type", "vm"), auth); len(r.data.([]any)) != 0 {
		t.Fatalf("token without its own ACL sees %v", r.data)
	}
	must(t, e.sim.SetACL("/vms/100", "ops@pve!tk", "PVEVMUser", true))
	r := e.doAuth("GET", "/cluster/resources", vals("type", "vm"), auth)
	if items := r.data.([]any); len(items) != 1 || items[0].(map[string]any)["vmid"] != float64(100) {
		t.Fatalf("filtered: %v", r.data)
	}
	if r := e.doAuth("GET", "/nodes/pve1/qemu", nil, auth); len(r.data.([]any)) != 1 {
		t.Fatalf("node list: %v", r.data)
	}
	r = e.doAuth("POST", "/nodes/pve1/qemu/100/status/shutdown", nil, auth)
	if r.status != 200 {
		t.Fatalf("allowed shutdown: %d %q", r.status, r.reason)
	}
	// the token sees its own task, not others'
	tasks := e.okAuth("GET", "/nodes/pve1/tasks", vals("source", "all"), auth).([]any)
	if len(tasks) != 1 {
		t.Fatalf("own tasks: %d", len(tasks))
	}
	r = e.doAuth("POST", "/nodes/pve1/qemu/101/status/start", nil, auth)
	if r.status != 403 || r.reason != "Permission check failed (/vms/101, VM.PowerMgmt)" {
		t.Fatalf("other vm: %d %q", r.status, r.reason)
	}
}

func TestTicketLoginAndCSRF(t *testing.T) {
	e := newEnv(t, Options{Users: map[string]string{"root@pam": "pw"}})
	r := e.doAuth("POST", "/access/ticket", vals("username", "root@pam", "password", "bad"), "")
	if r.status != 401 || r.reason != "authentication failure" {
		t.Fatalf("bad login: %d %q", r.status, r.reason)
	}
	r = e.doAuth("POST", "/access/ticket", vals("username", "root", "realm", "pam", "password", "pw"), "")
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	d := r.data.(map[string]any)
	ticket, csrf := d["ticket"].(string), d["CSRFPreventionToken"].(string)
	if !strings.HasPrefix(ticket, "PVE:root@pam:") || d["username"] != "root@pam" {
		t.Fatalf("ticket: %v", d)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api2/json/nodes", nil)
	req.AddCookie(&http.Cookie{Name: "PVEAuthCookie", Value: url.QueryEscape(ticket)})
	if r := e.send(req); r.status != 200 {
		t.Fatalf("GET with ticket: %d", r.status)
	}
	post := func(withCSRF bool) resp {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api2/json/nodes/pve1/qemu/101/status/start", nil)
		req.AddCookie(&http.Cookie{Name: "PVEAuthCookie", Value: url.QueryEscape(ticket)})
		if withCSRF {
			req.Header.Set("CSRFPreventionToken", csrf)
		}
		return e.send(req)
	}
	if r := post(false); r.status != 401 || r.reason != "Permission denied - invalid csrf token" || r.raw != "" {
		t.Fatalf("write without CSRF: %d %q", r.status, r.reason)
	}
	if r := post(true); r.status != 200 || !strings.HasSuffix(r.data.(string), ":qmstart:101:root@pam:") {
		t.Fatalf("write with CSRF: %d %v", r.status, r.data)
	}
	// API tokens may not log in
	r = e.do("POST", "/access/ticket", vals("username", "root@pam", "password", "pw"))
	if r.status != 403 || !strings.HasPrefix(r.reason, "Permission check failed (URI '/access/ticket' not available with API token") {
		t.Fatalf("token login: %d %q", r.status, r.reason)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
