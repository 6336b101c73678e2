package pveschema

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Message texts of pve-common PVE::JSONSchema (check_prop, check_object).
const (
	MsgMissing     = "property is missing and it is not optional"
	MsgNotInSchema = "property is not defined in schema and the schema does not allow additional properties"
	MsgPattern     = "value does not match the regex pattern"
)

// errorSet collects errors per parameter path like JSONSchema.pm add_error.
type errorSet map[string]string

func (es errorSet) add(path, msg string) {
	if path == "" {
		path = "_root"
	}
	if old, ok := es[path]; ok {
		// Perl joins with '\n' in single quotes: a literal backslash-n.
		es[path] = old + `\n` + msg
		return
	}
	es[path] = msg
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// Validate checks request parameters (path parameters plus query or form
// parameters, all as strings, as form encoding delivers them) against the
// endpoint, like PVE's JSONSchema validate. It returns nil when they are
// valid, otherwise parameter name -> PVE message text. Texts are exactly as
// PVE sends them in the 400 "errors" object; "invalid format - ..." texts
// end with a newline, as PVE's do.
//
// Booleans must be "0" or "1" (form encoding). Callers decoding a JSON body
// should turn true/false into "1"/"0" first. Array parameters take their
// items joined with "\x00" (PVE's form decoding of repeated keys).
func (e *Endpoint) Validate(params map[string]string) map[string]string {
	values := make(map[string]string, len(params))
	for k, v := range params {
		values[k] = v
	}
	es := errorSet{}
	obj := &objectSchema{endpoint: e}
	checkObject("", obj, values, e.AdditionalProperties, es)
	if len(es) == 0 {
		return nil
	}
	return es
}

// objectSchema is either an endpoint's parameter set (with indexed
// parameters) or the keys of a property-string format.
type objectSchema struct {
	endpoint *Endpoint
	props    map[string]*Param
	sorted   []*Param // props' fixed keys, when known
}

func (o *objectSchema) get(k string) *Param {
	if o.endpoint != nil {
		p, _ := o.endpoint.Param(k)
		return p
	}
	return o.props[k]
}

// fixed returns the non-indexed keys in a stable order.
func (o *objectSchema) fixed() []*Param {
	if o.endpoint != nil && o.endpoint.fixed != nil {
		return o.endpoint.fixed
	}
	if o.sorted != nil {
		return o.sorted
	}
	m := o.props
	if o.endpoint != nil {
		m = o.endpoint.Params
	}
	return sortedFixed(m)
}

// sortedFixed returns the non-indexed parameters of m by name.
func sortedFixed(m map[string]*Param) []*Param {
	out := make([]*Param, 0, len(m))
	for _, p := range m {
		if !p.Indexed {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkObject follows JSONSchema.pm check_object.
func checkObject(path string, schema *objectSchema, values map[string]string, additional bool, es errorSet) {
	// Remap aliased keys so validation sees canonical names.
	for _, k := range sortedKeys(values) {
		p := schema.get(k)
		if p == nil || p.Alias == "" {
			continue
		}
		if _, dup := values[p.Alias]; dup {
			es.add(joinPath(path, k), "cannot set both '"+k+"' and its alias target '"+p.Alias+"'")
			continue
		}
		values[p.Alias] = values[k]
		delete(values, k)
	}

	for _, p := range schema.fixed() {
		v, ok := values[p.Name]
		checkProp(v, ok, p, joinPath(path, p.Name), es)
	}
	keys := sortedKeys(values)
	for _, k := range keys {
		p := schema.get(k)
		if p != nil && p.Indexed {
			checkProp(values[k], true, p, joinPath(path, k), es)
		}
	}

	for _, k := range keys {
		newPath := joinPath(path, k)
		if p := schema.get(k); p != nil {
			if p.Requires != "" {
				if _, ok := values[p.Requires]; !ok {
					es.add(joinPath(path, p.Requires), "missing property required by '"+newPath+"'")
				}
			}
			continue
		}
		if !additional {
			es.add(newPath, MsgNotInSchema)
		}
	}
}

// checkProp follows JSONSchema.pm check_prop for a scalar (string) value.
func checkProp(value string, present bool, p *Param, path string, es errorSet) {
	if p.Alias != "" {
		return // aliases are remapped to their target and not validated
	}
	if !present {
		if !p.Optional {
			es.add(path, MsgMissing)
		}
		return
	}
	if !checkType(value, p, path, es) {
		return
	}
	if p.Type == "array" || p.Type == "object" {
		return
	}
	if msg, bad := formatError(p, path, value); bad {
		es.add(path, "invalid format - "+msg)
		return
	}
	if p.re != nil {
		if re, err := p.re.get(); err == nil && !perlMatch(re, value) {
			es.add(path, MsgPattern)
			return
		}
	}
	if p.MaxLength != nil && utf8.RuneCountInString(value) > *p.MaxLength {
		es.add(path, "value may only be "+strconv.Itoa(*p.MaxLength)+" characters long")
		return
	}
	if p.MinLength != nil && utf8.RuneCountInString(value) < *p.MinLength {
		es.add(path, "value must be at least "+strconv.Itoa(*p.MinLength)+" characters long")
		return
	}
	if isNumber(value) {
		f := perlNumeric(value)
		if p.Maximum != nil && f > *p.Maximum {
			es.add(path, "value must have a maximum value of "+p.MaximumText)
			return
		}
		if p.Minimum != nil && f < *p.Minimum {
			es.add(path, "value must have a minimum value of "+p.MinimumText)
			return
		}
	}
	if p.Enum != nil {
		found := false
		for _, ev := range p.Enum {
			if ev == value {
				found = true
				break
			}
		}
		if !found {
			es.add(path, "value '"+value+"' does not have a value in the enumeration '"+strings.Join(p.Enum, ", ")+"'")
		}
	}
}

// checkType follows JSONSchema.pm check_type for string input.
func checkType(value string, p *Param, path string, es errorSet) bool {
	switch p.Type {
	case "boolean":
		if value != "1" && value != "0" {
			es.add(path, "type check ('boolean') failed - got '"+value+"'")
			return false
		}
	case "integer":
		if !isInteger(value) {
			es.add(path, "type check ('integer') failed - got '"+value+"'")
			return false
		}
	case "number":
		if !isNumber(value) {
			es.add(path, "type check ('number') failed - got '"+value+"'")
			return false
		}
	case "object":
		es.add(path, "type check ('object') failed")
		return false
	case "array":
		if p.Items != nil {
			for i, item := range strings.Split(value, "\x00") {
				checkProp(item, true, p.Items, path+"["+strconv.Itoa(i)+"]", es)
			}
		}
	}
	return true
}

// formatError checks the value against the parameter's format (named or
// property string) and returns PVE's die text (ending in "\n").
func formatError(p *Param, path, value string) (string, bool) {
	if p.Props != nil {
		if _, err := parsePropertyString(p.Props, p.propsFixed, path, value); err != nil {
			return err.Error(), true
		}
		return "", false
	}
	if p.Format == "" {
		return "", false
	}
	return checkFormat(p.Format, path, value)
}

var (
	reInteger = lazyre.New(`^[+-]?\d+$`)
	reNumber  = lazyre.New(`^[+-]?(\d+\.\d+|\d+\.|\.\d+|\d+)([eE][+-]?\d+)?$`)
)

func isInteger(s string) bool { return perlMatch(reInteger, s) }
func isNumber(s string) bool  { return perlMatch(reNumber, s) }

// perlNumeric converts a string that passed isNumber to its numeric value.
func perlNumeric(s string) float64 {
	s = strings.TrimSuffix(s, "\n")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// ParseFloat reports range errors with ±Inf, which compares like Perl.
		return f
	}
	return f
}

// ValidateForm validates decoded query or form values the way PVE treats a
// www-form-urlencoded request: a key given once is a plain string; a key
// given several times is an array, which PVE joins with "," for string
// parameters with a "-list" format, keeps as items for array parameters,
// and otherwise refuses with "type check ('<type>') failed - got ARRAY".
// Path parameters can be merged into v by the caller beforehand.
func (e *Endpoint) ValidateForm(v url.Values) map[string]string {
	params := make(map[string]string, len(v))
	arrayErr := map[string]string{}
	for k, vals := range v {
		if len(vals) == 0 {
			continue
		}
		if len(vals) == 1 {
			params[k] = vals[0]
			continue
		}
		p, _ := e.Param(k)
		switch {
		case p == nil:
			params[k] = vals[0] // refused as unknown anyway
		case p.Type == "array":
			params[k] = strings.Join(vals, "\x00")
		case p.Type == "string" && strings.HasSuffix(p.Format, "-list"):
			params[k] = strings.Join(vals, ",")
		default:
			params[k] = vals[0]
			if p.Alias == "" {
				arrayErr[k] = "type check ('" + p.Type + "') failed - got ARRAY"
			}
		}
	}
	errs := e.Validate(params)
	if len(arrayErr) == 0 {
		return errs
	}
	if errs == nil {
		errs = map[string]string{}
	}
	for k, msg := range arrayErr {
		errs[k] = msg
	}
	return errs
}
