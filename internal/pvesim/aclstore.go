package pvesim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// accessControl holds users, API tokens, roles and ACLs, and evaluates
// privileges the way PVE's RPCEnvironment does: ACLs inherit down paths
// when propagated, the most specific path wins, and a token with privilege
// separation gets the intersection of its user's and its own privileges.
// It has its own lock: auth happens outside the state lock.
type accessControl struct {
	mu     sync.Mutex
	users  map[string]*aclUser
	tokens map[string]*aclToken
	roles  map[string][]string
	acls   []aclEntry
	key    []byte
}

type aclUser struct {
	id       string
	password string
	enabled  bool
}

type aclToken struct {
	id      string // user@realm!name
	secret  string
	privsep bool
	expire  int64
}

type aclEntry struct {
	path      string
	ugid      string // user id or token id
	role      string
	propagate bool
}

var userIDRe = regexp.MustCompile(`^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$`)
var tokenIDRe = regexp.MustCompile(`^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$`)

func newAccessControl() *accessControl {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &accessControl{users: map[string]*aclUser{}, tokens: map[string]*aclToken{}, roles: builtinRoles(), key: key}
}

// allPrivileges is the PVE 9 privilege list.
var allPrivileges = []string{
	"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
	"Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify",
	"Pool.Allocate", "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser",
	"SDN.Allocate", "SDN.Audit", "SDN.Use",
	"Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog",
	"User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone",
	"VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType",
	"VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "VM.Console",
	"VM.GuestAgent.Audit", "VM.GuestAgent.FileRead", "VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.FileWrite",
	"VM.GuestAgent.Unrestricted", "VM.Migrate", "VM.PowerMgmt", "VM.Replicate", "VM.Snapshot", "VM.Snapshot.Rollback",
}

func builtinRoles() map[string][]string {
	vmAll := []string{}
	for _, p := range allPrivileges {
		if strings.HasPrefix(p, "VM.") {
			vmAll = append(vmAll, p)
		}
	}
	return map[string][]string{
		"Administrator":     allPrivileges,
		"NoAccess":          {},
		"PVEAuditor":        {"Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit", "VM.GuestAgent.Audit"},
		"PVEVMAdmin":        append(append([]string{}, vmAll...), "Pool.Audit"),
		"PVEVMUser":         {"VM.Audit", "VM.Backup", "VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.PowerMgmt", "VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted", "Pool.Audit"},
		"PVEDatastoreAdmin": {"Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"},
		"PVEDatastoreUser":  {"Datastore.AllocateSpace", "Datastore.Audit"},
		"PVESysAdmin":       {"Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog", "Permissions.Modify"},
		"PVEPoolAdmin":      {"Pool.Allocate", "Pool.Audit"},
		"PVEPoolUser":       {"Pool.Audit"},
		"PVESDNUser":        {"SDN.Audit", "SDN.Use"},
		"PVEMappingUser":    {"Mapping.Audit", "Mapping.Use"},
		"PVETemplateUser":   {"VM.Audit", "VM.Clone"},
	}
}

