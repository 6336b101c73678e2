package pvesim

import (
	"strings"
	"testing"
)

// login is a ticket session of any user.
func (e *env) accLogin(user, password string) *ticketer {
	e.t.Helper()
	r := e.doAuth("POST", "/access/ticket", vals("username", user, "password", password), "")
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	d := r.data.(map[string]any)
	return &ticketer{e: e, ticket: d["ticket"].(string), csrf: d["CSRFPreventionToken"].(string)}
}

func accWantErr(t *testing.T, r resp, status int, msg string) {
	t.Helper()
	if r.status != status || strings.TrimSpace(r.message) != msg && r.reason != msg {
		t.Fatalf("want %d %q, got %d %q %s", status, msg, r.status, r.reason, r.raw)
	}
}

func TestAccessUsersAndTokens(t *testing.T) {
	e := newEnv(t, Options{})
	users := e.ok("GET", "/access/users", nil).([]any)
	if len(users) != 1 {
		t.Fatalf("seeded users: %v", users)
	}
	root := users[0].(map[string]any)
	if root["userid"] != "root@pam" || root["enable"] != float64(1) || root["expire"] != float64(0) || root["realm-type"] != "pam" ||
		root["email"] != "admin@example.com" {
		t.Fatalf("root entry: %v", root)
	}
	e.ok("POST", "/access/groups", vals("groupid", "ops", "comment", "Operators"))
	e.ok("POST", "/access/users", vals("userid", "bob@pve", "password", "bobpass123", "email", "bob@example.com",
		"firstname", "Bob", "groups", "ops", "comment", "on call"))
	accWantErr(t, e.do("POST", "/access/users", vals("userid", "bob@pve")), 500, "create user failed: user 'bob@pve' already exists")
	accWantErr(t, e.do("POST", "/access/users", vals("userid", "eve@pve", "groups", "nope")), 500, "create user failed: no such group 'nope'")
	accWantErr(t, e.do("POST", "/access/users", vals("userid", "eve@corp", "password", "longenough")), 500,
		"create user failed: auth domain 'corp' does not exist")
	u := e.ok("GET", "/access/users/bob@pve", nil).(map[string]any)
	if u["email"] != "bob@example.com" || u["firstname"] != "Bob" || u["enable"] != float64(1) ||
		len(u["groups"].([]any)) != 1 || u["tokens"] != nil {
		t.Fatalf("read user: %v", u)
	}
	accWantErr(t, e.do("GET", "/access/users/nobody@pve", nil), 500, "no such user ('nobody@pve')")
	e.ok("PUT", "/access/users/bob@pve", vals("lastname", "Builder", "email", ""))
	full := e.ok("GET", "/access/users", vals("full", "1")).([]any)
	bob := full[0].(map[string]any)
	if bob["userid"] != "bob@pve" || bob["groups"] != "ops" || bob["lastname"] != "Builder" || bob["email"] != "" ||
		bob["realm-type"] != "pve" {
		t.Fatalf("full list: %v", bob)
	}
	if _, has := bob["tokens"]; !has || bob["tokens"] != nil {
		t.Fatalf("tokens of a user without tokens: %v", bob)
	}

	// a token: secret once, then it authenticates with privilege separation
	gen := e.ok("POST", "/access/users/bob@pve/token/ci", vals("comment", "pipeline")).(map[string]any)
	info := gen["info"].(map[string]any)
	if gen["full-tokenid"] != "bob@pve!ci" || len(gen["value"].(string)) != 36 || info["privsep"] != float64(1) || info["comment"] != "pipeline" {
		t.Fatalf("generate: %v", gen)
	}
	r := e.do("POST", "/access/users/bob@pve/token/ci", nil)
	if r.status != 400 || r.errors["tokenid"] != "Token already exists." {
		t.Fatalf("duplicate token: %d %s", r.status, r.raw)
	}
	auth := "PVEAPIToken=bob@pve!ci=" + gen["value"].(string)
	if got := e.okAuth("GET", "/cluster/resources", vals("type", "vm"), auth).([]any); len(got) != 0 {
		t.Fatalf("fresh token sees %d guests", len(got))
	}
	e.ok("PUT", "/access/acl", vals("path", "/vms/100", "roles", "PVEVMUser", "users", "bob@pve", "tokens", "bob@pve!ci"))
	if got := e.okAuth("GET", "/cluster/resources", vals("type", "vm"), auth).([]any); len(got) != 1 {
		t.Fatalf("token with ACL sees %d guests", len(got))
	}
	tl := e.ok("GET", "/access/users/bob@pve/token", nil).([]any)
	if len(tl) != 1 || tl[0].(map[string]any)["tokenid"] != "ci" || tl[0].(map[string]any)["expire"] != float64(0) {
		t.Fatalf("token list: %v", tl)
	}
	upd := e.ok("PUT", "/access/users/bob@pve/token/ci", vals("privsep", "0", "delete", "comment")).(map[string]any)
	if upd["privsep"] != float64(0) || upd["comment"] != nil {
		t.Fatalf("token update: %v", upd)
	}
	if got := e.ok("GET", "/access/users/bob@pve/token/ci", nil).(map[string]any); got["privsep"] != float64(0) {
		t.Fatalf("token read: %v", got)
	}
	// 'self' is the authenticated id: the token is not its user
	accWantErr(t, e.doAuth("GET", "/access/users/bob@pve/token/ci", nil, auth), 403, "Permission check failed")
	accWantErr(t, e.do("GET", "/access/users/bob@pve/token/nope", nil), 500, "no such token 'nope' for user 'bob@pve'")
	u = e.ok("GET", "/access/users/bob@pve", nil).(map[string]any)
	if tk := u["tokens"].(map[string]any)["ci"].(map[string]any); tk["privsep"] != float64(0) {
		t.Fatalf("user tokens: %v", u)
	}

	// deleting the user takes its tokens, memberships and ACL entries
	e.ok("DELETE", "/access/users/bob@pve", nil)
	if r := e.doAuth("GET", "/version", nil, auth); r.status != 401 {
		t.Fatalf("token of a deleted user: %d", r.status)
	}
	for _, a := range e.ok("GET", "/access/acl", nil).([]any) {
		if strings.HasPrefix(a.(map[string]any)["ugid"].(string), "bob@pve") {
			t.Fatalf("ACL left behind: %v", a)
		}
	}
	if g := e.ok("GET", "/access/groups/ops", nil).(map[string]any); len(g["members"].([]any)) != 0 {
		t.Fatalf("membership left behind: %v", g)
	}
}

func TestAccessUserPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/access/users", vals("userid", "amy@pve", "password", "amypass123"))
	e.ok("POST", "/access/users", vals("userid", "carl@pve", "password", "carlpass12", "enable", "0"))
	amy := e.accLogin("amy@pve", "amypass123")
	r := amy.do("GET", "/access/users", nil)
	if list := r.data.([]any); r.status != 200 || len(list) != 1 || list[0].(map[string]any)["userid"] != "amy@pve" {
		t.Fatalf("unprivileged list: %d %v", r.status, r.data)
	}
	accWantErr(t, amy.do("POST", "/access/users", vals("userid", "dan@pve")), 403, "Permission check failed (/access/realm/pve, Realm.AllocateUser)")
	// a user manages its own tokens
	if r := amy.do("POST", "/access/users/amy@pve/token/mine", nil); r.status != 200 {
		t.Fatalf("own token: %d %s", r.status, r.raw)
	}
	if r := amy.do("GET", "/access/users/carl@pve/token", nil); r.status != 403 {
		t.Fatalf("other's tokens: %d", r.status)
	}
	// User.Modify on a group shows its members too
	e.ok("POST", "/access/groups", vals("groupid", "staff"))
	e.ok("PUT", "/access/users/carl@pve", vals("groups", "staff"))
	e.ok("PUT", "/access/acl", vals("path", "/access/groups/staff", "roles", "PVEUserAdmin", "users", "amy@pve"))
	if list := amy.do("GET", "/access/users", nil).data.([]any); len(list) != 2 || list[1].(map[string]any)["userid"] != "carl@pve" {
		t.Fatalf("group admin's list: %v", list)
	}
	if r := amy.do("GET", "/access/users/carl@pve", nil); r.status != 200 {
		t.Fatalf("group admin reads a member: %d %s", r.status, r.raw)
	}
	if r := amy.do("GET", "/access/users/root@pam", nil); r.status != 403 {
		t.Fatalf("group admin reads a non-member: %d", r.status)
	}
	// enabled filter and login of a disabled user
	if list := e.ok("GET", "/access/users", vals("enabled", "0")).([]any); len(list) != 1 || list[0].(map[string]any)["userid"] != "carl@pve" {
		t.Fatalf("disabled users: %v", list)
	}
	if r := e.doAuth("POST", "/access/ticket", vals("username", "carl@pve", "password", "carlpass12"), ""); r.status != 401 {
		t.Fatalf("disabled login: %d", r.status)
	}
	// an expired account cannot log in either
	e.ok("PUT", "/access/users/amy@pve", vals("expire", "1000"))
	if r := e.doAuth("POST", "/access/ticket", vals("username", "amy@pve", "password", "amypass123"), ""); r.status != 401 {
		t.Fatalf("expired login: %d", r.status)
	}
}

