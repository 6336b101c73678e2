package bundles

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBundleRuns packs a bundle for this platform with the official CLI,
// unpacks it, fills mcp_config as Claude Desktop does and talks MCP to the
// bundled binary against the simulator.
func TestBundleRuns(t *testing.T) {
	if os.Getenv("PVE_MCP_NPM") != "1" {
		t.Skip("needs npx and the npm registry: set PVE_MCP_NPM=1 (.ci/bundles.sh does)")
	}
	out := t.TempDir()
	pack := exec.Command("sh", "../mcpb/pack.sh", out, runtime.GOOS+"/"+runtime.GOARCH)
	if b, err := pack.CombinedOutput(); err != nil {
		t.Fatalf("pack.sh: %v\n%s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.mcpb"))
	if len(files) != 1 {
		t.Fatalf("want one .mcpb, got %v", files)
	}
	runBundle(t, files[0], "")
}

// TestDistBundleRuns runs this platform's bundle of a release build:
// PVE_MCP_DIST names goreleaser's dist directory after .ci/release.sh
// packed the bundles from its binaries.
func TestDistBundleRuns(t *testing.T) {
	dist := os.Getenv("PVE_MCP_DIST")
	if dist == "" {
		t.Skip("no release build: set PVE_MCP_DIST (.ci/release.sh does)")
	}
	var meta struct{ Version string }
	readJSON(t, filepath.Join(dist, "metadata.json"), &meta)
	file := filepath.Join(dist, "proxmox-mcp-server-"+meta.Version+"-"+runtime.GOOS+"-"+runtime.GOARCH+".mcpb")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no bundle for this platform in the release: %v", err)
	}
	runBundle(t, file, meta.Version)
}

// runBundle unpacks a bundle, checks its files, and talks MCP to its
// binary as Claude Desktop would run it; version, when given, is the one
// the server must report.
func runBundle(t *testing.T, file, version string) {
	t.Helper()
	dir := t.TempDir()
	unzip(t, file, dir)
	for _, f := range []string{"LICENSE", "NOTICE", "THIRD_PARTY_LICENSES.md"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the bundle lacks %s", f)
		}
	}

	var m struct {
		Server struct {
			MCPConfig struct {
				Command string            `json:"command"`
				Args    []string          `json:"args"`
				Env     map[string]string `json:"env"`
			} `json:"mcp_config"`
		} `json:"server"`
	}
	readJSON(t, filepath.Join(dir, "manifest.json"), &m)
	bin := strings.ReplaceAll(m.Server.MCPConfig.Command, "${__dirname}", dir)

	sim := exec.Command(bin, "sim", "--plain-http", "--listen", "127.0.0.1:0")
	simOut, err := sim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		t.Fatalf("start sim: %v", err)
	}
	t.Cleanup(func() { _ = sim.Process.Kill(); _ = sim.Wait() })
	simEnv := map[string]string{}
	sc := bufio.NewScanner(simOut)
	for len(simEnv) < 3 && sc.Scan() {
		if k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "="); ok && !strings.HasPrefix(k, "#") {
			simEnv[k] = strings.Trim(v, "'")
		}
	}
	go func() { _, _ = io.Copy(io.Discard, simOut) }()

	// What the user typed in Claude Desktop's form; the optional fields stay
	// empty, as Desktop sends them.
	userConfig := map[string]string{
		"host": simEnv["PROXMOX_HOST"], "token_id": simEnv["PROXMOX_TOKEN_ID"],
		"token_secret": simEnv["PROXMOX_TOKEN_SECRET"], "readonly": "true",
		"tls_fingerprint": "", "toolsets": "",
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range m.Server.MCPConfig.Env {
		for name, value := range userConfig {
			v = strings.ReplaceAll(v, "${user_config."+name+"}", value)
		}
		if strings.Contains(v, "${") {
			t.Fatalf("%s=%s: unknown placeholder", k, v)
		}
		env = append(env, k+"="+v)
	}
	srv := exec.Command(bin, m.Server.MCPConfig.Args...)
	srv.Env = env
	stdin, _ := srv.StdinPipe()
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = srv.Wait() })
	replies := bufio.NewScanner(stdout)
	replies.Buffer(nil, 16<<20)
	call := func(id int, method string, params any) map[string]any {
		t.Helper()
		req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
		if _, err := stdin.Write(append(req, '\n')); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		done := time.AfterFunc(30*time.Second, func() { _ = srv.Process.Kill() })
		defer done.Stop()
		for replies.Scan() {
			var r map[string]any
			if json.Unmarshal(replies.Bytes(), &r) == nil && r["id"] == float64(id) {
				if r["error"] != nil {
					t.Fatalf("%s: %v", method, r["error"])
				}
				return r["result"].(map[string]any)
			}
		}
		t.Fatalf("%s: no answer", method)
		return nil
	}
	init := call(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "bundle-test", "version": "1"}})
	if info, _ := init["serverInfo"].(map[string]any); version != "" && info["version"] != version {
		t.Errorf("serverInfo %v, want version %s", info, version)
	}
	_, _ = stdin.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"))
	tools := call(2, "tools/list", map[string]any{})["tools"].([]any)
	found := false
	for _, tool := range tools {
		found = found || tool.(map[string]any)["name"] == "pve_list_nodes"
	}
	if !found {
		t.Fatalf("pve_list_nodes not among %d tools", len(tools))
	}
	res := call(3, "tools/call", map[string]any{"name": "pve_list_nodes", "arguments": map[string]any{}})
	text, _ := json.Marshal(res)
	if res["isError"] == true || !strings.Contains(string(text), "pve1") {
		t.Fatalf("pve_list_nodes: %s", text)
	}
}

func unzip(t *testing.T, file, dir string) {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(dst, dir+string(filepath.Separator)) {
			t.Fatalf("%s leaves the bundle", f.Name)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, f.Mode()|0o600); err != nil {
			t.Fatal(err)
		}
	}
}
