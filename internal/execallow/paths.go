package execallow

import (
	"fmt"
	"strings"
)

type pathRule struct {
	Rule
	elems []string
	below bool // the entry ends in "/**"
}

// Paths is a parsed file allowlist; the zero value allows nothing.
type Paths struct{ rules []pathRule }

// ParsePaths reads PVE_AGENT_FILE_ALLOWLIST.
func ParsePaths(spec string) (Paths, error) {
	var l Paths
	for _, e := range entries(spec) {
		r := pathRule{}
		e, r.ReadOnly = cutRO(e)
		r.Text = e
		if err := checkPath(e); err != nil {
			return Paths{}, fmt.Errorf("file entry %q: %w", e, err)
		}
		r.elems = strings.Split(strings.TrimPrefix(e, "/"), "/")
		if n := len(r.elems); r.elems[n-1] == "**" {
			r.elems, r.below = r.elems[:n-1], true
		}
		for _, el := range r.elems {
			if el == "**" {
				return Paths{}, fmt.Errorf(`file entry %q: "**" may only be the last element`, e)
			}
		}
		l.rules = append(l.rules, r)
	}
	return l, nil
}

// checkPath accepts clean absolute paths only, so a pattern cannot be
// escaped with "..", a doubled slash or a trailing one.
func checkPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("not an absolute path (it must start with /)")
	case strings.ContainsAny(p, "\x00\\"):
		return fmt.Errorf("NUL and backslash are not allowed in a path")
	case p == "/":
		return fmt.Errorf("the root directory itself is not a file")
	}
	for _, el := range strings.Split(p[1:], "/") {
		if el == "" || el == "." || el == ".." {
			return fmt.Errorf("not a clean path (empty, . or .. elements)")
		}
	}
	return nil
}

// CheckPath says why a path a tool was given is not one the allowlist can
// judge (relative, or with . or .. elements); nil when it is clean.
func CheckPath(p string) error { return checkPath(p) }

// Empty reports whether nothing is allowed.
func (l Paths) Empty() bool { return len(l.rules) == 0 }

// Match finds the first entry that allows reading (write false) or writing
// the path; an unclean path matches nothing.
func (l Paths) Match(path string, write bool) (Rule, bool) {
	if checkPath(path) != nil {
		return Rule{}, false
	}
	elems := strings.Split(path[1:], "/")
	for _, r := range l.rules {
		if write && r.ReadOnly {
			continue
		}
		if len(elems) < len(r.elems) || len(elems) > len(r.elems) && !r.below || r.below && len(elems) == len(r.elems) {
			continue
		}
		ok := true
		for i, el := range r.elems {
			if !glob(el, elems[i]) || strings.Contains(el, "*") && elems[i] == "" {
				ok = false
				break
			}
		}
		if ok {
			return r.Rule, true
		}
	}
	return Rule{}, false
}

// Entries lists the configured entries.
func (l Paths) Entries() []string {
	out := make([]string, 0, len(l.rules))
	for _, r := range l.rules {
		out = append(out, ruleText(r.Rule))
	}
	return out
}