func TestAccessGroupsGrantACLs(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/access/groups", vals("groupid", "vmops"))
	accWantErr(t, e.do("POST", "/access/groups", vals("groupid", "vmops")), 500, "create group failed: group 'vmops' already exists")
	e.ok("POST", "/access/users", vals("userid", "gil@pve", "password", "gilpass123", "groups", "vmops"))
	e.ok("PUT", "/access/groups/vmops", vals("comment", "VM operators"))
	list := e.ok("GET", "/access/groups", nil).([]any)
	if g := list[0].(map[string]any); len(list) != 1 || g["groupid"] != "vmops" || g["users"] != "gil@pve" || g["comment"] != "VM operators" {
		t.Fatalf("groups: %v", list)
	}
	gil := e.accLogin("gil@pve", "gilpass123")
	accWantErr(t, gil.do("POST", "/nodes/pve1/qemu/101/status/start", nil), 403, "Permission check failed (/vms/101, VM.PowerMgmt)")
	e.ok("PUT", "/access/acl", vals("path", "/vms/101", "roles", "PVEVMUser", "groups", "vmops"))
	if r := gil.do("POST", "/nodes/pve1/qemu/101/status/start", nil); r.status != 200 {
		t.Fatalf("start through the group's ACL: %d %s", r.status, r.raw)
	}
	acl := e.ok("GET", "/access/acl", nil).([]any)
	found := false
	for _, a := range acl {
		m := a.(map[string]any)
		if m["path"] == "/vms/101" && m["type"] == "group" && m["ugid"] == "vmops" && m["propagate"] == float64(1) {
			found = true
		}
	}
	if !found {
		t.Fatalf("acl: %v", acl)
	}
	// the user sees only ACLs it may modify: none
	if got := gil.do("GET", "/access/acl", nil).data.([]any); len(got) != 0 {
		t.Fatalf("unprivileged ACL list: %v", got)
	}
	e.ok("DELETE", "/access/groups/vmops", nil)
	accWantErr(t, e.do("GET", "/access/groups/vmops", nil), 500, "group 'vmops' does not exist")
	accWantErr(t, gil.do("POST", "/nodes/pve1/qemu/101/status/stop", nil), 403, "Permission check failed (/vms/101, VM.PowerMgmt)")
}

