package pve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAPIErrors(t *testing.T) {
	type class struct{ notFound, perm, auth, locked, proxy bool }
	cases := []struct {
		name, method, path  string
		status, ctype, body string
		want                APIError
		wantText            string
		class               class
	}{
		{
			name: "400 with errors", method: "POST", path: "/nodes/pve1/qemu",
			status: "400 Parameter verification failed.", ctype: "application/json;charset=UTF-8",
			body: `{"data":null,"errors":{"vmid":"value must have a minimum value of 100\n"},"message":"Parameter verification failed.\n"}`,
			want: APIError{Status: 400, Reason: "Parameter verification failed.", Message: "Parameter verification failed.",
				Errors: map[string]string{"vmid": "value must have a minimum value of 100"}},
			wantText: "proxmox: POST /nodes/pve1/qemu: 400 Parameter verification failed.: vmid: value must have a minimum value of 100",
		},
		{
			name: "400 several errors, old body without message", method: "POST", path: "/nodes/pve1/qemu/100/migrate",
			status: "400 Parameter verification failed.", ctype: "application/json",
			body: `{"errors":{"target":"invalid format - value does not look like a valid node name\n","online":"type check ('boolean') failed - got 'yes'"},"data":null}`,
			want: APIError{Status: 400, Reason: "Parameter verification failed.", Errors: map[string]string{
				"target": "invalid format - value does not look like a valid node name", "online": "type check ('boolean') failed - got 'yes'"}},
			wantText: "400 Parameter verification failed.: online: type check ('boolean') failed - got 'yes'; target: invalid format - value does not look like a valid node name",
		},
		{
			name: "401 empty body", method: "GET", path: "/version", status: "401 No ticket",
			want:     APIError{Status: 401, Reason: "No ticket"},
			wantText: "proxmox: GET /version: 401 authentication failed (No ticket): check the API token ID and secret",
			class:    class{auth: true},
		},
		{
			name: "401 PVE 9.1.5", method: "GET", path: "/version", status: "401 Authentication failed!",
			want:     APIError{Status: 401, Reason: "Authentication failed!"},
			wantText: "401 Authentication failed!: check the API token ID and secret",
			class:    class{auth: true},
		},
		{
			name: "403", method: "POST", path: "/nodes/pve1/qemu/100/status/start",
			status: "403 Permission check failed (/vms/100, VM.PowerMgmt)", ctype: "application/json",
			body:     `{"data":null,"message":"Permission check failed (/vms/100, VM.PowerMgmt)\n"}`,
			want:     APIError{Status: 403, Reason: "Permission check failed (/vms/100, VM.PowerMgmt)", Message: "Permission check failed (/vms/100, VM.PowerMgmt)"},
			wantText: "403 Permission check failed (/vms/100, VM.PowerMgmt) (",
			class:    class{perm: true},
		},
		{
			name: "500 does not exist", method: "GET", path: "/nodes/pve1/qemu/100/config",
			status: "500 Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist", ctype: "application/json",
			body:     `{"data":null,"message":"Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist\n"}`,
			want:     APIError{Status: 500, Reason: "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist", Message: "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist"},
			wantText: "proxmox: GET /nodes/pve1/qemu/100/config: 500 Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist",
			class:    class{notFound: true},
		},
		{
			name: "500 unable to find, old server without message", method: "POST", path: "/nodes/pve1/qemu/100/status/reset",
			status: "500 unable to find configuration file for VM 100 on node 'pve1'", ctype: "application/json", body: `{"data":null}`,
			want:     APIError{Status: 500, Reason: "unable to find configuration file for VM 100 on node 'pve1'"},
			wantText: "500 unable to find configuration file for VM 100 on node 'pve1'",
			class:    class{notFound: true},
		},
		{
			name: "500 multi-line message", method: "POST", path: "/nodes/pve1/qemu",
			status: "500 unable to create VM 100 - first", ctype: "application/json",
			body:     `{"data":null,"message":"unable to create VM 100 - first\nsecond line\n"}`,
			want:     APIError{Status: 500, Reason: "unable to create VM 100 - first", Message: "unable to create VM 100 - first\nsecond line"},
			wantText: "500 unable to create VM 100 - first ; second line",
		},
		{
			name: "500 lock timeout", method: "PUT", path: "/nodes/pve1/qemu/101/config",
			status: "500 can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout", ctype: "application/json",
			body:     `{"data":null,"message":"can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout\n"}`,
			want:     APIError{Status: 500, Reason: "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout", Message: "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout"},
			wantText: "got timeout",
			class:    class{locked: true},
		},
		{
			name: "500 guest lock", method: "POST", path: "/nodes/pve1/qemu/100/snapshot",
			status: "500 VM is locked (backup)", ctype: "application/json", body: `{"data":null,"message":"VM is locked (backup)\n"}`,
			want:     APIError{Status: 500, Reason: "VM is locked (backup)", Message: "VM is locked (backup)"},
			wantText: "500 VM is locked (backup)",
			class:    class{locked: true},
		},
		{
			name: "501 text body", method: "DELETE", path: "/nodes/pve1/qemu/100",
			status: "501 Unexpected content for method 'DELETE'", ctype: "text/plain", body: "Unexpected content for method 'DELETE'",
			want:     APIError{Status: 501, Reason: "Unexpected content for method 'DELETE'"},
			wantText: "501 Unexpected content for method 'DELETE' (endpoint not implemented",
		},
		{
			name: "595 empty", method: "GET", path: "/nodes/pve3/network", status: "595 Connection refused",
			want:     APIError{Status: 595, Reason: "Connection refused"},
			wantText: "proxmox: GET /nodes/pve3/network: 595 Connection refused (the Proxmox cluster proxy could not reach the target node; the request did not run)",
			class:    class{proxy: true},
		},
		{
			name: "596 empty", method: "POST", path: "/nodes/pve2/qemu/100/clone", status: "596 error:0A000086:SSL routines::certificate verify failed",
			want:     APIError{Status: 596, Reason: "error:0A000086:SSL routines::certificate verify failed"},
			wantText: "596 error:0A000086:SSL routines::certificate verify failed (the Proxmox cluster proxy lost the target node",
			class:    class{proxy: true},
		},
		{
			name: "HTML body", method: "GET", path: "/cluster/resources", status: "502 Bad Gateway", ctype: "text/html",
			body:     "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
			want:     APIError{Status: 502, Reason: "Bad Gateway"},
			wantText: "proxmox: GET /cluster/resources: 502 Bad Gateway",
		},
		{
			name: "JSON body that is not an object", method: "GET", path: "/x", status: "500 Internal Server Error", ctype: "application/json", body: `"oops"`,
			want:     APIError{Status: 500, Reason: "Internal Server Error"},
			wantText: "500 Internal Server Error",
		},
		{
			name: "no such task is not IsNotFound unless 500", method: "GET", path: "/nodes/pve2/tasks/x/status",
			status: "400 Parameter verification failed.", ctype: "application/json", body: `{"data":null,"errors":{"upid":"no such task"}}`,
			want:     APIError{Status: 400, Reason: "Parameter verification failed.", Errors: map[string]string{"upid": "no such task"}},
			wantText: "upid: no such task",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				rawResponse(t, w, tc.status, tc.ctype, tc.body)
			}, noRetries)
			ctx := context.Background()
			var err error
			switch tc.method {
			case "GET":
				err = c.Get(ctx, tc.path, nil, nil)
			case "POST":
				err = c.Post(ctx, tc.path, nil, nil)
			case "PUT":
				err = c.Put(ctx, tc.path, nil, nil)
			case "DELETE":
				err = c.Delete(ctx, tc.path, nil, nil)
			}
			wrapped := fmt.Errorf("start VM 100: %w", err)
			var got *APIError
			if !errors.As(wrapped, &got) {
				t.Fatalf("err %v is not an *APIError", err)
			}
			tc.want.Method, tc.want.Path = tc.method, tc.path
			if diff := cmp.Diff(&tc.want, got); diff != "" {
				t.Errorf("APIError (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("Error() = %q\nwant it to contain %q", err.Error(), tc.wantText)
			}
			gotClass := class{IsNotFound(wrapped), IsPermission(wrapped), IsAuth(wrapped), IsLocked(wrapped), IsProxyFailure(wrapped)}
			if gotClass != tc.class {
				t.Errorf("classes = %+v, want %+v", gotClass, tc.class)
			}
		})
	}
}

