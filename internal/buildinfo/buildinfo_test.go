package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestGet(t *testing.T) {
	i := Get()
	if i.Version == "" || strings.HasPrefix(i.Version, "v") {
		t.Errorf("version %q", i.Version)
	}
	if i.Go != runtime.Version() {
		t.Errorf("go %q, want %q", i.Go, runtime.Version())
	}
}

func TestString(t *testing.T) {
	i := Info{Version: "1.2.3", Commit: "0123456789abcdef0123", Date: "2026-12-02T10:00:00Z", Go: "go1.26.8", Modified: true}
	if got, want := i.String(), "1.2.3 (commit 0123456789ab+dirty, 2026-12-02T10:00:00Z, go1.26.8)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := (Info{Version: "1.2.3"}).String(); got != "1.2.3" {
		t.Errorf("bare: %q", got)
	}
}
