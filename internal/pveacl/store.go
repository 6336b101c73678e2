package pveacl

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Root is the superuser that bypasses every permission check.
const Root = "root@pam"

var reACLPath = lazyre.New(`^[[:alnum:]\.\-\_\/]+$`)

// Store holds users, tokens, groups, roles, ACLs and pools. It is safe for
// concurrent use. Create it with NewStore.
type Store struct {
	mu     sync.RWMutex
	users  map[string]*user
	tokens map[string]*token // by full token id user@realm!name
	groups map[string]map[string]bool
	// groupComment holds the groups' comments (user.cfg "group" lines)
	groupComment map[string]string
	roles        map[string]privSet
	builtin      map[string]bool            // the release's auto-generated roles
	valid        privSet                    // the release's privileges
	acl          map[string]map[aclKey]bool // path -> (ugid, role) -> propagate
	pools        map[string]map[string]bool // pool -> member paths (/vms/100, /storage/local)

	now       func() time.Time
	ticketKey []byte
	csrfKey   []byte
}

type user struct {
	enabled  bool
	password [32]byte
	hasPass  bool
	info     UserInfo // the rest of the user.cfg line (enabled stays above)
}

type token struct {
	privsep bool
	expire  int64
	secret  [32]byte // sha256 of the secret
	comment string
}

type aclKey struct {
	ugid string // user@realm, user@realm!token or @group
	role string
}

// ACLEntry is one ACL line, as GET /access/acl lists it.
type ACLEntry struct {
	Path      string `json:"path"`
	Type      string `json:"type"` // user, group or token
	UGID      string `json:"ugid"`
	RoleID    string `json:"roleid"`
	Propagate int    `json:"propagate"`
}

// NewStore returns an empty store with the built-in roles and root@pam, and
// fresh random keys for tickets and CSRF tokens.
func NewStore() *Store {
	s := &Store{
		users:        map[string]*user{Root: {enabled: true}},
		tokens:       map[string]*token{},
		groups:       map[string]map[string]bool{},
		groupComment: map[string]string{},
		roles:        map[string]privSet{},
		acl:          map[string]map[aclKey]bool{},
		pools:        map[string]map[string]bool{},
		now:          time.Now,
		ticketKey:    randomKey(),
		csrfKey:      randomKey(),
	}
	s.setPrivileges(newestPrivileges)
	return s
}

func randomKey() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(fmt.Sprintf("pveacl: no randomness: %v", err)) // crypto/rand never fails on Linux
	}
	return k
}

