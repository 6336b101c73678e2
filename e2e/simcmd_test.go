package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSimCommand runs `proxmox-mcp-server sim --plain-http` as a separate
// process, reads the PROXMOX_* it prints, and drives the server against it.
func TestSimCommand(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	sim := exec.Command(binary, "sim", "--plain-http", "--listen", addr, "--speed", "0.02")
	sim.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Process.Signal(syscall.SIGTERM); _ = sim.Wait() })
	env := map[string]string{"PVE_READONLY": "false"}
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(10 * time.Second)
	for len(env) < 4 && lines.Scan() && time.Now().Before(deadline) {
		line := strings.TrimPrefix(lines.Text(), "export ")
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "PROXMOX_") {
			env[k] = strings.Trim(v, "'")
		}
	}
	if env["PROXMOX_HOST"] != "http://"+addr || env["PROXMOX_TOKEN_SECRET"] == "" {
		t.Fatalf("sim printed %v", env)
	}
	go func() {
		for lines.Scan() {
		}
	}()
	c := start(t, env, clientOpts{})
	var v struct{ Version string }
	c.ok("pve_version", nil, &v)
	if !strings.HasPrefix(v.Version, "9.1") {
		t.Errorf("version %q", v.Version)
	}
	c.task("pve_vm_create", m("node", "pve2", "vmid", 800, "disk", m("storage", "local-lvm", "sizeGb", 1)))
	c.task("pve_vm_start", m("node", "pve2", "vmid", 800))
	if s := c.status("vm", "pve2", 800); s != "running" {
		t.Errorf("status %s", s)
	}
}
