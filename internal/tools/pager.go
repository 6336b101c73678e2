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
	// protect names the protected tag among a guest's tags, "" for none:
	// an item shown with its tags gets "protected" (PVE_PROTECTED_TAGS), so a
	// list shows what no tool will change. Proxmox's own protection flag is in
	// the config, which lists do not read; every write checks both.
	protect func(tags string) string
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

type sortVal struct {
	present, isNum bool
	num            float64
	str            string
}

// page filters, sorts, cuts and projects a Proxmox list; keep applies the
// allowlists. It reads of each item only the members it needs, which l
// holds already when it was read with pg.readWith() as l.Want.
func (pg *pager) page(l *pve.List, keep func(entry) bool) (listOut, error) {
	names, matchAt, sortAt := pg.columns()
	want := pg.wanted(names)
	tableWant := names
	if slices.Equal(l.Want, want) {
		tableWant = want // the projected fields were picked too
	}
	t, err := newTable(l, len(names), tableWant)
	if err != nil {
		return listOut{}, err
	}
	ns := len(sortAt)
	rows := make([]int, 0, len(l.Items)) // the items kept, by index
	keys := make([]sortVal, 0, len(l.Items)*ns)
	for i := range l.Items {
		if !keep(t.entry(i)) || !pg.matched(t, i, matchAt) {
			continue
		}
		rows = append(rows, i)
		for _, j := range sortAt {
			keys = append(keys, t.sortVal(i, j))
		}
	}
	out := listOut{Total: len(rows), Offset: pg.offset, Items: []json.RawMessage{}}
	order := make([]int, len(rows)) // positions in rows, sorted
	for k := range order {
		order[k] = k
	}
	shown := len(order) // how many of the first of order the page needs
	if pg.limit > 0 {
		shown = min(pg.offset+pg.limit, len(order))
	}
	if ns > 0 {
		// Ties keep Proxmox's order: by position, so an unstable sort
		// orders as a stable one would.
		byKeys := func(a, b int) int {
			if c := pg.compare(keys[a*ns:(a+1)*ns], keys[b*ns:(b+1)*ns]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		}
		order = sortFirst(order, shown, byKeys)
	}
	window := order[min(pg.offset, shown):shown]
	if shown < len(rows) {
		out.Next = pg.offset + pg.limit
	}
	size := 0
	for _, k := range window {
		size += len(l.Items[rows[k]])
	}
	// A short page picks its projected fields out of its own items only:
	// its n-th item is then item n of pt.
	pt, short := t, !slices.Equal(tableWant, want)
	if short {
		sub := &pve.List{Items: make([]json.RawMessage, len(window)), Want: want, Compact: l.Compact}
		for n, k := range window {
			sub.Items[n] = l.Items[rows[k]]
		}
		if err := sub.Pick(); err != nil {
			return listOut{}, fmt.Errorf("decode list entry: %w", err)
		}
		pt = &table{l: sub}
	}
	pt.prepare(pg.fields)
	// Projection and compaction only shorten an item: one buffer holds them.
	buf := bytes.NewBuffer(make([]byte, 0, size))
	out.Items = make([]json.RawMessage, 0, len(window))
	for n, k := range window {
		i := rows[k]
		if short {
			i = n
		}
		start := buf.Len()
		if err := pg.project(buf, pt, i); err != nil {
			return listOut{}, err
		}
		// A slice of buf stays valid if buf grows: the old array keeps it.
		out.Items = append(out.Items, buf.Bytes()[start:buf.Len():buf.Len()])
	}
	out.note = pg.note(out)
	return out, nil
}

// sortFirst returns the first n of order by the total order cmp, sorted:
// a default page needs 50 of thousands, which one pass keeps without
// sorting the rest.
func sortFirst(order []int, n int, cmp func(a, b int) int) []int {
	if slices.IsSortedFunc(order, cmp) { // Proxmox may send them in order
		return order[:n]
	}
	if n > len(order)/8 {
		slices.SortFunc(order, cmp)
		return order[:n]
	}
	top := make([]int, 0, n+1)
	for _, x := range order {
		if len(top) == n && (n == 0 || cmp(x, top[n-1]) >= 0) {
			continue
		}
		at, _ := slices.BinarySearchFunc(top, x, cmp)
		top = slices.Insert(top, at, x)
		if len(top) > n {
			top = top[:n]
		}
	}
	return top
}

// matched reports whether item i passes the filters.
func (pg *pager) matched(t *table, i int, matchAt []int) bool {
	for k, m := range pg.matches {
		if j := matchAt[k]; j >= 0 && !m.ok(t.str(i, j), t.present(i, j)) {
			return false
		}
	}
	return true
}

// compare orders two items by their sort keys.
func (pg *pager) compare(a, b []sortVal) int {
	for i, s := range pg.sorts {
		x, y := a[i], b[i]
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
		case x.isNum: // numbers before text
			c = -1
		case y.isNum:
			c = 1
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

// project writes the chosen fields of item i, compact, in the item's own
// order, from where the read found them (the last of a repeated member,
// as encoding/json reads it).
func (pg *pager) project(buf *bytes.Buffer, t *table, i int) error {
	l := t.l
	raw, compact := l.Items[i], l.Compact
	if pg.fields == nil {
		start := buf.Len()
		if compact || jsonscan.Compact(raw) {
			buf.Write(raw)
		} else if err := json.Compact(buf, raw); err != nil {
			return err
		}
		pg.markTags(buf, start, t, i)
		return nil
	}
	w := len(l.Want)
	row := l.Values[i*w : (i+1)*w]
	var at [16]int
	cols := at[:0]
	for _, j := range t.proj {
		if row[j].End == 0 {
			continue
		}
		// Insertion by offset: the item's order, among a few fields.
		k := len(cols)
		cols = append(cols, j)
		for ; k > 0 && row[cols[k-1]].Start > row[j].Start; k-- {
			cols[k] = cols[k-1]
		}
		cols[k] = j
	}
	start := buf.Len()
	buf.WriteByte('{')
	for n, j := range cols {
		if n > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('"')
		buf.WriteString(l.Want[j])
		buf.WriteString(`":`)
		v := raw[row[j].Start:row[j].End]
		if compact || jsonscan.Compact(v) {
			buf.Write(v)
		} else if err := json.Compact(buf, v); err != nil {
			return fmt.Errorf("decode list entry: %w", err)
		}
	}
	buf.WriteByte('}')
	if slices.Contains(pg.fields, "tags") {
		pg.markTags(buf, start, t, i)
	}
	return nil
}

// prepare finds where the projected fields and the tags are in t.l.Want,
// once per page.
func (t *table) prepare(fields []string) {
	t.proj, t.tags = t.proj[:0], slices.Index(t.l.Want, "tags")
	for j, name := range t.l.Want {
		if slices.Contains(fields, name) {
			t.proj = append(t.proj, j)
		}
	}
}

// markTags adds "protected" to the item just written at buf[start:] when
// its tags hold a protected one.
func (pg *pager) markTags(buf *bytes.Buffer, start int, t *table, i int) {
	if pg.protect == nil || t.tags < 0 {
		return
	}
	tags, ok := jsonscan.String(t.l.Value(i, t.tags))
	if !ok || tags == "" {
		return
	}
	tag := pg.protect(tags)
	if tag == "" || buf.Len() <= start || buf.Bytes()[buf.Len()-1] != '}' {
		return
	}
	buf.Truncate(buf.Len() - 1)
	if buf.Len() > start+1 {
		buf.WriteByte(',')
	}
	buf.WriteString(`"protected":`)
	buf.Write(strconv.AppendQuote(nil, "tag "+tag))
	buf.WriteByte('}')
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
