package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

func ptr[T any](v T) *T { return &v }

// sharedTypeSchemas is typeSchemas built once: every tool's two schemas need
// it, and rebuilding it each time was most of start-up's allocations. It is
// only read: jsonschema.For copies the map and clones the schemas it uses.
var sharedTypeSchemas = sync.OnceValue(typeSchemas)

// inputSchema infers the schema of In and applies the per-field tags
// `enum:"a,b"`, `default:"x"`, `minimum:"1"`, `maximum:"9"`, `maxLength:"9"`.
// Patterns come only from the named types of argTypes.
func inputSchema[In any]() *jsonschema.Schema {
	s, err := jsonschema.For[In](&jsonschema.ForOptions{TypeSchemas: sharedTypeSchemas()})
	if err != nil {
		panic(fmt.Sprintf("input schema for %T: %v", *new(In), err))
	}
	applyTags(s, reflect.TypeFor[In]())
	return s
}

func outputSchema[Out any]() *jsonschema.Schema {
	s, err := jsonschema.For[Out](&jsonschema.ForOptions{TypeSchemas: sharedTypeSchemas()})
	if err != nil {
		panic(fmt.Sprintf("output schema for %T: %v", *new(Out), err))
	}
	applyTags(s, reflect.TypeFor[Out]())
	return s
}

func applyTags(s *jsonschema.Schema, t reflect.Type) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	// Optional pointers infer as ["null", X]; clients handle a single type better.
	if len(s.Types) == 2 && s.Types[0] == "null" {
		s.Type, s.Types = s.Types[1], nil
	}
	if s.Items != nil {
		applyTags(s.Items, t)
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			applyTags(s, f.Type) // an embedded struct's fields are the outer object's
			continue
		}
		p := s.Properties[name]
		if name == "" || name == "-" || p == nil {
			continue
		}
		if v, ok := f.Tag.Lookup("enum"); ok {
			p.Enum = nil
			for _, e := range strings.Split(v, ",") {
				p.Enum = append(p.Enum, e)
			}
		}
		if v, ok := f.Tag.Lookup("default"); ok {
			p.Default = defaultJSON(p, v)
		}
		if v, ok := f.Tag.Lookup("minimum"); ok {
			p.Minimum = ptr(mustFloat(v))
		}
		if v, ok := f.Tag.Lookup("maximum"); ok {
			p.Maximum = ptr(mustFloat(v))
		}
		if _, ok := f.Tag.Lookup("pattern"); ok {
			panic(fmt.Sprintf("%s.%s: a pattern tag; give the field a named type in argTypes", t, f.Name))
		}
		if v, ok := f.Tag.Lookup("maxLength"); ok {
			n := int(mustFloat(v))
			p.MaxLength = &n
		}
		applyTags(p, f.Type)
	}
}

func defaultJSON(p *jsonschema.Schema, v string) json.RawMessage {
	switch p.Type {
	case "string":
		b, _ := json.Marshal(v)
		return b
	default:
		if !json.Valid([]byte(v)) {
			panic("bad default " + v)
		}
		return json.RawMessage(v)
	}
}

func mustFloat(v string) float64 {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		panic(err)
	}
	return f
}

