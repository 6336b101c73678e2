package fidelity

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The bytes the client libraries put on the wire, sent as they send them, and
// what pve-http-server and the API handlers make of them. Perl references are
// to proxmox/pve-http-server src/PVE/APIServer/AnyEvent.pm (decode_urlencoded,
// extract_params), src/PVE/APIServer/Formatter.pm (extract_auth_value) and
// proxmox/pve-common src/PVE/JSONSchema.pm (check_type).

type wireAnswer struct {
	status int
	reason string // the status line's text, which carries Proxmox's message
	raw    string
	env    struct {
		Data    any               `json:"data"`
		Message string            `json:"message"`
		Errors  map[string]string `json:"errors"`
	}
}

// send is one raw request below /api2/json; ctype "" sends no body.
func (e *simEnv) send(t *testing.T, method, path string, hdr map[string]string, ctype, body string) wireAnswer {
	t.Helper()
	var rd io.Reader
	if ctype != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.Host+"/api2/json"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if hdr == nil {
		req.Header.Set("Authorization", "PVEAPIToken="+e.TokenID+"="+e.TokenSecret)
	}
	res, err := e.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := wireAnswer{status: res.StatusCode, reason: strings.TrimSpace(strings.TrimPrefix(res.Status, res.Status[:3])), raw: string(b)}
	_ = json.Unmarshal(b, &a.env)
	return a
}

func (e *simEnv) login(t *testing.T) (ticket, csrf string) {
	t.Helper()
	a := e.send(t, "POST", "/access/ticket", map[string]string{}, "application/x-www-form-urlencoded",
		url.Values{"username": {"root@pam"}, "password": {e.RootPW}}.Encode())
	m, _ := a.env.Data.(map[string]any)
	ticket, _ = m["ticket"].(string)
	csrf, _ = m["CSRFPreventionToken"].(string)
	if a.status != 200 || ticket == "" || csrf == "" {
		t.Fatalf("login: %d %s", a.status, a.raw)
	}
	return ticket, csrf
}

func (e *simEnv) config(t *testing.T, path string) map[string]any {
	t.Helper()
	a := e.send(t, "GET", path, nil, "", "")
	m, _ := a.env.Data.(map[string]any)
	if a.status != 200 || m == nil {
		t.Fatalf("GET %s: %d %s", path, a.status, a.raw)
	}
	return m
}

const form = "application/x-www-form-urlencoded"

func TestWireAuth(t *testing.T) {
	e := startSim(t)
	secret := e.TokenSecret
	// extract_auth_value: /(?:^|\s)PVEAPIToken(?:=| )([^;]*)/, then uri_unescape.
	for name, h := range map[string]string{
		"go-proxmox and proxmox-api (=)": "PVEAPIToken=root@pam!mcp=" + secret,
		"space after the name":           "PVEAPIToken root@pam!mcp=" + secret,
		"percent-encoded token id":       "PVEAPIToken=root%40pam%21mcp=" + secret,
	} {
		if a := e.send(t, "GET", "/version", map[string]string{"Authorization": h}, "", ""); a.status != 200 {
			t.Errorf("%s: %d %q", name, a.status, a.reason)
		}
	}
	if a := e.send(t, "GET", "/version", map[string]string{}, "", ""); a.status != 401 || a.reason != "No ticket" {
		t.Errorf("no credentials: %d %q, Proxmox answers 401 No ticket", a.status, a.reason)
	}
	if a := e.send(t, "GET", "/version", map[string]string{"Authorization": "PVEAPIToken=root@pam!mcp=00000000-0000-0000-0000-000000000000"}, "", ""); a.status != 401 || a.reason != "Authentication failed!" {
		t.Errorf("wrong secret: %d %q, Proxmox answers 401 Authentication failed!", a.status, a.reason)
	}
	ticket, csrf := e.login(t)
	cookie := map[string]string{"Cookie": "PVEAuthCookie=" + ticket}
	if a := e.send(t, "GET", "/nodes", cookie, "", ""); a.status != 200 {
		t.Errorf("raw ticket cookie (go-proxmox, proxmox-api): %d %q", a.status, a.reason)
	}
	if a := e.send(t, "GET", "/nodes", map[string]string{"Cookie": "PVEAuthCookie=" + url.QueryEscape(ticket)}, "", ""); a.status != 200 {
		t.Errorf("percent-encoded ticket cookie: %d %q", a.status, a.reason)
	}
	if a := e.send(t, "GET", "/nodes", map[string]string{"Cookie": "other=1; PVEAuthCookie=" + ticket + "; lang=en"}, "", ""); a.status != 200 {
		t.Errorf("ticket among other cookies: %d %q", a.status, a.reason)
	}
	if a := e.send(t, "PUT", "/nodes/pve1/qemu/101/config", cookie, form, "description=x"); a.status != 401 || a.reason != "Permission denied - invalid csrf token" {
		t.Errorf("write without CSRFPreventionToken: %d %q", a.status, a.reason)
	}
	cookie["CSRFPreventionToken"] = csrf
	if a := e.send(t, "PUT", "/nodes/pve1/qemu/101/config", cookie, form, "description=x"); a.status != 200 {
		t.Errorf("write with CSRFPreventionToken: %d %q", a.status, a.reason)
	}
	// go-proxmox logs in with a JSON body.
	if a := e.send(t, "POST", "/access/ticket", map[string]string{}, "application/json",
		`{"username":"root@pam","password":"`+e.RootPW+`"}`); a.status != 200 {
		t.Errorf("JSON login: %d %s", a.status, a.raw)
	}
}

