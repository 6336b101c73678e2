package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

type decodeNested struct {
	Depth int    `json:"depth,omitempty" default:"2"`
	Label string `json:"label,omitempty"`
}

type decodeArgs struct {
	Node   string        `json:"node,omitempty"`
	Mode   string        `json:"mode,omitempty" enum:"a,b" default:"a"`
	Count  int           `json:"count,omitempty" minimum:"1" default:"5"`
	Tags   []string      `json:"tags,omitempty"`
	Nested *decodeNested `json:"nested,omitempty"`
	Async  bool          `json:"async,omitempty"`
}

type decodeNoDefaults struct {
	Node string `json:"node,omitempty"`
	VMID int    `json:"vmid,omitempty"`
}

// reencodeInput is decodeInput as it was: the arguments decoded into a
// map, encoded again and decoded into In, whatever they held.
func reencodeInput[In any](raw json.RawMessage, s func(map[string]any), extras ...string) (In, map[string]any, error) {
	var in In
	args, taken := map[string]any{}, map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return in, nil, err
		}
	}
	s(args)
	for _, k := range extras {
		if v, ok := args[k]; ok {
			taken[k] = v
			delete(args, k)
		}
	}
	b, _ := json.Marshal(args)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(&in)
	return in, taken, err
}

func checkDecodeInput[In any](t *testing.T, inputs []string) {
	s := inputSchema[In]()
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range inputs {
		got, gotTaken, err := decodeInput[In](s, rs, json.RawMessage(raw), "async")
		if err != nil {
			t.Errorf("%T %s: %v", got, raw, err)
			continue
		}
		want, wantTaken, err := reencodeInput[In](json.RawMessage(raw), func(m map[string]any) { applyDefaults(s, m) }, "async")
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !reflect.DeepEqual(got, want) || fmt.Sprint(gotTaken) != fmt.Sprint(wantTaken) {
			t.Errorf("%T %s:\n got %+v %v\nwant %+v %v", got, raw, got, gotTaken, want, wantTaken)
		}
	}
}

// TestDecodeInputAsReencode checks that decoding the caller's arguments
// once (or not at all for none) gives what the re-encoding did.
func TestDecodeInputAsReencode(t *testing.T) {
	inputs := []string{``, `null`, ` {} `, `{"node":"pve1"}`, `{"mode":"b","count":2}`,
		`{"mode":"b","count":2,"nested":{"label":"x"}}`, `{"mode":"b","count":2,"nested":{"depth":4}}`,
		`{"async":true}`, `{"mode":"b","count":3,"async":false,"tags":["a","b"]}`}
	checkDecodeInput[decodeArgs](t, inputs)
	checkDecodeInput[decodeNoDefaults](t, []string{``, `null`, `{}`, `{"node":"pve1","vmid":100}`, `{"vmid":7}`})
}

func TestDecodeInputRejects(t *testing.T) {
	s := inputSchema[decodeNoDefaults]()
	rs, err := s.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{`{"vmid":"x"}`, `{"other":1}`, `[1]`, `{"vmid":1.5}`} {
		if in, _, err := decodeInput[decodeNoDefaults](s, rs, json.RawMessage(raw)); err == nil {
			t.Errorf("%s: accepted as %+v", raw, in)
		}
	}
}