func TestClassifiersOnOtherErrors(t *testing.T) {
	for _, err := range []error{nil, errors.New("does not exist"), context.Canceled} {
		if IsNotFound(err) || IsPermission(err) || IsAuth(err) || IsLocked(err) || IsProxyFailure(err) {
			t.Errorf("%v classified", err)
		}
	}
	if !IsNotFound(&APIError{Status: 404}) {
		t.Error("404 is not found")
	}
}

func TestPermissionHintMentionsPrivsep(t *testing.T) {
	e := &APIError{Method: "GET", Path: "/x", Status: 403, Reason: "Permission check failed (/, Sys.Audit)"}
	if !strings.Contains(e.Error(), "privilege separation") {
		t.Errorf("Error() = %q", e.Error())
	}
}

// The token secret must never reach an error text, whatever fails.
func TestSecretNeverInErrors(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request, status int) {
		// A hostile or broken proxy that echoes the Authorization header.
		auth := r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"data":null,"message":%q,"errors":{%q:%q}}`, auth, auth, auth)
	}
	handlers := map[string]http.HandlerFunc{
		"401":      func(w http.ResponseWriter, r *http.Request) { rawResponse(t, w, "401 No ticket", "", "") },
		"403 echo": func(w http.ResponseWriter, r *http.Request) { echo(w, r, 403) },
		"500 echo": func(w http.ResponseWriter, r *http.Request) { echo(w, r, 500) },
		"400 echo": func(w http.ResponseWriter, r *http.Request) { echo(w, r, 400) },
		"reason": func(w http.ResponseWriter, r *http.Request) {
			rawResponse(t, w, "500 bad "+r.Header.Get("Authorization"), "", "")
		},
		"596":   func(w http.ResponseWriter, r *http.Request) { rawResponse(t, w, "596 Broken pipe", "", "") },
		"reset": func(w http.ResponseWriter, r *http.Request) { resetConn(t, w) },
		"200 html": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<html>%s</html>", r.Header.Get("Authorization"))
		},
		"200 badenv": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"data":{"a":1},"total":%q}`, r.Header.Get("Authorization"))
		},
	}
	for name, h := range handlers {
		c := newTestClient(t, h)
		ctx := context.Background()
		for _, err := range []error{
			c.Get(ctx, "/version", nil, nil),
			c.Post(ctx, "/nodes/pve1/qemu", nil, nil),
			c.Delete(ctx, "/nodes/pve1/qemu/100", nil, nil),
		} {
			if err == nil {
				t.Errorf("%s: no error", name)
				continue
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(fmt.Sprintf("%+v", err), testSecret) {
				t.Errorf("%s: error leaks the secret: %v", name, err)
			}
		}
	}
	// Unreachable server and a failing TLS handshake.
	for _, base := range []string{"http://127.0.0.1:1", httptestTLS(t)} {
		c, err := New(Options{BaseURL: base, TokenID: testTokenID, TokenSecret: testSecret, MaxRetries: -1})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Get(context.Background(), "/version", nil, nil)
		c.CloseIdleConnections()
		if err == nil || strings.Contains(err.Error(), testSecret) {
			t.Errorf("%s: err = %v", base, err)
		}
	}
}
