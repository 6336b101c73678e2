package httpserver

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestQuickCallAnswersJSON: a call answered within jsonWindow with nothing
// before its answer gets one application/json object (patched SDK,
// JSONResponseWindow), not an event stream.
func TestQuickCallAnswersJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	for _, version := range []string{"2025-06-18", "2025-11-25"} {
		sid := e.openRawVersion(aliceToken, version)
		resp, body := e.raw("POST", Endpoint, withVersion(withSession(aliceToken, sid), version), `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %q %.200s", version, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if n, _ := strconv.Atoi(resp.Header.Get("Content-Length")); n != len(body) {
			t.Errorf("%s: Content-Length %q for %d bytes", version, resp.Header.Get("Content-Length"), len(body))
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil || m["id"] != float64(2) || m["result"] == nil || m["error"] != nil {
			t.Errorf("%s: answer %v %.200s", version, err, body)
		}
	}
}

// TestSlowCallStreams: a call still running when the window passes gets
// the event stream as without the window: the priming event (an id to
// resume from) first, then the answer.
func TestSlowCallStreams(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	b := addBlocker(t, e)
	sid := e.openRawVersion(aliceToken, "2025-11-25")
	start := time.Now()
	s := e.streamPost(t, withVersion(withSession(aliceToken, sid), "2025-11-25"), blockCall(30))
	b.wait(t, 1)
	prime := s.next(t)
	if prime.id == "" || prime.data != "" || !strings.HasSuffix(prime.id, "_0") {
		t.Fatalf("first event %+v, want the priming event", prime)
	}
	if d := time.Since(start); d < jsonWindow {
		t.Errorf("priming event after %v, before the window (%v)", d, jsonWindow)
	}
	b.free()
	answer, last := s.untilID(t, 30)
	if !strings.Contains(last, "_1") || answer["result"] == nil {
		t.Errorf("answer %v with event id %q", answer, last)
	}
}
