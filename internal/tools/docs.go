package tools

import (
	"fmt"
	"slices"
	"strings"
)

// Toolsets in the order the README and clients see them: the reference
// design's nine, then the ones a server offers only when asked (extraSets).
var toolsetOrder = []string{"cluster", "nodes", "tasks", "qemu", "lxc", "snapshots", "storage", "network", "backup",
	"guestops", "cloudinit", "agent", "exec", "metrics", "backupjobs", "ha", "firewall", "pools", "nodeadmin", "replication", "sdn", "ceph", "access", "bulk", "api", "plan", "audit", "clusters"}

// extraSets are off unless PVE_TOOLSETS, PVE_TOOLS or "all" names them, so
// the default tool list costs a model what the reference design's does.
var extraSets = []string{"guestops", "cloudinit", "agent", "exec", "metrics", "backupjobs", "ha", "firewall", "pools", "nodeadmin", "replication", "sdn", "ceph", "access", "bulk", "api", "plan", "audit", "clusters"}

// toolsetAbout says in a few words what each toolset is for.
var toolsetAbout = map[string]string{
	"cluster": "version, resources, toolsets", "nodes": "nodes and their status", "tasks": "Proxmox tasks",
	"qemu": "virtual machines", "lxc": "containers", "snapshots": "guest snapshots", "storage": "storages, ISOs, templates",
	"network": "node networks", "backup": "backups and restores",
	"guestops": "templates, suspend and resume, container migration, moving and detaching disks", "cloudinit": "cloud-init settings and provisioning",
	"agent": "the QEMU guest agent: OS, file systems, file reads", "exec": "commands and file writes inside guests",
	"metrics": "CPU, memory, network, disk graphs", "backupjobs": "backup jobs and backup audits", "ha": "high availability",
	"firewall": "firewall rules and options", "pools": "resource pools", "nodeadmin": "node services, journal, updates, disks",
	"replication": "storage replication", "sdn": "SDN zones, vnets, subnets", "ceph": "Ceph health, OSDs, pools",
	"access":   "who the server is and what it may do",
	"api":      "the whole Proxmox API: search, describe and call any endpoint, through the same guard",
	"plan":     "rehearse a write on a twin of the cluster, then apply it if nothing changed",
	"audit":    "undo a config change recorded in the audit log",
	"clusters": "the named clusters this server serves (PVE_CONFIG_FILE)",
}

// DefaultToolsets lists the toolsets offered when PVE_TOOLSETS is unset.
func DefaultToolsets() []string {
	var out []string
	for _, ts := range toolsetOrder {
		if !slices.Contains(extraSets, ts) {
			out = append(out, ts)
		}
	}
	return out
}

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
