package pve

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestVersionCachedAndErrorsNot(t *testing.T) {
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api2/json/version" {
			t.Errorf("path %q", r.URL.Path)
		}
		if n.Add(1) == 1 {
			rawResponse(t, w, "500 temporary failure", "", "")
			return
		}
		writeJSON(w, `{"data":{"version":"9.1.3","release":"9.1","repoid":"0a1b2c3d","console":"xtermjs"}}`)
	}, noRetries)
	ctx := context.Background()
	if _, err := c.Version(ctx); err == nil {
		t.Fatal("first call: want the 500")
	}
	for range 3 {
		v, err := c.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v != (Version{Version: "9.1.3", Release: "9.1", RepoID: "0a1b2c3d", Console: "xtermjs"}) {
			t.Errorf("version %+v", v)
		}
	}
	if n.Load() != 2 {
		t.Errorf("requests = %d, want 2 (one failed, one cached)", n.Load())
	}
}

func TestVersionAtLeast(t *testing.T) {
	cases := []struct {
		v            Version
		major, minor int
		want         bool
	}{
		{Version{Version: "9.1.3"}, 9, 1, true},
		{Version{Version: "9.1.3"}, 9, 2, false},
		{Version{Version: "9.1.3"}, 8, 4, true},
		{Version{Version: "9.1.3"}, 10, 0, false},
		{Version{Version: "7.1-10"}, 7, 1, true},
		{Version{Version: "7.1-10"}, 7, 2, false},
		{Version{Version: "7.1-10"}, 6, 4, true},
		{Version{Version: "8.4"}, 8, 4, true},
		{Version{Version: "8.10.0"}, 8, 9, true},
		{Version{Version: "", Release: "8.4"}, 8, 3, true},
		{Version{Version: "nine"}, 1, 0, false},
		{Version{}, 0, 0, false},
	}
	for _, tc := range cases {
		if got := tc.v.AtLeast(tc.major, tc.minor); got != tc.want {
			t.Errorf("%+v.AtLeast(%d, %d) = %v, want %v", tc.v, tc.major, tc.minor, got, tc.want)
		}
	}
}

// A malformed /version answer is an error naming it, and is not cached: the
// next call asks again and keeps the first usable answer.
func TestVersionMalformedNotCached(t *testing.T) {
	bad := []string{`{"data":null}`, `{"data":"str"}`, `{"data":{}}`, `{"data":{"version":""}}`,
		`{"data":{"version":"nine","release":"9.1"}}`, `{"data":{"version":9.1}}`,
		`{"data":{"version":"` + strings.Repeat("x", 1000) + `"}}`}
	var n atomic.Int32
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if i := int(n.Add(1)) - 1; i < len(bad) {
			writeJSON(w, bad[i])
			return
		}
		writeJSON(w, `{"data":{"version":"9.1.3","release":"9.1","repoid":"0a1b2c3d"}}`)
	}, noRetries)
	ctx := context.Background()
	for _, body := range bad {
		v, err := c.Version(ctx)
		if err == nil || !strings.Contains(err.Error(), "/version answered") || len(err.Error()) > 320 || v != (Version{}) {
			t.Errorf("%.60s: %+v, err (%d bytes) = %v", body, v, len(fmt.Sprint(err)), err)
		}
	}
	for range 2 {
		if v, err := c.Version(ctx); err != nil || v.Version != "9.1.3" {
			t.Fatalf("good answer: %+v, %v", v, err)
		}
	}
	if got := int(n.Load()); got != len(bad)+1 {
		t.Errorf("%d requests, want %d (each bad answer read again, the good one cached)", got, len(bad)+1)
	}
}
