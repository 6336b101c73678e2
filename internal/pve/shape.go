package pve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// ShapeError is a 2xx answer whose data has the wrong JSON shape for what
// the caller reads: null, a string or a list where an object is due, an
// object where a list is due. Decoding it anyway would pass off an empty
// result as the real one.
type ShapeError struct {
	Method, Path string
	Want         string // "a list" or "an object"
	Got          string // what came back, bounded
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("proxmox: %s %s answered %s where %s was expected", e.Method, e.Path, e.Got, e.Want)
}

// IsShape reports whether err is (or wraps) a *ShapeError.
func IsShape(err error) bool {
	var e *ShapeError
	return errors.As(err, &e)
}

// Object is the raw data of an answer that must be a JSON object; reading
// into it fails with a *ShapeError otherwise. (A json.RawMessage takes any
// shape: writes answer null, a UPID or "OK".)
type Object json.RawMessage

func (o *Object) UnmarshalJSON(b []byte) error {
	*o = append((*o)[:0], b...)
	return nil
}

func (o Object) MarshalJSON() ([]byte, error) {
	if len(o) == 0 {
		return []byte("null"), nil
	}
	return json.RawMessage(o).MarshalJSON()
}

// shape is the JSON kind a destination needs; "" accepts any.
type shape string

const (
	anyShape    shape = ""
	listShape   shape = "a list"
	objectShape shape = "an object"
)

var (
	objectType      = reflect.TypeFor[Object]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// shapeOf tells which JSON kind decoding into out needs, and for a list
// which kind its items need. Scalars and types with their own decoding
// (json.RawMessage, pve.Int, time.Time) decide for themselves; an
// EnvelopeReader is judged by its field tagged "data".
func shapeOf(out any) (outer, item shape) {
	if out == nil {
		return anyShape, anyShape
	}
	t := reflect.TypeOf(out)
	if _, ok := out.(EnvelopeReader); ok {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return anyShape, anyShape
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == "data" {
				return typeShape(f.Type)
			}
		}
		return anyShape, anyShape
	}
	return typeShape(t)
}

func typeShape(t reflect.Type) (outer, item shape) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == objectType {
		return objectShape, anyShape
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return anyShape, anyShape
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return anyShape, anyShape // []byte reads a base64 string
		}
		item, _ := typeShape(t.Elem())
		return listShape, item
	case reflect.Struct, reflect.Map:
		return objectShape, anyShape
	}
	return anyShape, anyShape
}

// checkShape compares data (absent: nil) with what the destination needs.
// A null item in a list of objects would decode to an empty one, which a
// filter then takes for a real entry.
func checkShape(data json.RawMessage, outer, item shape) *ShapeError {
	if err := checkOne(data, outer); err != nil || outer != listShape || item == anyShape {
		return err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(data, &items); err != nil {
		return &ShapeError{Want: string(outer), Got: describeJSON(data)}
	}
	for i, it := range items {
		if err := checkOne(it, item); err != nil {
			plural := map[shape]string{objectShape: "objects", listShape: "lists"}[item]
			err.Want, err.Got = string(outer)+" of "+plural, fmt.Sprintf("%s as item %d", err.Got, i)
			return err
		}
	}
	return nil
}

func checkOne(data json.RawMessage, want shape) *ShapeError {
	if want == anyShape {
		return nil
	}
	data = bytes.TrimSpace(data)
	got := byte(0)
	if len(data) > 0 {
		got = data[0]
	}
	if (want == listShape && got == '[') || (want == objectShape && got == '{') {
		return nil
	}
	return &ShapeError{Want: string(want), Got: describeJSON(data)}
}

// describeJSON names the kind of a JSON value and quotes it, bounded.
func describeJSON(v []byte) string {
	if len(v) == 0 {
		return "no data"
	}
	kind := "a number"
	switch v[0] {
	case 'n':
		return "null"
	case '[':
		kind = "a list"
	case '{':
		kind = "an object"
	case '"':
		kind = "a string"
	case 't', 'f':
		kind = "a boolean"
	}
	return kind + " " + oneLine(snippet(v))
}

// EnvelopeReader is an out value that wants the whole answer, for the keys
// Proxmox puts beside data (such as "changes" on GET /nodes/{node}/network).
type EnvelopeReader interface {
	ReadEnvelope(raw []byte) error
}

// decodeEnvelope unwraps {"data": ..., "total": n} into out, after checking
// that data has the shape out needs.
func decodeEnvelope(raw []byte, out any) (int, error) {
	if l, ok := out.(*List); ok {
		return l.readEnvelope(raw)
	}
	var env struct {
		Data  json.RawMessage `json:"data"`
		Total json.RawMessage `json:"total"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return 0, fmt.Errorf("body is not a JSON object: %q", snippet(raw))
	}
	var total Int
	if err := json.Unmarshal(orNull(env.Total), &total); err != nil {
		return 0, fmt.Errorf("bad total %q", snippet(env.Total))
	}
	outer, item := shapeOf(out)
	if serr := checkShape(env.Data, outer, item); serr != nil {
		return 0, serr
	}
	if e, ok := out.(EnvelopeReader); ok {
		return int(total), e.ReadEnvelope(raw)
	}
	if out == nil || len(env.Data) == 0 {
		return int(total), nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return int(total), fmt.Errorf("decode data: %w", err)
	}
	return int(total), nil
}

func orNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// snippet bounds what an error quotes of an answer; never a whole body.
func snippet(b []byte) string {
	return truncate(string(b), 200)
}