func TestAccessRoles(t *testing.T) {
	e := newEnv(t, Options{})
	roles := e.ok("GET", "/access/roles", nil).([]any)
	byID := map[string]map[string]any{}
	for _, r := range roles {
		m := r.(map[string]any)
		byID[m["roleid"].(string)] = m
	}
	if a := byID["PVEAuditor"]; a["special"] != float64(1) || !strings.Contains(a["privs"].(string), "VM.Audit,") {
		t.Fatalf("PVEAuditor: %v", a)
	}
	accWantErr(t, e.do("POST", "/access/roles", vals("roleid", "PVEMine")), 400, "Parameter verification failed.")
	e.ok("POST", "/access/roles", vals("roleid", "Backup", "privs", "VM.Backup"))
	accWantErr(t, e.do("POST", "/access/roles", vals("roleid", "Backup")), 500, "create role failed: role 'Backup' already exists")
	e.ok("PUT", "/access/roles/Backup", vals("privs", "Datastore.AllocateSpace", "append", "1"))
	got := e.ok("GET", "/access/roles/Backup", nil).(map[string]any)
	if len(got) != 2 || got["VM.Backup"] != float64(1) || got["Datastore.AllocateSpace"] != float64(1) {
		t.Fatalf("role: %v", got)
	}
	for _, r := range e.ok("GET", "/access/roles", nil).([]any) {
		if m := r.(map[string]any); m["roleid"] == "Backup" && (m["special"] != float64(0) || m["privs"] != "Datastore.AllocateSpace,VM.Backup") {
			t.Fatalf("custom role listed: %v", m)
		}
	}
	accWantErr(t, e.do("PUT", "/access/roles/PVEVMUser", vals("privs", "VM.Audit")), 500, "auto-generated role 'PVEVMUser' cannot be modified")
	accWantErr(t, e.do("DELETE", "/access/roles/Administrator", nil), 500, "auto-generated role 'Administrator' cannot be deleted")
	e.ok("PUT", "/access/acl", vals("path", "/vms", "roles", "Backup", "users", "root@pam"))
	e.ok("DELETE", "/access/roles/Backup", nil)
	accWantErr(t, e.do("GET", "/access/roles/Backup", nil), 500, "role 'Backup' does not exist")
	for _, a := range e.ok("GET", "/access/acl", nil).([]any) {
		if a.(map[string]any)["roleid"] == "Backup" {
			t.Fatalf("ACL of a deleted role: %v", a)
		}
	}
	// 7.4 has no 'PVE' namespace rule
	old := newEnv(t, Options{Schema: "7.4"})
	old.ok("POST", "/access/roles", vals("roleid", "PVEMine", "privs", "VM.Audit"))
}

func TestAccessACLErrorsAndEffect(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/access/users", vals("userid", "vic@pve", "password", "vicpass123"))
	r := e.do("PUT", "/access/acl", vals("path", "/vms/100", "roles", "PVEVMUser"))
	if r.status != 400 || r.errors["users"] != "either 'users', 'groups' or 'tokens' is required." {
		t.Fatalf("no target: %d %s", r.status, r.raw)
	}
	r = e.do("PUT", "/access/acl", vals("path", "/bogus", "roles", "PVEVMUser", "users", "vic@pve"))
	if r.status != 400 || r.errors["path"] != "invalid ACL path '/bogus'" {
		t.Fatalf("bad path: %d %s", r.status, r.raw)
	}
	accWantErr(t, e.do("PUT", "/access/acl", vals("path", "/vms/100", "roles", "PVEVMUser", "users", "ghost@pve")), 500,
		"ACL update failed: user 'ghost@pve' does not exist")
	vic := e.accLogin("vic@pve", "vicpass123")
	accWantErr(t, vic.do("GET", "/nodes/pve1/qemu/100/status/current", nil), 403, "Permission check failed (/vms/100, VM.Audit)")
	e.ok("PUT", "/access/acl", vals("path", "/vms/100", "roles", "PVEVMUser", "users", "vic@pve", "propagate", "0"))
	if r := vic.do("GET", "/nodes/pve1/qemu/100/status/current", nil); r.status != 200 {
		t.Fatalf("after grant: %d", r.status)
	}
	perms := vic.do("GET", "/access/permissions", vals("path", "/vms/100")).data.(map[string]any)
	if p := perms["/vms/100"].(map[string]any); p["VM.PowerMgmt"] != float64(0) {
		t.Fatalf("permissions: %v", perms)
	}
	e.ok("PUT", "/access/acl", vals("path", "/vms/100", "roles", "PVEVMUser", "users", "vic@pve", "delete", "1"))
	accWantErr(t, vic.do("GET", "/nodes/pve1/qemu/100/status/current", nil), 403, "Permission check failed (/vms/100, VM.Audit)")
	// VM.Allocate lets a user hand out only what it holds itself
	e.ok("PUT", "/access/acl", vals("path", "/vms/100", "roles", "PVEVMAdmin", "users", "vic@pve", "propagate", "0"))
	r = vic.do("PUT", "/access/acl", vals("path", "/vms/100", "roles", "Administrator", "users", "vic@pve"))
	if r.status != 400 || !strings.HasPrefix(r.errors["role"], "Cannot add role 'Administrator' - requires 'Permissions.Modify'") {
		t.Fatalf("escalation: %d %s", r.status, r.raw)
	}
}

