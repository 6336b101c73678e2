package jsonscan

import "errors"

// ErrSyntax reports input that is not JSON.
var ErrSyntax = errors.New("jsonscan: invalid JSON")

// maxDepth bounds nesting, as a decoder's stack would.
const maxDepth = 10000

// Valid reports whether data is one JSON value, with the grammar of RFC
// 8259 (encoding/json.Valid's), several times faster: a big Proxmox list
// is checked once, then walked with Elements and Members.
func Valid(data []byte) bool { return Walk(data, nil) }

// Visitor is what Walk reports of the envelope of a Proxmox answer and the
// items of its list, in the pass that checks it: values as subslices of
// the input, or as their offsets in it (start, end), which a caller keeps
// without keeping pointers for the garbage collector to scan. Keys come
// unescaped. Any field may be nil.
type Visitor struct {
	// Member gets each member of a top-level object.
	Member func(key, val []byte)
	// Elem gets each element of an array such a member holds, with the
	// member's key.
	Elem func(key []byte, start, end int)
	// ElemMember gets each member of such an element that is an object,
	// before Elem gets the element: the fields of a list's items, read
	// without walking the items again.
	ElemMember func(key []byte, start, end int)
	// Spaced is set by Walk: data has whitespace outside its strings, so
	// its values are not all compact as they are.
	Spaced bool
}

// Walk is Valid that reports to vis (nil: nothing) what it passes; it
// reports before it has seen all of data, so a caller trusts nothing it
// was told unless Walk returns true.
func Walk(data []byte, vis *Visitor) bool {
	v := validator{data: data}
	if vis != nil {
		v.vis = *vis
	}
	i, ok := v.value(v.space(0), 0)
	ok = ok && v.space(i) == len(data)
	if vis != nil {
		vis.Spaced = v.spaced
	}
	return ok
}

type validator struct {
	data    []byte
	vis     Visitor
	key     []byte // the top-level member being read
	inArray bool   // that member holds an array: objects at depth 3 are its elements
	escaped bool   // the last string had an escape
	spaced  bool   // whitespace was skipped
}

// space skips whitespace from i and notes if there was any.
func (v *validator) space(i int) int {
	if i < len(v.data) && v.data[i] > ' ' { // Proxmox sends none: the common case
		return i
	}
	j := space(v.data, i)
	if j != i {
		v.spaced = true
	}
	return j
}

// keyOf is the text of the key that ends at end: unescaped when it has an
// escape, so "vm\u0069d" is read as the "vmid" encoding/json would see.
func (v *validator) keyOf(start, end int) []byte {
	if !v.escaped {
		return v.data[start+1 : end-1]
	}
	s, _ := String(v.data[start:end])
	return []byte(s)
}

func (v *validator) value(i, depth int) (int, bool) {
	d := v.data
	if i >= len(d) || depth > maxDepth {
		return i, false
	}
	switch c := d[i]; {
	case c == '"':
		return v.str(i)
	case c == '{':
		return v.object(i, depth+1)
	case c == '[':
		return v.array(i, depth+1)
	case c == 't':
		return v.literal(i, "true")
	case c == 'f':
		return v.literal(i, "false")
	case c == 'n':
		return v.literal(i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return v.number(i)
	}
	return i, false
}

func (v *validator) object(i, depth int) (int, bool) {
	d := v.data
	if depth == 2 {
		v.inArray = false
	}
	i = v.space(i + 1)
	if i < len(d) && d[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return i, false
		}
		var ok bool
		kstart := i
		if i, ok = v.str(i); !ok {
			return i, false
		}
		var key []byte
		field := depth == 3 && v.inArray && v.vis.ElemMember != nil
		if depth == 1 || field {
			key = v.keyOf(kstart, i)
		}
		if depth == 1 {
			v.key = key
		}
		i = v.space(i)
		if i >= len(d) || d[i] != ':' {
			return i, false
		}
		vstart := v.space(i + 1)
		switch { // most values of a list's items, read without value's switch
		case vstart >= len(d):
			return vstart, false
		case d[vstart] == '"':
			i, ok = v.str(vstart)
		case d[vstart] >= '0' && d[vstart] <= '9':
			i, ok = v.number(vstart)
		default:
			i, ok = v.value(vstart, depth)
		}
		if !ok {
			return i, false
		}
		switch {
		case depth == 1 && v.vis.Member != nil:
			v.vis.Member(key, d[vstart:i])
		case field:
			v.vis.ElemMember(key, vstart, i)
		}
		i = v.space(i)
		switch {
		case i >= len(d):
			return i, false
		case d[i] == '}':
			return i + 1, true
		case d[i] != ',':
			return i, false
		}
		i = v.space(i + 1)
	}
}

func (v *validator) array(i, depth int) (int, bool) {
	d := v.data
	if depth == 2 {
		v.inArray = v.key != nil
	}
	i = v.space(i + 1)
	if i < len(d) && d[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		start := i
		if i, ok = v.value(i, depth); !ok {
			return i, false
		}
		if depth == 2 && v.vis.Elem != nil && v.key != nil {
			v.vis.Elem(v.key, start, i)
		}
		i = v.space(i)
		switch {
		case i >= len(d):
			return i, false
		case d[i] == ']':
			return i + 1, true
		case d[i] != ',':
			return i, false
		}
		i = v.space(i + 1)
	}
}

func (v *validator) str(i int) (int, bool) {
	d := v.data
	v.escaped = false
	for j := i + 1; j < len(d); j++ {
		j = plain(d, j)
		if j >= len(d) {
			break
		}
		switch c := d[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return j, false
		case c == '\\':
			v.escaped = true
			j++
			if j >= len(d) {
				return j, false
			}
			switch d[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(d) || !hex(d[j+1]) || !hex(d[j+2]) || !hex(d[j+3]) || !hex(d[j+4]) {
					return j, false
				}
				j += 4
			default:
				return j, false
			}
		}
	}
	return len(d), false
}

func hex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func (v *validator) literal(i int, word string) (int, bool) {
	if len(v.data)-i < len(word) || string(v.data[i:i+len(word)]) != word {
		return i, false
	}
	return i + len(word), true
}

// number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func (v *validator) number(i int) (int, bool) {
	d := v.data
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = digits(d, i)
	default:
		return i, false
	}
	if i < len(d) && d[i] == '.' {
		j := digits(d, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := digits(d, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}
