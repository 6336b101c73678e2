package pvesim

import (
	"errors"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveacl"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// accessRoutes: users, groups, domains, roles, ACLs and tokens under /access.
func (s *Sim) accessRoutes() []route {
	return []route{
		{method: "GET", tmpl: "/access/users", h: s.listUsers},
		{method: "POST", tmpl: "/access/users", h: s.createUser},
		{method: "GET", tmpl: "/access/users/{userid}", h: s.readUser},
		{method: "PUT", tmpl: "/access/users/{userid}", h: s.updateUser},
		{method: "DELETE", tmpl: "/access/users/{userid}", h: s.deleteUser},
		{method: "GET", tmpl: "/access/users/{userid}/tfa", h: s.userTFA},
		{method: "GET", tmpl: "/access/users/{userid}/token", h: s.listTokens},
		{method: "GET", tmpl: "/access/users/{userid}/token/{tokenid}", h: s.readToken},
		{method: "POST", tmpl: "/access/users/{userid}/token/{tokenid}", h: s.generateToken},
		{method: "PUT", tmpl: "/access/users/{userid}/token/{tokenid}", h: s.updateToken},
		{method: "DELETE", tmpl: "/access/users/{userid}/token/{tokenid}", h: s.removeToken},

		{method: "GET", tmpl: "/access/groups", h: s.listGroups},
		{method: "POST", tmpl: "/access/groups", h: s.createGroup},
		{method: "GET", tmpl: "/access/groups/{groupid}", h: s.readGroup},
		{method: "PUT", tmpl: "/access/groups/{groupid}", h: s.updateGroup},
		{method: "DELETE", tmpl: "/access/groups/{groupid}", h: s.deleteGroup},

		{method: "GET", tmpl: "/access/roles", h: s.listRoles},
		{method: "POST", tmpl: "/access/roles", h: s.createRole},
		{method: "GET", tmpl: "/access/roles/{roleid}", h: s.readRole},
		{method: "PUT", tmpl: "/access/roles/{roleid}", h: s.updateRole},
		{method: "DELETE", tmpl: "/access/roles/{roleid}", h: s.deleteRole},

		{method: "GET", tmpl: "/access/acl", h: s.readACL},
		{method: "PUT", tmpl: "/access/acl", h: s.updateACL},
		{method: "PUT", tmpl: "/access/password", h: s.changePassword},

		{method: "GET", tmpl: "/access/domains", h: s.listDomains},
		{method: "POST", tmpl: "/access/domains", h: s.createDomain},
		{method: "GET", tmpl: "/access/domains/{realm}", h: s.readDomain},
		{method: "PUT", tmpl: "/access/domains/{realm}", h: s.updateDomain},
		{method: "DELETE", tmpl: "/access/domains/{realm}", h: s.deleteDomain},
	}
}

// userEntry is extract_user_data: the user.cfg fields that are set. email is
// there, possibly empty, whenever a later field of the user line is (Perl's
// split keeps inner empty fields and drops trailing ones).
func userEntry(info pveacl.UserInfo) map[string]any {
	m := map[string]any{"enable": b2i(info.Enable), "expire": info.Expire}
	for k, v := range map[string]string{"firstname": info.Firstname, "lastname": info.Lastname,
		"comment": info.Comment, "keys": info.Keys} {
		if v != "" {
			m[k] = v
		}
	}
	if info.Email != "" || info.Comment != "" || info.Keys != "" {
		m["email"] = info.Email
	}
	return m
}

// tokenEntry is a token's user.cfg entry as the API shows it.
func tokenEntry(t pveacl.TokenInfo) map[string]any {
	m := map[string]any{"privsep": b2i(t.Privsep), "expire": t.Expire}
	if t.Comment != "" {
		m["comment"] = t.Comment
	}
	return m
}

func (s *Sim) listUsers(c *call) (any, error) {
	st := s.acl.st
	privs := []string{"User.Modify", "Sys.Audit"}
	canMod := st.Has(c.authid, "/access/groups", privs, true)
	allowed := map[string]bool{}
	if !canMod {
		for _, g := range st.GroupIDs() {
			if st.Has(c.authid, "/access/groups/"+g, privs, true) {
				_, members, _ := st.Group(g)
				for _, m := range members {
					allowed[m] = true
				}
			}
		}
	}
	full := c.flag("full")
	out := []map[string]any{}
	for _, id := range st.UserIDs() {
		if !canMod && id != c.authid && !allowed[id] {
			continue
		}
		info, _ := st.User(id)
		if c.has("enabled") && info.Enable != c.flag("enabled") {
			continue
		}
		e := userEntry(info)
		if full {
			e["groups"] = strings.Join(st.UserGroups(id), ",")
			e["tokens"] = nil // user.cfg has no tokens hash for the user: JSON null
			if names := st.TokenNames(id); len(names) > 0 {
				list := make([]map[string]any, 0, len(names))
				for _, n := range names {
					t, _ := st.Token(id + "!" + n)
					te := tokenEntry(t)
					te["tokenid"] = n
					list = append(list, te)
				}
				e["tokens"] = list
			}
		}
		if _, realm, ok := pveid.SplitUserID(id); ok {
			if d := s.acl.realm(realm); d != nil {
				e["realm-type"] = d.typ
			}
		}
		e["userid"] = id
		out = append(out, e)
	}
	return out, nil
}

func (s *Sim) createUser(c *call) (any, error) {
	id := c.params["userid"]
	st := s.acl.st
	if st.HasUser(id) {
		return nil, failf("create user failed: user '%s' already exists", id)
	}
	_, realm, _ := pveid.SplitUserID(id)
	pw, setPass := c.params["password"]
	if setPass {
		if err := s.acl.checkStorePassword(realm); err != nil {
			return nil, failf("create user failed: %s", err)
		}
	}
	groups := splitList(c.params["groups"])
	for _, g := range groups {
		if _, _, ok := st.Group(g); !ok {
			return nil, failf("create user failed: no such group '%s'", g)
		}
	}
	info := pveacl.UserInfo{Enable: c.flagOr("enable", true), Expire: atoi64Default(c.params["expire"], 0),
		Firstname: c.params["firstname"], Lastname: c.params["lastname"], Email: c.params["email"],
		Comment: c.params["comment"], Keys: c.params["keys"]}
	if err := st.CreateUser(id, info, pw, setPass); err != nil {
		return nil, failf("create user failed: %s", err)
	}
	if _, err := st.SetUserGroups(id, groups, true); err != nil {
		return nil, failf("create user failed: %s", err)
	}
	return nil, nil
}

func (s *Sim) readUser(c *call) (any, error) {
	id := c.params["userid"]
	info, ok := s.acl.st.User(id)
	if !ok {
		return nil, failf("no such user ('%s')", id)
	}
	e := userEntry(info)
	groups := s.acl.st.UserGroups(id)
	if groups == nil {
		groups = []string{}
	}
	e["groups"] = groups
	e["tokens"] = nil
	if names := s.acl.st.TokenNames(id); len(names) > 0 {
		tokens := map[string]any{}
		for _, n := range names {
			t, _ := s.acl.st.Token(id + "!" + n)
			tokens[n] = tokenEntry(t)
		}
		e["tokens"] = tokens
	}
	return e, nil
}

func (s *Sim) updateUser(c *call) (any, error) {
	id := c.params["userid"]
	st := s.acl.st
	if !st.HasUser(id) {
		return nil, failf("update user failed: no such user ('%s')", id)
	}
	if c.has("groups") {
		if missing, err := st.SetUserGroups(id, splitList(c.params["groups"]), c.flag("append")); err != nil {
			if missing != "" {
				return nil, failf("update user failed: no such group '%s'", missing)
			}
			return nil, failf("update user failed: %s", err)
		}
	}
	err := st.UpdateUser(id, func(u *pveacl.UserInfo) {
		if c.has("enable") {
			u.Enable = c.flagOr("enable", true)
		}
		if c.has("expire") {
			u.Expire = atoi64Default(c.params["expire"], 0)
		}
		for k, f := range map[string]*string{"firstname": &u.Firstname, "lastname": &u.Lastname,
			"email": &u.Email, "comment": &u.Comment, "keys": &u.Keys} {
			if v, ok := c.params[k]; ok {
				*f = v
			}
		}
	})
	if err != nil {
		return nil, failf("update user failed: %s", err)
	}
	return nil, nil
}

// deleteUser removes the user with its tokens, group memberships and ACL
// entries. Perl does not check that the user exists (the permission check
// does, and root@pam skips it), so a missing user is no error.
func (s *Sim) deleteUser(c *call) (any, error) {
	if err := s.acl.st.DeleteUser(c.params["userid"]); err != nil && !errors.Is(err, pveacl.ErrNoUser) {
		return nil, failf("delete user failed: %s", err)
	}
	return nil, nil
}

// userTFA: the simulator has no second factors, so only the realm's TFA
// type (none configured) and the user's (none) are answered.
func (s *Sim) userTFA(c *call) (any, error) {
	id := c.params["userid"]
	_, realm, _ := pveid.SplitUserID(id)
	if s.acl.realm(realm) == nil {
		return nil, failf("auth domain '%s' does not exist", realm)
	}
	if c.flag("multiple") {
		return map[string]any{"user": []string{}}, nil
	}
	return map[string]any{}, nil
}
