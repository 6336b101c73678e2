package pve

import (
	"slices"
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

func TestListPicksWantedMembers(t *testing.T) {
	l := List{Want: []string{"vmid", "name", "tags"}}
	body := `{"data":[{"x": 1}],"other":[{"vmid":9}],` + // an earlier "data" and another list do not count
		`"data":[{"vmid":100,"name":"a","conf":{"vmid":1},"name":"b"},{"vm\u0069d":"101"},{}]}`
	if _, err := decodeEnvelope([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	want := []string{"100", `"b"`, "", `"101"`, "", "", "", "", ""} // "" for absent
	if len(l.Items) != 3 || len(l.Values) != len(want) {
		t.Fatalf("%d items, %d values: %q", len(l.Items), len(l.Values), l.Values)
	}
	for i := range l.Values {
		if v := l.Value(i/3, i%3); string(v) != want[i] || (v == nil) != (want[i] == "") {
			t.Errorf("value %d (item %d, %s) is %q, want %q", i, i/3, l.Want[i%3], v, want[i])
		}
	}
	if l.Compact {
		t.Error("a body with spaces read as compact")
	}
	picked := List{Items: l.Items, Want: l.Want}
	if err := picked.Pick(); err != nil || !slices.Equal(picked.Values, l.Values) {
		t.Errorf("Pick: %v, %v; read: %v", picked.Values, err, l.Values)
	}
	var compact List
	if _, err := decodeEnvelope([]byte(`{"data":[{"a":"b c"}]}`), &compact); err != nil || !compact.Compact {
		t.Errorf("a compact body: Compact %v, err %v", compact.Compact, err)
	}
	var none List
	if _, err := decodeEnvelope([]byte(body), &none); err != nil || none.Values != nil || len(none.Items) != 3 {
		t.Errorf("no Want: values %q, items %d, err %v", none.Values, len(none.Items), err)
	}
}

func TestGuessCount(t *testing.T) {
	for _, c := range []struct{ body, first, width, atLeast int }{
		{3 << 20, 336, 4, 3 << 20 / 336},
		{3 << 20, 2, 6, 1}, // a tiny first item reserves no more than the body
		{10, 9, 0, 1},
	} {
		n := guessCount(c.body, c.first, c.width)
		if per := 24 + 8*c.width; n < c.atLeast || (n-1)*per > c.body {
			t.Errorf("guessCount(%d, %d, %d) = %d", c.body, c.first, c.width, n)
		}
	}
}
