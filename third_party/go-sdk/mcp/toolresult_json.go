// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"encoding/json"
)

// appendCallToolResult appends x as json.Marshal of CallToolResult's wire
// struct wrote it: the fields in the same order (res's fields, then
// resultType, then the inputRequests that shadows res's), omitempty alike,
// HTML characters escaped. Each part is json.Marshal's own output, so the
// whole is valid and compact; what it saves is encoding/json compacting
// every nested MarshalJSON result again (text content twice, the result
// once more), passes as long as the result. toolresult_json_test.go
// compares it with the encoding/json form.
func appendCallToolResult(b []byte, x *CallToolResult) ([]byte, error) {
	b = append(b, '{')
	if len(x.Meta) > 0 {
		var err error
		if b, err = appendField(b, `"_meta":`, x.Meta); err != nil {
			return nil, err
		}
		b = append(b, ',')
	}
	b = append(b, `"content":`...)
	if x.Content == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range x.Content {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if t, ok := c.(*TextContent); ok && t != nil {
				b, err = appendTextContent(b, t)
			} else {
				b, err = appendField(b, "", c)
			}
			if err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	var err error
	if x.StructuredContent != nil {
		if b, err = appendField(b, `,"structuredContent":`, x.StructuredContent); err != nil {
			return nil, err
		}
	}
	if x.IsError {
		b = append(b, `,"isError":true`...)
	}
	if x.RequestState != "" {
		if b, err = appendField(b, `,"requestState":`, x.RequestState); err != nil {
			return nil, err
		}
	}
	if x.resultType != "" {
		if b, err = appendField(b, `,"resultType":`, x.resultType); err != nil {
			return nil, err
		}
	}
	if x.InputRequests != nil {
		if b, err = appendField(b, `,"inputRequests":`, x.InputRequests); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// callToolResultSize guesses the encoded size of x, so that the buffer
// grows seldom: a few growths of a megabyte-sized buffer cost more than the
// encoding; a small result grows in about as many steps as it has fields.
func callToolResultSize(x *CallToolResult) int {
	n := 32
	for _, c := range x.Content {
		if t, ok := c.(*TextContent); ok && t != nil {
			n += 32 + len(t.Text) + len(t.Text)/4 // JSON text escapes its quotes
		} else {
			n += 256
		}
	}
	if r, ok := x.StructuredContent.(json.RawMessage); ok {
		n += len(r)
	}
	return n
}

// appendTextContent appends what TextContent.MarshalJSON returns.
func appendTextContent(b []byte, c *TextContent) ([]byte, error) {
	b, err := appendField(b, `{"type":"text","text":`, c.Text)
	if err != nil {
		return nil, err
	}
	if len(c.Meta) > 0 {
		if b, err = appendField(b, `,"_meta":`, c.Meta); err != nil {
			return nil, err
		}
	}
	if c.Annotations != nil {
		if b, err = appendField(b, `,"annotations":`, c.Annotations); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendField appends name and json.Marshal(v), which is compact and
// escapes HTML as a nested value of json.Marshal would be.
func appendField(b []byte, name string, v any) ([]byte, error) {
	if s, ok := v.(string); ok {
		return appendJSONString(append(b, name...), s), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = append(b, name...)
	return append(b, data...), nil
}
