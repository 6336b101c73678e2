package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)
	if got := tuneGC(func(string) (string, bool) { return "", false }); got != serverGCPercent {
		t.Fatalf("GOGC unset: tuneGC = %d, want %d", got, serverGCPercent)
	}
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Fatalf("GOGC unset: collector at %d, want %d", got, serverGCPercent)
	}
	// A GOGC the user set is what the runtime read; it stays.
	if got := tuneGC(func(k string) (string, bool) { return "100", k == "GOGC" }); got != 100 {
		t.Fatalf("GOGC=100: tuneGC = %d, want 100", got)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC=100: collector at %d, want 100", got)
	}
}
