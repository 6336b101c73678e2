package pve

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Version is GET /version.
type Version struct {
	Version string `json:"version"` // "9.1.3", older "7.1-10"
	Release string `json:"release"` // "9.1"
	RepoID  string `json:"repoid"`
	Console string `json:"console,omitempty"`
}

// Version returns the server version, fetched once and cached. Only a
// usable answer (a version whose major.minor parses) is cached: a failure or
// a malformed answer is returned, and the next call asks again.
func (c *Client) Version(ctx context.Context) (Version, error) {
	c.mu.Lock()
	v := c.version
	c.mu.Unlock()
	if v != nil {
		return *v, nil
	}
	var raw Object
	if err := c.Get(ctx, "/version", nil, &raw); err != nil {
		return Version{}, fmt.Errorf("read Proxmox version: %w", err)
	}
	var got Version
	err := json.Unmarshal(raw, &got)
	if _, _, _, ok := pveschema.ParseVersion(got.Version); err != nil || !ok {
		return Version{}, fmt.Errorf("read Proxmox version: GET /version answered %s, which holds no version major.minor",
			oneLine(snippet(raw)))
	}
	c.mu.Lock()
	c.version = &got
	c.mu.Unlock()
	return got, nil
}

// MajorMinor parses the leading "major.minor" of Version (or Release).
func (v Version) MajorMinor() (major, minor int, ok bool) {
	for _, s := range []string{v.Version, v.Release} {
		if major, minor, _, ok = pveschema.ParseVersion(s); ok {
			return major, minor, true
		}
	}
	return 0, 0, false
}

// AtLeast reports whether the version is major.minor or newer; false when it
// cannot be parsed.
func (v Version) AtLeast(major, minor int) bool {
	ma, mi, ok := v.MajorMinor()
	if !ok {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}
