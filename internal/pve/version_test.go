package pve

import (
	"context"
	"net/http"
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
