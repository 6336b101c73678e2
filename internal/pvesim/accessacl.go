package pvesim

import (
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveacl"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// ACLs (PVE::API2::ACL) and password changes (PVE::API2::AccessControl).

// aclPathRe is AccessControl.pm check_path: the paths an ACL may be set on.
var aclPathRe = lazyre.New(`^(?:/|/access|/access/groups|/access/groups/[[:alnum:]\.\-_]+|/access/realm|/access/realm/[[:alnum:]\.\-_]+` +
	`|/nodes|/nodes/[[:alnum:]\.\-_]+|/pool|/pool/[A-Za-z0-9\.\-_]+(?:/[A-Za-z0-9\.\-_]+){0,2}` +
	`|/sdn|/sdn/controllers|/sdn/controllers/[[:alnum:]_\-]+|/sdn/dns|/sdn/dns/[[:alnum:]]+|/sdn/fabrics|/sdn/fabrics/[[:alnum:]]+` +
	`|/sdn/ipams|/sdn/ipams/[[:alnum:]]+|/sdn/zones|/sdn/zones/[[:alnum:]\.\-_]+|/sdn/zones/[[:alnum:]\.\-_]+/[[:alnum:]\.\-_]+` +
	`|/sdn/zones/[[:alnum:]\.\-_]+/[[:alnum:]\.\-_]+/[1-9][0-9]{0,3}` +
	`|/storage|/storage/[[:alnum:]\.\-_]+|/vms|/vms/[1-9][0-9]{2,}|/mapping|/mapping/[[:alnum:]\.\-_]+|/mapping/[[:alnum:]\.\-_]+/[[:alnum:]\.\-_]+)$`)

// canModifyPerms is check_perm_modify: Permissions.Modify, or the object's
// own allocate privilege below /storage, /vms and /pool.
func (s *Sim) permModifyPrivs(path string) []string {
	privs := []string{"Permissions.Modify"}
	switch {
	case strings.HasPrefix(path, "/storage/"):
		privs = append(privs, "Datastore.Allocate")
	case strings.HasPrefix(path, "/vms/"):
		privs = append(privs, "VM.Allocate")
	case strings.HasPrefix(path, "/pool/"):
		privs = append(privs, "Pool.Allocate")
	}
	return privs
}

func (s *Sim) canModifyPerms(authid, path string) bool {
	return s.acl.st.Has(authid, path, s.permModifyPrivs(path), true)
}

func aclTypeRank(t string) int {
	return map[string]int{"user": 0, "group": 1, "token": 2}[t]
}

// readACL lists the entries on paths the caller may modify permissions of
// (all with Sys.Audit on /access), in the ACL tree's depth-first order.
func (s *Sim) readACL(c *call) (any, error) {
	audit := s.has(c.authid, "/access", "Sys.Audit")
	entries := s.acl.st.ACL()
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.Path != b.Path {
			return aclTreeLess(a.Path, b.Path)
		}
		return aclTypeRank(a.Type) < aclTypeRank(b.Type)
	})
	out := []pveacl.ACLEntry{}
	for _, e := range entries {
		if audit || s.canModifyPerms(c.authid, e.Path) {
			out = append(out, e)
		}
	}
	return out, nil
}

// treeLess orders paths as iterate_acl_tree visits them: a parent before
// its children, siblings by name.
func aclTreeLess(a, b string) bool {
	as, bs := strings.Split(strings.Trim(a, "/"), "/"), strings.Split(strings.Trim(b, "/"), "/")
	if a == "/" {
		return b != "/"
	}
	if b == "/" {
		return false
	}
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}

type aclTarget struct{ ugid, missing string }

