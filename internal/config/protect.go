package config

import (
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"slices"
	"strings"
)

// DefaultProtectedTag is the tag that protects a guest when
// PVE_PROTECTED_TAGS is not set.
const DefaultProtectedTag = "mcp-protected"

// tagRe is Proxmox's pve-tag format (pve-common, PVE/JSONSchema.pm).
var tagRe = lazyre.New(`^(?i)[a-z0-9_][a-z0-9_\-+.]*$`)

// protectedTags reads the tags that make a guest untouchable by any tool:
// unset means the default tag, "none" means no tag (the protection flag
// still counts).
func (p *parser) protectedTags(key string) []string {
	v, ok := p.get(key)
	if !ok {
		return []string{DefaultProtectedTag}
	}
	if strings.EqualFold(v, "none") {
		return nil
	}
	var out []string
	for _, t := range splitList(v) {
		if !tagRe.MatchString(t) {
			p.fail("%s: %q is not a Proxmox tag (letters, digits, '_', then also '-', '+', '.'), or give none", key, t)
			continue
		}
		if t = strings.ToLower(t); !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// requirePlan reads which writes must come from a plan.
func (p *parser) requirePlan(key string) string {
	v, ok := p.get(key)
	if !ok {
		return ""
	}
	switch v = strings.ToLower(v); v {
	case "destructive", "all":
		return v
	case "none", "off", "false", "0":
		return ""
	}
	p.fail("%s: %q is not one of destructive, all, none", key, v)
	return ""
}
