package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// npmOnce installs e2e/tsclient's pinned packages once per test run.
var npmOnce = sync.OnceValue(func() error {
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = "tsclient"
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &npmError{err: err, out: string(out)}
	}
	return nil
})

type npmError struct {
	err error
	out string
}

func (e *npmError) Error() string { return "npm ci in e2e/tsclient: " + e.err.Error() + "\n" + e.out }

// runTS runs e2e/tsclient/scenarios/NAME.mjs: the official TypeScript SDK
// client connected over stdio to the built binary (with args), which gets
// the simulator's credentials plus env. It returns what the scenario
// returned, as JSON. Needs npm and the npm registry: PVE_MCP_NPM=1
// (.ci/tsclient.sh sets it).
func runTS(t *testing.T, cl *cluster, name string, env map[string]string, args ...string) json.RawMessage {
	t.Helper()
	if os.Getenv("PVE_MCP_NPM") != "1" {
		t.Skip("needs node, npm and the npm registry: set PVE_MCP_NPM=1 (.ci/tsclient.sh does)")
	}
	if err := npmOnce(); err != nil {
		t.Fatal(err)
	}
	id, secret := cl.sim.DefaultToken()
	cmd := exec.Command("node", append([]string{"run.mjs", name, binary}, args...)...)
	cmd.Dir = "tsclient"
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"PROXMOX_HOST=" + cl.url, "PROXMOX_TOKEN_ID=" + id, "PROXMOX_TOKEN_SECRET=" + secret, "PVE_READONLY=false"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v", err)
	}
	kill := time.AfterFunc(90*time.Second, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("scenario %s: %v\nstderr:\n%s", name, err, stderr.String())
	}
	if strings.Contains(stderr.String(), secret) || strings.Contains(stdout.String(), secret) {
		t.Errorf("scenario %s: the token secret appeared in the output", name)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return json.RawMessage(lines[len(lines)-1])
}

// TestTSClientTools: the TypeScript SDK client connects, lists the tools
// and calls one.
func TestTSClientTools(t *testing.T) {
	cl := newCluster(t, 50)
	var out struct {
		Tools  int
		Server struct{ Name, Version string }
	}
	if err := json.Unmarshal(runTS(t, cl, "tools", nil), &out); err != nil {
		t.Fatal(err)
	}
	if out.Tools < 20 || out.Server.Name != "proxmox-mcp-server" {
		t.Errorf("the TypeScript client saw %+v", out)
	}
}
