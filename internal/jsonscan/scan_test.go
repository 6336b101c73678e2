package jsonscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestElementsAndMembers(t *testing.T) {
	data := []byte(` [ {"a" : 1, "b":"x\"}y", "c":[1,{"d":"]"}], "e":null} , {} ,{"f":true}] `)
	var got []string
	if err := Elements(data, func(e []byte) bool { got = append(got, string(e)); return true }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1] != "{}" || got[2] != `{"f":true}` {
		t.Fatalf("elements: %q", got)
	}
	var keys, vals []string
	if err := Members([]byte(got[0]), func(k, v []byte) bool {
		keys, vals = append(keys, string(k)), append(vals, string(v))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"1", `"x\"}y"`, `[1,{"d":"]"}]`, "null"}
	if len(vals) != 4 || keys[2] != "c" {
		t.Fatalf("members: %q %q", keys, vals)
	}
	for i := range want {
		if vals[i] != want[i] {
			t.Errorf("value %d: %s, want %s", i, vals[i], want[i])
		}
	}
	if s, ok := String([]byte(vals[1])); !ok || s != `x"}y` {
		t.Errorf("String: %q %v", s, ok)
	}
	if err := Members([]byte(`{"vm\u0069d":1}`), func(k, _ []byte) bool { keys = append(keys, string(k)); return true }); err != nil || keys[len(keys)-1] != "vmid" {
		t.Errorf("escaped key: %q %v", keys, err)
	}
	if Compact([]byte(got[0])) || !Compact([]byte(`{"a":"b c"}`)) {
		t.Error("Compact is wrong")
	}
	if err := Elements([]byte(`[]`), func([]byte) bool { t.Error("element in []"); return true }); err != nil {
		t.Error(err)
	}
	if err := Elements([]byte(`{}`), func([]byte) bool { return true }); err == nil {
		t.Error("an object read as an array")
	}
}

// FuzzElements checks the scanner against encoding/json on valid input.
func FuzzElements(f *testing.F) {
	f.Add([]byte(`[{"a":1,"b":[2,3],"c":{"d":"e\\"}},{}]`))
	f.Add([]byte(`[1, "x", null, [ ], {"k" :"v"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var want []json.RawMessage
		if json.Unmarshal(data, &want) != nil || want == nil {
			return // not an array (null decodes to nil)
		}
		var got [][]byte
		if err := Elements(data, func(e []byte) bool { got = append(got, e); return true }); err != nil {
			t.Fatalf("Elements(%q): %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, want %d", data, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(bytes.TrimSpace(want[i]), got[i]) {
				t.Fatalf("%q: element %d is %q, want %q", data, i, got[i], want[i])
			}
			var obj map[string]json.RawMessage
			if got[i][0] != '{' || json.Unmarshal(got[i], &obj) != nil {
				continue
			}
			n := 0
			err := Members(got[i], func(k, v []byte) bool {
				n++
				if !json.Valid(v) {
					t.Fatalf("%q: member %q has value %q", got[i], k, v)
				}
				return true
			})
			if err != nil || n < len(obj) {
				t.Fatalf("%q: %d members (%v), want at least %d", got[i], n, err, len(obj))
			}
		}
	})
}

// FuzzValid checks Valid against encoding/json.Valid.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,-0.5e+3,"\u00e9\n",true,false,null]}`, `[01]`, `{"a" 1}`, `"\x"`, `1.`, `[1,]`, ` {} `, `-`, `"ab`, "\"\x01\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := Valid(data), json.Valid(data); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", data, got, want)
		}
	})
}

func TestWalkReportsItemMembers(t *testing.T) {
	data := []byte(`{"a":[{"k":1,"o":{"deep":2},"l":[{"deeper":3}]},5,{"k\u0032":"x"}],"b":{"c":{"d":1}},"e":[[{"f":1}]]}`)
	var got []string
	ok := Walk(data, &Visitor{
		ElemMember: func(k []byte, start, end int) { got = append(got, string(k)+"="+string(data[start:end])) },
		Elem:       func(k []byte, start, end int) { got = append(got, "elem "+string(k)+" "+string(data[start:end])) },
	})
	want := []string{`k=1`, `o={"deep":2}`, `l=[{"deeper":3}]`, `elem a {"k":1,"o":{"deep":2},"l":[{"deeper":3}]}`,
		`elem a 5`, `k2="x"`, `elem a {"k\u0032":"x"}`, `elem e [{"f":1}]`}
	if !ok || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Walk reported\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if Walk([]byte(`[{"a":1}]`), &Visitor{ElemMember: func(k []byte, _, _ int) { t.Errorf("member %s of a bare list", k) }}) != true {
		t.Error("a bare list is not valid")
	}
}

// FuzzWalk checks that Walk reports the members of the items of a
// top-level object's lists as Elements and Members find them.
func FuzzWalk(f *testing.F) {
	for _, s := range []string{`{"data":[{"a":1,"b":"\"}"},{"c":[{"d":2}]},3]}`, `{"a":[],"b":[{}],"c":{"d":[{"e":1}]}}`, `{"\u0061":[{"\u0062":1}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want []string
		vis := &Visitor{
			Member:     func(k, _ []byte) { got = append(got, "member "+string(k)) },
			ElemMember: func(k []byte, start, end int) { got = append(got, string(k)+"="+string(data[start:end])) },
			Elem:       func([]byte, int, int) { got = append(got, "elem") },
		}
		if !Walk(data, vis) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, data); err != nil || vis.Spaced != (compact.Len() != len(data)) {
			t.Fatalf("%q: Spaced %v, compacted to %q (%v)", data, vis.Spaced, compact.Bytes(), err)
		}
		if Members(data, func([]byte, []byte) bool { return true }) != nil {
			return
		}
		Members(data, func(k, v []byte) bool {
			_ = Elements(v, func(e []byte) bool {
				_ = Members(e, func(ek, ev []byte) bool { want = append(want, string(ek)+"="+string(ev)); return true })
				want = append(want, "elem")
				return true
			})
			want = append(want, "member "+string(k))
			return true
		})
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%q: Walk reported\n%s\nwant\n%s", data, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// BenchmarkWalk checks a list of 2 000 guests as /cluster/resources sends
// them and reports their members, as pve.List reads it.
func BenchmarkWalk(b *testing.B) {
	var body strings.Builder
	body.WriteString(`{"data":[`)
	for i := range 2000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"memhost":5179975680,"netin":82601058,"maxcpu":8,"maxdisk":34359738368,"diskwrite":1072448512,"name":"guest-%05d","node":"server5",`+
			`"uptime":8825,"vmid":%d,"template":0,"tags":"boyang","id":"qemu/%d","netout":1060469,"mem":5179975680,"status":"running",`+
			`"maxmem":8589934592,"cpu":0.0202062065371041,"type":"qemu","diskread":1455539712,"disk":0}`, i, 100+i, 100+i)
	}
	body.WriteString(`]}`)
	data := []byte(body.String())
	want := []string{"node", "vmid", "type", "id"}
	picked := 0
	vis := &Visitor{Elem: func([]byte, int, int) {}, ElemMember: func(k []byte, _, _ int) {
		for _, w := range want {
			if string(k) == w {
				picked++
			}
		}
	}}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if !Walk(data, vis) {
			b.Fatal("not valid")
		}
	}
}
