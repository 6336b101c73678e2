// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"reflect"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
)

// TestUnmarshalSchemaPropertiesFastPath: skipping the remarshal for a
// *jsonschema.Schema without x-mcp-header gives what the callers got
// before, and one with it still goes the old way.
func TestUnmarshalSchemaPropertiesFastPath(t *testing.T) {
	slow := func(schema any) map[string]headerSchemaProperty {
		var s headerSchemaProperty
		if err := remarshal(schema, &s); err != nil {
			return nil
		}
		return s.Properties
	}
	str := &jsonschema.Schema{Type: "string"}
	nested := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"a": str}}
	withHeader := &jsonschema.Schema{Type: "string", Extra: map[string]any{"x-mcp-header": "Region"}}
	deepHeader := &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"r": withHeader}}
	for name, s := range map[string]*jsonschema.Schema{
		"nil":         nil,
		"empty":       {Type: "object"},
		"plain":       {Type: "object", Properties: map[string]*jsonschema.Schema{"a": str, "b": nested, "c": nil}},
		"header":      {Type: "object", Properties: map[string]*jsonschema.Schema{"a": str, "r": withHeader}},
		"deep header": {Type: "object", Properties: map[string]*jsonschema.Schema{"o": deepHeader}},
		"bad header":  {Type: "object", Properties: map[string]*jsonschema.Schema{"o": {Type: "object", Extra: map[string]any{"x-mcp-header": "X"}}}},
	} {
		tool := &Tool{Name: "t", InputSchema: s}
		fast := unmarshalSchemaProperties(s)
		if hasHeaderAnnotation(s) && !reflect.DeepEqual(fast, slow(s)) {
			t.Errorf("%s: %v, want %v", name, fast, slow(s))
		}
		if !hasHeaderAnnotation(s) && extractParamHeaderAnnotations(&Tool{InputSchema: slow(s)}) != nil {
			t.Errorf("%s: the old way found annotations", name)
		}
		errFast := validateParamHeaderAnnotations(tool)
		var errSlow error
		if props := slow(s); len(props) > 0 {
			errSlow = validateParamHeadersIn(props, "", map[string]bool{})
		}
		if (errFast == nil) != (errSlow == nil) {
			t.Errorf("%s: validate %v, the old way %v", name, errFast, errSlow)
		}
	}
}
