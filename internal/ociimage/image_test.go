package ociimage

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The release's path end to end: the server built as the release builds it,
// the image written as a layout tar and read back as a runtime would, its
// filesystem unpacked, and the binary run from there as the image's user:
// `version`, and `demo` answering an MCP initialize over stdio.
func TestImageRunsTheServer(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is Linux; its binary runs only on Linux")
	}
	if _, err := os.Stat(DefaultCAFile); err != nil {
		t.Skipf("no CA bundle on this machine (%v): apt-get install ca-certificates", err)
	}
	host := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	work := t.TempDir()
	bin := filepath.Join(work, "proxmox-mcp-server")
	goBuild(t, "../..", nil, "-ldflags", LDFlags("9.8.7-test", "0123456789abcdef", "2026-01-02T03:04:05Z"),
		"-o", bin, "./cmd/proxmox-mcp-server")

	created := time.Unix(1767225600, 0)
	idx, err := Build(Options{Version: "9.8.7-test", Revision: "0123456789abcdef", Created: created,
		Binaries: []Binary{{Platform: host, Path: bin}}})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "image.tar")
	if err := WriteLayoutTar(out, idx, "proxmox-mcp-server:9.8.7-test", created); err != nil {
		t.Fatal(err)
	}
	dockerOut := filepath.Join(work, "docker.tar")
	if err := WriteDockerTar(dockerOut, idx, host, "proxmox-mcp-server:9.8.7-test"); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err == nil {
		t.Logf("layout tar %.1f MiB", float64(st.Size())/(1<<20))
	}

	read, desc := readLayoutTar(t, out)
	if desc.Annotations["org.opencontainers.image.ref.name"] != "proxmox-mcp-server:9.8.7-test" ||
		desc.Annotations["io.containerd.image.name"] != "docker.io/library/proxmox-mcp-server:9.8.7-test" {
		t.Errorf("index.json names the image %v", desc.Annotations)
	}
	if got := platforms(t, read); len(got) != 1 || got[0] != host.String() {
		t.Errorf("platforms %v, want [%s]", got, host)
	}
	img, err := PlatformImage(read, host)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, cf, host.String(), "9.8.7-test", "0123456789abcdef")
	if !cf.Created.Time.Equal(created) {
		t.Errorf("created %v, want %v", cf.Created.Time, created)
	}

	// The docker save tar holds the same image: same config, same layers.
	dimg, err := tarball.ImageFromPath(dockerOut, nil)
	if err != nil {
		t.Fatalf("reading docker tar: %v", err)
	}
	want, _ := img.ConfigName()
	if got, err := dimg.ConfigName(); err != nil || got != want {
		t.Errorf("docker tar config %s (%v), layout's %s", got, err, want)
	}

	root := filepath.Join(work, "rootfs")
	rc := mutate.Extract(img)
	untar(t, rc, root)
	rc.Close()
	checkFiles(t, root)

	version := runImage(t, root, cf.Config, []string{"version"}, "")
	if !strings.Contains(version, "proxmox-mcp-server 9.8.7-test") || !strings.Contains(version, "commit 0123456789ab") {
		t.Errorf("version printed %q", version)
	}
	checkDemo(t, root, cf.Config, "9.8.7-test")
}

