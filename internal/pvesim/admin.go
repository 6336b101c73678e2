package pvesim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
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

// serveAdmin is the test API under /_sim/, authenticated with one of the
// full-privilege tokens given at start.
func (s *Sim) serveAdmin(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, method: r.Method, rel: r.URL.Path}
	if err := s.authenticate(c, r); err != nil || !s.has(c.authid, "/", "Sys.Modify", "Permissions.Modify") {
		adminJSON(w, 401, map[string]any{"error": "admin API needs a full-privilege API token"})
		return
	}
	p := strings.TrimPrefix(r.URL.Path, "/_sim")
	var body map[string]any
	if r.Method == "POST" || r.Method == "PUT" {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPostSize)).Decode(&body); err != nil && err.Error() != "EOF" {
			adminJSON(w, 400, map[string]any{"error": "body must be a JSON object: " + err.Error()})
			return
		}
	}
	str := func(k string) string {
		if v, ok := body[k]; ok {
			return jsonParam(v)
		}
		return r.URL.Query().Get(k)
	}
	bl := func(k string, def bool) bool {
		v := str(k)
		if v == "" {
			return def
		}
		return v == "1" || v == "true"
	}
	fail := func(err error) { adminJSON(w, 400, map[string]any{"error": err.Error()}) }
	switch {
	case p == "/faults" && r.Method == "GET":
		adminJSON(w, 200, map[string]any{"data": s.Faults()})
	case p == "/faults" && r.Method == "POST":
		var f Fault
		raw, _ := json.Marshal(body)
		if d := str("delay"); d != "" {
			if dd, err := time.ParseDuration(d); err == nil {
				body["delay"] = int64(dd)
				raw, _ = json.Marshal(body)
			}
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			fail(err)
			return
		}
		id, err := s.AddFault(f)
		if err != nil {
			fail(err)
			return
		}
		adminJSON(w, 200, map[string]any{"data": map[string]any{"id": id}})
	case p == "/faults" && r.Method == "DELETE":
		s.ClearFaults()
		adminJSON(w, 200, map[string]any{"data": nil})
	case strings.HasPrefix(p, "/faults/") && r.Method == "DELETE":
		id, _ := strconv.Atoi(strings.TrimPrefix(p, "/faults/"))
		if !s.RemoveFault(id) {
			adminJSON(w, 404, map[string]any{"error": "no such fault"})
			return
		}
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/requests" && r.Method == "GET":
		adminJSON(w, 200, map[string]any{"data": s.Requests()})
	case p == "/requests" && r.Method == "DELETE":
		s.ResetRequests()
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/reset" && r.Method == "POST":
		s.Reset()
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/advance" && r.Method == "POST":
		d, err := time.ParseDuration(str("duration"))
		if err != nil || d < 0 {
			fail(fmt.Errorf("duration: want a Go duration like 30s"))
			return
		}
		s.Advance(d)
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/tokens" && r.Method == "POST":
		if err := s.AddToken(str("tokenid"), str("secret"), bl("privsep", true)); err != nil {
			fail(err)
			return
		}
		if role := str("role"); role != "" {
			user, _ := splitUser(str("tokenid"))
			path := str("path")
			if path == "" {
				path = "/"
			}
			for _, ug := range []string{user, str("tokenid")} {
				if err := s.SetACL(path, ug, role, bl("propagate", true)); err != nil {
					fail(err)
					return
				}
			}
		}
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/users" && r.Method == "POST":
		if err := s.AddUser(str("userid"), str("password")); err != nil {
			fail(err)
			return
		}
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/acl" && r.Method == "POST":
		if err := s.SetACL(str("path"), str("ugid"), str("role"), bl("propagate", true)); err != nil {
			fail(err)
			return
		}
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/acl" && r.Method == "DELETE":
		s.DeleteACL(str("path"), str("ugid"), str("role"))
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/storage" && r.Method == "POST":
		content := splitList(str("content"))
		if arr, ok := body["content"].([]any); ok {
			content = toStrings(arr)
		}
		if err := s.AddStorage(str("storage"), str("type"), content, bl("shared", false)); err != nil {
			fail(err)
			return
		}
		adminJSON(w, 200, map[string]any{"data": nil})
	case p == "/roles" && r.Method == "POST":
		privs := splitList(str("privs"))
		if arr, ok := body["privs"].([]any); ok {
			privs = toStrings(arr)
		}
		if err := s.AddRole(str("roleid"), privs...); err != nil {
			fail(err)
			return
		}
		adminJSON(w, 200, map[string]any{"data": nil})
	default:
		adminJSON(w, 404, map[string]any{"error": "unknown admin endpoint " + r.Method + " " + r.URL.Path})
	}
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
