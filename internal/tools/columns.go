package tools

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// The members of every item a page reads, in this order, then the
// filters' and the sort keys' (see pager.columns).
const (
	colNode = iota
	colVMID
	colType
	colID
	entryCols
)

// columns names the members page reads of every item, and where the
// filters (by match) and sort keys find theirs among them.
func (pg *pager) columns() (names []string, matchAt, sortAt []int) {
	names = []string{colNode: "node", colVMID: "vmid", colType: "type", colID: "id"}
	at := func(name string) int {
		if i := slices.Index(names, name); i >= 0 {
			return i
		}
		names = append(names, name)
		return len(names) - 1
	}
	matchAt = make([]int, len(pg.matches))
	for i, m := range pg.matches {
		matchAt[i] = -1 // an empty want keeps every item: nothing to read
		if m.want != "" {
			matchAt[i] = at(m.field)
		}
	}
	sortAt = make([]int, len(pg.sorts))
	for i, s := range pg.sorts {
		sortAt[i] = at(s.field)
	}
	return names, matchAt, sortAt
}

// pickAhead is the longest page whose projected fields are picked out of
// its own items after the cut, rather than out of every item in the read.
const pickAhead = 500

// readWith is what a list is read with: for a short page the table's
// columns, for a long one wanted.
func (pg *pager) readWith() []string {
	names, _, _ := pg.columns()
	if pg.limit > 0 && pg.limit <= pickAhead {
		return names
	}
	return pg.wanted(names)
}

// wanted is what a long list is read with: the table's columns (names),
// then the projected fields not among them, which page writes from where
// the read found them, with no second pass over the items.
func (pg *pager) wanted(names []string) []string {
	out := slices.Clone(names)
	fields := pg.fields
	if pg.protect != nil {
		fields = append(slices.Clone(fields), "tags")
	}
	for _, f := range fields {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// table is the members read of every item: where they are, and their
// text (a string's content, else the JSON as written) in one string, so
// reading them makes one allocation rather than one per value.
type table struct {
	l    *pve.List
	w    int   // the table's columns: the first w of l.Want
	proj []int // the projected fields' places in l.Want (see prepare)
	tags int   // the place of "tags" in l.Want, -1: none
	text string
	ends []int32 // where each value's text ends in text
}

// newTable reads the first w of want, the table's columns, of l's items:
// the values pve.List picked in the pass that checked the answer when it
// was asked for want (pager.wanted), else with one more pass over the
// items. The rest of want are the projected fields, for project.
func newTable(l *pve.List, w int, want []string) (*table, error) {
	if !slices.Equal(l.Want, want) || len(l.Values) != len(l.Items)*len(want) {
		picked := &pve.List{Items: l.Items, Want: want}
		if err := picked.Pick(); err != nil {
			return nil, fmt.Errorf("decode list entry: %w", err)
		}
		l = picked
	}
	t := &table{l: l, w: w}
	size := 0
	for i := range l.Items {
		for j := range w {
			s := l.Values[i*len(want)+j]
			size += int(s.End - s.Start)
		}
	}
	var b strings.Builder
	b.Grow(size)
	t.ends = make([]int32, len(l.Items)*w)
	for i := range l.Items {
		for j := range w {
			switch v := l.Value(i, j); {
			case len(v) == 0 || v[0] != '"':
				b.Write(v)
			case slices.Contains(v, '\\'):
				b.WriteString(textOf(v))
			default:
				b.Write(v[1 : len(v)-1])
			}
			t.ends[i*w+j] = int32(b.Len())
		}
	}
	t.text = b.String()
	return t, nil
}

// str is the text of item i's column j.
func (t *table) str(i, j int) string {
	k := i*t.w + j
	start := int32(0)
	if k > 0 {
		start = t.ends[k-1]
	}
	return t.text[start:t.ends[k]]
}

// entry is what the allowlists read of item i.
func (t *table) entry(i int) entry {
	e := entry{ID: t.str(i, colID)}
	if t.isString(i, colNode) {
		e.Node = t.str(i, colNode)
	}
	if t.isString(i, colType) {
		e.Type = t.str(i, colType)
	}
	n, _ := strconv.ParseInt(t.str(i, colVMID), 10, 64)
	e.VMID = pve.Int(n)
	return e
}

func (t *table) isString(i, j int) bool {
	v := t.l.Value(i, j)
	return len(v) > 0 && v[0] == '"'
}

func (t *table) present(i, j int) bool { return t.l.Values[i*len(t.l.Want)+j].End != 0 }

// sortVal is item i's column j as a sort key.
func (t *table) sortVal(i, j int) sortVal {
	v := t.l.Value(i, j)
	if v == nil || string(v) == "null" {
		return sortVal{}
	}
	s := t.str(i, j)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return sortVal{present: true, isNum: true, num: f}
	}
	return sortVal{present: true, str: strings.ToLower(s)}
}
