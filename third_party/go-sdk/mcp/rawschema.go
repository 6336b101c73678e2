// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"bytes"
	"encoding/json"

	internaljson "github.com/modelcontextprotocol/go-sdk/internal/json"
)

// rawSchemaType is the "type" of a schema given as something other than a
// *jsonschema.Schema, as remarshal into a map[string]any would find it;
// a json.RawMessage is decoded without building its other members.
func rawSchemaType(schema any) (any, error) {
	raw, ok := schema.(json.RawMessage)
	if !ok {
		var m map[string]any
		if err := remarshal(schema, &m); err != nil {
			return nil, err
		}
		return m["type"], nil
	}
	// json.Marshal checks and compacts the bytes as remarshal did, with its errors.
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	var probe struct {
		Type any `json:"type"`
	}
	if err := internaljson.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	return probe.Type, nil
}

// rawWithoutHeaders reports that schema is a json.RawMessage in which no
// member can be an x-mcp-header annotation: the name does not occur, and no
// \u escape could spell it.
func rawWithoutHeaders(schema any) bool {
	raw, ok := schema.(json.RawMessage)
	return ok && !bytes.Contains(raw, []byte("x-mcp-header")) && !bytes.Contains(raw, []byte(`\u`))
}
