package bundles

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// registrySchema compiles the registry's published server.json schema,
// vendored in testdata.
func registrySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/server.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const url = "https://static.modelcontextprotocol.io/schemas/2025-09-29/server.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, file string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("%s: %v", file, err)
	}
	return v
}

// TestServerJSONSchema validates the repository's server.json.
func TestServerJSONSchema(t *testing.T) {
	sch := registrySchema(t)
	m := validate(t, sch, "../../server.json")
	// The schema must reject a broken document, or the check above proves nothing.
	m["name"] = "no-slash"
	if sch.Validate(m) == nil {
		t.Error("schema accepted a name without a slash")
	}
}

// TestDistServerJSON validates the entry a release publishes (written by
// release/registry/server-json.sh into the dist directory): the image at
// the release's tag and every bundle, each with its file's SHA-256.
func TestDistServerJSON(t *testing.T) {
	dist := os.Getenv("PVE_MCP_DIST")
	if dist == "" {
		t.Skip("no release build: set PVE_MCP_DIST (.ci/release.sh does)")
	}
	var meta struct{ Version string }
	readJSON(t, filepath.Join(dist, "metadata.json"), &meta)
	var s struct {
		Version  string
		Packages []struct {
			RegistryType, Identifier, Version, FileSha256 string
			Transport                                     struct{ Type string }
		}
	}
	validate(t, registrySchema(t), filepath.Join(dist, "server.json"))
	readJSON(t, filepath.Join(dist, "server.json"), &s)
	if s.Version != meta.Version {
		t.Errorf("version %q, the release is %s", s.Version, meta.Version)
	}
	kinds := map[string]int{}
	for _, p := range s.Packages {
		kinds[p.RegistryType]++
		if p.Version != meta.Version || p.Transport.Type != "stdio" {
			t.Errorf("package %+v", p)
		}
		switch p.RegistryType {
		case "oci":
			if !strings.HasSuffix(p.Identifier, ":"+meta.Version) {
				t.Errorf("image %s is not the release's tag", p.Identifier)
			}
		case "mcpb":
			want := "https://github.com/proxmox-mcp/proxmox-mcp-server/releases/download/v" + meta.Version + "/"
			if !strings.HasPrefix(p.Identifier, want) {
				t.Errorf("bundle %s is not a download of the release", p.Identifier)
			}
			b, err := os.ReadFile(filepath.Join(dist, path.Base(p.Identifier)))
			if err != nil {
				t.Fatalf("the entry names a bundle the release lacks: %v", err)
			}
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != p.FileSha256 {
				t.Errorf("%s: fileSha256 %s is not the file's", p.Identifier, p.FileSha256)
			}
		}
	}
	if kinds["oci"] != 1 || kinds["mcpb"] != 4 {
		t.Errorf("packages by type %v, want one image and four bundles", kinds)
	}
}
