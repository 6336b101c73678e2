// Package bundles checks the distribution files (Claude Desktop manifest,
// Claude Code plugin, registry server.json) against the server's config.
package bundles

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/buildinfo"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
}

func TestVersionsAndEnvAgree(t *testing.T) {
	var manifest struct {
		Version string `json:"version"`
		Server  struct {
			MCPConfig struct {
				Env map[string]string `json:"env"`
			} `json:"mcp_config"`
		} `json:"server"`
	}
	readJSON(t, "../mcpb/manifest.json", &manifest)
	var server struct {
		Version  string `json:"version"`
		Packages []struct {
			Identifier string `json:"identifier"`
			Env        []struct {
				Name string `json:"name"`
			} `json:"environmentVariables"`
		} `json:"packages"`
	}
	readJSON(t, "../../server.json", &server)
	var plugin struct {
		Version string `json:"version"`
	}
	readJSON(t, "../../.claude-plugin/plugin.json", &plugin)
	want := buildinfo.Get().Version
	if manifest.Version != want || server.Version != want || plugin.Version != want {
		t.Errorf("versions: manifest %q, server.json %q, plugin.json %q, buildinfo %q", manifest.Version, server.Version, plugin.Version, want)
	}
	names := map[string]bool{}
	for name := range manifest.Server.MCPConfig.Env {
		names[name] = true
	}
	for _, p := range server.Packages {
		if !strings.HasSuffix(p.Identifier, ":"+want) {
			t.Errorf("package %s does not carry version %s", p.Identifier, want)
		}
		for _, e := range p.Env {
			if !names[e.Name] {
				t.Errorf("server.json variable %s not in the manifest", e.Name)
			}
			delete(names, e.Name)
		}
	}
	for n := range names {
		t.Errorf("manifest variable %s not in server.json", n)
	}
	known := map[string]bool{}
	for _, v := range config.Vars() {
		known[v.Name] = true
	}
	for name := range manifest.Server.MCPConfig.Env {
		if !known[name] {
			t.Errorf("manifest variable %s is not one the server reads (internal/config/vars.go)", name)
		}
	}
}

func TestLauncher(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the launcher is a POSIX sh script")
	}
	launcher, err := filepath.Abs("../../bin/proxmox-mcp-server-launch")
	if err != nil {
		t.Fatal(err)
	}
	fake := func(dir, word string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		script := "#!/bin/sh\necho " + word + " \"$@\"\n"
		if err := os.WriteFile(filepath.Join(dir, "proxmox-mcp-server"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run := func(path, root string) (string, string, error) {
		cmd := exec.Command("/bin/sh", launcher, "version")
		cmd.Env = []string{"PATH=" + path, "CLAUDE_PLUGIN_ROOT=" + root}
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	sys := "/usr/bin:/bin"
	root := t.TempDir()
	if _, stderr, err := run(sys, root); err == nil || !strings.Contains(stderr, "brew install --cask") || !strings.Contains(stderr, "/releases") {
		t.Errorf("no binary: err %v, stderr %q", err, stderr)
	}
	arch := map[string]string{"amd64": "amd64", "arm64": "arm64"}[runtime.GOARCH]
	fake(filepath.Join(root, "bin", runtime.GOOS+"-"+arch), "plugin")
	if out, _, err := run(sys, root); err != nil || out != "plugin version\n" {
		t.Errorf("plugin fallback: %q, %v", out, err)
	}
	onPath := t.TempDir()
	fake(onPath, "path")
	if out, _, err := run(onPath+":"+sys, root); err != nil || out != "path version\n" {
		t.Errorf("PATH lookup: %q, %v", out, err)
	}
}