func TestWirePaths(t *testing.T) {
	e := startSim(t)
	for _, p := range []string{
		"/pools/?poolid=prod", // go-proxmox Client.Pool
		"/nodes/pve1/qemu/",   // a trailing slash
		"/nodes/pve1/storage/local/content/local:iso/debian-12.8.0-amd64-netinst.iso",   // go-proxmox: the volid as is
		"/nodes/pve1/storage/local/content/local:iso%2Fdebian-12.8.0-amd64-netinst.iso", // proxmox-api: '/' as %2F
		"/nodes/pve1/storage/local/content/local%3Aiso%2Fdebian-12.8.0-amd64-netinst.iso",
	} {
		if a := e.send(t, "GET", p, nil, "", ""); a.status != 200 {
			t.Errorf("GET %s: %d %q", p, a.status, a.reason)
		}
	}
}

// TestWireContentType: a body of another type than a form or JSON is 506,
// with the Content-Type header as sent (AnyEvent.pm unshift_read_header: the
// message carries $ctype, the whole header).
func TestWireContentType(t *testing.T) {
	e := startSim(t)
	a := e.send(t, "PUT", "/nodes/pve1/qemu/101/config", nil, "multipart/form-data; boundary=x", "--x--\r\n")
	want := "upload 'Content-Type 'multipart/form-data; boundary=x' not implemented"
	if a.status != 506 || a.reason != want {
		if a.status == 506 && a.reason == "upload 'Content-Type 'multipart/form-data' not implemented" {
			t.Fatalf("sim: the 506 message names the parsed media type, not the header as sent: %q", a.reason)
		}
		t.Fatalf("multipart to a non-upload endpoint: %d %q, Proxmox answers 506 %q", a.status, a.reason, want)
	}
}

