package pve

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/jsonscan"
)

// List is a list of objects read in one pass: each item is an object's
// bytes as Proxmox sent them, a subslice of the answer. Large lists are
// filtered and projected from these without decoding every item.
type List struct {
	Items []json.RawMessage
	// Want names the members to pick out of every item in the same pass.
	// Values then holds where item i's value of Want[j] is, at
	// i*len(Want)+j (see Value).
	Want   []string
	Values []Span
	// Compact: the answer had no whitespace outside its strings (Proxmox
	// sends none), so its items go to compact output as they are.
	Compact bool

	body *[]byte   // the answer the items lie in, from pool
	pool *bodyPool // nil: not the client's to recycle
}

// Release gives the buffer of the answer back to the client, for its next
// list; neither l's items nor anything sliced from them may be used after.
// A list that is not released is left to the garbage collector.
func (l *List) Release() {
	if l.pool != nil {
		l.pool.put(l.body)
	}
	l.Items, l.Values, l.body, l.pool = nil, nil, nil, nil
}

func (l *List) adopt(body *[]byte, pool *bodyPool) { l.body, l.pool = body, pool }

// Span is where a picked value lies in its item; the zero Span: the item
// has no such member. Offsets, not slices: a large list's values hold no
// pointers for the garbage collector to scan.
type Span struct{ Start, End int32 }

// Value is item i's value of Want[j], nil when it has none (the last one
// when it has several, as encoding/json reads them).
func (l *List) Value(i, j int) []byte {
	s := l.Values[i*len(l.Want)+j]
	if s.End == 0 {
		return nil
	}
	return l.Items[i][s.Start:s.End]
}

// Pick reads the members Want names out of the items, for a List that was
// not read with them, with one jsonscan.MemberSpans pass per item.
func (l *List) Pick() error {
	w := len(l.Want)
	l.Values = make([]Span, len(l.Items)*w)
	for i, it := range l.Items {
		row := l.Values[i*w : (i+1)*w]
		err := jsonscan.MemberSpans(it, func(k []byte, start, end int) bool {
			for j, name := range l.Want {
				if string(k) == name {
					row[j] = Span{int32(start), int32(end)}
				}
			}
			return true
		})
		if err != nil {
			return fmt.Errorf("read list item %d: %w", i, err)
		}
	}
	return nil
}

// readEnvelope is decodeEnvelope for a List, without encoding/json: one
// pass checks the body, splits its data into items and picks the wanted
// members out of them, a fraction of the time encoding/json takes for the
// large lists of a big cluster.
func (l *List) readEnvelope(raw []byte) (int, error) {
	var data, totalRaw []byte
	var items, cur []json.RawMessage
	var values, curValues []Span
	w := len(l.Want)
	picked := make([]Span, w) // the element being read, offsets in raw
	vis := &jsonscan.Visitor{
		Member: func(k, v []byte) {
			switch string(k) {
			case "data": // the last "data" counts, as with encoding/json
				data, items, values = v, cur, curValues
			case "total":
				totalRaw = v
			}
			cur, curValues = nil, nil
		},
		Elem: func(k []byte, start, end int) {
			if string(k) == "data" {
				if cur == nil {
					n := guessCount(len(raw), end-start, w)
					cur = make([]json.RawMessage, 0, n)
					if w > 0 {
						curValues = make([]Span, 0, n*w)
					}
				}
				cur = append(cur, raw[start:end])
				for _, p := range picked {
					if p.End != 0 {
						p.Start, p.End = p.Start-int32(start), p.End-int32(start)
					}
					curValues = append(curValues, p)
				}
			}
			clear(picked)
		},
	}
	if w > 0 {
		byLen := wantByLength(l.Want)
		vis.ElemMember = func(k []byte, start, end int) {
			// Most members of an item are not wanted; the rest meet only
			// the names of their length.
			for _, j := range byLen[min(len(k), 63)] {
				if string(k) == l.Want[j] {
					picked[j] = Span{int32(start), int32(end)}
				}
			}
		}
	}
	ok := jsonscan.Walk(raw, vis)
	if t := bytes.TrimSpace(raw); !ok || len(t) == 0 || t[0] != '{' {
		return 0, fmt.Errorf("body is not a JSON object: %q", snippet(raw))
	}
	var total Int
	if err := json.Unmarshal(orNull(totalRaw), &total); err != nil {
		return 0, fmt.Errorf("bad total %q", snippet(totalRaw))
	}
	if serr := checkOne(data, listShape); serr != nil {
		return 0, serr
	}
	for i, it := range items {
		if it[0] == '{' { // Walk trims the items: no checkOne's TrimSpace for each
			continue
		}
		if serr := checkOne(it, objectShape); serr != nil {
			return 0, &ShapeError{Want: "a list of objects", Got: fmt.Sprintf("%s as item %d", serr.Got, i)}
		}
	}
	l.Items, l.Values, l.Compact = items, values, !vis.Spaced
	if l.Items == nil {
		l.Items = []json.RawMessage{}
	}
	return int(total), nil
}

// wantByLength lists, for each length n, the places in want of the names n
// bytes long (the last entry: 63 or more), to compare a member's key only
// with those.
func wantByLength(want []string) *[64][]int {
	var by [64][]int
	for j, name := range want {
		n := min(len(name), 63)
		by[n] = append(by[n], j)
	}
	return &by
}

// guessCount is how many items of the first one's size the body holds, and
// a quarter more as items differ in size, so a large list is not grown by
// copies; bounded so the room reserved is never more than the body's size.
func guessCount(body, first, width int) int {
	n := body / (first + 1)
	return min(n+n/4, body/(24+8*width)) + 1
}
