// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by the license
// that can be found in the LICENSE file.

package json

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"testing"
)

// decoderUnmarshal is Unmarshal as it was: through a Decoder, which
// Unmarshal must match in results and errors.
func decoderUnmarshal(data []byte, v any) error {
	if err := checkMaxDepth(data, defaultMaxDepth); err != nil {
		return err
	}
	return NewDecoder(bytes.NewReader(data)).Decode(v)
}

type wire struct {
	VersionTag string          `json:"jsonrpc"`
	ID         any             `json:"id,omitempty"`
	Method     json.RawMessage `json:"method"`
	Params     json.RawMessage `json:"params,omitempty"`
	N          *int            `json:"n,omitempty"`
	List       []string        `json:"list,omitempty"`
}

var targets = []func() any{
	func() any { return new(wire) },
	func() any { return new([]json.RawMessage) },
	func() any { return new(map[string]any) },
	func() any { return new(any) },
	func() any { return new(string) },
	func() any { return new(int) },
	func() any { return new(json.RawMessage) },
}

// same checks that Unmarshal and decoderUnmarshal agree on data for every target.
func same(t *testing.T, data []byte) {
	t.Helper()
	for i, mk := range targets {
		a, b := mk(), mk()
		ea, eb := decoderUnmarshal(data, a), Unmarshal(data, b)
		if fmt.Sprint(ea) != fmt.Sprint(eb) || reflect.TypeOf(ea) != reflect.TypeOf(eb) {
			t.Errorf("%q target %d: decoder error %T %v, Unmarshal error %T %v", data, i, ea, ea, eb, eb)
		}
		if errors.Is(ea, errMaxDepthExceeded) != errors.Is(eb, errMaxDepthExceeded) {
			t.Errorf("%q: depth errors differ", data)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%q target %d: decoder gave %#v, Unmarshal %#v", data, i, a, b)
		}
	}
}

var seeds = []string{
	``, ` `, "\n\t ", `{}`, `[]`, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, `{"jsonrpc":"2.0","id":1,"method":"ping"} trailing`,
	`{} {}`, `{}}`, `{"a":`, `{"a":1  `, `{"a":1,`, `[1,2`, `"abc`, `"a\u00e9\n"`, `"\ud800"`, `"\x"`, `1e400`, `-`, `01`, `1.`,
	`nul`, `null`, `true`, `tru`, `{"id":{"x":1}}`, `{"id":1.5}`, `{"jsonrpc":2}`, `{"Jsonrpc":"2.0"}`, `[{"a":1},{"b":2}]`,
	`{"method":"x","params":{"a":[1,2,{"b":null}]}}`, `{"n":"1"}`, `{"n":1,"list":["a",1]}`, `  {"a":1}  `, "{\"a\":1}\n",
	`[[[[[[[[[[]]]]]]]]]]`, `{"a":1 "b":2}`, `{"a" 1}`, `{,}`, `[1,]`, "\"\x01\"", "\xff", `"\u00"`, `{"a":"b"}x`,
}

func TestUnmarshalAsDecoder(t *testing.T) {
	for _, s := range seeds {
		same(t, []byte(s))
	}
	deep := bytes.Repeat([]byte("["), defaultMaxDepth+1)
	same(t, deep)
	big := []byte(`{"method":"` + string(bytes.Repeat([]byte("x"), 100000)) + `"}`)
	same(t, big)
	same(t, big[:len(big)-1])
}

func FuzzUnmarshalAsDecoder(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { same(t, data) })
}

// TestUnmarshalGarbage guards against a Decoder per call: its 32 KiB read
// buffer was most of the garbage per JSON-RPC message.
func TestUnmarshalGarbage(t *testing.T) {
	data := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`)
	var w wire
	perRun := bytesPerRun(100, func() {
		w = wire{}
		if err := Unmarshal(data, &w); err != nil {
			t.Fatal(err)
		}
	})
	if perRun > 4<<10 {
		t.Errorf("Unmarshal of a small message allocates %d bytes, want at most 4 KiB", perRun)
	}
}

// bytesPerRun is testing.AllocsPerRun for bytes: the average allocated by
// f, on one P so that little else runs meanwhile.
func bytesPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}
