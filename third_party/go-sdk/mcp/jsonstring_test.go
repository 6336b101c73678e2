// Copyright 2025 The Go MCP SDK Authors. All rights reserved.
// Use of this source code is governed by an MIT-style
// license that can be found in the LICENSE file.

package mcp

import (
	"encoding/json"
	"strings"
	"testing"
)

var jsonStringSeeds = []string{"", "plain", `a "quoted" \ back`, "<a href='x'>&amp;</a>", "\x00\x01\x1f\x7f\b\f\n\r\t",
	"\u2028\u2029", "\xff\xfe bad \xc3", "é中😀", "\xed\xa0\x80 surrogate", strings.Repeat(`{"k":"v"}`+"\n", 100)}

func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStringSeeds {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
	}
	for c := range 256 {
		s := string([]byte{'a', byte(c), 'b'})
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("byte %#x: %s, want %s", c, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("%q: %s, want %s", s, got, want)
		}
	})
}