func (a *accessControl) addUser(id, password string, enabled bool) error {
	if !userIDRe.MatchString(id) {
		return fmt.Errorf("invalid user id %q", id)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[id] = &aclUser{id: id, password: password, enabled: true}
	return nil
}

// addToken creates a token (and its user when missing).
func (a *accessControl) addToken(id, secret string, privsep bool) error {
	if !tokenIDRe.MatchString(id) {
		return fmt.Errorf("invalid token id %q (want USER@REALM!NAME)", id)
	}
	user, _ := splitUser(id)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.users[user] == nil {
		a.users[user] = &aclUser{id: user, enabled: true}
	}
	a.tokens[id] = &aclToken{id: id, secret: secret, privsep: privsep}
	return nil
}

// addAdminToken is a CLI token: full privileges. Root's tokens get them via
// root@pam (privsep=0); other users get Administrator on / for the user and
// the token.
func (a *accessControl) addAdminToken(id, secret string) error {
	user, _ := splitUser(id)
	if err := a.addToken(id, secret, user != "root@pam"); err != nil {
		return err
	}
	if user != "root@pam" {
		a.setACL("/", user, "Administrator", true)
		a.setACL("/", id, "Administrator", true)
	}
	return nil
}

func (a *accessControl) setACL(path, ugid, role string, propagate bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	path = normPath(path)
	for i, e := range a.acls {
		if e.path == path && e.ugid == ugid && e.role == role {
			a.acls[i].propagate = propagate
			return
		}
	}
	a.acls = append(a.acls, aclEntry{path: path, ugid: ugid, role: role, propagate: propagate})
}

func (a *accessControl) deleteACL(path, ugid, role string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	path = normPath(path)
	out := a.acls[:0]
	for _, e := range a.acls {
		if e.path == path && e.ugid == ugid && (role == "" || e.role == role) {
			continue
		}
		out = append(out, e)
	}
	a.acls = out
}

// removePathACLs drops every ACL on a path (a destroyed guest's /vms/ID).
func (a *accessControl) removePathACLs(path string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.acls[:0]
	for _, e := range a.acls {
		if e.path != path {
			out = append(out, e)
		}
	}
	a.acls = out
}

func (a *accessControl) addRole(name string, privs []string) error {
	for _, p := range privs {
		if !validPriv(p) {
			return fmt.Errorf("invalid privilege %q", p)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roles[name] = privs
	return nil
}

func validPriv(p string) bool {
	for _, x := range allPrivileges {
		if x == p {
			return true
		}
	}
	return false
}

func normPath(p string) string {
	p = "/" + strings.Trim(p, "/")
	return p
}

func (a *accessControl) checkToken(id, secret string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tokens[id]
	if t == nil || !hmac.Equal([]byte(t.secret), []byte(secret)) {
		return false
	}
	if t.expire > 0 && now.Unix() > t.expire {
		return false
	}
	u := a.users[strings.SplitN(id, "!", 2)[0]]
	return u != nil && u.enabled
}

func (a *accessControl) checkPassword(user, pass string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.users[user]
	return u != nil && u.enabled && u.password != "" && hmac.Equal([]byte(u.password), []byte(pass))
}

func (a *accessControl) sign(s string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(s))
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

const ticketLifetime = 2 * time.Hour

// issueTicket returns a ticket "PVE:<user>:<hex time>::<signature>" and its
// CSRF token "<hex time>:<signature>".
func (a *accessControl) issueTicket(user string, now time.Time) (string, string) {
	ts := fmt.Sprintf("%08X", now.Unix())
	data := "PVE:" + user + ":" + ts
	return data + "::" + a.sign(data), ts + ":" + a.sign("csrf:"+user+":"+ts)
}

func (a *accessControl) verifyTicket(ticket string, now time.Time) (string, bool) {
	data, sig, ok := strings.Cut(ticket, "::")
	if !ok || !strings.HasPrefix(data, "PVE:") || !hmac.Equal([]byte(a.sign(data)), []byte(sig)) {
		return "", false
	}
	rest := strings.TrimPrefix(data, "PVE:")
	i := strings.LastIndex(rest, ":")
	if i < 0 {
		return "", false
	}
	user, ts := rest[:i], rest[i+1:]
	t, err := strconv.ParseInt(ts, 16, 64)
	if err != nil || now.Sub(time.Unix(t, 0)) > ticketLifetime || time.Unix(t, 0).Sub(now) > 5*time.Minute {
		return "", false
	}
	a.mu.Lock()
	u := a.users[user]
	a.mu.Unlock()
	return user, u != nil && u.enabled
}

func (a *accessControl) verifyCSRF(user, token string, now time.Time) bool {
	ts, sig, ok := strings.Cut(token, ":")
	if !ok {
		return false
	}
	t, err := strconv.ParseInt(ts, 16, 64)
	if err != nil || now.Sub(time.Unix(t, 0)) > ticketLifetime {
		return false
	}
	return hmac.Equal([]byte(a.sign("csrf:"+user+":"+ts)), []byte(sig))
}

// privsOf returns the privileges of one subject (user or token ACLs alone)
// on path: the roles of the most specific ACL path that applies.
func (a *accessControl) privsOf(ugid, path string) map[string]bool {
	path = normPath(path)
	bestLen := -1
	var roles []string
	for _, e := range a.acls {
		if e.ugid != ugid {
			continue
		}
		exact := e.path == path
		inherited := e.propagate && (e.path == "/" || strings.HasPrefix(path, e.path+"/"))
		if !exact && !inherited {
			continue
		}
		l := len(e.path)
		if e.path == "/" {
			l = 0
		}
		switch {
		case l > bestLen:
			bestLen, roles = l, []string{e.role}
		case l == bestLen:
			roles = append(roles, e.role)
		}
	}
	out := map[string]bool{}
	for _, r := range roles {
		if r == "NoAccess" {
			return map[string]bool{}
		}
		for _, p := range a.roles[r] {
			out[p] = true
		}
	}
	return out
}

// effective returns authid's privileges on path.
func (a *accessControl) effective(authid, path string) map[string]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	user, tok := splitUser(authid)
	if u := a.users[user]; u == nil || !u.enabled {
		return map[string]bool{}
	}
	var up map[string]bool
	if user == "root@pam" {
		up = map[string]bool{}
		for _, p := range allPrivileges {
			up[p] = true
		}
	} else {
		up = a.privsOf(user, path)
	}
	if tok == "" {
		return up
	}
	t := a.tokens[authid]
	if t == nil {
		return map[string]bool{}
	}
	if !t.privsep {
		return up
	}
	tp := a.privsOf(authid, path)
	out := map[string]bool{}
	for p := range tp {
		if up[p] {
			out[p] = true
		}
	}
	return out
}

func (a *accessControl) has(authid, path, priv string) bool {
	if authid == "root@pam" {
		return true
	}
	return a.effective(authid, path)[priv]
}

// checkRule evaluates a schema "permissions" object.
func (a *accessControl) checkRule(authid string, raw json.RawMessage, params map[string]string) error {
	if len(raw) == 0 || authid == "root@pam" {
		return nil
	}
	var perm struct {
		User  string `json:"user"`
		Check []any  `json:"check"`
	}
	if err := json.Unmarshal(raw, &perm); err != nil {
		return nil
	}
	if perm.Check == nil {
		return nil // user=all / world, or a description-only rule checked by the handler
	}
	ok, err := a.evalCheck(authid, perm.Check, params, false)
	if err != nil {
		return err
	}
	if !ok {
		return permErrorText("Permission check failed")
	}
	return nil
}

func (a *accessControl) evalCheck(authid string, check []any, params map[string]string, noerr bool) (bool, error) {
	if len(check) == 0 {
		return true, nil
	}
	op, _ := check[0].(string)
	switch op {
	case "perm":
		if len(check) < 3 {
			return true, nil
		}
		path := substParams(fmt.Sprint(check[1]), params)
		privs := toStrings(check[2])
		anyMode := false
		for i := 3; i+1 < len(check); i += 2 {
			k, _ := check[i].(string)
			switch k {
			case "any":
				anyMode = fmt.Sprint(check[i+1]) == "1"
			case "require_param":
				if _, ok := params[fmt.Sprint(check[i+1])]; !ok {
					if noerr {
						return false, nil
					}
					return false, permErrorText("Permission check failed")
				}
			}
		}
		eff := a.effective(authid, path)
		if anyMode {
			for _, p := range privs {
				if eff[p] {
					return true, nil
				}
			}
			if noerr {
				return false, nil
			}
			return false, permError(path, privs...)
		}
		for _, p := range privs {
			if !eff[p] {
				if noerr {
					return false, nil
				}
				return false, permError(path, p)
			}
		}
		return true, nil
	case "and":
		for _, sub := range check[1:] {
			sc, _ := sub.([]any)
			ok, err := a.evalCheck(authid, sc, params, noerr)
			if !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	case "or":
		for _, sub := range check[1:] {
			sc, _ := sub.([]any)
			if ok, _ := a.evalCheck(authid, sc, params, true); ok {
				return true, nil
			}
		}
		if noerr {
			return false, nil
		}
		return false, permErrorText("Permission check failed")
	case "userid-param":
		if len(check) > 1 && check[1] == "self" {
			if params["userid"] == authid {
				return true, nil
			}
		}
		if noerr {
			return false, nil
		}
		return false, permErrorText("Permission check failed")
	case "admin":
		if authid == "root@pam" {
			return true, nil
		}
		if noerr {
			return false, nil
		}
		return false, permErrorText("Permission check failed")
	}
	return true, nil
}

var paramRefRe = regexp.MustCompile(`\{([^}]+)\}`)

func substParams(path string, params map[string]string) string {
	return paramRefRe.ReplaceAllStringFunc(path, func(m string) string {
		return params[strings.Trim(m, "{}")]
	})
}

func toStrings(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// permissions answers GET /access/permissions for authid.
func (a *accessControl) permissions(authid, path string) map[string]map[string]int {
	out := map[string]map[string]int{}
	var paths []string
	if path != "" {
		paths = []string{normPath(path)}
	} else {
		seen := map[string]bool{}
		for _, p := range []string{"/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms"} {
			seen[p] = true
			paths = append(paths, p)
		}
		a.mu.Lock()
		user, _ := splitUser(authid)
		for _, e := range a.acls {
			if (e.ugid == authid || e.ugid == user) && !seen[e.path] {
				seen[e.path] = true
				paths = append(paths, e.path)
			}
		}
		a.mu.Unlock()
	}
	for _, p := range paths {
		eff := a.effective(authid, p)
		if len(eff) == 0 {
			continue
		}
		m := map[string]int{}
		for priv := range eff {
			m[priv] = 1
		}
		out[p] = m
	}
	return out
}

// capabilities is the ticket's "cap" map (the GUI's view of privileges).
func (a *accessControl) capabilities(user string) map[string]map[string]int {
	groups := map[string]struct {
		path   string
		prefix []string
	}{
		"vms":     {"/vms", []string{"VM."}},
		"storage": {"/storage", []string{"Datastore."}},
		"nodes":   {"/nodes", []string{"Sys."}},
		"access":  {"/access", []string{"User.", "Group.", "Realm."}},
		"dc":      {"/", []string{"Sys.Audit", "SDN."}},
		"sdn":     {"/sdn", []string{"SDN."}},
		"mapping": {"/mapping", []string{"Mapping."}},
	}
	out := map[string]map[string]int{}
	for name, g := range groups {
		eff := a.effective(user, g.path)
		m := map[string]int{}
		for p := range eff {
			for _, pre := range g.prefix {
				if strings.HasPrefix(p, pre) || p == "Permissions.Modify" {
					m[p] = 1
				}
			}
		}
		out[name] = m
	}
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