// SetClock replaces the clock used for ticket, CSRF and expiry checks (tests).
func (s *Store) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AddUser creates or replaces a user. An empty password disables password
// login for the user.
func (s *Store) AddUser(userid, password string, enabled bool) error {
	if !pveid.ValidUserID(userid) {
		return fmt.Errorf("pveacl: invalid user id %q", userid)
	}
	u := &user{enabled: enabled}
	if password != "" {
		u.password = sha256.Sum256([]byte(password))
		u.hasPass = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.users[userid]; old != nil {
		u.info = old.info // a new password keeps the user.cfg entry
	}
	s.users[userid] = u
	return nil
}

// SetUserEnabled enables or disables a user (and thereby its tokens).
func (s *Store) SetUserEnabled(userid string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[userid]
	if u == nil {
		return fmt.Errorf("pveacl: no such user %q", userid)
	}
	u.enabled = enabled
	return nil
}

// HasUser reports whether the user exists.
func (s *Store) HasUser(userid string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.users[userid] != nil
}

// AddToken creates or replaces an API token "user@realm!name" of an
// existing user. PVE creates tokens with privsep=1 unless told otherwise.
func (s *Store) AddToken(id, secret string, privsep bool) error {
	uid, _, ok := pveid.SplitTokenID(id)
	if !ok {
		return fmt.Errorf("pveacl: invalid token id %q", id)
	}
	if secret == "" {
		return fmt.Errorf("pveacl: empty secret for token %q", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[uid] == nil {
		return fmt.Errorf("pveacl: token %q: no such user %q", id, uid)
	}
	s.tokens[id] = &token{privsep: privsep, secret: sha256.Sum256([]byte(secret))}
	return nil
}

// SetTokenExpire sets a token's expiry (zero time = never).
func (s *Store) SetTokenExpire(id string, expire time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[id]
	if t == nil {
		return fmt.Errorf("pveacl: no such token %q", id)
	}
	t.expire = unixOrZero(expire)
	return nil
}

// TokenPrivsep reports the token's privilege separation flag.
func (s *Store) TokenPrivsep(id string) (privsep, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tokens[id]
	if t == nil {
		return false, false
	}
	return t.privsep, true
}

// AddGroup creates a group (or adds members to it). Members are user ids.
func (s *Store) AddGroup(name string, members ...string) error {
	if !pveid.ValidGroup(name) {
		return fmt.Errorf("pveacl: invalid group name %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[name]
	if g == nil {
		g = map[string]bool{}
		s.groups[name] = g
	}
	for _, m := range members {
		g[m] = true
	}
	return nil
}

// AddRole creates or replaces a custom role. Built-in roles cannot be
// changed.
func (s *Store) AddRole(name string, privs []string) error {
	if !pveid.ValidRole(name) {
		return fmt.Errorf("pveacl: invalid role name %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.builtin[name] {
		return fmt.Errorf("pveacl: cannot modify built-in role %q", name)
	}
	set := privSet{}
	for _, p := range privs {
		if !s.valid[p] {
			return fmt.Errorf("pveacl: invalid privilege '%s'", p)
		}
		set[p] = true
	}
	s.roles[name] = set
	return nil
}

// Roles returns every role (built-in and custom) with its privileges.
func (s *Store) Roles() map[string][]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string][]string, len(s.roles))
	for name, privs := range s.roles {
		out[name] = sortedSet(privs)
	}
	return out
}

// NormalizePath mirrors AccessControl.pm normalize_path; ok is false for
// paths with characters PVE rejects.
func NormalizePath(path string) (string, bool) {
	if path == "" {
		return "", false
	}
	for strings.Contains(path, "//") {
		path = strings.ReplaceAll(path, "//", "/")
	}
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		path = "/"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !reACLPath.MatchString(path) {
		return "", false
	}
	return path, true
}

// SetACL grants role on path to ugid: "user@realm", "user@realm!token" or
// "@group". Granting again replaces the propagate flag.
func (s *Store) SetACL(path, role, ugid string, propagate bool) error {
	np, ok := NormalizePath(path)
	if !ok {
		return fmt.Errorf("pveacl: invalid ACL path %q", path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roles[role] == nil {
		return fmt.Errorf("pveacl: role '%s' does not exist", role)
	}
	switch {
	case strings.HasPrefix(ugid, "@"):
		if s.groups[ugid[1:]] == nil {
			return fmt.Errorf("pveacl: group '%s' does not exist", ugid[1:])
		}
	case strings.Contains(ugid, "!"):
		if s.tokens[ugid] == nil {
			return fmt.Errorf("pveacl: no such token '%s'", ugid)
		}
	default:
		if s.users[ugid] == nil {
			return fmt.Errorf("pveacl: no such user ('%s')", ugid)
		}
	}
	if s.acl[np] == nil {
		s.acl[np] = map[aclKey]bool{}
	}
	s.acl[np][aclKey{ugid, role}] = propagate
	return nil
}

// DeleteACL removes one ACL entry.
func (s *Store) DeleteACL(path, role, ugid string) {
	np, ok := NormalizePath(path)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.acl[np], aclKey{ugid, role})
	if len(s.acl[np]) == 0 {
		delete(s.acl, np)
	}
}

// ACL lists all ACL entries sorted by path, ugid and role.
func (s *Store) ACL() []ACLEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []ACLEntry
	for path, entries := range s.acl {
		for k, prop := range entries {
			typ := "user"
			if strings.HasPrefix(k.ugid, "@") {
				typ = "group"
			} else if strings.Contains(k.ugid, "!") {
				typ = "token"
			}
			ugid := strings.TrimPrefix(k.ugid, "@")
			out = append(out, ACLEntry{Path: path, Type: typ, UGID: ugid, RoleID: k.role, Propagate: b2i(prop)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.UGID != b.UGID {
			return a.UGID < b.UGID
		}
		return a.RoleID < b.RoleID
	})
	return out
}

// AddPoolMember puts a guest ("/vms/100") or storage ("/storage/local")
// into a pool; roles granted on /pool/<pool> then apply to it.
func (s *Store) AddPoolMember(pool, member string) error {
	if !pveid.ValidPoolID(pool) {
		return fmt.Errorf("pveacl: invalid pool name %q", pool)
	}
	if !strings.HasPrefix(member, "/vms/") && !strings.HasPrefix(member, "/storage/") {
		return fmt.Errorf("pveacl: pool member must be /vms/<vmid> or /storage/<id>, got %q", member)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pools[pool] == nil {
		s.pools[pool] = map[string]bool{}
	}
	s.pools[pool][member] = true
	return nil
}

// RemovePoolMember takes a guest or storage out of a pool.
func (s *Store) RemovePoolMember(pool, member string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pools[pool], member)
}

// AddPool creates an empty pool.
func (s *Store) AddPool(pool string) error {
	if !pveid.ValidPoolID(pool) {
		return fmt.Errorf("pveacl: invalid pool name %q", pool)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pools[pool] == nil {
		s.pools[pool] = map[string]bool{}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
