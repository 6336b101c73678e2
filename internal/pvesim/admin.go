package pvesim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// AddToken creates an API token (its user is created when missing). With
// privsep the token has only what ACLs grant to both the user and the token.
func (s *Sim) AddToken(id, secret string, privsep bool) error {
	return s.acl.addToken(id, secret, privsep)
}

// AddUser creates a user with a password (ticket login).
func (s *Sim) AddUser(id, password string) error { return s.acl.addUser(id, password, true) }

// SetACL grants role on path to a user or token id.
func (s *Sim) SetACL(path, ugid, role string, propagate bool) error {
	if !s.acl.hasRole(role) {
		return fmt.Errorf("role '%s' does not exist", role)
	}
	return s.acl.setACL(path, ugid, role, propagate)
}

// DeleteACL removes ACL entries of ugid on path (all roles when role is "").
func (s *Sim) DeleteACL(path, ugid, role string) { s.acl.deleteACL(path, ugid, role) }

// AddRole defines a custom role from privilege names.
func (s *Sim) AddRole(name string, privs ...string) error { return s.acl.addRole(name, privs) }

// AddAuditorToken is a shortcut for tests: a privsep token whose user and
// token both hold PVEAuditor on /.
func (s *Sim) AddAuditorToken(id, secret string) error {
	if err := s.AddToken(id, secret, true); err != nil {
		return err
	}
	user, _ := splitUser(id)
	if err := s.acl.setACL("/", user, "PVEAuditor", true); err != nil {
		return err
	}
	return s.acl.setACL("/", id, "PVEAuditor", true)
}

func toStrings(arr []any) []string {
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
