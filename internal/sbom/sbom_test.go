package sbom

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// release is the build information of a release binary, as
// `go version -m` shows it: the go-sdk replaced by the local copy.
func release() *debug.BuildInfo {
	return &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Path:      "github.com/proxmox-mcp/proxmox-mcp-server/cmd/proxmox-mcp-server",
		Main:      debug.Module{Path: "github.com/proxmox-mcp/proxmox-mcp-server", Version: "(devel)"},
		Deps: []*debug.Module{
			{Path: "golang.org/x/net", Version: "v0.62.0", Sum: "h1:18ELalfM5+XNRwzM2nYqXsZQ9ByS1uhj2O/U7+5jqRY="},
			{Path: "github.com/modelcontextprotocol/go-sdk", Version: "v1.8.0",
				Replace: &debug.Module{Path: "./third_party/go-sdk", Version: "(devel)"}},
		},
		Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "CGO_ENABLED", Value: "0"},
			{Key: "GOARCH", Value: "arm64"}, {Key: "GOOS", Value: "darwin"}},
	}
}

var when = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

func write(t *testing.T, bi *debug.BuildInfo) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, bi, Options{Version: "1.2.3", Time: when}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// schema compiles CycloneDX 1.6's JSON schema, vendored from the npm
// package @cyclonedx/cyclonedx-library 10.3.0 (res/schema; Apache-2.0).
func schema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	for file, id := range map[string]string{
		"bom-1.6.SNAPSHOT.schema.json":  "http://cyclonedx.org/schema/bom-1.6.schema.json",
		"spdx.SNAPSHOT.schema.json":     "http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json",
		"jsf-0.82.SNAPSHOT.schema.json": "http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json",
	} {
		f, err := os.Open("testdata/" + file)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("http://cyclonedx.org/schema/bom-1.6.schema.json")
	if err != nil {
		t.Fatalf("compiling the CycloneDX schema: %v", err)
	}
	return s
}

func TestDocumentValidates(t *testing.T) {
	sch := schema(t)
	var v any
	if err := json.Unmarshal(write(t, release()), &v); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(v); err != nil {
		t.Fatalf("the document breaks CycloneDX 1.6: %v", err)
	}
	// The schema must reject a broken document, or the check proves nothing.
	v.(map[string]any)["components"].([]any)[0].(map[string]any)["type"] = "no-such-type"
	if sch.Validate(v) == nil {
		t.Error("the schema accepted a component of an unknown type")
	}
}

func TestDocumentContent(t *testing.T) {
	var doc bom
	if err := json.Unmarshal(write(t, release()), &doc); err != nil {
		t.Fatal(err)
	}
	app := doc.Metadata.Component
	if app.Version != "1.2.3" || app.PURL != "pkg:golang/github.com/proxmox-mcp/proxmox-mcp-server@v1.2.3" ||
		app.Licenses[0].Expression != "AGPL-3.0-or-later" {
		t.Errorf("main component %+v", app)
	}
	if doc.Metadata.Timestamp != "2026-12-03T08:00:00Z" {
		t.Errorf("timestamp %q", doc.Metadata.Timestamp)
	}
	byName := map[string]component{}
	for _, c := range doc.Components {
		byName[c.Name] = c
	}
	sdk := byName["github.com/modelcontextprotocol/go-sdk"]
	if sdk.Version != "v1.8.0" || sdk.PURL != "pkg:golang/github.com/modelcontextprotocol/go-sdk@v1.8.0" ||
		sdk.Pedigree == nil || sdk.Pedigree.Patches[0].Type != "unofficial" || len(sdk.Hashes) != 0 {
		t.Errorf("the patched go-sdk is described as %+v", sdk)
	}
	// h1:18ELalfM5+XNRwzM2nYqXsZQ9ByS1uhj2O/U7+5jqRY= in hex.
	if n := byName["golang.org/x/net"]; len(n.Hashes) != 1 ||
		n.Hashes[0].Content != "d7c10b6a57cce7e5cd470cccda762a5ec650f41c92d6e863d8efd4efee63a916" {
		t.Errorf("x/net hashes %+v", n.Hashes)
	}
	if std := byName["stdlib"]; std.Version != "go1.26.8" || std.PURL != "pkg:golang/stdlib@1.26.8" {
		t.Errorf("stdlib %+v", std)
	}
	if len(doc.Dependencies) != 1 || len(doc.Dependencies[0].DependsOn) != 3 {
		t.Errorf("dependencies %+v", doc.Dependencies)
	}
	props := map[string]string{}
	for _, p := range app.Properties {
		props[p.Name] = p.Value
	}
	if props["cdx:gomod:build:env:GOOS"] != "darwin" || props["cdx:gomod:build:env:CGO_ENABLED"] != "0" {
		t.Errorf("build properties %v", props)
	}
}

func TestReproducible(t *testing.T) {
	a, b := write(t, release()), write(t, release())
	if !bytes.Equal(a, b) {
		t.Error("two documents of one binary differ")
	}
	other := release()
	other.Deps[0].Version = "v0.63.0"
	if bytes.Contains(write(t, other), []byte(`"serialNumber": "`+serialOf(t, a)+`"`)) {
		t.Error("another binary got the same serial number")
	}
}

func serialOf(t *testing.T, doc []byte) string {
	var d bom
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	return d.SerialNumber
}

func TestRefuses(t *testing.T) {
	unknown := release()
	unknown.Deps = append(unknown.Deps, &debug.Module{Path: "example.com/new", Version: "v1.0.0"})
	var b bytes.Buffer
	if err := Write(&b, unknown, Options{Version: "1", Time: when}); err == nil || !strings.Contains(err.Error(), "example.com/new") {
		t.Errorf("an unlisted module: %v", err)
	}
	if err := Write(&b, release(), Options{Time: when}); err == nil {
		t.Error("no version: no error")
	}
	remote := release()
	remote.Deps[1].Replace = &debug.Module{Path: "example.com/fork", Version: "v1.8.1"}
	if err := Write(&b, remote, Options{Version: "1", Time: when}); err == nil {
		t.Error("a module replaced by another module: no error")
	}
}

// TestLicensesCoverLinkedModules keeps the table in step with what the
// server links, as TestThirdPartyLicenses keeps NOTICE's texts.
func TestLicensesCoverLinkedModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", "../../cmd/proxmox-mcp-server").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lic := Licenses()
	linked := map[string]bool{"stdlib": true}
	for _, p := range strings.Fields(string(out)) {
		linked[p] = true
		if _, ok := lic[p]; !ok {
			t.Errorf("%s is linked but has no licence in Licenses()", p)
		}
	}
	for p := range lic {
		if !linked[p] {
			t.Errorf("Licenses() names %s, which the server no longer links", p)
		}
	}
}
