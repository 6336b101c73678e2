package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// pve_whoami (issue 15): who the server is logged in as, its effective
// privileges from GET /access/permissions, and what they mean for the
// enabled tools by toolPrivileges.

// pathPrivs is one set of effective privileges with every path that has
// exactly it: a root token's ten paths share one set of 47, shown once.
type pathPrivs struct {
	Paths      []string `json:"paths" jsonschema:"the paths with exactly these privileges"`
	Privileges []string `json:"privileges"`
	// Proxmox's propagate flag: 0 for a grant that does not reach below the path.
	NotInherited []string `json:"notInherited,omitempty" jsonschema:"privileges that hold on this path only, not below"`
}

type toolAccess struct {
	Tool  string   `json:"tool"`
	Needs string   `json:"needs" jsonschema:"privilege and path Proxmox checks"`
	Only  []string `json:"only,omitempty" jsonschema:"the paths where it is held, when not everywhere"`
}

type whoamiOut struct {
	AuthID      string       `json:"authid" jsonschema:"the user or API token id requests are sent as (never the secret)"`
	Kind        string       `json:"kind" jsonschema:"token or user"`
	User        string       `json:"user"`
	Permissions []pathPrivs  `json:"permissions" jsonschema:"effective privileges: each set once, with the paths that have it"`
	Usable      []string     `json:"usable" jsonschema:"enabled tools whose privileges are held everywhere"`
	Limited     []toolAccess `json:"limited,omitempty" jsonschema:"enabled tools that work only on some objects, or without some of their actions"`
	Refused     []toolAccess `json:"refused,omitempty" jsonschema:"enabled tools Proxmox would refuse for lack of a privilege"`
	Unknown     []string     `json:"unknown,omitempty" jsonschema:"enabled tools whose privileges this server does not know"`
}

func whoamiTool(d *Deps) Tool {
	return define(d, spec{name: "pve_whoami", title: "Who am I", toolset: "access",
		desc: "The user or token the server acts as, its privileges per path, and which enabled tools they allow or would refuse."},
		handle(func(ctx context.Context, c *call, _ noArgs) (whoamiOut, error) {
			var perms map[string]map[string]int
			if err := c.PVE.Get(ctx, "/access/permissions", nil, &perms); err != nil {
				return whoamiOut{}, fmt.Errorf("read the permissions of %s: %w", c.PVE.AuthID(), err)
			}
			id := c.PVE.AuthID()
			user, _, isToken := strings.Cut(id, "!")
			out := whoamiOut{AuthID: id, Kind: "user", User: user, Permissions: []pathPrivs{}, Usable: []string{}}
			if isToken {
				out.Kind = "token"
			}
			out.Permissions = groupPrivs(perms)
			access := Access(perms, d.enabled())
			out.Usable, out.Limited, out.Refused, out.Unknown = access.Usable, access.Limited, access.Refused, access.Unknown
			return out, nil
		}))
}

// enabled lists the tools the server offers now (all of the inventory
// without a toolbox).
func (d *Deps) enabled() []string {
	if d.Toolbox != nil {
		return d.Toolbox.Enabled()
	}
	var out []string
	for _, t := range Inventory(&Deps{}) {
		out = append(out, t.Def.Name)
	}
	return out
}

// judgeTool: a main need held nowhere refuses the tool; one held only on
// some paths, or a part's need held nowhere, limits it.
func judgeTool(perms map[string]map[string]int, name string, needs []privNeed) (refused, limited []toolAccess) {
	for _, n := range needs {
		all, some := holds(perms, n)
		needs := n.text()
		if n.part != "" {
			needs += " (for " + n.part + ")"
		}
		switch {
		case all:
		case len(some) > 0:
			limited = append(limited, toolAccess{Tool: name, Needs: needs, Only: some})
		case n.part != "":
			limited = append(limited, toolAccess{Tool: name, Needs: needs})
		default:
			refused = append(refused, toolAccess{Tool: name, Needs: needs})
		}
	}
	return refused, limited
}

// holds tells whether the need is met on every object its path names, or
// else on which paths. /access/permissions lists every path that has
// privileges, roots (/vms, /nodes, /storage, /pool) and pool members
// included, each with its effective privileges; a 1 propagates below.
func holds(perms map[string]map[string]int, n privNeed) (all bool, some []string) {
	root, _, generic := strings.Cut(strings.TrimPrefix(n.path, "/"), "/{")
	for _, priv := range n.list() {
		if !generic {
			if _, ok := perms[n.path][priv]; ok {
				return true, nil
			}
			continue
		}
		top := "/" + root
		at, listed := perms[top]
		if at[priv] == 1 || !listed && perms["/"][priv] == 1 {
			return true, nil
		}
		for p, privs := range perms {
			if _, ok := privs[priv]; ok && strings.HasPrefix(p, top+"/") && !slices.Contains(some, p) {
				some = append(some, p)
			}
		}
	}
	slices.Sort(some)
	return false, some
}

// groupPrivs lists each distinct set of privileges (with what does not
// propagate) once, with its paths, in the order of their first path.
func groupPrivs(perms map[string]map[string]int) []pathPrivs {
	out := []pathPrivs{}
	at := map[string]int{} // the set's key -> index in out
	for _, p := range sortedPaths(perms) {
		pp := pathPrivs{Privileges: []string{}}
		for priv, prop := range perms[p] {
			pp.Privileges = append(pp.Privileges, priv)
			if prop == 0 {
				pp.NotInherited = append(pp.NotInherited, priv)
			}
		}
		slices.Sort(pp.Privileges)
		slices.Sort(pp.NotInherited)
		key := strings.Join(pp.Privileges, ",") + "|" + strings.Join(pp.NotInherited, ",")
		if i, ok := at[key]; ok {
			out[i].Paths = append(out[i].Paths, p)
			continue
		}
		at[key] = len(out)
		pp.Paths = []string{p}
		out = append(out, pp)
	}
	return out
}

func sortedPaths(m map[string]map[string]int) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}
