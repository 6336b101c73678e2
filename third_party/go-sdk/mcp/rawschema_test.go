// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestRawSchemaType: the type AddTool reads from a json.RawMessage, and
// whether it fails, are what the remarshal into a map gave.
func TestRawSchemaType(t *testing.T) {
	for _, raw := range []string{
		`{"type":"object","properties":{"a":{"type":"string"}}}`,
		`{"properties":{},"type":"object"}`,
		`{"type":"array"}`, `{"type":["object","null"]}`, `{}`, `null`, ``,
		`[1]`, `"object"`, `{"type":"object"`, `{"type":"object"} x`, `{"TYPE":"object"}`, `{"Type":"object","type":"array"}`,
	} {
		var m map[string]any
		errSlow := remarshal(json.RawMessage(raw), &m)
		got, err := rawSchemaType(json.RawMessage(raw))
		if (err == nil) != (errSlow == nil) {
			t.Errorf("%s: error %v, the remarshal %v", raw, err, errSlow)
			continue
		}
		if err == nil && !reflect.DeepEqual(got, m["type"]) {
			t.Errorf("%s: type %v, the remarshal %v", raw, got, m["type"])
		}
	}
}

// TestRawWithoutHeaders: a raw schema is skipped only when no member can
// be an annotation, and an annotated one is still validated.
func TestRawWithoutHeaders(t *testing.T) {
	for raw, want := range map[string]bool{
		`{"type":"object","properties":{"a":{"type":"string"}}}`:                    true,
		`{"type":"object","properties":{"a":{"type":"string","x-mcp-header":"R"}}}`: false,
		`{"type":"object","properties":{"a":{"x-mcp-head\u0065r":"R"}}}`:            false,
	} {
		if got := rawWithoutHeaders(json.RawMessage(raw)); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
	bad := &Tool{Name: "t", InputSchema: json.RawMessage(`{"type":"object","properties":{"o":{"type":"object","x-mcp-header":"X"}}}`)}
	if validateParamHeaderAnnotations(bad) == nil {
		t.Error("an annotation on an object property passed")
	}
}
