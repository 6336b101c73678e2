package pveacl

import (
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// rolesAt mirrors AccessControl.pm roles(): walk the path from "/" down;
// at each level the entries for the token, else the user, else its groups
// replace what was inherited, where an entry applies if it propagates or
// sits on the final path element. NoAccess wins over everything.
// Caller holds s.mu.
func (s *Store) rolesAt(authid, path string) map[string]bool {
	segs := []string{""}
	if path != "/" {
		segs = strings.Split(path, "/") // leading "" is the root level
	}
	roles := map[string]bool{}
	cur := ""
	for i, seg := range segs {
		final := i == len(segs)-1
		if seg != "" {
			cur += "/" + seg
		}
		p := cur
		if p == "" {
			p = "/"
		}
		entries := s.acl[p]
		if len(entries) == 0 {
			continue
		}
		pick := func(match func(ugid string) bool) map[string]bool {
			var found map[string]bool
			for k, prop := range entries {
				if match(k.ugid) && (final || prop) {
					if found == nil {
						found = map[string]bool{}
					}
					found[k.role] = found[k.role] || prop
				}
			}
			return found
		}
		// entries of the token or user itself override its groups
		if n := pick(func(u string) bool { return u == authid }); n != nil {
			roles = n
			continue
		}
		if n := pick(func(u string) bool {
			return strings.HasPrefix(u, "@") && s.groups[u[1:]][authid]
		}); n != nil {
			roles = n
		}
	}
	if prop, ok := roles["NoAccess"]; ok {
		return map[string]bool{"NoAccess": prop}
	}
	return roles
}

// privsAt mirrors RPCEnvironment.pm permissions(): the privileges set on
// path, each with its propagate flag. Caller holds s.mu.
func (s *Store) privsAt(authid, path string) map[string]bool {
	if authid == Root {
		out := map[string]bool{}
		for p := range s.roles["Administrator"] {
			out[p] = true
		}
		return out
	}
	owner := ""
	if uid, _, ok := pveid.SplitTokenID(authid); ok {
		t := s.tokens[authid]
		if t == nil {
			return map[string]bool{}
		}
		userPrivs := s.privsAt(uid, path)
		if !t.privsep {
			return userPrivs
		}
		owner = uid
		privs := s.compile(authid, path)
		if owner != Root {
			// intersect user and token privileges, combining the flags
			for p, prop := range privs {
				up, ok := userPrivs[p]
				if !ok {
					delete(privs, p)
					continue
				}
				privs[p] = up && prop
			}
		}
		return privs
	}
	if !pveid.ValidUserID(authid) {
		return map[string]bool{}
	}
	return s.compile(authid, path)
}

// compile derives privileges from the roles on path, including roles
// inherited through pool membership (compile_acl_path). Caller holds s.mu.
func (s *Store) compile(authid, path string) map[string]bool {
	roles := s.effectiveRoles(authid, path)
	privs := map[string]bool{}
	for r, prop := range roles {
		for p := range s.roles[r] {
			privs[p] = privs[p] || prop
		}
	}
	return privs
}

// effectiveRoles are the roles on path with their propagate flags, pool
// roles included. Caller holds s.mu.
func (s *Store) effectiveRoles(authid, path string) map[string]bool {
	roles := s.rolesAt(authid, path)

	poolRoles := map[string]bool{}
	for pool, members := range s.pools {
		if !members[path] {
			continue
		}
		for r := range s.rolesAt(authid, "/pool/"+pool) {
			poolRoles[r] = true
		}
	}
	if len(poolRoles) > 0 {
		if _, noAccess := roles["NoAccess"]; !noAccess {
			if poolRoles["NoAccess"] {
				roles = map[string]bool{"NoAccess": false}
			} else {
				for r := range poolRoles {
					if _, set := roles[r]; !set {
						roles[r] = false // pool-derived roles never propagate
					}
				}
			}
		}
	}

	return roles
}

// holds tells whether authid holds priv on path, the way privsAt would
// say, without building the privilege sets: lists of thousands of guests
// ask this once per guest. Caller holds s.mu.
func (s *Store) holds(authid, path, priv string) bool {
	if authid == Root {
		return s.roles["Administrator"][priv]
	}
	// tokens are stored under valid ids only, so a lookup replaces parsing
	if i := strings.IndexByte(authid, '!'); i >= 0 {
		t, uid := s.tokens[authid], authid[:i]
		switch {
		case t == nil:
			return false
		case !t.privsep:
			return s.holds(uid, path, priv)
		case uid != Root && !s.holds(uid, path, priv):
			return false
		}
		return s.rolesGrant(authid, path, priv)
	}
	return (s.users[authid] != nil || pveid.ValidUserID(authid)) && s.rolesGrant(authid, path, priv)
}

func (s *Store) rolesGrant(authid, path, priv string) bool {
	for r := range s.effectiveRoles(authid, path) {
		if s.roles[r][priv] {
			return true
		}
	}
	return false
}

// Privileges returns the privileges authid has on path (root@pam: all).
func (s *Store) Privileges(authid, path string) map[string]bool {
	np, ok := NormalizePath(path)
	if !ok {
		return map[string]bool{}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	privs := s.privsAt(authid, np)
	out := make(map[string]bool, len(privs))
	for p := range privs {
		out[p] = true
	}
	return out
}

// Has reports whether authid holds all privs on path (any=false) or at
// least one of them (any=true). root@pam always has them.
func (s *Store) Has(authid, path string, privs []string, any bool) bool {
	if authid == Root {
		return true
	}
	np, ok := NormalizePath(path)
	if !ok {
		return len(privs) == 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if any {
		for _, p := range privs {
			if s.holds(authid, np, p) {
				return true
			}
		}
		return len(privs) == 0
	}
	for _, p := range privs {
		if !s.holds(authid, np, p) {
			return false
		}
	}
	return true
}

// Permissions answers GET /access/permissions for authid: with path "" the
// effective privileges on /, /access, /access/groups, /nodes, /pool, /sdn,
// /storage, /vms, every ACL path (and its parents) and every pool member,
// leaving out paths without privileges; with a path just that path (even
// when empty). Values are the propagate flags (0/1).
func (s *Store) Permissions(authid, path string) map[string]map[string]int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	convert := func(p string) map[string]int {
		m := map[string]int{}
		for priv, prop := range s.privsAt(authid, p) {
			m[priv] = b2i(prop)
		}
		return m
	}
	if path != "" {
		np, ok := NormalizePath(path)
		if !ok {
			return map[string]map[string]int{path: {}}
		}
		return map[string]map[string]int{path: convert(np)}
	}
	paths := map[string]bool{
		"/": true, "/access": true, "/access/groups": true, "/nodes": true,
		"/pool": true, "/sdn": true, "/storage": true, "/vms": true,
	}
	for p := range s.acl {
		// the ACL tree also has nodes for every parent path
		cur := ""
		for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			cur += "/" + seg
			paths[cur] = true
		}
	}
	for _, members := range s.pools {
		for m := range members {
			paths[m] = true
		}
	}
	out := map[string]map[string]int{}
	for p := range paths {
		if m := convert(p); len(m) > 0 {
			out[p] = m
		}
	}
	return out
}
