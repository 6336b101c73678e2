// Package dist checks a release build (goreleaser's dist directory, named by
// PVE_MCP_DIST; .ci/release.sh makes one): checksums, the six archives and
// what is in them, the SBOMs and the Homebrew cask, and the host's binary
// run straight out of its archive, as a user without Go would run it.
package dist

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// platforms are the release's targets.
var platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

type release struct {
	dir     string
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
}

func open(t *testing.T) *release {
	t.Helper()
	dir := os.Getenv("PVE_MCP_DIST")
	if dir == "" {
		t.Skip("no release build: set PVE_MCP_DIST (.ci/release.sh does)")
	}
	r := &release{dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, r); err != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	return r
}

func (r *release) archive(platform string) string {
	goos, goarch, _ := strings.Cut(platform, "/")
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return "proxmox-mcp-server_" + r.Version + "_" + goos + "_" + goarch + ext
}

// TestBuiltFromHead: the release says which commit it is, and it is the
// one checked out here.
func TestBuiltFromHead(t *testing.T) {
	r := open(t)
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse: %v", err)
	}
	if r.Commit != strings.TrimSpace(string(head)) {
		t.Errorf("metadata.json commit %q, HEAD is %s", r.Commit, head)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(r.Version) {
		t.Errorf("version %q is not semver", r.Version)
	}
}

// TestChecksums: checksums.txt covers every archive and SBOM, and each sum
// is right.
func TestChecksums(t *testing.T) {
	r := open(t)
	b, err := os.ReadFile(filepath.Join(r.dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("checksums.txt line %q", line)
		}
		listed[name] = true
		if got := fileSum(t, filepath.Join(r.dir, name)); got != sum {
			t.Errorf("%s: sha256 %s, checksums.txt says %s", name, got, sum)
		}
	}
	for _, p := range platforms {
		sbom := strings.TrimSuffix(strings.TrimSuffix(r.archive(p), ".tar.gz"), ".zip") + ".cdx.json"
		for _, name := range []string{r.archive(p), sbom} {
			if !listed[name] {
				t.Errorf("checksums.txt does not list %s", name)
			}
		}
	}
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestHostArchiveRuns unpacks this machine's archive and runs the binary
// from it: `version`, and `demo` answering an MCP initialize over stdio.
func TestHostArchiveRuns(t *testing.T) {
	r := open(t)
	platform := runtime.GOOS + "/" + runtime.GOARCH
	files := unpack(t, filepath.Join(r.dir, r.archive(platform)))
	exe := "proxmox-mcp-server"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	bin := filepath.Join(t.TempDir(), exe)
	if err := os.WriteFile(bin, files[exe], 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	want := "proxmox-mcp-server " + r.Version + " (commit " + r.Commit[:12] + ", "
	if !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), runtime.Version()[:4]) {
		t.Errorf("version printed %q, want it to start %q", out, want)
	}
	if got := initialize(t, bin); got != r.Version {
		t.Errorf("serverInfo.version %q, want %s", got, r.Version)
	}
}

// initialize runs `demo`, sends it an initialize line and returns the
// version the server reports.
func initialize(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "demo")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("demo: %v", err)
	}
	kill := time.AfterFunc(30*time.Second, func() { _ = cmd.Process.Kill() })
	defer kill.Stop()
	const req = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"dist-test","version":"0"}}}` + "\n"
	if _, err := stdin.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	stdin.Close() // demo ends at the end of its input
	if werr := cmd.Wait(); err != nil || werr != nil {
		t.Fatalf("demo: read %v, exit %v", err, werr)
	}
	var resp struct {
		Result struct {
			ServerInfo struct{ Name, Version string } `json:"serverInfo"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &resp); err != nil || resp.Result.ServerInfo.Name != "proxmox-mcp-server" {
		t.Fatalf("demo answered %q (%v)", line, err)
	}
	return resp.Result.ServerInfo.Version
}
