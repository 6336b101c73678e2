package demo

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noEnv(string) (string, bool) { return "", false }

func TestTour(t *testing.T) {
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := Run(ctx, Options{Args: []string{"--tour"}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: noEnv})
	if err != nil {
		t.Fatalf("tour: %v\n%s", err, errb.String())
	}
	for _, want := range []string{"create: task OK", "start: task OK", "status running", "snapshot_create: task OK",
		"clone: task OK", "refused", "delete: task OK", "Done."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("tour output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTerminalGetsAnExplanation(t *testing.T) {
	var out, errb bytes.Buffer
	err := Run(context.Background(), Options{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: noEnv, IsTTY: true, Exe: "/usr/local/bin/proxmox-mcp-server"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"simulated cluster of 3 nodes", "demo --tour", "@modelcontextprotocol/inspector", `"args": ["demo"]`} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("explanation lacks %q:\n%s", want, errb.String())
		}
	}
	if out.Len() != 0 {
		t.Errorf("stdout is for MCP only, got %q", out.String())
	}
}

func TestNoExplanationForClients(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Run(context.Background(), Options{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: noEnv}); err != nil {
		t.Fatal(err)
	}
	if errb.Len() != 0 || out.Len() != 0 {
		t.Errorf("unexpected output: %q %q", out.String(), errb.String())
	}
}

// The banner of a `go run` binary names commands that survive it.
func TestBannerAfterGoRun(t *testing.T) {
	for _, tc := range []struct{ exe, want, notWant string }{
		{"/tmp/go-build123/b001/exe/proxmox-mcp-server", "go run ./cmd/proxmox-mcp-server demo --tour", "go-build"},
		{filepath.Join(os.TempDir(), "x", "proxmox-mcp-server"), `"command": "proxmox-mcp-server", "args": ["demo"]`, os.TempDir()},
		{"/tmp/go-build1/b001/exe/proxmox-mcp-server", "claude mcp add proxmox-demo -- proxmox-mcp-server demo", "/tmp"},
		{"/usr/local/bin/proxmox-mcp-server", `"command": "/usr/local/bin/proxmox-mcp-server", "args": ["demo"]`, "go run"},
	} {
		var b bytes.Buffer
		explain(&b, tc.exe, 3, false)
		if !strings.Contains(b.String(), tc.want) || strings.Contains(b.String(), tc.notWant) {
			t.Errorf("%s: want %q and not %q in\n%s", tc.exe, tc.want, tc.notWant, b.String())
		}
	}
}

func TestDemoHelpListsVariables(t *testing.T) {
	var out, errb bytes.Buffer
	err := Run(context.Background(), Options{Args: []string{"--help"}, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: noEnv})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"-tour", "PVE_READONLY", "PVE_TOOLSETS", "LOG_LEVEL"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, errb.String())
		}
	}
}
