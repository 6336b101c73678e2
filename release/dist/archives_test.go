package dist

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"debug/buildinfo"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestArchives: each platform's archive holds the binary for that
// platform, static and built as the release builds it, and the licence
// files; the SBOM beside it describes that binary.
func TestArchives(t *testing.T) {
	r := open(t)
	license, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range platforms {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			goos, goarch, _ := strings.Cut(p, "/")
			files := unpack(t, filepath.Join(r.dir, r.archive(p)))
			exe := "proxmox-mcp-server"
			if goos == "windows" {
				exe += ".exe"
			}
			var names []string
			for n := range files {
				names = append(names, n)
			}
			sort.Strings(names)
			want := []string{"LICENSE", "NOTICE", "README.md", "THIRD_PARTY_LICENSES.md", exe}
			sort.Strings(want)
			if strings.Join(names, " ") != strings.Join(want, " ") {
				t.Errorf("archive holds %v, want %v", names, want)
			}
			if !bytes.Equal(files["LICENSE"], license) {
				t.Error("LICENSE differs from the repository's")
			}
			checkFormat(t, files[exe], goos, goarch)
			checkBuild(t, files[exe], r, goos, goarch)
			checkSBOM(t, r, goos, goarch)
		})
	}
}

// checkFormat reads the executable's header: the platform's format and
// machine, and on Linux no program interpreter (a static binary).
func checkFormat(t *testing.T, b []byte, goos, goarch string) {
	t.Helper()
	rd := bytes.NewReader(b)
	switch goos {
	case "linux":
		f, err := elf.NewFile(rd)
		if err != nil {
			t.Fatalf("not ELF: %v", err)
		}
		want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]
		if f.Machine != want {
			t.Errorf("ELF machine %v, want %v", f.Machine, want)
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Error("the binary asks for a dynamic loader: not static")
			}
		}
	case "darwin":
		f, err := macho.NewFile(rd)
		if err != nil {
			t.Fatalf("not Mach-O: %v", err)
		}
		want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]
		if f.Cpu != want {
			t.Errorf("Mach-O CPU %v, want %v", f.Cpu, want)
		}
	case "windows":
		f, err := pe.NewFile(rd)
		if err != nil {
			t.Fatalf("not PE: %v", err)
		}
		want := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[goarch]
		if f.Machine != want {
			t.Errorf("PE machine %#x, want %#x", f.Machine, want)
		}
	}
}

// checkBuild reads the build information Go wrote into the binary.
func checkBuild(t *testing.T, b []byte, r *release, goos, goarch string) {
	t.Helper()
	bi, err := buildinfo.Read(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("no build information: %v", err)
	}
	s := map[string]string{}
	for _, kv := range bi.Settings {
		s[kv.Key] = kv.Value
	}
	if s["CGO_ENABLED"] != "0" || s["-trimpath"] != "true" || s["GOOS"] != goos || s["GOARCH"] != goarch {
		t.Errorf("built with %v", s)
	}
	// -trimpath leaves -ldflags out of the build information, so look for
	// the values the release's -X flags set in the binary itself.
	for _, want := range []string{r.Version, r.Commit} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the binary does not hold %q: built without the release's -X flags?", want)
		}
	}
	if bi.Path != "github.com/proxmox-mcp/proxmox-mcp-server/cmd/proxmox-mcp-server" {
		t.Errorf("main package %s", bi.Path)
	}
}

func checkSBOM(t *testing.T, r *release, goos, goarch string) {
	t.Helper()
	name := "proxmox-mcp-server_" + r.Version + "_" + goos + "_" + goarch + ".cdx.json"
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		BOMFormat, SpecVersion string
		Metadata               struct {
			Component struct {
				Version    string
				Properties []struct{ Name, Value string }
			}
		}
		Components []struct{ Name, Version string }
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	props := map[string]string{}
	for _, p := range doc.Metadata.Component.Properties {
		props[p.Name] = p.Value
	}
	if doc.BOMFormat != "CycloneDX" || doc.Metadata.Component.Version != r.Version ||
		props["cdx:gomod:build:env:GOOS"] != goos || props["cdx:gomod:build:env:GOARCH"] != goarch {
		t.Errorf("%s describes %+v", name, doc.Metadata.Component)
	}
	found := false
	for _, c := range doc.Components {
		found = found || c.Name == "github.com/modelcontextprotocol/go-sdk" && c.Version == "v1.8.0"
	}
	if !found {
		t.Errorf("%s does not list go-sdk v1.8.0", name)
	}
}

// TestHomebrewCask: the cask goreleaser wrote installs the release's
// archives, each with its own checksum.
func TestHomebrewCask(t *testing.T) {
	r := open(t)
	b, err := os.ReadFile(filepath.Join(r.dir, "homebrew", "Casks", "proxmox-mcp-server.rb"))
	if err != nil {
		t.Fatal(err)
	}
	cask := string(b)
	if !strings.Contains(cask, `version "`+r.Version+`"`) || !strings.Contains(cask, `binary "proxmox-mcp-server"`) {
		t.Errorf("cask:\n%s", cask)
	}
	pairs := regexp.MustCompile(`sha256 "([0-9a-f]{64})"\s+url "([^"]+)"`).FindAllStringSubmatch(cask, -1)
	if len(pairs) != 4 {
		t.Fatalf("want 4 sha256/url pairs (macOS and Linux, Intel and ARM), got %d:\n%s", len(pairs), cask)
	}
	for _, m := range pairs {
		name := filepath.Base(strings.ReplaceAll(m[2], "#{version}", r.Version))
		if got := fileSum(t, filepath.Join(r.dir, name)); got != m[1] {
			t.Errorf("%s: sha256 %s, the cask says %s", name, got, m[1])
		}
	}
}

// unpack reads a .tar.gz or .zip into memory by file name (the archives are
// flat and small).
func unpack(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name], err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		return files
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if files[h.Name], err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
	}
}
