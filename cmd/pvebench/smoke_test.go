package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickAgainstBuiltBinary builds the server and runs the bench with
// -quick -compare (a few seconds; it builds the baseline itself), so the
// scenarios stay exercised in CI.
func TestQuickAgainstBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server")
	}
	bin := filepath.Join(t.TempDir(), "proxmox-mcp-server")
	if out, err := exec.Command("go", "build", "-o", bin, "../proxmox-mcp-server").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-bin", bin, "-quick", "-compare"}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"cold start", "tools/list", "stdio CPU per small call, 32", "http CPU per small call, 1", "peak RSS",
		"cold start, bare go-sdk", "cold start ours / bare", "cold start CPU ours / bare", "peak RSS ours / bare", "anon", "bare + an HTTPS GET per call", "peak RSS bare + GET / bare", "bare http CPU per small call, 32",
		"cold start (ms), ours / bare go-sdk", "targets met"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"-bin", bin, "-tasks", "-task-lengths", "0.3,1.1,0.6", "-task-parallel", "2"}, &out); err != nil {
		t.Fatalf("-tasks: %v\n%s", err, out.String())
	}
	for _, want := range []string{"task lag, no percent lines, 2 tasks", "task lag, percent lines, progress asked, 1 tasks",
		"status polls per second", " 0 to paths it does not serve"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-tasks: no %q in\n%s", want, out.String())
		}
	}
}