func TestWireParams(t *testing.T) {
	e := startSim(t)
	const cfg = "/nodes/pve1/qemu/101/config"
	t.Run("booleans", func(t *testing.T) {
		// proxmox-api sends true as 1; check_type accepts only '1' and '0'
		// in a form, and JSON true/false (JSON::is_bool).
		if a := e.send(t, "PUT", cfg, nil, form, "onboot=1"); a.status != 200 {
			t.Fatalf("onboot=1: %d %s", a.status, a.raw)
		}
		if a := e.send(t, "PUT", cfg, nil, form, "onboot=true"); a.status != 400 || a.env.Errors["onboot"] != "type check ('boolean') failed - got 'true'" {
			t.Fatalf("onboot=true in a form: %d %s", a.status, a.raw)
		}
		if a := e.send(t, "PUT", cfg, nil, "application/json", `{"onboot":false}`); a.status != 200 {
			t.Fatalf("JSON false: %d %s", a.status, a.raw)
		}
		if c := e.config(t, cfg); c["onboot"] != float64(0) {
			t.Fatalf("onboot after JSON false: %v", c["onboot"])
		}
		if a := e.send(t, "PUT", cfg, nil, "application/json", `{"onboot":true,"memory":4096,"cores":"2"}`); a.status != 200 {
			t.Fatalf("JSON true and numbers: %d %s", a.status, a.raw)
		}
		if c := e.config(t, cfg); c["onboot"] != float64(1) || c["memory"] != "4096" || c["cores"] != float64(2) {
			t.Fatalf("config after JSON edit: onboot %v memory %v cores %v", c["onboot"], c["memory"], c["cores"])
		}
	})
	t.Run("delete list", func(t *testing.T) {
		e.send(t, "PUT", cfg, nil, form, "description=x&tags=a")
		if a := e.send(t, "PUT", cfg, nil, form, "delete=description,tags"); a.status != 200 {
			t.Fatalf("delete=description,tags: %d %s", a.status, a.raw)
		}
		if c := e.config(t, cfg); c["description"] != nil || c["tags"] != nil {
			t.Fatalf("after delete=description,tags: %v %v", c["description"], c["tags"])
		}
	})
	t.Run("repeated key for a string parameter", func(t *testing.T) {
		// proxmox-api sends an array value as repeated keys. Since PVE 8.0
		// (pve-http-server bd9d641) decode_urlencoded makes them an array,
		// and check_type refuses an array for a string.
		e.send(t, "PUT", cfg, nil, form, "description=x&tags=a")
		a := e.send(t, "PUT", cfg, nil, form, "delete=description&delete=tags")
		want := "type check ('string') failed - got ARRAY"
		if a.status != 400 || a.env.Errors["delete"] != want {
			if a.status == 500 && strings.Contains(a.env.Message, "\x00") {
				t.Fatalf("sim: repeated form keys are joined with NUL (the PVE 7 form) instead of an array: %d %q", a.status, a.env.Message)
			}
			t.Fatalf("delete=description&delete=tags: %d %s, Proxmox answers 400 with errors.delete %q", a.status, a.raw, want)
		}
	})
	t.Run("repeated query key", func(t *testing.T) {
		a := e.send(t, "GET", "/cluster/resources?type=vm&type=node", nil, "", "")
		want := "type check ('string') failed - got ARRAY"
		if a.status != 400 || a.env.Errors["type"] != want {
			if strings.Contains(a.env.Errors["type"], "\x00") {
				t.Fatalf("sim: repeated query keys are joined with NUL instead of an array: %q", a.env.Errors["type"])
			}
			t.Fatalf("type=vm&type=node: %d %s, Proxmox answers 400 with errors.type %q", a.status, a.raw, want)
		}
	})
	t.Run("JSON array for a string parameter", func(t *testing.T) {
		a := e.send(t, "PUT", cfg, nil, "application/json", `{"delete":["description"]}`)
		want := "type check ('string') failed - got ARRAY"
		if a.status != 400 || a.env.Errors["delete"] != want {
			if a.status == 400 {
				t.Fatalf("sim: a JSON array for a string parameter is checked as its JSON text: %q", a.env.Errors["delete"])
			}
			t.Fatalf("JSON delete array: %d %s, Proxmox answers 400 with %q", a.status, a.raw, want)
		}
	})
	t.Run("JSON object for a string parameter", func(t *testing.T) {
		a := e.send(t, "PUT", cfg, nil, "application/json", `{"description":{"a":1}}`)
		want := "type check ('string') failed - got HASH"
		if a.status != 400 || a.env.Errors["description"] != want {
			if a.status == 200 {
				t.Fatalf("sim: a JSON object for a string parameter is accepted as its JSON text (description now %q)", e.config(t, cfg)["description"])
			}
			t.Fatalf("JSON description object: %d %s, Proxmox answers 400 with %q", a.status, a.raw, want)
		}
	})
	t.Run("array parameter", func(t *testing.T) {
		// vzdump's exclude-path is an array: repeated keys (proxmox-api) and
		// a JSON array (go-proxmox) are both accepted.
		for _, b := range []struct{ ct, body string }{
			{form, "vmid=103&storage=local&exclude-path=/tmp/a&exclude-path=/var/b"},
			{"application/json", `{"vmid":103,"storage":"local","exclude-path":["/tmp/a","/var/b"]}`},
		} {
			a := e.send(t, "POST", "/nodes/pve3/vzdump", nil, b.ct, b.body)
			if s, _ := a.env.Data.(string); a.status != 200 || !strings.HasPrefix(s, "UPID:pve3:") {
				t.Fatalf("%s: %d %s", b.body, a.status, a.raw)
			}
		}
	})
	t.Run("query and body", func(t *testing.T) {
		// extract_params: POST/PUT query parameters are merged over the body's.
		a := e.send(t, "PUT", cfg+"?description=query", nil, form, "description=body")
		got := e.config(t, cfg)["description"]
		if a.status != 200 || got != "query" {
			if s, _ := got.(string); strings.Contains(s, "query") && strings.Contains(s, "body") {
				t.Fatalf("sim: a key in both the query and the body is joined (%q); Proxmox takes the query's", s)
			}
			t.Fatalf("description in query and body: %d %s, description %v; Proxmox takes the query's", a.status, a.raw, got)
		}
	})
}

// TestWirePVE7RepeatedDelete: before PVE 8.0, repeated keys were joined with
// NUL and PVE::Tools::split_list splits a delete list on NUL, so
// delete=a&delete=b deletes both.
func TestWirePVE7RepeatedDelete(t *testing.T) {
	e := startSim(t, "--schema", "7.4")
	const cfg = "/nodes/pve1/qemu/101/config"
	if a := e.send(t, "PUT", cfg, nil, form, "description=x&tags=a"); a.status != 200 {
		t.Fatalf("set: %d %s", a.status, a.raw)
	}
	a := e.send(t, "PUT", cfg, nil, form, "delete=description&delete=tags")
	if c := e.config(t, cfg); a.status != 200 || c["description"] != nil || c["tags"] != nil {
		if a.status == 500 && strings.Contains(a.env.Message, "\x00") {
			t.Fatalf("sim: the NUL-joined delete list is not split: %q", a.env.Message)
		}
		t.Fatalf("delete=description&delete=tags on 7.4: %d %s; config %v %v", a.status, a.raw, c["description"], c["tags"])
	}
}
