package pvesim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// endpoint is what the simulator needs from one schema entry.
type endpoint struct {
	permissions json.RawMessage
	allowToken  bool
	validate    func(map[string]string) map[string]string
}

// schemaAdapter wraps the PVE API schema of one release.
type schemaAdapter struct {
	version string // full version reported by /version, e.g. 9.1.3
	release string // x.y
	major   int
	repoid  string
	lookup  func(method, tmpl string) *endpoint
}

// loadSchema takes a release as pveschema.FindRelease reads it ("9.1", "9").
func loadSchema(v string) (*schemaAdapter, error) {
	rel, ok := pveschema.FindRelease(v)
	if !ok {
		return nil, fmt.Errorf("pvesim: unknown schema %q (want one of %s)", v, strings.Join(pveschema.Versions(), ", "))
	}
	major, _, _, _ := pveschema.ParseVersion(rel.Reported)
	// A made-up commit id, fixed per version like a real build's.
	sum := sha256.Sum256([]byte("pve-manager " + rel.Reported))
	a := &schemaAdapter{version: rel.Reported, release: rel.Name, major: major, repoid: hex.EncodeToString(sum[:8])}
	if err := a.bind(rel.Name); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *schemaAdapter) endpoint(method, tmpl string) *endpoint {
	if a.lookup == nil {
		return &endpoint{allowToken: true, validate: func(map[string]string) map[string]string { return nil }}
	}
	return a.lookup(method, tmpl)
}

// bind connects the adapter to the schema package (validation, permissions).
func (a *schemaAdapter) bind(v string) error {
	sc, err := pveschema.Load(v)
	if err != nil {
		return fmt.Errorf("pvesim: schema %s: %w", v, err)
	}
	eps := map[string]*endpoint{}
	for _, ep := range sc.Endpoints() {
		eps[ep.Method+" "+ep.Path] = &endpoint{permissions: ep.Permissions, allowToken: ep.AllowToken, validate: ep.Validate}
	}
	a.lookup = func(method, tmpl string) *endpoint { return eps[method+" "+tmpl] }
	return nil
}
