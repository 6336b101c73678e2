package pve

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

const maybeRan = "the POST may or may not have been carried out"

// Answers that come after a write could have run say so, in one vocabulary
// (IsUnknownOutcome and its text); answers that tell it did not run do not.
func TestWriteOutcomeAfterGatewayAndProxyStatuses(t *testing.T) {
	html := func(status string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			rawResponse(t, w, status, "text/html", "<html><body><h1>"+status+"</h1>nginx</body></html>")
		}
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		unknown bool
		want    string
	}{
		{"502 from a gateway", html("502 Bad Gateway"), true, maybeRan},
		{"503 from a gateway", html("503 Service Unavailable"), true, maybeRan},
		{"504 from a gateway", html("504 Gateway Time-out"), true, maybeRan},
		{"596 from the cluster proxy", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(t, w, "596 Connection timed out", "", "")
		}, true, "a write may or may not have run"},
		{"reset after the body was sent", func(w http.ResponseWriter, r *http.Request) { resetConn(t, w) }, true, maybeRan},
		{"595: the node was not reached", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(t, w, "595 Connection refused", "", "")
		}, false, "the request did not run"},
		{"500 from the handler", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(t, w, "500 VM 100 not running", "application/json", `{"data":null}`)
		}, false, "500 VM 100 not running"},
		{"403", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(t, w, "403 Permission check failed", "application/json", `{"data":null}`)
		}, false, "403"},
	}
	for _, tc := range cases {
		var posts atomic.Int32
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			posts.Add(1)
			tc.handler(w, r)
		})
		err := c.Post(context.Background(), "/nodes/pve1/qemu/100/status/start", nil, nil)
		text := ""
		if err != nil {
			text = err.Error()
		}
		if err == nil || IsUnknownOutcome(err) != tc.unknown || !strings.Contains(text, tc.want) {
			t.Errorf("%s: unknown=%v err = %v", tc.name, IsUnknownOutcome(err), err)
		}
		if tc.unknown && (!strings.Contains(text, "GET /nodes/pve1/qemu/100/status/current") || strings.Count(text, "may or may not") != 1) {
			t.Errorf("%s: says what to check, once: %s", tc.name, text)
		}
		if !tc.unknown && strings.Contains(text, "may or may not have been carried out") {
			t.Errorf("%s: claims the write may have run: %s", tc.name, text)
		}
		if n := posts.Load(); n != 1 {
			t.Errorf("%s: the write was sent %d times", tc.name, n)
		}
	}
}

// The status codes keep their meaning through the wrapper, and a read
// hitting a gateway is retried and never called a write that may have run.
func TestUnknownOutcomeKeepsTheCause(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && n.Add(1) > 1 {
			writeJSON(w, `{"data":{}}`)
			return
		}
		rawResponse(t, w, "596 Connection timed out", "", "")
	})
	err := c.Put(context.Background(), "/nodes/pve1/qemu/100/config", nil, nil)
	var ue *UnknownOutcomeError
	if !errors.As(err, &ue) || ue.Method != "PUT" || !IsProxyFailure(err) || !strings.Contains(err.Error(), "GET /nodes/pve1/qemu/100/config") {
		t.Errorf("PUT: %v", err)
	}
	var out Object
	if err := c.Get(context.Background(), "/nodes/pve1/qemu/100/config", nil, &out); err != nil || n.Load() != 2 {
		t.Errorf("GET: %v after %d tries", err, n.Load())
	}
}

func TestCheckAdvice(t *testing.T) {
	for path, want := range map[string]string{
		"/nodes/pve1/qemu/100/status/start":   "the tasks of node pve1 (GET /nodes/pve1/tasks) and GET /nodes/pve1/qemu/100/status/current",
		"/nodes/pve1/lxc/200/config":          "the tasks of node pve1 (GET /nodes/pve1/tasks) and GET /nodes/pve1/lxc/200/config",
		"/nodes/pve1/qemu/100/snapshot/s1":    "the tasks of node pve1 (GET /nodes/pve1/tasks) and GET /nodes/pve1/qemu/100/snapshot",
		"/nodes/pve1/network":                 "the tasks of node pve1 (GET /nodes/pve1/tasks) and the state of /nodes/pve1/network",
		"/cluster/backup":                     "GET /cluster/backup",
		"/nodes/pve1/storage/local/content/x": "the tasks of node pve1 (GET /nodes/pve1/tasks) and the state of /nodes/pve1/storage/local/content/x",
	} {
		if got := checkAdvice(path); got != want {
			t.Errorf("%s: %q, want %q", path, got, want)
		}
	}
}

// With tickets, a write refused with 401 is not sent again; the client logs
// in for later requests, and says so, or says that the login failed too.
func TestTicket401AfterWriteNotResent(t *testing.T) {
	f := &fakeLogin{}
	c := ticketClient(t, f, noRetries)
	ctx := context.Background()
	if err := c.Get(ctx, "/version", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, call := range []func() error{
		func() error { return c.Put(ctx, "/nodes/pve1/qemu/100/config", nil, nil) },
		func() error { return c.Delete(ctx, "/nodes/pve1/qemu/100", nil, nil) },
	} {
		f.mu.Lock()
		f.failAuth = 1 // as if relayed from the node that ran it
		f.mu.Unlock()
		err := call()
		if !IsUnknownOutcome(err) || IsAuth(err) || !strings.Contains(err.Error(), "logged in again but did not resend it") ||
			!strings.Contains(err.Error(), "may or may not have been carried out") {
			t.Errorf("err = %v", err)
		}
	}
	logins, reqs, refused := f.state()
	if len(logins) != 3 || refused != 2 || len(reqs) != 1 {
		t.Errorf("logins %v, refused %d, requests %v; want 3 logins, 2 refused, only the first GET", logins, refused, reqs)
	}

	// The password no longer works: the write's outcome is still unknown,
	// and the failed login is there to read.
	f.expireAll()
	c.tickets.password = "changed"
	err := c.Post(ctx, "/nodes/pve1/qemu/100/status/start", nil, nil)
	if !IsUnknownOutcome(err) || !IsAuth(err) || !strings.Contains(err.Error(), "logging in again failed") ||
		strings.Contains(err.Error(), "changed") || !strings.Contains(err.Error(), maybeRan) {
		t.Errorf("failed login: %v", err)
	}
}