// decodeInput applies defaults, validates and decodes the arguments into In.
// Arguments named in extras are taken out after validation and returned apart.
func decodeInput[In any](s *jsonschema.Schema, rs *jsonschema.Resolved, raw json.RawMessage, extras ...string) (In, map[string]any, error) {
	var in In
	taken := map[string]any{}
	args := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 && string(bytes.TrimSpace(raw)) != "null" {
		if err := json.Unmarshal(raw, &args); err != nil {
			return in, nil, fmt.Errorf("invalid arguments: expected a JSON object: %v", err)
		}
	}
	added := applyDefaults(s, args)
	if err := rs.Validate(args); err != nil {
		return in, nil, explain(s, args, err)
	}
	for _, k := range extras {
		if v, ok := args[k]; ok {
			taken[k] = v
			delete(args, k)
		}
	}
	if len(args) == 0 && reflect.TypeFor[In]().Kind() == reflect.Struct {
		return in, taken, nil // what {} decodes to: most calls of tools without arguments
	}
	// The caller's object as it came is what args holds: decode it, not
	// args encoded again.
	data := []byte(raw)
	if added || len(taken) > 0 || len(args) == 0 {
		var err error
		if data, err = json.Marshal(args); err != nil {
			return in, nil, fmt.Errorf("invalid arguments: %v", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, nil, fmt.Errorf("invalid arguments: %v", err)
	}
	return in, taken, nil
}

// applyDefaults fills absent properties that have a default, descending only
// into objects the caller gave (an absent optional object stays absent).
// It reports whether it filled any.
func applyDefaults(s *jsonschema.Schema, args map[string]any) bool {
	added := false
	for name, p := range s.Properties {
		v, ok := args[name]
		if !ok && p.Default != nil {
			var d any
			if json.Unmarshal(p.Default, &d) == nil {
				args[name] = d
				added = true
			}
			continue
		}
		if m, isObj := v.(map[string]any); isObj && len(p.Properties) > 0 {
			added = applyDefaults(p, m) || added
		}
	}
	return added
}

var (
	pointerRe    = lazyre.New(`validating (/[^:\s]*)`)
	missingRe    = lazyre.New(`missing properties: \[([^\]]*)\]`)
	additionalRe = lazyre.New(`unexpected additional properties \[([^\]]*)\]`)
	listValueRe  = lazyre.New(`: ("(?:[^"\\]|\\.)*") does not match`)
)

// secretArgs are never echoed back in errors.
var secretArgs = map[string]bool{"password": true, "sshPublicKeys": true, "cipassword": true}

// explain turns a schema validation error into one that names the argument,
// what was given and what would be accepted.
func explain(s *jsonschema.Schema, args map[string]any, err error) error {
	msg := err.Error()
	var path []string
	if ms := pointerRe.FindAllStringSubmatch(msg, -1); len(ms) > 0 {
		for _, seg := range strings.Split(ms[len(ms)-1][1], "/properties/") {
			if seg != "" {
				path = append(path, seg)
			}
		}
	}
	prefix := strings.Join(path, ".")
	if prefix != "" {
		prefix += "."
	}
	sub, val := s, any(args)
	inList := false // the value is an item of a list: the error tells which
	for i, p := range path {
		name, items := strings.CutSuffix(p, "/items")
		if sub == nil || sub.Properties[name] == nil {
			sub = nil
			break
		}
		sub = sub.Properties[name]
		if m, ok := val.(map[string]any); ok {
			val = m[name]
		} else {
			val = nil
		}
		if items && sub.Items != nil {
			sub, val, inList = sub.Items, nil, true
			path[i] = name + "[]"
		}
	}
	if inList {
		prefix = strings.Join(path, ".") + "."
		if m := listValueRe.FindStringSubmatch(msg); m != nil {
			_ = json.Unmarshal([]byte(m[1]), &val)
		}
	}
	if m := missingRe.FindStringSubmatch(msg); m != nil {
		var parts []string
		for _, n := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' }) {
			n = strings.Trim(n, `"`)
			if n == "" {
				continue
			}
			part := strconv.Quote(prefix + n)
			if sub != nil && sub.Properties[n] != nil {
				part += " (" + describe(sub.Properties[n]) + ")"
			}
			parts = append(parts, part)
		}
		return fmt.Errorf("missing required argument %s", strings.Join(parts, ", "))
	}
	if m := additionalRe.FindStringSubmatch(msg); m != nil {
		accepted := ""
		if sub != nil {
			accepted = "; accepted: " + strings.Join(slices.Sorted(maps.Keys(sub.Properties)), ", ")
		}
		return fmt.Errorf("unknown argument %s%s", quoteList(prefix, m[1]), accepted)
	}
	if sub == nil || len(path) == 0 {
		return fmt.Errorf("invalid arguments: %s", strings.TrimPrefix(msg, "validating root: "))
	}
	if inList && val == nil {
		return fmt.Errorf("invalid argument %q: an item is not %s", strings.Join(path, "."), describe(sub))
	}
	got, _ := json.Marshal(val)
	if secretArgs[strings.TrimSuffix(path[len(path)-1], "[]")] {
		got = []byte("(hidden)")
	}
	return fmt.Errorf("invalid argument %q: got %s; expected %s", strings.Join(path, "."), got, describe(sub))
}

func quoteList(prefix, list string) string {
	var out []string
	for _, n := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		if n = strings.Trim(n, `"`); n != "" {
			out = append(out, strconv.Quote(prefix+n))
		}
	}
	return strings.Join(out, ", ")
}

// describe says in words what a schema accepts.
func describe(s *jsonschema.Schema) string {
	var parts []string
	kind := s.Type
	switch kind {
	case "integer":
		kind = "an integer"
	case "number":
		kind = "a number"
	case "boolean":
		kind = "true or false"
	case "object":
		kind = "an object"
	case "array":
		kind = "an array"
	case "string":
		kind = "a string"
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, fmt.Sprint(e))
		}
		return "one of: " + strings.Join(vals, ", ")
	}
	if h, ok := hints()[s.Pattern]; ok {
		return h
	}
	parts = append(parts, kind)
	if s.Minimum != nil && s.Maximum != nil {
		parts = append(parts, "from "+num(*s.Minimum)+" to "+num(*s.Maximum))
	} else if s.Minimum != nil {
		parts = append(parts, "of at least "+num(*s.Minimum))
	} else if s.Maximum != nil {
		parts = append(parts, "of at most "+num(*s.Maximum))
	}
	if s.Pattern != "" {
		if h, ok := hints()[s.Pattern]; ok {
			parts = append(parts, "("+h+")")
		} else {
			parts = append(parts, "matching "+s.Pattern)
		}
	}
	if s.MaxLength != nil && hints()[s.Pattern] == "" {
		parts = append(parts, fmt.Sprintf("of at most %d characters", *s.MaxLength))
	}
	return strings.Join(parts, " ")
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// advertised is the input schema as clients see it: patterns, lengths and
// closed-object markers cost many tokens and help a model little, so they are
// checked here (with errors that say what is accepted) but not sent.
func advertised(s *jsonschema.Schema) any {
	c := stripped(s)
	if len(c.Properties) > 0 {
		return c
	}
	// Some clients want "properties" on every object schema, even an empty one.
	return map[string]any{"type": "object", "properties": map[string]any{}}
}

// stripped copies the nodes advertised changes (s and its Properties and
// Items, at every depth) and shares the rest with s, which nothing changes
// once built: CloneSchemas copied every node by reflection, a twentieth of
// start-up's CPU.
func stripped(p *jsonschema.Schema) *jsonschema.Schema {
	if p == nil {
		return nil
	}
	c := *p
	c.Pattern, c.MaxLength = "", nil
	if c.Maximum != nil && *c.Maximum == pveid.MaxVMID {
		c.Maximum = nil // guest ids: the minimum says enough
	}
	c.AdditionalProperties = nil // unknown arguments are refused with the accepted list anyway
	if p.Properties != nil {
		c.Properties = make(map[string]*jsonschema.Schema, len(p.Properties))
		for k, q := range p.Properties {
			c.Properties[k] = stripped(q)
		}
	}
	c.Items = stripped(p.Items)
	return &c
}
