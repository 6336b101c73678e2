// Package sbom writes a CycloneDX 1.6 bill of materials for a built binary
// from the module list the Go toolchain records in it. Each module carries
// its licence from the table in licenses.go (kept with NOTICE), and a
// module built from a patched local copy is named as the release it patches,
// with the patch stated, so that vulnerability scanners still match it.
package sbom

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// Options are what the binary does not record.
type Options struct {
	Version string    // the release's version of the main module
	Time    time.Time // the document's timestamp: the commit's, so output is reproducible
	// Licenses maps module paths to SPDX expressions; nil means the table
	// of the modules this project links (Licenses()).
	Licenses map[string]string
}

// Write writes the document for bi. It fails when a module has no licence
// in the table: an SBOM that guesses is worse than none.
func Write(w io.Writer, bi *debug.BuildInfo, o Options) error {
	if o.Licenses == nil {
		o.Licenses = Licenses()
	}
	if o.Version == "" {
		return fmt.Errorf("sbom: the main module's version is required")
	}
	doc, err := build(bi, o)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("sbom: encoding: %w", err)
	}
	return nil
}

func build(bi *debug.BuildInfo, o Options) (*bom, error) {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	mainLic, ok := o.Licenses[bi.Main.Path]
	if !ok {
		return nil, fmt.Errorf("sbom: no licence for the main module %s", bi.Main.Path)
	}
	// A Go module's versions carry a "v"; the purl names it as Go does.
	mainRef := purl(bi.Main.Path, "v"+strings.TrimPrefix(o.Version, "v"))
	app := component{
		BOMRef: mainRef, Type: "application", Name: bi.Main.Path, Version: o.Version,
		PURL: mainRef, Licenses: expression(mainLic),
		ExternalReferences: []reference{{Type: "vcs", URL: "https://" + bi.Main.Path}},
	}
	for _, k := range []string{"GOOS", "GOARCH", "CGO_ENABLED"} {
		if v, ok := settings[k]; ok {
			app.Properties = append(app.Properties, property{Name: "cdx:gomod:build:env:" + k, Value: v})
		}
	}
	if settings["-trimpath"] == "true" {
		app.Properties = append(app.Properties, property{Name: "cdx:gomod:build:flag", Value: "-trimpath"})
	}
	comps := []component{}
	deps := []string{}
	for _, m := range bi.Deps {
		c, err := module(m, o.Licenses)
		if err != nil {
			return nil, err
		}
		comps = append(comps, c)
		deps = append(deps, c.BOMRef)
	}
	std := strings.TrimPrefix(bi.GoVersion, "go")
	stdRef := purl("stdlib", std)
	comps = append(comps, component{BOMRef: stdRef, Type: "library", Name: "stdlib", Version: bi.GoVersion,
		PURL: stdRef, Licenses: expression(o.Licenses["stdlib"])})
	deps = append(deps, stdRef)
	sort.Slice(comps, func(i, j int) bool { return comps[i].BOMRef < comps[j].BOMRef })
	sort.Strings(deps)

	doc := &bom{
		BOMFormat: "CycloneDX", SpecVersion: "1.6", Version: 1,
		Metadata: metadata{
			Timestamp: o.Time.UTC().Format(time.RFC3339),
			Tools:     tools{Components: []component{{Type: "application", Name: "pvesbom", Version: o.Version}}},
			Component: app,
		},
		Components: comps,
		// The binary records which modules it links, not who needs whom, so
		// every module hangs off the main one.
		Dependencies: []dependency{{Ref: mainRef, DependsOn: deps}},
	}
	doc.SerialNumber = serial(doc)
	return doc, nil
}

// module describes one dependency. A module replaced by a local directory
// has no version or checksum of its own; it is named as the module it
// replaces, with the patch as its pedigree.
func module(m *debug.Module, lic map[string]string) (component, error) {
	l, ok := lic[m.Path]
	if !ok {
		return component{}, fmt.Errorf("sbom: no licence for %s in the table (internal/sbom/licenses.go)", m.Path)
	}
	ref := purl(m.Path, m.Version)
	c := component{BOMRef: ref, Type: "library", Name: m.Path, Version: m.Version, PURL: ref, Licenses: expression(l)}
	sum := m.Sum
	if r := m.Replace; r != nil {
		if r.Version != "" && r.Version != "(devel)" {
			return component{}, fmt.Errorf("sbom: %s is replaced by %s %s; only local copies are described", m.Path, r.Path, r.Version)
		}
		sum = ""
		c.Pedigree = &pedigree{
			Patches: []patch{{Type: "unofficial"}},
			Notes: fmt.Sprintf("%s %s with this project's patches, built from the local copy %s "+
				"(third_party/go-sdk/PATCHES.md in the source says what each changes)", m.Path, m.Version, r.Path),
		}
	}
	if h, ok := h1Hex(sum); ok {
		c.Hashes = []hash{{Alg: "SHA-256", Content: h}}
	}
	return c, nil
}

// h1Hex turns a go.sum "h1:" hash (base64 SHA-256 of the module's file
// list) into the hex form CycloneDX takes.
func h1Hex(sum string) (string, bool) {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != sha256.Size {
		return "", false
	}
	return hex.EncodeToString(b), true
}

func purl(path, version string) string {
	return "pkg:golang/" + path + "@" + version
}

func expression(e string) []licenseChoice {
	if e == "" {
		return nil
	}
	return []licenseChoice{{Expression: e}}
}

// serial is a version 4 style UUID made from the document's content rather
// than at random, so one binary always gives the same bytes.
func serial(doc *bom) string {
	b, _ := json.Marshal(doc) // plain structs of strings: cannot fail
	s := sha256.Sum256(b)
	s[6] = s[6]&0x0f | 0x40
	s[8] = s[8]&0x3f | 0x80
	h := hex.EncodeToString(s[:16])
	return "urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
