package tools

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// defaultLimit keeps a default page of a large list near 10 kB of text.
const defaultLimit = 50

// Limit is how many items a list returns: a number, or 0 or "all" for
// every item.
type Limit struct {
	N   int
	All bool
	Set bool
}

func (l *Limit) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	l.Set = true
	switch v := v.(type) {
	case float64:
		if v >= 0 && v == float64(int(v)) {
			l.N, l.All = int(v), v == 0
			return nil
		}
	case string:
		if strings.EqualFold(v, "all") {
			l.All = true
			return nil
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			l.N, l.All = n, n == 0
			return nil
		}
	}
	return fmt.Errorf(`limit: a number of items, or 0 or "all" for every item; got %s`, b)
}

// pageArgs are the arguments every list tool takes; the server's
// instructions explain them once, so their descriptions stay short.
type pageArgs struct {
	Limit  Limit  `json:"limit,omitempty"`
	Offset int    `json:"offset,omitempty"`
	Fields string `json:"fields,omitempty"`
	Sort   string `json:"sort,omitempty"`
}

// guestFilters narrow guest and resource lists.
type guestFilters struct {
	Status string `json:"status,omitempty"`
	Name   string `json:"name,omitempty" jsonschema:"part or glob"`
	Tag    string `json:"tag,omitempty"`
	Pool   string `json:"pool,omitempty"`
}

func (f guestFilters) matches() []match {
	return []match{{"status", f.Status, exact}, {"name", f.Name, pattern}, {"tags", f.Tag, tags}, {"pool", f.Pool, exact}}
}

type matchKind int

const (
	exact   matchKind = iota // equal, ignoring case
	pattern                  // glob when it has * or ?, else contains; ignoring case
	tags                     // one of the ;-separated tags matches the glob
)

// match keeps the items whose field matches want; an empty want keeps all.
type match struct {
	field, want string
	kind        matchKind
}

func (m match) ok(val string, present bool) bool {
	if m.want == "" {
		return true
	}
	if !present {
		return false
	}
	switch m.kind {
	case pattern:
		if !strings.ContainsAny(m.want, "*?") {
			return strings.Contains(strings.ToLower(val), strings.ToLower(m.want))
		}
		return globFold(m.want, val)
	case tags:
		for _, t := range strings.FieldsFunc(val, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
			if globFold(m.want, t) {
				return true
			}
		}
		return false
	}
	return strings.EqualFold(m.want, val)
}

// globFold matches * (any run) and ? (one character), ignoring case.
func globFold(p, s string) bool {
	p, s = strings.ToLower(p), strings.ToLower(s)
	star, from := -1, 0
	i, j := 0, 0
	for j < len(s) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == s[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, from = i, j
			i++
		case star >= 0:
			from++
			i, j = star+1, from
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

var fieldListRE = lazyre.New(`^-?[a-z0-9_-]+(,-?[a-z0-9_-]+)*$`)

// fieldList parses fields or sort: nil for "", all for "all".
func fieldList(arg, value string, signed bool) (names []string, all bool, err error) {
	parts := strings.Split(strings.TrimSpace(value), ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if name, dir, ok := strings.Cut(p, " "); signed && ok { // "mem desc", as SQL says it
			switch strings.ToLower(strings.TrimSpace(dir)) {
			case "desc":
				p = "-" + name
			case "asc":
				p = name
			}
		}
		parts[i] = p
	}
	value = strings.Join(parts, ",")
	switch {
	case value == "":
		return nil, false, nil
	case !signed && strings.EqualFold(value, "all"):
		return nil, true, nil
	case !fieldListRE.MatchString(value) || (!signed && (value[0] == '-' || strings.Contains(value, ",-"))):
		example := `"vmid,name,status" or "all"`
		if signed {
			example = `"name" or "-mem,vmid" (- for descending)`
		}
		return nil, false, fmt.Errorf("%s: field names separated by commas, e.g. %s; got %q", arg, example, value)
	}
	return strings.Split(value, ","), false, nil
}
