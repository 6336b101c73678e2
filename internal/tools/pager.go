package tools

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/jsonscan"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// listSpec is how one list tool pages: its default projection and order.
type listSpec struct {
	fields []string // the default projection; nil: every field
	sort   string   // the default order; "": Proxmox's own
}

// pager is one call's checked paging choices.
type pager struct {
	limit, offset int // limit 0: every item
	fields        []string
	sorts         []sortKey
	matches       []match
	defaulted     bool // fields were not given: the tool's default set
}

type sortKey struct {
	field string
	desc  bool
}

// newPager checks the paging arguments; errors name the argument.
func newPager(p pageArgs, ls listSpec, matches ...match) (*pager, error) {
	pg := &pager{limit: defaultLimit, offset: p.Offset, fields: ls.fields, matches: matches}
	if p.Limit.Set {
		pg.limit = p.Limit.N
		if p.Limit.All {
			pg.limit = 0
		}
	}
	if p.Offset < 0 {
		return nil, fmt.Errorf("offset: 0 or more; got %d", p.Offset)
	}
	names, all, err := fieldList("fields", p.Fields, false)
	if err != nil {
		return nil, err
	}
	switch {
	case all:
		pg.fields = nil
	case names != nil:
		pg.fields = names
	default:
		pg.defaulted = ls.fields != nil
	}
	order := p.Sort
	if order == "" {
		order = ls.sort
	}
	keys, _, err := fieldList("sort", order, true)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		pg.sorts = append(pg.sorts, sortKey{field: strings.TrimPrefix(k, "-"), desc: strings.HasPrefix(k, "-")})
	}
	return pg, nil
}

// row is one item kept, with the values it is sorted by.
type row struct {
	raw  []byte
	keys []sortVal
}

type sortVal struct {
	present, isNum bool
	num            float64
	str            string
}

// page filters, sorts, cuts and projects a Proxmox list in one pass over
// its items; keep applies the allowlists.
func (pg *pager) page(items []json.RawMessage, keep func(entry) bool) (listOut, error) {
	rows := make([]row, 0, len(items))
	vals := make([]string, len(pg.matches))
	seen := make([]bool, len(pg.matches))
	for _, it := range items {
		var e entry
		r := row{raw: it}
		if len(pg.sorts) > 0 {
			r.keys = make([]sortVal, len(pg.sorts))
		}
		clear(seen)
		err := jsonscan.Members(it, func(k, v []byte) bool {
			switch string(k) {
			case "node":
				e.Node, _ = jsonscan.String(v)
			case "vmid":
				e.VMID = pve.Int(intOf(v))
			case "type":
				e.Type, _ = jsonscan.String(v)
			case "id":
				e.ID = textOf(v)
			}
			for i, m := range pg.matches {
				if m.want != "" && string(k) == m.field {
					vals[i], seen[i] = textOf(v), true
				}
			}
			for i, s := range pg.sorts {
				if string(k) == s.field {
					r.keys[i] = valueOf(v)
				}
			}
			return true
		})
		if err != nil {
			return listOut{}, fmt.Errorf("decode list entry: %w", err)
		}
		if !keep(e) || !pg.matched(vals, seen) {
			continue
		}
		rows = append(rows, r)
	}
	if len(pg.sorts) > 0 {
		slices.SortStableFunc(rows, pg.compare)
	}
	out := listOut{Total: len(rows), Offset: pg.offset, Items: []json.RawMessage{}}
	window := rows[min(pg.offset, len(rows)):]
	if pg.limit > 0 && len(window) > pg.limit {
		window = window[:pg.limit]
		out.Next = pg.offset + pg.limit
	}
	var buf bytes.Buffer
	for _, r := range window {
		start := buf.Len()
		if err := pg.project(&buf, r.raw); err != nil {
			return listOut{}, err
		}
		// A slice of buf stays valid when buf grows: the old array keeps it.
		out.Items = append(out.Items, buf.Bytes()[start:buf.Len():buf.Len()])
	}
	out.note = pg.note(out)
	return out, nil
}

