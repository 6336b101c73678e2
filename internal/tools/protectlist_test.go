package tools

import (
	"encoding/json"
	"testing"
)

// TestTagsOfAsUnmarshal keeps the scan of an item's tags what decoding it
// gives, in the cases that take the scan and those that fall back.
func TestTagsOfAsUnmarshal(t *testing.T) {
	for _, item := range []string{
		`{"vmid":1,"tags":"a;b"}`, `{"tags":""}`, `{}`, `{"tags":"a","tags":"b"}`,
		`{"tags":"a","tags":null}`, `{"tags":null}`, `{"tags":1}`, `{"tags":["a"]}`,
		`{"TAGS":"up"}`, `{"tags":"a","Tags":"b"}`, `{"tag\u017f":"long s"}`, `{"t\u0061gs":"esc key"}`,
		`{"tags":"a\"b"}`, `{"tags":"\u00e9t\u00e9"}`, "{\"tags\":\"\xff\"}", `{"tags":"x","n":{"tags":"inner"}}`,
	} {
		var row struct {
			Tags string `json:"tags"`
		}
		wantOK := json.Unmarshal([]byte(item), &row) == nil
		got, ok := tagsOf([]byte(item))
		if ok != wantOK || (ok && got != row.Tags) {
			t.Errorf("%s: %q %v, want %q %v", item, got, ok, row.Tags, wantOK)
		}
	}
}
