package main

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	if !tuneGC(func(string) (string, bool) { return "", false }) {
		t.Fatal("GOGC unset: tuneGC left the target")
	}
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Fatalf("GOGC unset: collector at %d, want %d", got, serverGCPercent)
	}
	// A GOGC the user set is what the runtime read; it stays.
	if tuneGC(func(k string) (string, bool) { return "100", k == "GOGC" }) {
		t.Fatal("GOGC=100: tuneGC changed the target")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC=100: collector at %d, want 100", got)
	}
}

func TestOnSecondMessage(t *testing.T) {
	n := 0
	h := onSecondMessage(func() { n++ })(func(context.Context, string, mcp.Request) (mcp.Result, error) { return nil, nil })
	for i, m := range []string{"initialize", "notifications/initialized", "tools/list", "tools/call"} {
		if _, err := h(context.Background(), m, nil); err != nil {
			t.Fatal(err)
		}
		if want := min(i, 1); n != want {
			t.Fatalf("after %d messages f ran %d times, want %d", i+1, n, want)
		}
	}
}
