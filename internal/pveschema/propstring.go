package pveschema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// PropertyError is a failed property-string parse. Error returns the text
// PVE dies with, e.g. "format error\nbridge: value does not match the regex
// pattern\n" or "invalid key in comma-separated list property: foo\n".
type PropertyError struct {
	Msg    string            // first line, with its trailing newline
	Errors map[string]string // per-key errors ("net0.bridge" style keys), may be nil
}

func (e *PropertyError) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	keys := make([]string, 0, len(e.Errors))
	for k := range e.Errors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(e.Errors[k])
		b.WriteString("\n")
	}
	return b.String()
}

func dief(format string, args ...any) *PropertyError {
	return &PropertyError{Msg: fmt.Sprintf(format, args...) + "\n"}
}

// ParsePropertyString parses and validates a property string such as
// "virtio=BC:24:11:2C:69:EC,bridge=vmbr0" against p's format (p.Props, or a
// named property-string format such as "pve-qm-boot"), like PVE's
// parse_property_string. The result maps canonical key names to values;
// booleans are normalised to "1"/"0", aliases resolved, and a keyAlias key
// ("virtio=MAC") yields both the model and the macaddr. Errors are
// *PropertyError with PVE's wording; keys are not prefixed with a path.
func ParsePropertyString(p *Param, value string) (map[string]string, error) {
	props, validate, err := propertyFormat(p)
	if err != nil {
		return nil, err
	}
	var fixed []*Param
	if p.Props != nil {
		fixed = p.propsFixed
	}
	res, err := parsePropertyString(props, fixed, "", value)
	if err != nil {
		return nil, err
	}
	if validate != nil {
		if msg := validate(res); msg != "" {
			return nil, dief("%s", msg)
		}
	}
	return res, nil
}

// ReadPropertyString reads a property string into its keys (default key,
// aliases, duplicates as ParsePropertyString) without checking each value
// against its format: for a value that has passed Validate already.
func ReadPropertyString(p *Param, value string) (map[string]string, error) {
	props, _, err := propertyFormat(p)
	if err != nil {
		return nil, err
	}
	return splitPropertyString(props, value)
}

func propertyFormat(p *Param) (map[string]*Param, func(map[string]string) string, error) {
	if p == nil {
		return nil, nil, fmt.Errorf("pveschema: nil parameter")
	}
	if p.Props != nil {
		return p.Props, nil, nil
	}
	if p.Format != "" {
		nf, ok := lookupNamedFormat(p.Format)
		if !ok {
			return nil, nil, dief("unknown format: %s", p.Format)
		}
		return nf.props, nf.validate, nil
	}
	return nil, nil, fmt.Errorf("pveschema: parameter %s has no property-string format", p.Name)
}

var rePropKV = lazyre.New(`^([^=]+)=(.+)$`)

// ParseBool reads a boolean as Proxmox does (JSONSchema.pm parse_boolean):
// 1, on, yes, true or 0, off, no, false in any letter case.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSuffix(s, "\n")) {
	case "1", "on", "yes", "true":
		return true, true
	case "0", "off", "no", "false":
		return false, true
	}
	return false, false
}

// parseBoolean is ParseBool in a property string: "1" or "0", or s as it
// was when it is no boolean.
func parseBoolean(s string) (string, bool) {
	v, ok := ParseBool(s)
	switch {
	case !ok:
		return s, false
	case v:
		return "1", true
	}
	return "0", true
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// perlTruthy is Perl's truth of a defined string.
func perlTruthy(s string) bool { return s != "" && s != "0" }

// parsePropertyString parses data by props; fixed is props' sorted
// non-indexed keys when the caller has them at hand (nil: sorted here).
func parsePropertyString(props map[string]*Param, fixed []*Param, path, data string) (map[string]string, error) {
	res, err := splitPropertyString(props, data)
	if err != nil {
		return nil, err
	}
	es := errorSet{}
	checkObject(path, &objectSchema{props: props, sorted: fixed}, res, false, es)
	if len(es) > 0 {
		return nil, &PropertyError{Msg: "format error\n", Errors: es}
	}
	return res, nil
}

// splitPropertyString is the first half of parse_property_string: the
// items read into keys, before any value is checked.
func splitPropertyString(props map[string]*Param, data string) (map[string]string, error) {
	res := map[string]string{}
	defaultKey := ""
	for _, part := range strings.Split(data, ",") {
		if isBlank(part) {
			continue
		}
		m := rePropKV.FindStringSubmatch(part)
		if m == nil {
			if t, ok := strings.CutSuffix(part, "\n"); ok {
				m = rePropKV.FindStringSubmatch(t)
			}
		}
		switch {
		case m != nil:
			k, v := m[1], m[2]
			if _, dup := res[k]; dup {
				return nil, dief("duplicate key in comma-separated list property: %s", k)
			}
			schema := props[k]
			if schema != nil && schema.Alias != "" {
				if schema.KeyAlias != "" {
					if _, dup := res[schema.KeyAlias]; dup {
						return nil, dief("key alias '%s' is already defined", schema.KeyAlias)
					}
					res[schema.KeyAlias] = k
				}
				k = schema.Alias
				schema = props[k]
				if _, dup := res[k]; dup {
					return nil, dief("key '%s' is already defined (via alias)", k)
				}
			}
			if schema == nil {
				return nil, dief("invalid key in comma-separated list property: %s", k)
			}
			if schema.Type == "boolean" {
				v, _ = parseBoolean(v)
			}
			res[k] = v
		case !strings.Contains(part, "="):
			if defaultKey != "" {
				return nil, dief("duplicate key in comma-separated list property: %s", defaultKey)
			}
			dk := findDefaultKey(props)
			if dk == nil {
				return nil, dief("value without key, but schema does not define a default key")
			}
			defaultKey = dk.Name
			if perlTruthy(res[defaultKey]) {
				return nil, dief("duplicate key in comma-separated list property: %s", defaultKey)
			}
			if dk.Type == "boolean" {
				part, _ = parseBoolean(part)
			}
			res[defaultKey] = part
		default:
			return nil, dief("missing key in comma-separated list property")
		}
	}

	return res, nil
}

func findDefaultKey(props map[string]*Param) *Param {
	var found *Param
	for _, p := range props {
		if p.DefaultKey && (found == nil || p.Name < found.Name) {
			found = p
		}
	}
	return found
}
