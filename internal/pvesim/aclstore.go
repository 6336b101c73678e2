package pvesim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveacl"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// accessControl adapts pveacl.Store (users, tokens, roles, ACLs, pools,
// tickets) to what the simulator's handlers ask.
type accessControl struct {
	st  *pveacl.Store
	dom *domainConfig // domains.cfg, built by domains()
}

func newAccessControl(now func() time.Time, sc *schemaAdapter) *accessControl {
	st := pveacl.NewStore()
	st.SetClock(now)
	st.SetPrivileges(releasePrivileges(sc))
	// the address the installer asked for
	_ = st.UpdateUser(pveacl.Root, func(u *pveacl.UserInfo) { u.Email = "admin@example.com" })
	return &accessControl{st: st}
}

func (a *accessControl) addUser(id, password string, enabled bool) error {
	return a.st.AddUser(id, password, enabled)
}

// addToken creates a token, and its user when missing (tests and the CLI
// name tokens of users that do not exist yet).
func (a *accessControl) addToken(id, secret string, privsep bool) error {
	user, _, ok := pveid.SplitTokenID(id)
	if !ok {
		return fmt.Errorf("invalid token id %q (want USER@REALM!NAME)", id)
	}
	if !a.st.HasUser(user) {
		if err := a.st.AddUser(user, "", true); err != nil {
			return err
		}
	}
	return a.st.AddToken(id, secret, privsep)
}

// addAdminToken is a CLI token with full privileges: root's tokens without
// privilege separation; other users get Administrator on / for the user and
// the token.
func (a *accessControl) addAdminToken(id, secret string) error {
	user, _ := splitUser(id)
	if err := a.addToken(id, secret, user != pveacl.Root); err != nil {
		return err
	}
	if user != pveacl.Root {
		if err := a.st.SetACL("/", "Administrator", user, true); err != nil {
			return err
		}
		return a.st.SetACL("/", "Administrator", id, true)
	}
	return nil
}

func (a *accessControl) setACL(path, ugid, role string, propagate bool) error {
	return a.st.SetACL(path, role, ugid, propagate)
}

func (a *accessControl) hasRole(role string) bool {
	_, ok := a.st.Roles()[role]
	return ok
}

// deleteACL removes ugid's entries on path (every role when role is "").
func (a *accessControl) deleteACL(path, ugid, role string) {
	if role != "" {
		a.st.DeleteACL(path, role, ugid)
		return
	}
	np, _ := pveacl.NormalizePath(path)
	for _, e := range a.st.ACL() {
		if e.Path == np && e.UGID == ugid {
			a.st.DeleteACL(e.Path, e.RoleID, e.UGID)
		}
	}
}

// removePathACLs drops every ACL on a path (a destroyed guest's /vms/ID).
func (a *accessControl) removePathACLs(path string) {
	for _, e := range a.st.ACL() {
		if e.Path == path {
			a.st.DeleteACL(e.Path, e.RoleID, e.UGID)
		}
	}
}

func (a *accessControl) addRole(name string, privs []string) error { return a.st.AddRole(name, privs) }

func (a *accessControl) has(authid, path, priv string) bool {
	return a.st.Has(authid, path, []string{priv}, false)
}

// checkRule evaluates a schema "permissions" object.
func (a *accessControl) checkRule(authid string, raw json.RawMessage, params map[string]string) error {
	ok, text := a.st.Check(authid, raw, params)
	if ok {
		return nil
	}
	if !strings.HasPrefix(text, "Permission check failed") {
		return failf("%s", text) // a plain die in the check ("no such user"): HTTP 500
	}
	return permErrorText(text)
}

func (a *accessControl) permissions(authid, path string) map[string]map[string]int {
	return a.st.Permissions(authid, path)
}

// capabilities is the ticket's "cap" map (the GUI's view of privileges).
func (a *accessControl) capabilities(user string) map[string]map[string]int {
	groups := []struct {
		name, path string
		prefix     []string
	}{
		{"vms", "/vms", []string{"VM.", "Permissions.Modify"}},
		{"storage", "/storage", []string{"Datastore.", "Permissions.Modify"}},
		{"nodes", "/nodes", []string{"Sys.", "Permissions.Modify"}},
		{"access", "/access", []string{"User.", "Group.", "Realm.", "Permissions.Modify"}},
		{"dc", "/", []string{"Sys.Audit", "SDN."}},
		{"sdn", "/sdn", []string{"SDN.", "Permissions.Modify"}},
		{"mapping", "/mapping", []string{"Mapping.", "Permissions.Modify"}},
	}
	out := map[string]map[string]int{}
	for _, g := range groups {
		m := map[string]int{}
		for p := range a.st.Privileges(user, g.path) {
			for _, pre := range g.prefix {
				if strings.HasPrefix(p, pre) {
					m[p] = 1
				}
			}
		}
		out[g.name] = m
	}
	return out
}

// releasePrivileges are the privileges of the release served: the keys of
// what GET /access/roles/{roleid} returns in its schema.
func releasePrivileges(sc *schemaAdapter) []string {
	ep, ok := sc.schema.Endpoint("GET", "/access/roles/{roleid}")
	if !ok {
		return pveacl.AllPrivileges()
	}
	var ret struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(ep.Returns, &ret) != nil || len(ret.Properties) == 0 {
		return pveacl.AllPrivileges()
	}
	return sortedKeys(ret.Properties)
}

// syncPools makes the ACL store's pools those of the simulator (after a
// seed or Reset), so roles on /pool/<id> apply to member guests and
// storages.
func (a *accessControl) syncPools(st *state) {
	for _, id := range a.st.PoolIDs() {
		a.st.DeletePool(id)
	}
	for id, p := range st.pools {
		_ = a.st.AddPool(id)
		for m := range p.members {
			kind, rest, _ := strings.Cut(m, "/")
			if kind == "storage" {
				_ = a.st.AddPoolMember(id, "/storage/"+rest)
			} else {
				_ = a.st.AddPoolMember(id, "/vms/"+rest)
			}
		}
	}
}
