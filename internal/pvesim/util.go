package pvesim

import (
	"encoding/json"
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

// splitList splits a PVE list parameter (comma, semicolon, space, or NUL: how
// PVE 7 joins repeated keys).
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == 0 })
}

func isToken(authid string) bool { return strings.Contains(authid, "!") }

// arg is a parameter as the handler sees it: the value sent, else the
// default the endpoint's schema declares, else "". Handlers read defaults
// from here rather than restating them.
func (c *call) arg(k string) string {
	if v, ok := c.params[k]; ok && v != "" {
		return v
	}
	if c.ep == nil {
		return ""
	}
	p, ok := c.ep.Param(k)
	if !ok || len(p.Default) == 0 {
		return ""
	}
	var def any
	if json.Unmarshal(p.Default, &def) != nil {
		return ""
	}
	switch d := def.(type) {
	case string:
		return d
	case float64:
		return strconv.FormatFloat(d, 'f', -1, 64)
	case bool:
		return strconv.Itoa(b2i(d))
	}
	return ""
}

// flag is a boolean parameter (sent, else the schema's default).
func (c *call) flag(k string) bool {
	b, _ := pveschema.ParseBool(c.arg(k))
	return b
}

// flagOr is a boolean parameter whose default Proxmox computes at run time
// (a clone of a template is linked unless asked otherwise); the schema
// declares none.
func (c *call) flagOr(k string, def bool) bool {
	if c.arg(k) == "" {
		return def
	}
	return c.flag(k)
}

// num is an integer parameter (sent, else the schema's default, else 0).
func (c *call) num(k string) int { return atoiDefault(c.arg(k), 0) }

func (c *call) has(k string) bool { _, ok := c.params[k]; return ok }

func (c *call) vmid() int { return c.num("vmid") }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
