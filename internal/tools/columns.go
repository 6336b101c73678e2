package tools

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/jsonscan"
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

// table is the members read of every item: raw, and as text (a string's
// content, else the JSON as written) in one string, so reading them makes
// one allocation rather than one per value.
type table struct {
	width int
	raw   [][]byte // item i's column j at i*width+j; nil: absent
	text  string
	ends  []int32 // where each value's text ends in text
}

// newTable reads the columns of l's items: the values pve.List picked in
// the pass that checked the answer when it was asked for these names,
// else with one jsonscan.Members pass per item.
func newTable(l *pve.List, names []string) (*table, error) {
	t := &table{width: len(names), raw: l.Values}
	if !slices.Equal(l.Want, names) || len(l.Values) != len(l.Items)*len(names) {
		t.raw = make([][]byte, len(l.Items)*len(names))
		for i, it := range l.Items {
			row := t.raw[i*len(names) : (i+1)*len(names)]
			err := jsonscan.Members(it, func(k, v []byte) bool {
				if j := slices.Index(names, string(k)); j >= 0 {
					row[j] = v
				}
				return true
			})
			if err != nil {
				return nil, fmt.Errorf("decode list entry: %w", err)
			}
		}
	}
	size := 0
	for _, v := range t.raw {
		size += len(v)
	}
	var b strings.Builder
	b.Grow(size)
	t.ends = make([]int32, len(t.raw))
	for k, v := range t.raw {
		switch {
		case len(v) == 0 || v[0] != '"':
			b.Write(v)
		case slices.Contains(v, '\\'):
			b.WriteString(textOf(v))
		default:
			b.Write(v[1 : len(v)-1])
		}
		t.ends[k] = int32(b.Len())
	}
	t.text = b.String()
	return t, nil
}

// str is the text of item i's column j.
func (t *table) str(i, j int) string {
	k := i*t.width + j
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
	v := t.raw[i*t.width+j]
	return len(v) > 0 && v[0] == '"'
}

func (t *table) present(i, j int) bool { return t.raw[i*t.width+j] != nil }

// sortVal is item i's column j as a sort key.
func (t *table) sortVal(i, j int) sortVal {
	v := t.raw[i*t.width+j]
	if v == nil || string(v) == "null" {
		return sortVal{}
	}
	s := t.str(i, j)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return sortVal{present: true, isNum: true, num: f}
	}
	return sortVal{present: true, str: strings.ToLower(s)}
}
