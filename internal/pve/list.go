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
	// Values then holds item i's value of Want[j] at i*len(Want)+j, nil
	// when the item has no such member (the last one when it has several,
	// as encoding/json reads them).
	Want   []string
	Values [][]byte
}

// readEnvelope is decodeEnvelope for a List, without encoding/json: one
// pass checks the body, splits its data into items and picks the wanted
// members out of them, a fraction of the time encoding/json takes for the
// large lists of a big cluster.
func (l *List) readEnvelope(raw []byte) (int, error) {
	var data, totalRaw []byte
	var items, cur []json.RawMessage
	var values, curValues [][]byte
	w := len(l.Want)
	picked := make([][]byte, w) // the element being read
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
		Elem: func(k, e []byte) {
			if string(k) == "data" {
				if cur == nil {
					n := guessCount(len(raw), len(e), w)
					cur = make([]json.RawMessage, 0, n)
					if w > 0 {
						curValues = make([][]byte, 0, n*w)
					}
				}
				cur = append(cur, e)
				curValues = append(curValues, picked...)
			}
			clear(picked)
		},
	}
	if w > 0 {
		vis.ElemMember = func(k, v []byte) {
			for j, name := range l.Want {
				if string(k) == name {
					picked[j] = v
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
		if serr := checkOne(it, objectShape); serr != nil {
			return 0, &ShapeError{Want: "a list of objects", Got: fmt.Sprintf("%s as item %d", serr.Got, i)}
		}
	}
	l.Items, l.Values = items, values
	if l.Items == nil {
		l.Items = []json.RawMessage{}
	}
	return int(total), nil
}

// guessCount is how many items of the first one's size the body holds, so
// a large list is not grown by copies; bounded so the room reserved is
// never more than the body's own size.
func guessCount(body, first, width int) int {
	return min(body/(first+1), body/(24*(width+1))) + 1
}