func TestAccessPassword(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/access/users", vals("userid", "pat@pve", "password", "first-pass"))
	root := e.rootTicket()
	if r := root.do("PUT", "/access/password", vals("userid", "pat@pve", "password", "second-pass")); r.status != 200 {
		t.Fatalf("root sets password: %d %s", r.status, r.raw)
	}
	if r := e.doAuth("POST", "/access/ticket", vals("username", "pat@pve", "password", "first-pass"), ""); r.status != 401 {
		t.Fatalf("old password: %d", r.status)
	}
	pat := e.accLogin("pat@pve", "second-pass")
	// the schema's 'allowtoken: 0': tokens cannot change passwords
	if r := e.do("PUT", "/access/password", vals("userid", "pat@pve", "password", "third-pass")); r.status != 403 {
		t.Fatalf("token: %d", r.status)
	}
	r := pat.do("PUT", "/access/password", vals("userid", "pat@pve", "password", "third-pass"))
	if r.status != 400 || r.errors["confirmation-password"] != "password is required to modify user" {
		t.Fatalf("no confirmation: %d %s", r.status, r.raw)
	}
	accWantErr(t, pat.do("PUT", "/access/password", vals("userid", "pat@pve", "password", "third-pass", "confirmation-password", "wrong")),
		500, "invalid credentials")
	if r := pat.do("PUT", "/access/password", vals("userid", "pat@pve", "password", "third-pass", "confirmation-password", "second-pass")); r.status != 200 {
		t.Fatalf("own change: %d %s", r.status, r.raw)
	}
	e.accLogin("pat@pve", "third-pass")
	accWantErr(t, pat.do("PUT", "/access/password", vals("userid", "root@pam", "password", "rootroot1", "confirmation-password", "third-pass")),
		403, "Permission check failed (/access/realm/pam, Realm.AllocateUser)")
	// 7.4 asks no confirmation
	old := newEnv(t, Options{Schema: "7.4"})
	old.ok("POST", "/access/users", vals("userid", "pat@pve", "password", "first-pass"))
	p := old.accLogin("pat@pve", "first-pass")
	if r := p.do("PUT", "/access/password", vals("userid", "pat@pve", "password", "other-pass")); r.status != 200 {
		t.Fatalf("7.4 change: %d %s", r.status, r.raw)
	}
}

