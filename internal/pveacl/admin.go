package pveacl

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// UserInfo is what user.cfg keeps of a user besides its groups and tokens.
// Expire is seconds since the epoch, 0 for never.
type UserInfo struct {
	Enable                                    bool
	Expire                                    int64
	Firstname, Lastname, Email, Comment, Keys string
}

// TokenInfo is an API token's user.cfg entry.
type TokenInfo struct {
	Privsep bool
	Expire  int64
	Comment string
}

// ErrNoUser and ErrExists tell the API layer which Proxmox text to use.
var (
	ErrNoUser = fmt.Errorf("pveacl: no such user")
	ErrExists = fmt.Errorf("pveacl: already exists")
)

// UserIDs lists every user, sorted.
func (s *Store) UserIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedKeys(s.users)
}

// User returns a user's info.
func (s *Store) User(id string) (UserInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.users[id]
	if u == nil {
		return UserInfo{}, false
	}
	info := u.info
	info.Enable = u.enabled
	return info, true
}

// CreateUser adds a new user; setPass also stores password.
func (s *Store) CreateUser(id string, info UserInfo, password string, setPass bool) error {
	if !pveid.ValidUserID(id) {
		return fmt.Errorf("pveacl: invalid user id %q", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[id] != nil {
		return ErrExists
	}
	u := &user{enabled: info.Enable, info: info}
	if setPass {
		u.password, u.hasPass = sha256.Sum256([]byte(password)), true
	}
	s.users[id] = u
	return nil
}

// UpdateUser changes a user's info through fn.
func (s *Store) UpdateUser(id string, fn func(*UserInfo)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return ErrNoUser
	}
	info := u.info
	info.Enable = u.enabled
	fn(&info)
	u.info, u.enabled = info, info.Enable
	return nil
}

// SetPassword replaces a user's password.
func (s *Store) SetPassword(id, password string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[id]
	if u == nil {
		return ErrNoUser
	}
	u.password, u.hasPass = sha256.Sum256([]byte(password)), true
	return nil
}

// CheckPassword tells whether password is the user's (enabled or not).
func (s *Store) CheckPassword(id, password string) bool {
	sum := sha256.Sum256([]byte(password))
	s.mu.RLock()
	defer s.mu.RUnlock()
	u := s.users[id]
	if u == nil || !u.hasPass {
		return false
	}
	return subtle.ConstantTimeCompare(sum[:], u.password[:]) == 1
}

// DeleteUser removes a user, its tokens, its group memberships and the ACL
// entries of the user and of its tokens (user.cfg drops ACLs of tokens that
// no longer exist when it is read again).
func (s *Store) DeleteUser(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.users[id]
	if old == nil {
		return ErrNoUser
	}
	delete(s.users, id)
	if id == Root {
		// userconfig_force_defaults adds root@pam back, enabled; its
		// password is the system account's and stays
		s.users[Root] = &user{enabled: true, password: old.password, hasPass: old.hasPass}
	}
	for tid := range s.tokens {
		if strings.HasPrefix(tid, id+"!") {
			delete(s.tokens, tid)
			s.dropACLs(func(k aclKey, _ string) bool { return k.ugid == tid })
		}
	}
	for _, members := range s.groups {
		delete(members, id)
	}
	s.dropACLs(func(k aclKey, _ string) bool { return k.ugid == id })
	return nil
}

// dropACLs removes the entries drop selects. Caller holds s.mu.
func (s *Store) dropACLs(drop func(k aclKey, path string) bool) {
	for path, entries := range s.acl {
		for k := range entries {
			if drop(k, path) {
				delete(entries, k)
			}
		}
		if len(entries) == 0 {
			delete(s.acl, path)
		}
	}
}

// UserGroups lists the groups a user is a member of, sorted.
func (s *Store) UserGroups(id string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for g, members := range s.groups {
		if members[id] {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// SetUserGroups puts a user into groups, after taking it out of all others
// unless add is set. Every group must exist; nothing changes otherwise.
func (s *Store) SetUserGroups(id string, groups []string, add bool) (missing string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[id] == nil {
		return "", ErrNoUser
	}
	for _, g := range groups {
		if s.groups[g] == nil {
			return g, fmt.Errorf("pveacl: no such group %q", g)
		}
	}
	if !add {
		for _, members := range s.groups {
			delete(members, id)
		}
	}
	for _, g := range groups {
		s.groups[g][id] = true
	}
	return "", nil
}

// TokenNames lists a user's token names (the part after '!'), sorted.
func (s *Store) TokenNames(userid string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for tid := range s.tokens {
		if u, name, ok := pveid.SplitTokenID(tid); ok && u == userid {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Token returns a token's info.
func (s *Store) Token(id string) (TokenInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tokens[id]
	if t == nil {
		return TokenInfo{}, false
	}
	return TokenInfo{Privsep: t.privsep, Expire: t.expire, Comment: t.comment}, true
}

// CreateToken adds a token with its secret; it fails if the token exists.
func (s *Store) CreateToken(id, secret string, info TokenInfo) error {
	s.mu.RLock()
	_, exists := s.tokens[id]
	s.mu.RUnlock()
	if exists {
		return ErrExists
	}
	if err := s.AddToken(id, secret, info.Privsep); err != nil {
		return err
	}
	return s.UpdateToken(id, func(t *TokenInfo) { *t = info })
}

// UpdateToken changes a token's info through fn.
func (s *Store) UpdateToken(id string, fn func(*TokenInfo)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[id]
	if t == nil {
		return fmt.Errorf("pveacl: no such token %q", id)
	}
	info := TokenInfo{Privsep: t.privsep, Expire: t.expire, Comment: t.comment}
	fn(&info)
	t.privsep, t.expire, t.comment = info.Privsep, info.Expire, info.Comment
	return nil
}

// RegenerateToken replaces a token's secret.
func (s *Store) RegenerateToken(id, secret string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[id]
	if t == nil {
		return fmt.Errorf("pveacl: no such token %q", id)
	}
	t.secret = sha256.Sum256([]byte(secret))
	return nil
}

// DeleteToken removes a token and its ACL entries.
func (s *Store) DeleteToken(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, id)
	s.dropACLs(func(k aclKey, _ string) bool { return k.ugid == id })
}

// GroupIDs lists every group, sorted.
func (s *Store) GroupIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedKeys(s.groups)
}

// Group returns a group's comment and members (sorted).
func (s *Store) Group(name string) (comment string, members []string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.groups[name]
	if m == nil {
		return "", nil, false
	}
	return s.groupComment[name], sortedKeys(m), true
}

// CreateGroup adds an empty group; it fails if the group exists.
func (s *Store) CreateGroup(name, comment string) error {
	if !pveid.ValidGroup(name) {
		return fmt.Errorf("pveacl: invalid group name %q", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[name] != nil {
		return ErrExists
	}
	s.groups[name] = map[string]bool{}
	if comment != "" {
		s.groupComment[name] = comment
	}
	return nil
}

// SetGroupComment replaces a group's comment ("" removes it).
func (s *Store) SetGroupComment(name, comment string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups[name] == nil {
		return fmt.Errorf("pveacl: no such group %q", name)
	}
	if comment == "" {
		delete(s.groupComment, name)
	} else {
		s.groupComment[name] = comment
	}
	return nil
}

// DeleteGroup removes a group and the ACL entries of @name.
func (s *Store) DeleteGroup(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, name)
	delete(s.groupComment, name)
	s.dropACLs(func(k aclKey, _ string) bool { return k.ugid == "@"+name })
}

// SetPrivileges makes the store's privileges those of a release, as its
// schema lists them, and rebuilds the built-in roles from them; custom
// roles keep only privileges the release knows.
func (s *Store) SetPrivileges(names []string) {
	valid := privSet{}
	for _, n := range names {
		valid[n] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPrivileges(valid)
}

// setPrivileges: caller holds s.mu (or owns s).
func (s *Store) setPrivileges(valid privSet) {
	for r := range s.builtin {
		delete(s.roles, r)
	}
	s.builtin = map[string]bool{}
	for _, privs := range s.roles {
		for p := range privs {
			if !valid[p] {
				delete(privs, p)
			}
		}
	}
	for r, privs := range builtinRolesFor(valid) {
		s.roles[r], s.builtin[r] = privs, true
	}
	s.valid = valid
}

// IsPrivilege tells whether name is a privilege of the store's release.
func (s *Store) IsPrivilege(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.valid[name]
}

// IsBuiltinRole tells whether a role is one of the release's
// auto-generated ("special") roles.
func (s *Store) IsBuiltinRole(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.builtin[name]
}

// DeleteRole removes a custom role and the ACL entries that name it
// (user.cfg ignores ACLs of unknown roles when it is read again).
func (s *Store) DeleteRole(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.builtin[name] {
		return
	}
	delete(s.roles, name)
	s.dropACLs(func(k aclKey, _ string) bool { return k.role == name })
}

// PoolIDs lists the pools the store knows, sorted.
func (s *Store) PoolIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedKeys(s.pools)
}

// DeletePool forgets a pool's membership.
func (s *Store) DeletePool(pool string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.pools, pool)
}

// DeletePoolACL removes the ACL entries on /pool/<pool> and below it
// (delete_pool_acl drops that node of the ACL tree).
func (s *Store) DeletePoolACL(pool string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := "/pool/" + pool
	s.dropACLs(func(_ aclKey, path string) bool { return path == p || strings.HasPrefix(path, p+"/") })
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