// TestDistImageRunsTheServer runs the image of a release build:
// PVE_MCP_DIST names goreleaser's dist directory after .ci/release.sh
// built the image from its linux binaries.
func TestDistImageRunsTheServer(t *testing.T) {
	dist := os.Getenv("PVE_MCP_DIST")
	if dist == "" {
		t.Skip("no release build: set PVE_MCP_DIST (.ci/release.sh does)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the image is Linux; its binary runs only on Linux")
	}
	var meta struct{ Version, Commit string }
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	idx, _ := readLayoutTar(t, filepath.Join(dist, "proxmox-mcp-server_"+meta.Version+"_oci.tar"))
	if got := platforms(t, idx); strings.Join(got, " ") != "linux/amd64 linux/arm64" {
		t.Errorf("platforms %v, want linux/amd64 and linux/arm64", got)
	}
	img, err := PlatformImage(idx, v1.Platform{OS: "linux", Architecture: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	checkConfig(t, cf, "linux/"+runtime.GOARCH, meta.Version, meta.Commit)
	root := filepath.Join(t.TempDir(), "rootfs")
	rc := mutate.Extract(img)
	untar(t, rc, root)
	rc.Close()
	checkFiles(t, root)
	version := runImage(t, root, cf.Config, []string{"version"}, "")
	if !strings.Contains(version, "proxmox-mcp-server "+meta.Version+" (commit "+meta.Commit[:12]) {
		t.Errorf("version printed %q, want %s at %s", version, meta.Version, meta.Commit)
	}
	checkDemo(t, root, cf.Config, meta.Version)
}

// checkFiles checks the unpacked image's files other than the binary.
func checkFiles(t *testing.T, root string) {
	t.Helper()
	pemBytes, err := os.ReadFile(filepath.Join(root, CAPath))
	if err != nil {
		t.Fatalf("CA bundle: %v", err)
	}
	n := 0
	for rest := pemBytes; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			t.Fatalf("certificate %d in the bundle: %v", n, err)
		}
		n++
	}
	if n < 10 {
		t.Errorf("CA bundle holds %d certificates", n)
	}
	passwd, err := os.ReadFile(filepath.Join(root, PasswdPath))
	if err != nil || !strings.Contains(string(passwd), "nonroot:x:65532:65532:nonroot:"+HomePath+":") {
		t.Errorf("passwd %q (%v)", passwd, err)
	}
	group, err := os.ReadFile(filepath.Join(root, GroupPath))
	if err != nil || !strings.Contains(string(group), "nonroot:x:65532:") {
		t.Errorf("group %q (%v)", group, err)
	}
	st, err := os.Stat(filepath.Join(root, TmpPath))
	if err != nil || !st.IsDir() || st.Mode().Perm() != 0o777 || st.Mode()&os.ModeSticky == 0 {
		t.Errorf("/tmp: %v (%v), want a sticky directory writable by all", st.Mode(), err)
	}
	if st, err := os.Stat(filepath.Join(root, BinaryPath)); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("binary: %v", err)
	}
}

// runImage runs the image's entrypoint with args and the image's
// environment. As root it runs as a runtime would: chrooted into the
// unpacked image as its user, so nothing of this machine's is at hand
// (no libc, no /etc, no /proc); otherwise it runs the unpacked binary.
func runImage(t *testing.T, root string, c v1.Config, args []string, stdin string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := imageCommand(ctx, root, c, args)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running %v from the image: %v\n%s", args, err, stderrOf(err))
	}
	return string(out)
}

func imageCommand(ctx context.Context, root string, c v1.Config, args []string) *exec.Cmd {
	entry := c.Entrypoint[0]
	if os.Geteuid() != 0 {
		cmd := exec.CommandContext(ctx, filepath.Join(root, entry), args...)
		cmd.Env = c.Env
		return cmd
	}
	cmd := exec.CommandContext(ctx, entry, args...)
	cmd.Env = c.Env
	cmd.Dir = "/"
	// c.User is "65532:65532", checked by checkConfig.
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: UID, Gid: UID}}
	return cmd
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// checkDemo sends demo an initialize line and reads the answer line.
func checkDemo(t *testing.T, root string, c v1.Config, version string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := imageCommand(ctx, root, c, []string{"demo"})
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting demo from the image: %v", err)
	}
	const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"ociimage-test","version":"0"}}}` + "\n"
	if _, err := io.WriteString(stdin, initialize); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		t.Fatalf("reading demo's answer: %v; stderr:\n%s", err, stderr.String())
	}
	stdin.Close() // demo ends at the end of its input
	if err := cmd.Wait(); err != nil {
		t.Errorf("demo: %v; stderr:\n%s", err, stderr.String())
	}
	var resp struct {
		ID     int `json:"id"`
		Result struct {
			ServerInfo struct {
				Name    string `json:"name"`
				Version string `json:"version"`
			} `json:"serverInfo"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		t.Fatalf("demo answered %q: %v", line, err)
	}
	if resp.ID != 1 || resp.Result.ServerInfo.Name != "proxmox-mcp-server" {
		t.Errorf("demo answered %s", line)
	}
	if resp.Result.ServerInfo.Version != version {
		t.Errorf("serverInfo.version %q, want the build's %s", resp.Result.ServerInfo.Version, version)
	}
}
