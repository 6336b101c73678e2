package ociimage

import (
	"archive/tar"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestParseBinary(t *testing.T) {
	b, err := ParseBinary("linux/arm64/v8=dist/arm64/proxmox-mcp-server")
	if err != nil {
		t.Fatal(err)
	}
	if b.Platform.String() != "linux/arm64/v8" || b.Path != "dist/arm64/proxmox-mcp-server" {
		t.Errorf("got %s=%s", b.Platform, b.Path)
	}
	for _, bad := range []string{"", "linux/amd64", "linux/amd64=", "=bin", "linux=bin", "a/b/c/d=bin"} {
		if _, err := ParseBinary(bad); err == nil {
			t.Errorf("ParseBinary(%q) took it", bad)
		}
	}
}

// Two platforms under one index, each with the shared base layer and its
// own binary, and every config field the image promises.
func TestBuildMultiPlatform(t *testing.T) {
	amd, arm := buildHello(t, "amd64"), buildHello(t, "arm64")
	idx, err := Build(Options{Version: "1.2.3", Revision: "abc", Binaries: []Binary{
		{Platform: mustPlatform(t, "linux/amd64"), Path: amd},
		{Platform: mustPlatform(t, "linux/arm64"), Path: arm},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := platforms(t, idx), []string{"linux/amd64", "linux/arm64"}; !slices.Equal(got, want) {
		t.Errorf("platforms %v, want %v", got, want)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.index.v1+json" || m.Annotations["io.modelcontextprotocol.server.name"] != MCPName {
		t.Errorf("index %s, annotations %v", m.MediaType, m.Annotations)
	}
	var bases []v1.Hash
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := PlatformImage(idx, mustPlatform(t, "linux/"+arch))
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		checkConfig(t, cf, "linux/"+arch, "1.2.3", "abc")
		layers, err := img.Layers()
		if err != nil || len(layers) != 2 {
			t.Fatalf("%s: %d layers, %v", arch, len(layers), err)
		}
		d, err := layers[0].Digest()
		if err != nil {
			t.Fatal(err)
		}
		bases = append(bases, d)
		mf, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if mf.MediaType != "application/vnd.oci.image.manifest.v1+json" || mf.Config.MediaType != "application/vnd.oci.image.config.v1+json" ||
			mf.Layers[0].MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
			t.Errorf("%s: media types %s, %s, %s", arch, mf.MediaType, mf.Config.MediaType, mf.Layers[0].MediaType)
		}
		if mf.Annotations["org.opencontainers.image.version"] != "1.2.3" {
			t.Errorf("%s: manifest annotations %v", arch, mf.Annotations)
		}
	}
	if bases[0] != bases[1] {
		t.Errorf("base layers differ across platforms: %s, %s", bases[0], bases[1])
	}
}

// checkConfig checks what a runtime reads from the image config.
func checkConfig(t *testing.T, cf *v1.ConfigFile, platform, version, revision string) {
	t.Helper()
	if got := cf.Platform().String(); got != platform {
		t.Errorf("config platform %s, want %s", got, platform)
	}
	c := cf.Config
	if c.User != "65532:65532" || strings.HasPrefix(c.User, "0") || c.User == "" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/proxmox-mcp-server"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q, cmd %q", c.Entrypoint, c.Cmd)
	}
	if !slices.Contains(c.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") || !slices.Contains(c.Env, "PATH=/usr/local/bin") {
		t.Errorf("env %q", c.Env)
	}
	want := map[string]string{
		"io.modelcontextprotocol.server.name":  "io.github.proxmox-mcp/proxmox-mcp-server",
		"org.opencontainers.image.source":      "https://github.com/proxmox-mcp/proxmox-mcp-server",
		"org.opencontainers.image.version":     version,
		"org.opencontainers.image.revision":    revision,
		"org.opencontainers.image.licenses":    License,
		"org.opencontainers.image.title":       "proxmox-mcp-server",
		"org.opencontainers.image.description": Description,
	}
	for k, v := range want {
		if c.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
		}
	}
}

