package pveschema

import (
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// A formatFunc validates one value of a named format and returns PVE's die
// text (without the trailing newline), or "" when the value is valid.
type formatFunc func(v string) string

// checkFormat follows JSONSchema.pm check_format for a named format,
// including the "-list" and "-opt" suffixes. It returns the die text (with
// its trailing newline) and true when the value is invalid. Formats we do
// not know are accepted.
func checkFormat(format, path, value string) (string, bool) {
	if format == "regex" {
		return "", false
	}
	// Like m/^(.*?)(?:-(list|opt))?$/: the suffix is always split off.
	name, kind := format, ""
	if base, ok := strings.CutSuffix(format, "-list"); ok {
		name, kind = base, "list"
	} else if base, ok := strings.CutSuffix(format, "-opt"); ok {
		name, kind = base, "opt"
	}
	if nf, ok := lookupNamedFormat(name); ok && kind == "" {
		res, err := parsePropertyString(nf.props, nil, path, value)
		if err != nil {
			return err.Error(), true
		}
		if nf.validate != nil {
			if msg := nf.validate(res); msg != "" {
				return msg + "\n", true
			}
		}
		return "", false
	}
	f := lookupFormat(name)
	if f == nil {
		return "", false // unknown to us: don't reject what we can't check
	}
	switch kind {
	case "list":
		for _, item := range splitList(value) {
			if msg := f(item); msg != "" {
				return msg + "\n", true
			}
		}
	case "opt":
		if perlTruthy(value) {
			if msg := f(value); msg != "" {
				return msg + "\n", true
			}
		}
	default:
		if msg := f(value); msg != "" {
			return msg + "\n", true
		}
	}
	return "", false
}

// splitList mirrors PVE::ParseUtils split_list.
func splitList(s string) []string {
	if strings.Contains(s, "\x00") {
		parts := strings.Split(s, "\x00")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1] // Perl split drops trailing empty fields
		}
		return parts
	}
	s = strings.Map(func(r rune) rune {
		if r == ',' || r == ';' {
			return ' '
		}
		return r
	}, s)
	return strings.Fields(s)
}

// KnownFormat reports whether a named format (optionally with -list/-opt) is
// checked by this package; unknown formats are accepted unchecked.
func KnownFormat(format string) bool {
	if lookupFormat(format) != nil || namedPropertyFormat(format) != nil || format == "regex" {
		return true
	}
	for _, suf := range []string{"-list", "-opt"} {
		if base, ok := strings.CutSuffix(format, suf); ok && lookupFormat(base) != nil {
			return true
		}
	}
	return false
}

func lookupFormat(name string) formatFunc {
	if f, ok := formatFuncs[name]; ok {
		return f
	}
	if f, ok := otherFormats[name]; ok {
		return f
	}
	return nil
}

// namedPropertyFormat returns the keys of a named property-string format
// (registered with a hash in PVE, e.g. "pve-qm-boot"), or nil.
func namedPropertyFormat(name string) map[string]*Param {
	if nf, ok := lookupNamedFormat(name); ok {
		return nf.props
	}
	return nil
}

// IsPropertyFormat reports whether a named format is a property string
// (its keys known here), such as "pve-qm-boot" or "pve-qm-cicustom".
func IsPropertyFormat(name string) bool { return namedPropertyFormat(name) != nil }

// PropertyKeys returns the keys of p's property-string format: its inline
// format, or the named one; nil when p is no property string.
func PropertyKeys(p *Param) map[string]*Param {
	if p == nil {
		return nil
	}
	if p.Props != nil {
		return p.Props
	}
	return namedPropertyFormat(p.Format)
}

// matcher returns a formatFunc failing with msg unless the value matches re
// (Perl anchoring semantics).
func matcher(re *lazyre.Regexp, msg string) formatFunc {
	return func(v string) string {
		if perlMatch(re, v) {
			return ""
		}
		return msg
	}
}

// pmatch is perlMatch for package-level regexps.
func pmatch(re *lazyre.Regexp, v string) bool { return perlMatch(re, v) }
