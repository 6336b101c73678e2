package pve

import (
	"encoding/json"
	"testing"
)

// Proxmox sends numbers and booleans as JSON numbers or as strings; both
// read the same, and anything else is an error rather than a silent zero.
func TestTolerantNumbers(t *testing.T) {
	ints := map[string]Int{`101`: 101, `"101"`: 101, `-3`: -3, `"-3"`: -3, `1e3`: 1000, `"100.0"`: 100,
		`null`: 0, `""`: 0, `9007199254740993`: 9007199254740993}
	for in, want := range ints {
		var got Int
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Int %s = %d, %v; want %d", in, got, err, want)
		}
	}
	floats := map[string]Float{`0.25`: 0.25, `"0.25"`: 0.25, `3`: 3, `"1e-2"`: 0.01, `null`: 0, `""`: 0}
	for in, want := range floats {
		var got Float
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Float %s = %v, %v; want %v", in, got, err, want)
		}
	}
	flags := map[string]Flag{`1`: true, `0`: false, `"1"`: true, `"0"`: false, `true`: true, `false`: false,
		`"yes"`: true, `"off"`: false, `"TRUE"`: true, `2`: true, `null`: false, `""`: false}
	for in, want := range flags {
		var got Flag
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Flag %s = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{`"abc"`, `1.5`, `"1.5"`, `true`, `{}`, `[]`, `"0x10"`} {
		var n Int
		if err := json.Unmarshal([]byte(in), &n); err == nil {
			t.Errorf("Int %s: no error (got %d)", in, n)
		}
	}
	for _, in := range []string{`"abc"`, `"NaN"`, `"Inf"`, `false`, `{}`} {
		var f Float
		if err := json.Unmarshal([]byte(in), &f); err == nil {
			t.Errorf("Float %s: no error (got %v)", in, f)
		}
	}
	for _, in := range []string{`"maybe"`, `{}`, `[]`} {
		var f Flag
		if err := json.Unmarshal([]byte(in), &f); err == nil {
			t.Errorf("Flag %s: no error", in)
		}
	}
	// In a struct, as Proxmox types use them; they marshal as plain JSON.
	var st struct {
		PID  Int   `json:"pid"`
		CPU  Float `json:"cpu"`
		HA   Flag  `json:"ha"`
		Miss Int   `json:"missing"`
	}
	if err := json.Unmarshal([]byte(`{"pid":"4242","cpu":"0.5","ha":"1"}`), &st); err != nil || st.PID != 4242 || st.CPU != 0.5 || !st.HA {
		t.Errorf("struct: %+v, %v", st, err)
	}
	if b, _ := json.Marshal(st); string(b) != `{"pid":4242,"cpu":0.5,"ha":true,"missing":0}` {
		t.Errorf("marshal: %s", b)
	}
}