// The same input gives the same bytes; another time gives another digest,
// and that time is every layer entry's.
func TestReproducible(t *testing.T) {
	bin := buildHello(t, "amd64")
	build := func(epoch int64) (v1.Hash, [32]byte) {
		t.Helper()
		o := Options{Version: "1.0.0", Created: time.Unix(epoch, 0),
			Binaries: []Binary{{Platform: mustPlatform(t, "linux/amd64"), Path: bin}}}
		idx, err := Build(o)
		if err != nil {
			t.Fatal(err)
		}
		d, err := idx.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "image.tar")
		if err := WriteLayoutTar(out, idx, "proxmox-mcp-server:1.0.0", o.Created); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return d, sha256.Sum256(b)
	}
	d1, tar1 := build(1700000000)
	d2, tar2 := build(1700000000)
	if d1 != d2 || tar1 != tar2 {
		t.Errorf("same input, digests %s and %s, tars %x and %x", d1, d2, tar1, tar2)
	}
	if d3, _ := build(1700000001); d3 == d1 {
		t.Errorf("another creation time kept digest %s", d1)
	}

	idx, err := Build(Options{Version: "1.0.0", Created: time.Unix(1700000000, 0),
		Binaries: []Binary{{Platform: mustPlatform(t, "linux/amd64"), Path: bin}}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := PlatformImage(idx, mustPlatform(t, "linux/amd64"))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.ModTime.Unix() != 1700000000 || h.Uname != "" || h.Gname != "" {
				t.Errorf("%s: time %v, owner %q:%q", h.Name, h.ModTime, h.Uname, h.Gname)
			}
		}
		rc.Close()
	}
}

func TestBuildRejects(t *testing.T) {
	arm := buildHello(t, "arm64")
	amd64 := mustPlatform(t, "linux/amd64")
	notPEM := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no binary", Options{Version: "1"}, "no binary"},
		{"no version", Options{Binaries: []Binary{{Platform: amd64, Path: arm}}}, "no version"},
		{"wrong architecture", Options{Version: "1", Binaries: []Binary{{Platform: amd64, Path: arm}}}, "not linux/amd64"},
		{"not linux", Options{Version: "1", Binaries: []Binary{{Platform: mustPlatform(t, "darwin/arm64"), Path: arm}}}, "only linux"},
		{"twice", Options{Version: "1", Binaries: []Binary{{Platform: mustPlatform(t, "linux/arm64"), Path: arm},
			{Platform: mustPlatform(t, "linux/arm64"), Path: arm}}}, "given twice"},
		{"not an executable", Options{Version: "1", Binaries: []Binary{{Platform: amd64, Path: notPEM}}}, "not a Linux executable"},
		{"missing CA", Options{Version: "1", CAFile: filepath.Join(t.TempDir(), "none.crt"),
			Binaries: []Binary{{Platform: mustPlatform(t, "linux/arm64"), Path: arm}}}, "apt-get install ca-certificates"},
		{"CA not PEM", Options{Version: "1", CAFile: notPEM,
			Binaries: []Binary{{Platform: mustPlatform(t, "linux/arm64"), Path: arm}}}, "no PEM certificate"},
	}
	for _, c := range cases {
		if _, err := Build(c.o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to say %q", c.name, err, c.want)
		}
	}
}

// A dynamically linked binary needs a libc that a scratch image lacks.
func TestRejectsDynamicBinary(t *testing.T) {
	dyn := ""
	for _, p := range []string{"/bin/ls", "/usr/bin/ls", "/bin/sh"} {
		if readBinaryIsDynamic(p) {
			dyn = p
			break
		}
	}
	if dyn == "" {
		t.Skip("no dynamically linked amd64 executable on this machine")
	}
	_, err := Build(Options{Version: "1", Binaries: []Binary{{Platform: mustPlatform(t, "linux/amd64"), Path: dyn}}})
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Errorf("%s: error %v, want a word on CGO_ENABLED=0", dyn, err)
	}
}

// readBinaryIsDynamic says whether path is an amd64 ELF with an interpreter.
func readBinaryIsDynamic(path string) bool {
	_, err := readBinary(path, v1.Platform{OS: "linux", Architecture: "amd64"})
	return err != nil && strings.Contains(err.Error(), "dynamically linked")
}

// The layout directory is written only where no older build's blobs are.
func TestWriteLayoutNeedsEmptyDir(t *testing.T) {
	idx, err := Build(Options{Version: "1", Binaries: []Binary{{Platform: mustPlatform(t, "linux/arm64"), Path: buildHello(t, "arm64")}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteLayout(dir, idx, "proxmox-mcp-server:1"); err != nil {
		t.Fatal(err)
	}
	if err := WriteLayout(dir, idx, "proxmox-mcp-server:1"); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second write into %s: %v", dir, err)
	}
	if err := WriteLayout(filepath.Join(t.TempDir(), "x"), idx, "Bad Name"); err == nil {
		t.Error("an invalid image name was taken")
	}
}
