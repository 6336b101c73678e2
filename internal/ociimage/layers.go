package ociimage

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// entry is one file or directory of a layer; name has no leading slash.
type entry struct {
	name string
	mode int64
	uid  int
	dir  bool
	data []byte
}

// tarLayer writes entries in the given order with one fixed time, owner
// names left out, so that the same files give the same layer digest.
func tarLayer(entries []entry, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: mtime, Format: tar.FormatPAX}
		if e.dir {
			h.Typeflag, h.Name = tar.TypeDir, e.name+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing layer: %w", err)
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// baseLayer holds what every platform's image shares: the CA bundle, the
// users, the nonroot home and /tmp. Its digest is the same across platforms.
func baseLayer(caFile string, mtime time.Time) (v1.Layer, error) {
	ca, err := readCA(caFile)
	if err != nil {
		return nil, err
	}
	passwd, err := rootfs.ReadFile("rootfs" + PasswdPath)
	if err != nil {
		return nil, fmt.Errorf("embedded passwd: %w", err)
	}
	group, err := rootfs.ReadFile("rootfs" + GroupPath)
	if err != nil {
		return nil, fmt.Errorf("embedded group: %w", err)
	}
	return tarLayer([]entry{
		{name: "etc", mode: 0o755, dir: true},
		{name: rel(GroupPath), mode: 0o644, data: group},
		{name: rel(PasswdPath), mode: 0o644, data: passwd},
		{name: "etc/ssl", mode: 0o755, dir: true},
		{name: "etc/ssl/certs", mode: 0o755, dir: true},
		{name: rel(CAPath), mode: 0o644, data: ca},
		{name: "home", mode: 0o755, dir: true},
		{name: rel(HomePath), mode: 0o700, uid: UID, dir: true},
		{name: rel(TmpPath), mode: 0o1777, dir: true}, // sticky and writable by all, as on any Unix
	}, mtime)
}

// binaryLayer holds the server's binary for one platform.
func binaryLayer(path string, p v1.Platform, mtime time.Time) (v1.Layer, error) {
	b, err := readBinary(path, p)
	if err != nil {
		return nil, err
	}
	return tarLayer([]entry{
		{name: "usr", mode: 0o755, dir: true},
		{name: "usr/local", mode: 0o755, dir: true},
		{name: "usr/local/bin", mode: 0o755, dir: true},
		{name: rel(BinaryPath), mode: 0o755, data: b},
	}, mtime)
}

func rel(p string) string { return strings.TrimPrefix(p, "/") }

// readCA reads a PEM bundle and checks it holds certificates: an image
// without roots fails every TLS connection to Proxmox at run time.
func readCA(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("CA bundle %s not found: install Debian's ca-certificates (apt-get install ca-certificates) or give a PEM bundle's path: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading CA bundle: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", path)
	}
	return b, nil
}

// elfMachine is the ELF machine of each GOARCH an image can be built for.
var elfMachine = map[string]elf.Machine{
	"amd64":   elf.EM_X86_64,
	"arm64":   elf.EM_AARCH64,
	"arm":     elf.EM_ARM,
	"386":     elf.EM_386,
	"ppc64le": elf.EM_PPC64,
	"riscv64": elf.EM_RISCV,
	"s390x":   elf.EM_S390,
}

// readBinary reads the binary and checks it can run from scratch on the
// platform: a Linux ELF for its architecture with no dynamic loader (a cgo
// build would need libc, which the image lacks).
func readBinary(path string, p v1.Platform) ([]byte, error) {
	if p.OS != "linux" {
		return nil, fmt.Errorf("platform %s: only linux images are built", p)
	}
	want, ok := elfMachine[p.Architecture]
	if !ok {
		return nil, fmt.Errorf("platform %s: unknown architecture", p)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading binary for %s: %w", p, err)
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("binary %s for %s is not a Linux executable: %w", path, p, err)
	}
	defer f.Close()
	if f.Machine != want {
		return nil, fmt.Errorf("binary %s is for %s, not %s", path, f.Machine, p)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return nil, fmt.Errorf("binary %s is dynamically linked; build it with CGO_ENABLED=0", path)
		}
	}
	return b, nil
}
