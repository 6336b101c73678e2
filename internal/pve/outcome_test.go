package pve

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// A failed write says whether it may have run; a failed read does not need to.
func TestFailedWritesSayWhetherTheyMayHaveRun(t *testing.T) {
	const maybe = "may or may not have been carried out"
	const accepted = "Proxmox accepted the POST"
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    string // in the POST error; "" = neither hint
	}{
		{"reset", func(w http.ResponseWriter, r *http.Request) { resetConn(t, w) }, maybe},
		{"non-JSON 200", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("this is not JSON")) }, accepted},
		{"500", func(w http.ResponseWriter, r *http.Request) { rawResponse(t, w, "500 VM 100 not running", "", "") }, ""},
	}
	for _, tc := range cases {
		c := newTestClient(t, tc.handler, noRetries)
		err := c.Post(context.Background(), "/nodes/pve1/qemu/100/status/stop", nil, nil)
		text := ""
		if err != nil {
			text = err.Error()
		}
		if err == nil || (tc.want != "" && !strings.Contains(text, tc.want)) ||
			(tc.want == "" && (strings.Contains(text, maybe) || strings.Contains(text, accepted))) {
			t.Errorf("%s POST: err = %v", tc.name, err)
		}
		if err := c.Get(context.Background(), "/version", nil, nil); err == nil || strings.Contains(err.Error(), maybe) || strings.Contains(err.Error(), "accepted the") {
			t.Errorf("%s GET: err = %v", tc.name, err)
		}
	}
	// Nothing listens: the dial fails, nothing was sent.
	c, err := New(Options{BaseURL: "http://127.0.0.1:1", TokenID: testTokenID, TokenSecret: testSecret, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Post(context.Background(), "/nodes/pve1/qemu", nil, nil); err == nil || strings.Contains(err.Error(), maybe) {
		t.Errorf("refused dial: err = %v", err)
	}
}

func TestWaitTaskVanished(t *testing.T) {
	gone := &fakeTask{running: -1, statusFault: func(_ int, w http.ResponseWriter) bool {
		rawResponse(t, w, "400 Parameter verification failed.", "application/json", `{"data":null,"errors":{"upid":"no such task"}}`)
		return true
	}}
	_, err := gone.client(t).WaitTask(context.Background(), testUPID, fast)
	if err == nil || !strings.Contains(err.Error(), "no longer knows this task") || !strings.Contains(err.Error(), "unknown") {
		t.Errorf("gone: err = %v", err)
	}
	killed := &fakeTask{exit: "unexpected status", lines: []string{"starting"}}
	_, err = killed.client(t).WaitTask(context.Background(), testUPID, fast)
	if err == nil || !strings.Contains(err.Error(), "without reporting a result") {
		t.Errorf("killed: err = %v", err)
	}
}
