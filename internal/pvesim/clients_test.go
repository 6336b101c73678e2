package pvesim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// What widely used Proxmox clients send, byte for byte.

// TestRawTicketWithPlus: clients send the ticket from /access/ticket as it
// came, unescaped; pve-http-server decodes only %XX, so a '+' of the
// signature must not turn into a space.
func TestRawTicketWithPlus(t *testing.T) {
	e := newEnv(t, Options{Users: map[string]string{"root@pam": "pw"}})
	ticket := ""
	for range 200 {
		r := e.doAuth("POST", "/access/ticket", vals("username", "root@pam", "password", "pw"), "")
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		if tk := r.data.(map[string]any)["ticket"].(string); strings.Contains(tk, "+") {
			ticket = tk
			break
		}
		e.advance(time.Second) // a new ticket each second
	}
	if ticket == "" {
		t.Fatal("no ticket with a '+' in 200 logins")
	}
	cookie, _ := http.NewRequest("GET", e.srv.URL+"/api2/json/nodes", nil)
	cookie.Header.Set("Cookie", "PVEAuthCookie="+ticket)
	if r := e.send(cookie); r.status != 200 {
		t.Errorf("raw ticket in the cookie: %d %q", r.status, r.reason)
	}
	if r := e.doAuth("GET", "/nodes", nil, "PVEAuthCookie="+ticket); r.status != 200 {
		t.Errorf("raw ticket in the Authorization header: %d %q", r.status, r.reason)
	}
	broken := strings.Replace(ticket, "+", " ", 1)
	if r := e.doAuth("GET", "/nodes", nil, "PVEAuthCookie="+broken); r.status != 401 {
		t.Errorf("a ticket with the '+' turned to a space was accepted: %d", r.status)
	}
}

// TestVolumeWithSlashInPath: Proxmox routes the rest of the path to
// {volume}, so clients put a volume id in the URL without escaping its '/'.
func TestVolumeWithSlashInPath(t *testing.T) {
	e := newEnv(t, Options{})
	vol := SeedTemplates[0]
	r := e.do("GET", "/nodes/pve1/storage/local/content/"+vol, nil)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %q", vol, r.status, r.reason)
	}
	if r := e.do("DELETE", "/nodes/pve1/storage/local/content/"+vol, nil); r.status != 200 {
		t.Fatalf("DELETE %s: %d %q %s", vol, r.status, r.reason, r.raw)
	} else if upid, ok := r.data.(string); ok {
		e.waitTask(upid)
	}
	if r := e.do("GET", "/nodes/pve1/storage/local/content/"+vol, nil); r.status == 200 {
		t.Fatalf("%s still there after DELETE", vol)
	}
	// Other routes stay exact: a path longer than its template is not found.
	if r := e.do("GET", "/nodes/pve1/status/extra", nil); r.status != 501 {
		t.Errorf("GET /nodes/pve1/status/extra: %d, want 501", r.status)
	}
}

// TestAPIRootIndex: GET /api2/json/ lists the top directories for any
// authenticated caller, and asks for authentication first.
func TestAPIRootIndex(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/", nil)
	if r.status != 200 || !strings.Contains(r.raw, `{"subdir":"nodes"}`) || !strings.Contains(r.raw, `{"subdir":"version"}`) {
		t.Fatalf("GET /: %d %s", r.status, r.raw)
	}
	if r := e.doAuth("GET", "/", nil, ""); r.status != 401 {
		t.Errorf("GET / without credentials: %d, want 401", r.status)
	}
	if r := e.do("POST", "/", nil); r.status != 501 {
		t.Errorf("POST /: %d, want 501", r.status)
	}
}
