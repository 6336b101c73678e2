package demo

import (
	"bytes"
	"context"
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
