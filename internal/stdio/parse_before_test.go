package stdio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// parseBefore is parse as it was before it lost its second pass over the
// line (json.Valid) and its json.Decoder per id: parse must answer alike. It returns a nil
// message and a nil rejection for a blank line.
func parseBefore(data []byte) (jsonrpc.Message, *rejection) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, nil
	}
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v) // for its description of the fault
		return nil, &rejection{codeParse, scanID(data), fmt.Sprintf("parse error: the line is not JSON (%v)", err)}
	}
	switch data[0] {
	case '{':
	case '[':
		return nil, &rejection{codeInvalidRequest, null, "invalid request: batches are not supported; send one JSON-RPC message per line"}
	default:
		return nil, &rejection{codeInvalidRequest, null, "invalid request: a message must be a JSON object"}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, &rejection{codeParse, null, "parse error: " + err.Error()}
	}
	rawID, hasID := fields["id"]
	id, idErr := readIDBefore(rawID)
	if hasID && idErr != nil {
		return nil, &rejection{codeInvalidRequest, null, "invalid request: " + idErr.Error()}
	}
	var version string
	if json.Unmarshal(fields["jsonrpc"], &version) != nil || version != "2.0" {
		return nil, &rejection{codeInvalidRequest, id, `invalid request: "jsonrpc" must be "2.0"`}
	}
	method, hasMethod := fields["method"]
	_, hasResult := fields["result"]
	_, hasError := fields["error"]
	switch {
	case hasMethod:
		if len(method) == 0 || method[0] != '"' {
			return nil, &rejection{codeInvalidRequest, id, `invalid request: "method" must be a string`}
		}
		if hasID && string(id) == "null" {
			return nil, &rejection{codeInvalidRequest, null, `invalid request: a request's "id" must not be null`}
		}
	case hasResult || hasError:
		if !hasID || string(id) == "null" {
			// The client's report of a message it could not read: answering
			// it could loop, so it is only logged.
			return nil, &rejection{0, null, "response without an id dropped"}
		}
	default:
		return nil, &rejection{codeInvalidRequest, orNull(id), `invalid request: no "method" (and no "result" or "error" of a response)`}
	}
	msg, err := jsonrpc.DecodeMessage(data)
	if err != nil {
		return nil, &rejection{codeInvalidRequest, orNull(id), "invalid request: " + err.Error()}
	}
	return msg, nil
}

func readIDBefore(raw json.RawMessage) (json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("read id: %w", err)
	}
	return idValue(v)
}

// sameParse checks that parse and parseBefore agree on line.
func sameParse(t *testing.T, line []byte) {
	t.Helper()
	msg, rej := parse(line)
	wantMsg, wantRej := parseBefore(line)
	if !reflect.DeepEqual(msg, wantMsg) || !reflect.DeepEqual(rej, wantRej) {
		t.Errorf("%q: got %#v %s, want %#v %s", line, msg, describe(rej), wantMsg, describe(wantRej))
	}
}

func describe(r *rejection) string {
	if r == nil {
		return "accepted"
	}
	return fmt.Sprintf("%d %s %q", r.code, r.id, r.msg)
}

var parseSeeds = []string{
	``, ` `, `not json`, `{`, `}`, `[]`, `[1]`, `null`, `"ping"`, `1`, `true`, `{}`, `{"jsonrpc":"2.0"}`,
	`{"jsonrpc":"2.0","id":1,"method":"ping"}`, `{"jsonrpc": "2.0" , "id" : 1 , "method" : "ping" }`,
	`{"jsonrpc":"2\u002e0","id":1,"method":"ping"}`, `{"jsonrpc":"2.0 ","id":1,"method":"ping"}`,
	`{"jsonrpc":"2.0","id":"a\"b","method":"x"}`, `{"jsonrpc":"2.0","id": "\u0041","method":"x"}`,
	`{"jsonrpc":"2.0","id":-3,"method":"x"}`, `{"jsonrpc":"2.0","id":2.0,"method":"x"}`, `{"jsonrpc":"2.0","id":1e3,"method":"x"}`,
	`{"jsonrpc":"2.0","id":1.5,"method":"x"}`, `{"jsonrpc":"2.0","id":true,"method":"x"}`, `{"jsonrpc":"2.0","id":{},"method":"x"}`,
	`{"jsonrpc":"2.0","id":null,"method":"x"}`, `{"jsonrpc":"2.0","id":[1],"method":"x"}`, `{"jsonrpc":"2.0","id":9007199254740993,"method":"x"}`,
	`{"jsonrpc":"2.0","id":3,"method":null}`, `{"jsonrpc":"2.0","id":3,"method":7}`, `{"jsonrpc":"2.0","id":3}`,
	`{"jsonrpc":"2.0","id":5,"result":{}}`, `{"jsonrpc":"2.0","result":{}}`, `{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}`,
	`{"jsonrpc":"2.0","id":"s","error":{"code":1,"message":"no"}}`, `{"jsonrpc":2,"id":"x","method":"ping"}`,
	`{"jsonrpc":"2.0","id":7,"method":"tools/li`, `{"jsonrpc":"2.0","id":12`, `{"id":true,"method":`,
	`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"progressToken":1},"name":"x","arguments":{}}}`,
	`{"jsonrpc":"2.0","id":1,"id":2,"method":"x"}`, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\"}",
	`{"jsonrpc":"2.0","id":4,"method":"ping","params":` + strings.Repeat("[", 1001) + strings.Repeat("]", 1001) + `}`,
}

func TestParseAsBefore(t *testing.T) {
	for _, s := range parseSeeds {
		sameParse(t, []byte(s))
	}
}

func FuzzParseAsBefore(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) { sameParse(t, line) })
}
