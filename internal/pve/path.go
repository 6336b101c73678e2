package pve

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Path joins segments into an API path relative to /api2/json, escaping
// each segment so an identifier can never add a path level or a query.
func Path(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// Bool renders a boolean the way Proxmox accepts it in form and query
// parameters.
func Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

var errBadPath = errors.New("refusing unsafe API path")

// checkPath rejects paths that could reach another endpoint than the one the
// caller built: traversal, an injected query or fragment, empty segments,
// backslashes and control characters, both as written and once unescaped.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%w %q: must start with /", errBadPath, p)
	}
	// An empty segment, also a trailing one, would name another endpoint:
	// "/nodes/pve1/qemu/" + "" lists the VMs instead of reading one.
	if strings.Contains(p, "//") || (len(p) > 1 && strings.HasSuffix(p, "/")) {
		return fmt.Errorf("%w %q: empty segment", errBadPath, p)
	}
	if err := checkPathChars(p); err != nil {
		return err
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		return fmt.Errorf("%w %q: bad escape", errBadPath, p)
	}
	if err := checkPathChars(dec); err != nil {
		return err
	}
	// A "." segment would drop a level once a proxy normalizes the path.
	for _, s := range strings.Split(dec, "/")[1:] {
		if s == "." {
			return fmt.Errorf("%w %q: contains a . segment", errBadPath, p)
		}
	}
	// Unescaped bytes (spaces, non-ASCII) would be re-escaped on the way,
	// so the server would see another path than the one checked.
	if (&url.URL{Path: dec, RawPath: p}).EscapedPath() != p {
		return fmt.Errorf("%w %q: not escaped (build it with pve.Path)", errBadPath, p)
	}
	return nil
}

func checkPathChars(p string) error {
	if strings.Contains(p, "..") {
		//lint:ignore ST1005 ".." is what the path holds, not punctuation
		return fmt.Errorf("%w %q: contains ..", errBadPath, p)
	}
	if i := strings.IndexAny(p, "?#\\"); i >= 0 {
		return fmt.Errorf("%w %q: contains %q", errBadPath, p, p[i])
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w %q: contains a control character", errBadPath, p)
		}
	}
	return nil
}
