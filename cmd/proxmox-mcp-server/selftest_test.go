package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func TestSelftestLive(t *testing.T) {
	c := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.01}})
	env := c.Env(map[string]string{"PVE_READONLY": "true"})
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	args := []string{"--live", "--ids", "990-995", "--template-url", "https://93.184.216.34/images/debian-12-standard_12.7-1_amd64.tar.zst"}
	var out, errb bytes.Buffer
	if err := runSelftest(context.Background(), args, getenv, &out, &errb); err != nil {
		t.Fatalf("selftest: %v\n%s\n%s", err, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "WRITES ENABLED") || !strings.Contains(out.String(), "nothing left behind") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	if _, secret := c.Sim.DefaultToken(); strings.Contains(out.String()+errb.String(), secret) {
		t.Error("the token secret is in the output")
	}

	// A step fails: the table says which, the exit status says so.
	if _, err := c.Sim.AddFault(pvesim.Fault{Kind: pvesim.FaultTaskFail, TaskType: "qmclone", Message: "injected", Count: 1}); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runSelftest(context.Background(), args, getenv, &out, &errb); !errors.Is(err, errSweepFailed) ||
		!strings.Contains(out.String(), "injected") {
		t.Errorf("failed step: %v\n%s", err, out.String())
	}

	// An id in use: refused, listed, the exit status says so.
	out.Reset()
	errb.Reset()
	args[2] = "100-105"
	err := runSelftest(context.Background(), args, getenv, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "100 (qemu on pve1)") {
		t.Errorf("id in use: %v", err)
	}
}

func TestSelftestFlags(t *testing.T) {
	getenv := func(string) (string, bool) { return "", false }
	for _, args := range [][]string{{}, {"--live", "--ids", "990"}, {"--live", "--ids", "990-991"}, {"--live", "extra"}} {
		var out, errb bytes.Buffer
		err := runSelftest(context.Background(), args, getenv, &out, &errb)
		if err == nil || errors.Is(err, errSweepFailed) {
			t.Errorf("%v: %v", args, err)
		}
	}
}
