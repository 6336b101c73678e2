// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by the license
// that can be found in the LICENSE file.

package mcp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// validateRequestMetaViaMap is validateRequestMeta as it was: _meta decoded
// into a map, and its values remarshaled into their types.
func validateRequestMetaViaMap(req *jsonrpc.Request) (*validatedMeta, error) {
	if !req.IsCall() {
		return &validatedMeta{}, nil
	}
	meta := extractRequestMeta(req.Params)
	if meta == nil {
		return &validatedMeta{}, nil
	}
	protocolVersion, ok := meta[MetaKeyProtocolVersion].(string)
	if !ok || protocolVersion < protocolVersion20260728 {
		return &validatedMeta{}, nil
	}
	var clientInfo *Implementation
	if _, present := meta[MetaKeyClientInfo]; present {
		var ok bool
		clientInfo, ok = decodeMetaValue[*Implementation](meta, MetaKeyClientInfo)
		if !ok {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("invalid _meta field %q", MetaKeyClientInfo)}
		}
	}
	capabilities, ok := decodeMetaValue[*clientCapabilitiesV2](meta, MetaKeyClientCapabilities)
	if !ok {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("missing or invalid _meta field %q", MetaKeyClientCapabilities)}
	}
	logLevel, _ := decodeMetaValue[LoggingLevel](meta, MetaKeyLogLevel)
	return &validatedMeta{usesNewProtocol: true, initializeParams: &InitializeParams{
		ProtocolVersion: protocolVersion,
		Capabilities:    capabilities.toV1(),
		ClientInfo:      clientInfo,
	}, logLevel: logLevel}, nil
}

func TestValidateRequestMetaRaw(t *testing.T) {
	const (
		pv   = `"io.modelcontextprotocol/protocolVersion"`
		ci   = `"io.modelcontextprotocol/clientInfo"`
		caps = `"io.modelcontextprotocol/clientCapabilities"`
		ll   = `"io.modelcontextprotocol/logLevel"`
	)
	for _, params := range []string{
		``, `null`, `{}`, `[]`, `{"_meta":null}`, `{"_meta":{}}`, `{"_meta":[1]}`, `{"_meta":"x"}`,
		`{"_meta":{` + pv + `:"2025-06-18"}}`,
		`{"_meta":{` + pv + `:"2026-07-28"}}`,
		`{"_meta":{` + pv + `:5,` + caps + `:{}}}`,
		`{"_meta":{` + pv + `:null,` + caps + `:{}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + ` : null }}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:"x"}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{"roots":{"listChanged":true},"sampling":{},"experimental":{"a":{"b":[1,2.5,"c"]}}}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{},` + ci + `:{"name":"n","version":"1","title":"t"}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{},` + ci + `:null}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{},` + ci + `:"n"}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{},` + ci + `:{"name":1}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{},` + ll + `:"debug"}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{},` + ll + `:7}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{"roots":{"listChanged":"yes"}}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + pv + `:"2025-06-18",` + caps + `:{}}}`,
		`{"_meta":{"IO.modelcontextprotocol/protocolVersion":"2026-07-28",` + caps + `:{}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{},` + ci + `:null,` + ci + `:{"name":"n","version":"1"}}}`,
		`{"_meta":{` + pv + `:"2026-07-28",` + caps + `:{}},"_meta":null}`,
		`{"_meta":{"progressToken":1,` + pv + `:"2099-01-01",` + caps + `:{}},"name":"x","arguments":{"a":1}}`,
	} {
		one, _ := jsonrpc.MakeID(float64(1))
		for _, id := range []jsonrpc.ID{{}, one} {
			req := &jsonrpc.Request{ID: id, Method: "tools/call", Params: json.RawMessage(params)}
			want, wantErr := validateRequestMetaViaMap(req)
			got, gotErr := validateRequestMeta(req)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Errorf("params %s: got %+v, %v; want %+v, %v", params, got, gotErr, want, wantErr)
			}
		}
	}
}

func TestRawRequestMetaTags(t *testing.T) {
	typ := reflect.TypeFor[rawRequestMeta]()
	want := []string{MetaKeyProtocolVersion, MetaKeyClientInfo, MetaKeyClientCapabilities, MetaKeyLogLevel}
	for i, key := range want {
		if tag := typ.Field(i).Tag.Get("json"); tag != key {
			t.Errorf("field %s: tag %q, want %q", typ.Field(i).Name, tag, key)
		}
	}
}
