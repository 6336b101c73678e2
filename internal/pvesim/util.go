package pvesim

import (
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

func atoiDefault(s string, def int) int {
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

func atoi64Default(s string, def int64) int64 {
	if s == "" {
		return def
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return def
	}
	return n
}

// splitList splits a PVE list parameter (comma, semicolon or space separated).
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' })
}

func isToken(authid string) bool { return strings.Contains(authid, "!") }

// boolParam reads a 0/1 parameter with a default.
func (c *call) boolParam(k string, def bool) bool {
	v, ok := c.params[k]
	if !ok || v == "" {
		return def
	}
	b, _ := pveschema.ParseBool(v)
	return b
}

func (c *call) has(k string) bool { _, ok := c.params[k]; return ok }

func (c *call) vmid() int { return atoiDefault(c.params["vmid"], 0) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
