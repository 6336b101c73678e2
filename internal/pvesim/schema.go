package pvesim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// schemaAdapter holds the PVE API schema of one release and what /version
// reports about it.
type schemaAdapter struct {
	version string // full version reported by /version, e.g. 9.1.3
	release string // x.y
	major   int
	repoid  string
	schema  *pveschema.Schema
}

// loadSchema takes a release as pveschema.FindRelease reads it ("9.1", "9").
func loadSchema(v string, reg *pveschema.Registry) (*schemaAdapter, error) {
	rel, ok := pveschema.FindRelease(v)
	if !ok {
		return nil, fmt.Errorf("pvesim: unknown schema %q (want one of %s)", v, strings.Join(pveschema.Versions(), ", "))
	}
	major, _, _, _ := pveschema.ParseVersion(rel.Reported)
	load := pveschema.Load
	if reg != nil {
		load = reg.Load
	}
	sc, err := load(rel.Name)
	if err != nil {
		return nil, fmt.Errorf("pvesim: schema %s: %w", rel.Name, err)
	}
	// A made-up commit id, fixed per version like a real build's.
	sum := sha256.Sum256([]byte("pve-manager " + rel.Reported))
	return &schemaAdapter{version: rel.Reported, release: rel.Name, major: major, repoid: hex.EncodeToString(sum[:8]), schema: sc}, nil
}