func TestAccessDomains(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.doAuth("GET", "/access/domains", nil, "") // the login box asks before any login
	list := r.data.([]any)
	if r.status != 200 || len(list) != 2 {
		t.Fatalf("domains: %d %s", r.status, r.raw)
	}
	if pam := list[0].(map[string]any); pam["realm"] != "pam" || pam["type"] != "pam" || pam["comment"] != "Linux PAM standard authentication" {
		t.Fatalf("pam: %v", pam)
	}
	d := e.ok("GET", "/access/domains/pve", nil).(map[string]any)
	if d["type"] != "pve" || len(d["digest"].(string)) != 40 {
		t.Fatalf("pve realm: %v", d)
	}
	accWantErr(t, e.do("POST", "/access/domains", vals("realm", "corp", "type", "ldap", "server1", "ldap.example.com")), 500,
		"add auth server failed: missing value for required option 'base_dn'")
	accWantErr(t, e.do("POST", "/access/domains", vals("realm", "pve", "type", "ldap")), 500, "add auth server failed: domain 'pve' already exists")
	e.ok("POST", "/access/domains", vals("realm", "corp", "type", "ldap", "server1", "ldap.example.com",
		"base_dn", "dc=example,dc=com", "user_attr", "uid", "default", "1", "port", "389"))
	got := e.ok("GET", "/access/domains/corp", nil).(map[string]any)
	if got["default"] != float64(1) || got["port"] != float64(389) || got["base_dn"] != "dc=example,dc=com" {
		t.Fatalf("ldap realm: %v", got)
	}
	e.ok("PUT", "/access/domains/corp", vals("comment", "Company LDAP", "delete", "port"))
	got = e.ok("GET", "/access/domains/corp", nil).(map[string]any)
	if got["comment"] != "Company LDAP" || got["port"] != nil {
		t.Fatalf("updated realm: %v", got)
	}
	list = e.ok("GET", "/access/domains", nil).([]any)
	if c := list[0].(map[string]any); c["realm"] != "corp" || c["default"] != float64(1) {
		t.Fatalf("listed: %v", list)
	}
	// users of the realm show its type
	e.ok("POST", "/access/users", vals("userid", "jo@corp"))
	for _, u := range e.ok("GET", "/access/users", nil).([]any) {
		if m := u.(map[string]any); m["userid"] == "jo@corp" && m["realm-type"] != "ldap" {
			t.Fatalf("realm-type: %v", m)
		}
	}
	accWantErr(t, e.rootTicket().do("PUT", "/access/password", vals("userid", "jo@corp", "password", "whatever1")), 500,
		"can't set password on auth type 'ldap'")
	e.ok("DELETE", "/access/domains/corp", nil)
	accWantErr(t, e.do("DELETE", "/access/domains/corp", nil), 500, "delete auth server failed: authentication domain 'corp' does not exist")
}

// Each release has its own privileges and built-in roles: VM.Monitor up to
// 8.x, the guest agent privileges and mappings later.
func TestAccessRolesByRelease(t *testing.T) {
	roles := func(e *env) map[string]string {
		out := map[string]string{}
		for _, r := range e.ok("GET", "/access/roles", nil).([]any) {
			m := r.(map[string]any)
			out[m["roleid"].(string)] = m["privs"].(string)
		}
		return out
	}
	e84 := newEnv(t, Options{Schema: "8.4"})
	r84 := roles(e84)
	if !strings.Contains(r84["PVEVMAdmin"], "VM.Monitor") || strings.Contains(r84["PVEVMAdmin"], "VM.GuestAgent") {
		t.Fatalf("8.4 PVEVMAdmin: %s", r84["PVEVMAdmin"])
	}
	e84.ok("POST", "/access/roles", vals("roleid", "TerraformProv", "privs", "VM.Audit,VM.Monitor"))
	e74 := newEnv(t, Options{Schema: "7.4"})
	r74 := roles(e74)
	if _, ok := r74["PVEMappingAdmin"]; ok {
		t.Fatalf("7.4 has mapping roles: %v", r74)
	}
	if _, ok := r74["PVESDNUser"]; ok || strings.Contains(r74["Administrator"], "Sys.AccessNetwork") {
		t.Fatalf("7.4 roles: %v", r74)
	}
	e := newEnv(t, Options{})
	if strings.Contains(roles(e)["Administrator"], "VM.Monitor") {
		t.Fatal("9.1 has VM.Monitor")
	}
	r := e.do("POST", "/access/roles", vals("roleid", "TerraformProv", "privs", "VM.Audit,VM.Monitor"))
	if r.status != 400 || r.errors["privs"] != "invalid format - invalid privilege 'VM.Monitor'\n" {
		t.Fatalf("9.1 VM.Monitor: %d %s", r.status, r.raw)
	}
}
