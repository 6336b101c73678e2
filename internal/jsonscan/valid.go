package jsonscan

import "errors"

// ErrSyntax reports input that is not JSON.
var ErrSyntax = errors.New("jsonscan: invalid JSON")

// maxDepth bounds nesting, as a decoder's stack would.
const maxDepth = 10000

// Valid reports whether data is one JSON value, with the grammar of RFC
// 8259 (encoding/json.Valid's), several times faster: a big Proxmox list
// is checked once, then walked with Elements and Members.
func Valid(data []byte) bool { return Walk(data, nil, nil) }

// Walk is Valid that reports, in the same pass, the members of a top-level
// object (member) and the elements of the arrays those members hold
// (elem, with the member's key): the envelope of a Proxmox answer and the
// items of its list, checked and split at once. Either may be nil.
func Walk(data []byte, member func(key, val []byte), elem func(key, e []byte)) bool {
	v := validator{data: data, member: member, elem: elem}
	i, ok := v.value(space(data, 0), 0)
	return ok && space(data, i) == len(data)
}

type validator struct {
	data   []byte
	member func(key, val []byte)
	elem   func(key, e []byte)
	key    []byte // the top-level member being read
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
	i = space(d, i+1)
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
		if depth == 1 {
			v.key = d[kstart+1 : i-1]
		}
		i = space(d, i)
		if i >= len(d) || d[i] != ':' {
			return i, false
		}
		vstart := space(d, i+1)
		if i, ok = v.value(vstart, depth); !ok {
			return i, false
		}
		if depth == 1 && v.member != nil {
			v.member(v.key, d[vstart:i])
		}
		i = space(d, i)
		switch {
		case i >= len(d):
			return i, false
		case d[i] == '}':
			return i + 1, true
		case d[i] != ',':
			return i, false
		}
		i = space(d, i+1)
	}
}

func (v *validator) array(i, depth int) (int, bool) {
	d := v.data
	i = space(d, i+1)
	if i < len(d) && d[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		start := i
		if i, ok = v.value(i, depth); !ok {
			return i, false
		}
		if depth == 2 && v.elem != nil && v.key != nil {
			v.elem(v.key, d[start:i])
		}
		i = space(d, i)
		switch {
		case i >= len(d):
			return i, false
		case d[i] == ']':
			return i + 1, true
		case d[i] != ',':
			return i, false
		}
		i = space(d, i+1)
	}
}

func (v *validator) str(i int) (int, bool) {
	d := v.data
	for j := i + 1; j < len(d); j++ {
		switch c := d[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return j, false
		case c == '\\':
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
