// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/internal/jsonrpc2"
)

// reflectCallToolResult is CallToolResult.MarshalJSON as v1.8.0 wrote it,
// with TextContent's MarshalJSON of v1.8.0 too.
func reflectCallToolResult(x *CallToolResult) ([]byte, error) {
	type res CallToolResult
	type wire struct {
		res
		ResultType    resultType      `json:"resultType,omitempty"`
		InputRequests json.RawMessage `json:"inputRequests,omitempty"`
	}
	w := wire{res: res(*x), ResultType: x.resultType}
	if x.InputRequests != nil {
		ir, err := json.Marshal(x.InputRequests)
		if err != nil {
			return nil, err
		}
		w.InputRequests = ir
	}
	// Swap text content for v1.8.0's form of it.
	w.Content = nil
	for _, c := range x.Content {
		if t, ok := c.(*TextContent); ok && t != nil {
			w.Content = append(w.Content, oldText{t})
		} else {
			w.Content = append(w.Content, c)
		}
	}
	if x.Content == nil {
		w.Content = nil
	} else if len(x.Content) == 0 {
		w.Content = []Content{}
	}
	return json.Marshal(w)
}

type oldText struct{ *TextContent }

func (c oldText) MarshalJSON() ([]byte, error) {
	wire := struct {
		Type        string       `json:"type"`
		Text        string       `json:"text"`
		Meta        Meta         `json:"_meta,omitempty"`
		Annotations *Annotations `json:"annotations,omitempty"`
	}{"text", c.Text, c.Meta, c.Annotations}
	return json.Marshal(wire)
}

func TestCallToolResultJSONAsReflect(t *testing.T) {
	html := "a <b> & \u2028 \u2029 \x7f \xff \"q\" \\ \n\t é 𝄞"
	cases := map[string]*CallToolResult{
		"zero":          {},
		"empty content": {Content: []Content{}},
		"text":          {Content: []Content{&TextContent{Text: html}}},
		"empty text":    {Content: []Content{&TextContent{}}},
		"text meta annotations": {Content: []Content{&TextContent{
			Text: "x", Meta: Meta{"k": html}, Annotations: &Annotations{Audience: []Role{"user"}, Priority: 0.5},
		}}},
		"mixed":        {Content: []Content{&TextContent{Text: "a"}, &ImageContent{Data: []byte("png"), MIMEType: "image/png"}, &TextContent{Text: "b"}}},
		"raw compact":  {StructuredContent: json.RawMessage(`{"a":[1,2,{"b":null}],"c":"` + "<&>" + `"}`)},
		"raw spaced":   {StructuredContent: json.RawMessage(" {\n \"a\" : [ 1 , \"x y\" ] }\n")},
		"raw nil":      {StructuredContent: json.RawMessage(nil)},
		"map":          {StructuredContent: map[string]any{"z": 1, "a": html}},
		"struct":       {StructuredContent: struct{ A int }{3}},
		"nil pointer":  {StructuredContent: (*struct{ A int })(nil)},
		"primitive":    {StructuredContent: 42},
		"meta":         {Meta: Meta{"progressToken": 3, "x": html}, Content: []Content{&TextContent{Text: "t"}}},
		"empty meta":   {Meta: Meta{}},
		"error":        {IsError: true, Content: []Content{&TextContent{Text: "boom"}}},
		"state":        {RequestState: html, resultType: resultTypeInputRequired},
		"complete":     {resultType: resultTypeComplete, Content: []Content{&TextContent{Text: "t"}}},
		"inputs":       {InputRequests: InputRequestMap{"e1": &ElicitParams{Message: "m<"}, "r": &ListRootsParams{}}},
		"empty inputs": {InputRequests: InputRequestMap{}},
		"everything": {Meta: Meta{"m": true}, Content: []Content{&TextContent{Text: html}}, StructuredContent: json.RawMessage(`[1]`),
			IsError: true, RequestState: "s", resultType: resultTypeInputRequired, InputRequests: InputRequestMap{"e": &ElicitParams{}}},
	}
	for name, x := range cases {
		want, wantErr := reflectCallToolResult(x)
		got, gotErr := x.MarshalJSON()
		if string(got) != string(want) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%s:\n got %s, %v\nwant %s, %v", name, got, gotErr, want, wantErr)
		}
		// Nested in a value, as a user marshals it, it is unchanged too.
		nested, err := json.Marshal([]any{x})
		if err != nil || string(nested) != "["+string(want)+"]" {
			t.Errorf("%s nested: %s, %v", name, nested, err)
		}
	}
}

func TestCallToolResultJSONErrors(t *testing.T) {
	for name, x := range map[string]*CallToolResult{
		"invalid raw": {StructuredContent: json.RawMessage(`{"a":`)},
		"chan":        {StructuredContent: make(chan int)},
		"meta":        {Meta: Meta{"f": func() {}}},
	} {
		if _, err := x.MarshalJSON(); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := reflectCallToolResult(x); err == nil {
			t.Errorf("%s: v1.8.0 form gave no error", name)
		}
	}
}

// TestEncodedResponse checks that a result handed to jsonrpc2 encoded, as
// ServerSession.handle does for a CallToolResult, goes on the wire as the
// whole message encoding/json would write.
func TestEncodedResponse(t *testing.T) {
	x := &CallToolResult{Content: []Content{&TextContent{Text: strings.Repeat("<é>", 3)}}, StructuredContent: json.RawMessage(`{"a":1}`)}
	data, err := x.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []jsonrpc2.ID{jsonrpc2.Int64ID(7), jsonrpc2.StringID("s<")} {
		fast, err := jsonrpc2.NewResponse(id, jsonrpc2.Encoded(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		slow, err := jsonrpc2.NewResponse(id, x, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err1 := jsonrpc2.EncodeMessage(fast)
		want, err2 := jsonrpc2.EncodeMessage(slow)
		// A Response built by hand, compact or not, comes out the same.
		byHand, err3 := jsonrpc2.EncodeMessage(&jsonrpc2.Response{ID: id, Result: json.RawMessage(" " + string(data) + " ")})
		compact, err4 := jsonrpc2.EncodeMessage(&jsonrpc2.Response{ID: id, Result: json.RawMessage(data)})
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) || string(byHand) != string(want) || string(compact) != string(want) {
			t.Errorf("encoded:\n%s\nencoding/json:\n%s\nby hand:\n%s\n%s", got, want, byHand, compact)
		}
	}
	// Invalid JSON by hand is refused, as encoding/json refuses it.
	for _, bad := range []string{`{"a":`, `{"a":1}}`, `{"a" 1}`, `"\u12"`, `[1,]`} {
		if got, err := jsonrpc2.EncodeMessage(&jsonrpc2.Response{ID: jsonrpc2.Int64ID(1), Result: json.RawMessage(bad)}); err == nil {
			t.Errorf("%s: encoded as %s", bad, got)
		}
	}
	failed, err := jsonrpc2.NewResponse(jsonrpc2.Int64ID(1), jsonrpc2.Encoded(data), errors.New("e"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := jsonrpc2.EncodeMessage(failed); err != nil || !strings.Contains(string(got), `"error":{`) {
		t.Errorf("with an error: %s, %v", got, err)
	}
}
