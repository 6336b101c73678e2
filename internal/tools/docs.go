package tools

import (
	"fmt"
	"slices"
	"strings"
)

// Toolsets in the order the README and clients see them.
var toolsetOrder = []string{"cluster", "nodes", "tasks", "qemu", "lxc", "snapshots", "storage", "network", "backup"}

// Toolsets lists the toolset names.
func Toolsets() []string { return slices.Clone(toolsetOrder) }

// MarkdownTables renders the tool inventory as README tables, one per toolset.
func MarkdownTables(all []Tool) string {
	var b strings.Builder
	for _, set := range toolsetOrder {
		var rows []Tool
		for _, t := range all {
			if t.Toolset == set {
				rows = append(rows, t)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n**%s**\n\n| tool | kind | what it does |\n|---|---|---|\n", set)
		for _, t := range rows {
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", t.Def.Name, kindLabel(t), strings.ReplaceAll(t.Def.Description, "|", "\\|"))
		}
	}
	return b.String()
}

func kindLabel(t Tool) string {
	switch t.Effect {
	case ReadOnly:
		return "read"
	case Destructive:
		return "write, destructive"
	}
	return "write"
}
