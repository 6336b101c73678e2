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
}

// readEnvelope is decodeEnvelope for a List, without encoding/json: one
// pass checks the body and splits its data into items, a fraction of the
// time encoding/json takes for the large lists of a big cluster.
func (l *List) readEnvelope(raw []byte) (int, error) {
	var data, totalRaw []byte
	var items, cur []json.RawMessage
	ok := jsonscan.Walk(raw, func(k, v []byte) {
		switch string(k) {
		case "data": // the last "data" counts, as with encoding/json
			data, items = v, cur
		case "total":
			totalRaw = v
		}
		cur = nil
	}, func(k, e []byte) {
		if string(k) == "data" {
			cur = append(cur, e)
		}
	})
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
	l.Items = items
	if l.Items == nil {
		l.Items = []json.RawMessage{}
	}
	return int(total), nil
}
