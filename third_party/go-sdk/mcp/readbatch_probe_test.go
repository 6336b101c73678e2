// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	internaljson "github.com/modelcontextprotocol/go-sdk/internal/json"
	"github.com/modelcontextprotocol/go-sdk/internal/jsonrpc2"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// readBatchAlways is readBatch as v1.8.0 had it: the batch probe on every
// message.
func readBatchAlways(data []byte) (msgs []jsonrpc.Message, isBatch bool, _ error) {
	var rawBatch []json.RawMessage
	if err := internaljson.Unmarshal(data, &rawBatch); err == nil {
		if len(rawBatch) == 0 {
			return nil, true, fmt.Errorf("empty batch")
		}
		for _, raw := range rawBatch {
			msg, err := jsonrpc2.DecodeMessage(raw)
			if err != nil {
				return nil, true, err
			}
			msgs = append(msgs, msg)
		}
		return msgs, true, nil
	}
	msg, err := jsonrpc2.DecodeMessage(data)
	return []jsonrpc.Message{msg}, false, err
}

func TestReadBatchAsAlwaysProbing(t *testing.T) {
	req := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`
	for _, in := range []string{
		req, " \t\r\n" + req, `[` + req + `]`, ` [` + req + `,` + req + `]`, `[]`, `null`, ` null `, `nul`, `nope`,
		`[1]`, `[`, `{`, ``, `   `, `"s"`, `1`, `true`, `{"jsonrpc":"2.0","id":1,"result":{}}`,
		`{"jsonrpc":"1.0","id":1,"method":"m"}`, `\u005b` + req + `]`, "\xef\xbb\xbf" + req, "\v" + req,
	} {
		gotMsgs, gotBatch, gotErr := readBatch([]byte(in))
		wantMsgs, wantBatch, wantErr := readBatchAlways([]byte(in))
		if !reflect.DeepEqual(gotMsgs, wantMsgs) || gotBatch != wantBatch || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("%q:\n got %v %v %v\nwant %v %v %v", in, gotMsgs, gotBatch, gotErr, wantMsgs, wantBatch, wantErr)
		}
	}
}
