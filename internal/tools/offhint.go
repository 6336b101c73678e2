package tools

import (
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// WhyOff says why a tool a client called is not offered, naming the setting
// that keeps it off and how to change it; "" when the tool is offered. The
// SDK answers such a call "unknown tool", which reads as if it did not exist.
func (b *Toolbox) WhyOff(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.on[name] {
		return ""
	}
	b.build([]string{"all"})
	var tool *Tool
	names := make([]string, 0, len(b.all))
	for i, t := range b.all {
		names = append(names, t.Def.Name)
		if t.Def.Name == name {
			tool = &b.all[i]
		}
	}
	if tool == nil {
		msg := fmt.Sprintf("unknown tool %q: this server has no such tool", name)
		if near := pveschema.Suggest(names, name); len(near) > 0 {
			msg += " (did you mean " + strings.Join(near, ", ") + "?)"
		}
		return msg
	}
	restart := " in the server's environment (the MCP client's configuration of it) and restart it"
	switch s := b.sel; {
	case slices.Contains(s.Exclude, name):
		return fmt.Sprintf("tool %q exists but PVE_EXCLUDE_TOOLS leaves it out; remove it from PVE_EXCLUDE_TOOLS%s", name, restart)
	case s.ReadOnly && tool.Effect != ReadOnly:
		return fmt.Sprintf("tool %q exists but this server is read-only (PVE_READONLY=true, the default), so it offers no write tool; "+
			"set PVE_READONLY=false%s", name, restart)
	case s.DisableDestructive && tool.Effect == Destructive:
		return fmt.Sprintf("tool %q exists but PVE_DISABLE_DESTRUCTIVE=true keeps the tools that delete or overwrite off; "+
			"unset it%s", name, restart)
	}
	return fmt.Sprintf("tool %q exists in the toolset %q, which is not enabled: call pve_toolsets with {\"enable\": [%q]} first, "+
		"or add %s to PVE_TOOLSETS (or %s to PVE_TOOLS)", name, tool.Toolset, tool.Toolset, tool.Toolset, name)
}
