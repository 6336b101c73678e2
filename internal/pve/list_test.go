package pve

import (
	"strings"
	"testing"
)

func TestListEnvelope(t *testing.T) {
	var l List
	total, err := decodeEnvelope([]byte(` {"total": "7", "data": [ {"a":1} , {"b":[{"c":"]"}]} ]}`), &l)
	if err != nil || total != 7 || len(l.Items) != 2 || string(l.Items[1]) != `{"b":[{"c":"]"}]}` {
		t.Fatalf("total %d, items %q, err %v", total, l.Items, err)
	}
	for body, want := range map[string]string{
		`{"data":null}`:           "a list",
		`{}`:                      "no data",
		`{"data":{"a":1}}`:        "an object",
		`{"data":[{"a":1},null]}`: "null as item 1",
		`{"data":[1]}`:            "a number 1 as item 0",
		`{"data":[{"a":1}`:        "not a JSON object",
		`[]`:                      "not a JSON object",
		`{"data":[],"total":"x"}`: "bad total",
	} {
		_, err := decodeEnvelope([]byte(body), &l)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
