package tools

import (
	"fmt"
	"slices"
	"strings"
)

// What the privileges a credential holds mean for a selection of tools, and
// the least grant that would make them all work: for doctor and the
// privileges command, from the same table pve_whoami reads.

// AccessReport sorts tools by what Proxmox would let them do.
type AccessReport struct {
	Usable  []string     `json:"usable"`
	Limited []ToolAccess `json:"limited,omitempty"`
	Refused []ToolAccess `json:"refused,omitempty"`
	Unknown []string     `json:"unknown,omitempty"`
}

// ToolAccess is one need of a tool that is not met everywhere.
type ToolAccess = toolAccess

// Access judges names by perms, GET /access/permissions of the credential.
func Access(perms map[string]map[string]int, names []string) AccessReport {
	r := AccessReport{Usable: []string{}}
	for _, name := range names {
		needs, known := needsOf(name)
		if !known {
			r.Unknown = append(r.Unknown, name)
			continue
		}
		refused, limited := judgeTool(perms, name, needs)
		r.Refused = append(r.Refused, refused...)
		r.Limited = append(r.Limited, limited...)
		if len(refused) == 0 && len(limited) == 0 {
			r.Usable = append(r.Usable, name)
		}
	}
	return r
}

// PrivilegesOf lists every privilege the table names for a tool, all
// alternatives and parts included; known is false for a tool it lacks.
func PrivilegesOf(name string) (privs []string, known bool) {
	needs, known := needsOf(name)
	for _, n := range needs {
		for _, p := range n.list() {
			if !slices.Contains(privs, p) {
				privs = append(privs, p)
			}
		}
	}
	return privs, known
}

// SelectedNames lists the tools a selection offers, by name.
func SelectedNames(sel Selection) ([]string, error) {
	tools, err := Select(Inventory(&Deps{}), sel)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(tools))
	for _, t := range tools {
		names = append(names, t.Def.Name)
	}
	return names, nil
}

// Grant is one role on one path: the privileges the tools need there.
type Grant struct {
	Path       string   `json:"path"`
	Role       string   `json:"role"`
	Privileges []string `json:"privileges"`
	Tools      []string `json:"tools"`
}

// Grants is the least grant for names: per path root (/, /vms, /storage,
// /nodes, /pool, ...) a role with the privileges needed there, the first
// of each need's alternatives. Parts of a tool (needFor) are included.
func Grants(names []string) []Grant {
	at := map[string]*Grant{}
	for _, name := range names {
		for _, n := range needsOnly(name) {
			root := rootOf(n.path)
			g := at[root]
			if g == nil {
				g = &Grant{Path: root, Role: roleName(root)}
				at[root] = g
			}
			for _, p := range grantPrivs(n) {
				if !slices.Contains(g.Privileges, p) {
					g.Privileges = append(g.Privileges, p)
				}
			}
			if !slices.Contains(g.Tools, name) {
				g.Tools = append(g.Tools, name)
			}
		}
	}
	out := make([]Grant, 0, len(at))
	for _, g := range at {
		slices.Sort(g.Privileges)
		slices.Sort(g.Tools)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Grant) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// grantPrivs picks from a need's alternatives: one suffices, so the first,
// except VM.Config.*, which Proxmox checks per setting changed (memory
// needs VM.Config.Memory, a NIC VM.Config.Network): all of them.
func grantPrivs(n privNeed) []string {
	list := n.list()
	for _, p := range list {
		if !strings.HasPrefix(p, "VM.Config.") {
			return list[:1]
		}
	}
	return list
}

// rootOf is the path a grant for "/vms/{vmid}" goes on: /vms, which
// propagates to every guest.
func rootOf(path string) string {
	root, _, generic := strings.Cut(path, "/{")
	if !generic {
		return path
	}
	if root == "" {
		return "/"
	}
	return root
}

func roleName(path string) string {
	if path == "/" {
		return "PVEMCP-Cluster"
	}
	var b strings.Builder
	b.WriteString("PVEMCP")
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		b.WriteByte('-')
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// PveumLines are the commands that create the roles and grant them to
// authid. A token with privilege separation holds only what both it and
// its user are granted, so a token's lines grant to both.
func PveumLines(grants []Grant, authid string) []string {
	who := fmt.Sprintf("--users '%s'", authid)
	if user, _, isToken := strings.Cut(authid, "!"); isToken {
		who = fmt.Sprintf("--users '%s' --tokens '%s'", user, authid)
	}
	var out []string
	for _, g := range grants {
		out = append(out, fmt.Sprintf("pveum role add %s --privs %q", g.Role, strings.Join(g.Privileges, ",")))
	}
	for _, g := range grants {
		out = append(out, fmt.Sprintf("pveum acl modify %s %s --roles %s", g.Path, who, g.Role))
	}
	return out
}
