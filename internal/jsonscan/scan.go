// Package jsonscan walks JSON that is already known to be valid (parsed
// once by encoding/json) without decoding it: the elements of an array and
// the members of an object, as subslices of the input. Large Proxmox lists
// are filtered, sorted and projected this way in one pass, instead of
// decoding every item into a map and encoding it again.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ErrNotValid reports input that ends inside a value; with valid input it
// never happens.
var ErrNotValid = errors.New("jsonscan: truncated JSON")

// Elements calls fn with each element of the array data, trimmed of
// whitespace; fn returns false to stop. data must be a JSON array.
func Elements(data []byte, fn func(elem []byte) bool) error {
	i := space(data, 0)
	if i >= len(data) || data[i] != '[' {
		return errors.New("jsonscan: not an array")
	}
	i = space(data, i+1)
	if i < len(data) && data[i] == ']' {
		return nil
	}
	for i < len(data) {
		end, err := Skip(data, i)
		if err != nil {
			return err
		}
		if !fn(data[i:end]) {
			return nil
		}
		i = space(data, end)
		if i >= len(data) {
			break
		}
		if data[i] == ']' {
			return nil
		}
		i = space(data, i+1) // the comma
	}
	return ErrNotValid
}

// Members calls fn with the key (without quotes, unescaped) and the raw
// value of each member of the object obj; fn returns false to stop.
func Members(obj []byte, fn func(key, val []byte) bool) error {
	return MemberSpans(obj, func(key []byte, start, end int) bool { return fn(key, obj[start:end]) })
}

// MemberSpans is Members with each value as where it lies in obj.
func MemberSpans(obj []byte, fn func(key []byte, start, end int) bool) error {
	i := space(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errors.New("jsonscan: not an object")
	}
	i = space(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) {
		kend, err := Skip(obj, i)
		if err != nil || kend-i < 2 {
			return ErrNotValid
		}
		key := obj[i+1 : kend-1]
		if bytes.IndexByte(key, '\\') >= 0 { // an escaped key reads as what it spells
			if s, ok := String(obj[i:kend]); ok {
				key = []byte(s)
			}
		}
		i = space(obj, kend)
		if i >= len(obj) || obj[i] != ':' {
			return ErrNotValid
		}
		i = space(obj, i+1)
		vend, err := Skip(obj, i)
		if err != nil {
			return err
		}
		if !fn(key, i, vend) {
			return nil
		}
		i = space(obj, vend)
		if i >= len(obj) {
			break
		}
		if obj[i] == '}' {
			return nil
		}
		i = space(obj, i+1)
	}
	return ErrNotValid
}

// Skip returns the end of the value that starts at data[i].
func Skip(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, ErrNotValid
	}
	switch data[i] {
	case '"':
		for j := i + 1; j < len(data); {
			k := bytes.IndexByte(data[j:], '"')
			if k < 0 {
				break
			}
			end := j + k
			if bytes.IndexByte(data[j:end], '\\') < 0 {
				return end + 1, nil
			}
			for ; j < end; j++ { // an escape before the quote: step through
				if data[j] == '\\' {
					j++
				}
			}
			if j == end {
				return end + 1, nil
			}
			j = end + 1 // the quote was escaped
		}
		return 0, ErrNotValid
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end, err := Skip(data, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, ErrNotValid
	}
	j := i // a number, true, false or null
	for j < len(data) && !delimiter(data[j]) {
		j++
	}
	if j == i {
		return 0, ErrNotValid
	}
	return j, nil
}

func delimiter(b byte) bool {
	switch b {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

func space(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// String returns the text of a JSON string value, or "" and false for any
// other kind of value.
func String(val []byte) (string, bool) {
	if len(val) < 2 || val[0] != '"' {
		return "", false
	}
	inner := val[1 : len(val)-1]
	for _, b := range inner {
		if b == '\\' {
			var s string
			if json.Unmarshal(val, &s) != nil {
				return "", false
			}
			return s, true
		}
	}
	return string(inner), true
}

// Compact reports whether val has no whitespace outside its strings, so it
// can be copied to compact output as it is.
func Compact(val []byte) bool {
	for i := 0; i < len(val); i++ {
		switch val[i] {
		case '"':
			end, err := Skip(val, i)
			if err != nil {
				return false
			}
			i = end - 1
		case ' ', '\t', '\n', '\r':
			return false
		}
	}
	return true
}