func (pg *pager) matched(vals []string, seen []bool) bool {
	for i, m := range pg.matches {
		if !m.ok(vals[i], seen[i]) {
			return false
		}
	}
	return true
}

func (pg *pager) compare(a, b row) int {
	for i, s := range pg.sorts {
		x, y := a.keys[i], b.keys[i]
		if x.present != y.present { // absent values go last either way
			if x.present {
				return -1
			}
			return 1
		}
		c := 0
		switch {
		case x.isNum && y.isNum:
			c = cmp.Compare(x.num, y.num)
		case x.isNum != y.isNum:
			c = map[bool]int{true: -1, false: 1}[x.isNum]
		default:
			c = strings.Compare(x.str, y.str)
		}
		if s.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// pageValues is page for a list of plain values: a window, no filters.
func (pg *pager) pageValues(items []json.RawMessage) listOut {
	out := listOut{Total: len(items), Offset: pg.offset, Items: items[min(pg.offset, len(items)):]}
	if pg.limit > 0 && len(out.Items) > pg.limit {
		out.Items = out.Items[:pg.limit]
		out.Next = pg.offset + pg.limit
	}
	out.note = pg.note(out)
	return out
}

// project writes the chosen fields of one item, compact.
func (pg *pager) project(buf *bytes.Buffer, raw []byte) error {
	if pg.fields == nil {
		if jsonscan.Compact(raw) {
			buf.Write(raw)
			return nil
		}
		return json.Compact(buf, raw)
	}
	buf.WriteByte('{')
	first := true
	var err error
	scanErr := jsonscan.Members(raw, func(k, v []byte) bool {
		if !slices.Contains(pg.fields, string(k)) {
			return true
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.WriteByte('"')
		buf.Write(k)
		buf.WriteString(`":`)
		if jsonscan.Compact(v) {
			buf.Write(v)
		} else if err = json.Compact(buf, v); err != nil {
			return false
		}
		return true
	})
	buf.WriteByte('}')
	if scanErr != nil {
		return fmt.Errorf("decode list entry: %w", scanErr)
	}
	return err
}

// note tells a client that reads only text that the list was cut, and how
// to get the rest.
func (pg *pager) note(out listOut) string {
	shown := len(out.Items)
	if out.Offset == 0 && out.Next == 0 {
		return "" // the whole list
	}
	var b strings.Builder
	if shown == 0 {
		fmt.Fprintf(&b, "no items at offset %d of %d", out.Offset, out.Total)
	} else {
		fmt.Fprintf(&b, "items %d-%d of %d", out.Offset+1, out.Offset+shown, out.Total)
	}
	if len(pg.sorts) > 0 {
		fmt.Fprintf(&b, ", sorted by %s", pg.sortText())
	}
	if out.Next > 0 {
		fmt.Fprintf(&b, "; next page: offset %d; limit \"all\" returns every item", out.Next)
	}
	if pg.defaulted {
		fmt.Fprintf(&b, "; fields %s (fields \"all\" for every field)", strings.Join(pg.fields, ","))
	}
	return b.String()
}

func (pg *pager) sortText() string {
	parts := make([]string, len(pg.sorts))
	for i, s := range pg.sorts {
		parts[i] = map[bool]string{true: "-", false: ""}[s.desc] + s.field
	}
	return strings.Join(parts, ",")
}

// textOf is a value as text: a string's content, else the JSON as written.
func textOf(v []byte) string {
	if s, ok := jsonscan.String(v); ok {
		return s
	}
	return string(v)
}

// intOf reads Proxmox's integers, which some releases send as strings.
func intOf(v []byte) int64 {
	n, _ := strconv.ParseInt(textOf(v), 10, 64)
	return n
}

func valueOf(v []byte) sortVal {
	s := textOf(v)
	if string(v) == "null" {
		return sortVal{}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return sortVal{present: true, isNum: true, num: f}
	}
	return sortVal{present: true, str: strings.ToLower(s)}
}
