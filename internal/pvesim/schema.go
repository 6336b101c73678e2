package pvesim

import (
	"encoding/json"
	"fmt"

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
	repoid  string
	lookup  func(method, tmpl string) *endpoint
}

func loadSchema(v string) (*schemaAdapter, error) {
	a := &schemaAdapter{}
	switch v {
	case "9.1", "9":
		a.version, a.release, a.repoid = "9.1.3", "9.1", "a97e2d71f3c6b8e4"
	case "8.4", "8":
		a.version, a.release, a.repoid = "8.4.14", "8.4", "b502d23c55afcba1"
	case "7.4", "7":
		a.version, a.release, a.repoid = "7.4-16", "7.4", "0f39f621"
	default:
		return nil, fmt.Errorf("pvesim: unknown schema %q (want 9.1, 8.4 or 7.4)", v)
	}
	if err := a.bind(v); err != nil {
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