func (s *Sim) updateACL(c *call) (any, error) {
	users, groups, tokens := splitList(c.params["users"]), splitList(c.params["groups"]), splitList(c.params["tokens"])
	if len(users)+len(groups)+len(tokens) == 0 {
		msg := "either 'users', 'groups' or 'tokens' is required."
		return nil, paramError(map[string]string{"users": msg, "groups": msg, "tokens": msg})
	}
	raw := c.params["path"]
	path, ok := pveacl.NormalizePath(raw)
	del := c.flag("delete")
	if !ok || (!del && !aclPathRe.MatchString(path)) {
		return nil, paramErr("path", "invalid ACL path '"+raw+"'")
	}
	propagate := c.flagOr("propagate", true)
	mine := s.acl.st.Permissions(c.authid, path)[path]
	roles := s.acl.st.Roles()
	st := s.acl.st
	var targets []aclTarget
	for _, g := range groups {
		t := aclTarget{ugid: "@" + g}
		if _, _, ok := st.Group(g); !ok {
			t.missing = "group '" + g + "' does not exist"
		}
		targets = append(targets, t)
	}
	for _, u := range users {
		t := aclTarget{ugid: u}
		if !st.HasUser(u) {
			t.missing = "user '" + u + "' does not exist"
		}
		targets = append(targets, t)
	}
	for _, tid := range tokens {
		t := aclTarget{ugid: tid}
		user, name, _ := pveid.SplitTokenID(tid)
		if !st.HasUser(user) {
			t.missing = "no such user ('" + user + "')"
		} else if _, ok := st.Token(tid); !ok {
			t.missing = "no such token '" + name + "' for user '" + user + "'"
		}
		targets = append(targets, t)
	}
	// check everything first: Perl dies before writing user.cfg
	for _, role := range splitList(c.params["roles"]) {
		privs, ok := roles[role]
		if !ok {
			return nil, failf("ACL update failed: role '%s' does not exist", role)
		}
		if err := s.checkGrantable(mine, role, privs, propagate, del); err != nil {
			return nil, err
		}
		for _, t := range targets {
			if t.missing != "" {
				return nil, failf("ACL update failed: %s", t.missing)
			}
		}
	}
	for _, role := range splitList(c.params["roles"]) {
		for _, t := range targets {
			if del {
				st.DeleteACL(path, role, t.ugid)
			} else if err := st.SetACL(path, role, t.ugid, propagate); err != nil {
				return nil, failf("ACL update failed: %s", err)
			}
		}
	}
	return nil, nil
}

// checkGrantable: without Permissions.Modify on the path (perm-modify let
// the caller in through VM.Allocate or the like), only roles whose
// privileges the caller holds there may be handed out (PVE 8+).
func (s *Sim) checkGrantable(mine map[string]int, role string, privs []string, propagate, del bool) error {
	if _, ok := mine["Permissions.Modify"]; ok || s.major() < 8 {
		return nil
	}
	verb := "add"
	if del {
		verb = "remove"
	}
	for _, p := range privs {
		have, ok := mine[p]
		if !ok {
			return paramErr("role", "Cannot "+verb+" role '"+role+"' - requires 'Permissions.Modify' or superset of privileges.")
		}
		if propagate && have != 1 && !del {
			return paramErr("role", "Cannot "+verb+" role '"+role+"' with propagation - requires 'Permissions.Modify' or propagated superset of privileges.")
		}
	}
	if role == "NoAccess" {
		return paramErr("role", "Cannot "+verb+" role '"+role+"' - requires 'Permissions.Modify'")
	}
	return nil
}

// changePassword: each user may change its own password; others need the
// schema's rights, and never on root@pam or a pam user. From PVE 8 a
// caller other than root@pam confirms with its own password.
func (s *Sim) changePassword(c *call) (any, error) {
	target := c.params["userid"]
	if !s.acl.st.HasUser(target) {
		return nil, failf("no such user ('%s')", target)
	}
	auth := c.authid
	if target == pveacl.Root && auth != pveacl.Root {
		return nil, permErrorText("Permission check failed")
	}
	if s.major() >= 8 && auth != pveacl.Root {
		confirm, given := c.params["confirmation-password"]
		if !given {
			return nil, paramErr("confirmation-password", "password is required to modify user")
		}
		if !s.acl.st.CheckPassword(auth, confirm) {
			return nil, failf("invalid credentials")
		}
	}
	_, realm, _ := pveid.SplitUserID(target)
	if auth != pveacl.Root && auth != target && realm == "pam" {
		return nil, permErrorText("Permission check failed")
	}
	if err := s.acl.checkStorePassword(realm); err != nil {
		return nil, failf("%s", err)
	}
	if err := s.acl.st.SetPassword(target, c.params["password"]); err != nil {
		return nil, failf("%s", err)
	}
	return nil, nil
}
