package pvesim

import (
	"errors"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveacl"
)

// Groups (PVE::API2::Group) and roles (PVE::API2::Role).

func (s *Sim) listGroups(c *call) (any, error) {
	out := []map[string]any{}
	for _, g := range s.acl.st.GroupIDs() {
		if !s.acl.st.Has(c.authid, "/access/groups/"+g, []string{"User.Modify", "Sys.Audit", "Group.Allocate"}, true) {
			continue
		}
		comment, members, _ := s.acl.st.Group(g)
		e := map[string]any{"groupid": g, "users": strings.Join(members, ",")}
		if comment != "" {
			e["comment"] = comment
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Sim) createGroup(c *call) (any, error) {
	g := c.params["groupid"]
	if err := s.acl.st.CreateGroup(g, c.params["comment"]); err != nil {
		if errors.Is(err, pveacl.ErrExists) {
			return nil, failf("create group failed: group '%s' already exists", g)
		}
		return nil, failf("create group failed: %s", err)
	}
	return nil, nil
}

func (s *Sim) readGroup(c *call) (any, error) {
	g := c.params["groupid"]
	comment, members, ok := s.acl.st.Group(g)
	if !ok {
		return nil, failf("group '%s' does not exist", g)
	}
	if members == nil {
		members = []string{}
	}
	out := map[string]any{"members": members}
	if comment != "" {
		out["comment"] = comment
	}
	return out, nil
}

func (s *Sim) updateGroup(c *call) (any, error) {
	g := c.params["groupid"]
	comment, _, ok := s.acl.st.Group(g)
	if !ok {
		return nil, failf("update group failed: group '%s' does not exist", g)
	}
	if v, set := c.params["comment"]; set {
		comment = v
	}
	_ = s.acl.st.SetGroupComment(g, comment)
	return nil, nil
}

func (s *Sim) deleteGroup(c *call) (any, error) {
	g := c.params["groupid"]
	if _, _, ok := s.acl.st.Group(g); !ok {
		return nil, failf("delete group failed: group '%s' does not exist", g)
	}
	s.acl.st.DeleteGroup(g)
	return nil, nil
}

func (s *Sim) listRoles(c *call) (any, error) {
	roles := s.acl.st.Roles()
	ids := make([]string, 0, len(roles))
	for id := range roles {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]any{"roleid": id, "privs": strings.Join(roles[id], ","),
			"special": b2i(s.acl.st.IsBuiltinRole(id))})
	}
	return out, nil
}

// rolePrivs checks a privs parameter against the release's privileges: the
// schema's pve-priv-list format, which knows the privileges of every
// release served, lets another release's through (VM.Monitor on 9.x).
func (s *Sim) rolePrivs(list string) ([]string, error) {
	privs := splitList(list)
	for _, p := range privs {
		if !s.acl.st.IsPrivilege(p) {
			return nil, paramErr("privs", "invalid format - invalid privilege '"+p+"'\n")
		}
	}
	return privs, nil
}

func (s *Sim) createRole(c *call) (any, error) {
	role := c.params["roleid"]
	if s.major() >= 8 && strings.HasPrefix(strings.ToUpper(role), "PVE") {
		return nil, paramErr("roleid", "cannot use role ID starting with the (case-insensitive) 'PVE' namespace")
	}
	if s.acl.hasRole(role) {
		return nil, failf("create role failed: role '%s' already exists", role)
	}
	privs, err := s.rolePrivs(c.params["privs"])
	if err != nil {
		return nil, err
	}
	if err := s.acl.addRole(role, privs); err != nil {
		return nil, failf("create role failed: %s", err)
	}
	return nil, nil
}

func (s *Sim) readRole(c *call) (any, error) {
	role := c.params["roleid"]
	privs, ok := s.acl.st.Roles()[role]
	if !ok {
		return nil, failf("role '%s' does not exist", role)
	}
	out := map[string]int{}
	for _, p := range privs {
		out[p] = 1
	}
	return out, nil
}

func (s *Sim) updateRole(c *call) (any, error) {
	role := c.params["roleid"]
	if s.acl.st.IsBuiltinRole(role) {
		return nil, failf("auto-generated role '%s' cannot be modified", role)
	}
	old, ok := s.acl.st.Roles()[role]
	if !ok {
		return nil, failf("update role failed: role '%s' does not exist", role)
	}
	privs, err := s.rolePrivs(c.params["privs"])
	if err != nil {
		return nil, err
	}
	if c.flag("append") {
		privs = append(old, privs...)
	}
	if err := s.acl.addRole(role, privs); err != nil {
		return nil, failf("update role failed: %s", err)
	}
	return nil, nil
}

// deleteRole removes a custom role; ACL entries naming it go too (user.cfg
// drops ACLs of unknown roles when it is read again).
func (s *Sim) deleteRole(c *call) (any, error) {
	role := c.params["roleid"]
	if s.acl.st.IsBuiltinRole(role) {
		return nil, failf("auto-generated role '%s' cannot be deleted", role)
	}
	if !s.acl.hasRole(role) {
		return nil, failf("delete role failed: role '%s' does not exist", role)
	}
	s.acl.st.DeleteRole(role)
	return nil, nil
}
