package httpserver

import (
	"encoding/json"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// metaVersionOfMap is metaVersion as it was: all of _meta decoded.
func metaVersionOfMap(params json.RawMessage) string {
	var p struct {
		Meta map[string]any `json:"_meta"`
	}
	if len(params) == 0 || json.Unmarshal(params, &p) != nil {
		return ""
	}
	v, _ := p.Meta[mcp.MetaKeyProtocolVersion].(string)
	return v
}

func TestMetaVersionAsMap(t *testing.T) {
	k := `"` + mcp.MetaKeyProtocolVersion + `"`
	for _, params := range []string{
		``, `null`, `{}`, `[]`, `{"_meta":null}`, `{"_meta":[]}`, `{"_meta":"x"}`, `{"_meta":{}}`,
		`{"_meta":{` + k + `:"2026-07-28"}}`,
		`{"name":"t","_meta":{"a":{"b":[1,2]},` + k + `:"2026-07-28","c":true}}`,
		`{"_meta":{` + k + `:7}}`, `{"_meta":{` + k + `:null}}`, `{"_meta":{` + k + `:{"v":1}}}`,
		`{"_meta":{` + k + `:"a",` + k + `:"b"}}`,
		`{"_META":{` + k + `:"upper outer key"}}`,
		`{"_meta":{"IO.MODELCONTEXTPROTOCOL/PROTOCOLVERSION":"upper inner key"}}`,
		`{"_meta":{` + k + `:"\u00e9\ud800"}}`,
		`{"_meta":{` + k + `:"x"`,
	} {
		if got, want := metaVersion(json.RawMessage(params)), metaVersionOfMap(json.RawMessage(params)); got != want {
			t.Errorf("%s: %q, want %q", params, got, want)
		}
	}
	if v := metaVersion(json.RawMessage(`{"_meta":{` + k + `:"2026-07-28"}}`)); v != "2026-07-28" {
		t.Errorf("got %q", v)
	}
}
