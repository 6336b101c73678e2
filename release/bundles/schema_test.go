package bundles

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestServerJSONSchema validates server.json against the registry's
// published schema, vendored in testdata.
func TestServerJSONSchema(t *testing.T) {
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
	b, err := os.ReadFile("../../server.json")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("parse server.json: %v", err)
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("server.json: %v", err)
	}
	// The schema must reject a broken document, or the check above proves nothing.
	m := v.(map[string]any)
	m["name"] = "no-slash"
	if sch.Validate(m) == nil {
		t.Error("schema accepted a name without a slash")
	}
}
