package pveacl

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// permFailed is PVE's 403 text (Exception.pm raise_perm_exc).
func permFailed(what string) string {
	if what == "" {
		return "Permission check failed"
	}
	return "Permission check failed (" + what + ")"
}

// Check evaluates an endpoint's "permissions" object from the API schema
// for authid (a user or token id; "" for an unauthenticated request) and
// the request parameters (path and body parameters), like RPCEnvironment.pm
// check_api2_permissions. failText is the reason exactly as PVE words it,
// e.g. "Permission check failed (/vms/100, VM.PowerMgmt)". root@pam passes
// everything; user "all" passes any authenticated caller; "world" anyone.
func (s *Store) Check(authid string, perms json.RawMessage, params map[string]string) (ok bool, failText string) {
	var p struct {
		User  string          `json:"user"`
		Check json.RawMessage `json:"check"`
	}
	hasPerms := len(perms) > 0 && string(perms) != "null"
	if hasPerms {
		if err := json.Unmarshal(perms, &p); err != nil {
			return false, fmt.Sprintf("invalid permission definition: %v", err)
		}
	}
	if authid == "" {
		if p.User == "world" {
			return true, ""
		}
		return false, permFailed("user != null")
	}
	if authid == Root {
		return true, ""
	}
	if !hasPerms {
		return false, permFailed("user != root@pam")
	}
	if p.User == "all" || p.User == "world" {
		return true, ""
	}
	if len(p.Check) == 0 {
		return false, permFailed("")
	}
	var expr []any
	if err := json.Unmarshal(p.Check, &expr); err != nil {
		return false, fmt.Sprintf("invalid permission check: %v", err)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	ok, raised := s.evalCheck(expr, authid, params, false)
	if raised != "" {
		return false, raised
	}
	if !ok {
		return false, permFailed("")
	}
	return true, ""
}

// evalCheck mirrors exec_api2_perm_check. It returns ok, or a non-empty
// raised text when PVE would die (with noerr unset, or from an "and"
// branch, which PVE always evaluates without noerr).
func (s *Store) evalCheck(expr []any, authid string, params map[string]string, noerr bool) (bool, string) {
	if len(expr) == 0 {
		return false, "no permission test specified"
	}
	test, _ := expr[0].(string)
	switch test {
	case "and":
		for _, sub := range expr[1:] {
			se, _ := sub.([]any)
			if ok, raised := s.evalCheck(se, authid, params, false); raised != "" || !ok {
				if raised == "" {
					raised = permFailed("")
				}
				return false, raised
			}
		}
		return true, ""
	case "or":
		for _, sub := range expr[1:] {
			se, _ := sub.([]any)
			ok, raised := s.evalCheck(se, authid, params, true)
			if raised != "" {
				return false, raised
			}
			if ok {
				return true, ""
			}
		}
		return s.fail(noerr, permFailed(""))
	case "perm":
		if len(expr) < 3 {
			return false, "missing parameters"
		}
		tmpl, _ := expr[1].(string)
		privs := toStrings(expr[2])
		opts := map[string]any{}
		for i := 3; i+1 < len(expr); i += 2 {
			if k, ok := expr[i].(string); ok {
				opts[k] = expr[i+1]
			}
		}
		if rp, ok := opts["require_param"].(string); ok && rp != "" {
			if _, present := params[rp]; !present {
				return s.fail(noerr, permFailed(""))
			}
		}
		path := templateReplace(tmpl, params)
		np, _ := NormalizePath(path)
		return s.checkFull(authid, np, privs, truthy(opts["any"]), noerr)
	case "userid-param":
		sub := ""
		if len(expr) > 1 {
			sub, _ = expr[1].(string)
		}
		userid := params["userid"]
		_, realm, ok := pveid.SplitUserID(userid)
		if !ok {
			return false, fmt.Sprintf("value '%s' does not look like a valid user name", userid)
		}
		switch sub {
		case "self":
			if s.users[userid] == nil {
				return s.fail(noerr, "no such user ('"+userid+"')")
			}
			if authid == userid {
				return true, ""
			}
			return s.fail(noerr, permFailed(""))
		case "Realm.AllocateUser":
			return s.checkFull(authid, "/access/realm/"+realm, []string{"Realm.AllocateUser"}, false, noerr)
		}
		return false, "unknown userid-param test"
	case "userid-group":
		return s.checkUseridGroup(expr, authid, params, noerr)
	case "perm-modify":
		tmpl := ""
		if len(expr) > 1 {
			tmpl, _ = expr[1].(string)
		}
		np, ok := NormalizePath(templateReplace(tmpl, params))
		if !ok {
			return false, ""
		}
		privs := []string{"Permissions.Modify"}
		switch {
		case strings.HasPrefix(np, "/storage/"):
			privs = append(privs, "Datastore.Allocate")
		case strings.HasPrefix(np, "/vms/"):
			privs = append(privs, "VM.Allocate")
		case strings.HasPrefix(np, "/pool/"):
			privs = append(privs, "Pool.Allocate")
		}
		return s.checkFull(authid, np, privs, true, noerr)
	}
	return false, "unknown permission test"
}

func (s *Store) checkUseridGroup(expr []any, authid string, params map[string]string, noerr bool) (bool, string) {
	var privs []string
	if len(expr) > 1 {
		privs = toStrings(expr[1])
	}
	opts := map[string]any{}
	for i := 2; i+1 < len(expr); i += 2 {
		if k, ok := expr[i].(string); ok {
			opts[k] = expr[i+1]
		}
	}
	groupsParam, _ := opts["groups_param"].(string)
	userid := params["userid"]
	checkExisting := groupsParam != "create"
	if checkExisting && s.users[userid] == nil {
		return s.fail(noerr, "no such user ('"+userid+"')")
	}
	if s.hasPrivs(authid, "/access/groups", privs, true) {
		return true, ""
	}
	allowed := map[string]bool{}
	for g := range s.groups {
		if s.hasPrivs(authid, "/access/groups/"+g, privs, true) {
			allowed[g] = true
		}
	}
	if groupsParam != "" {
		wanted := strings.FieldsFunc(params["groups"], func(r rune) bool {
			return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == 0
		})
		if len(wanted) == 0 {
			return false, permFailed("/access/groups, " + strings.Join(privs, "|"))
		}
		for _, g := range wanted {
			if !allowed[g] {
				return false, permFailed("/access/groups/" + g + ", " + strings.Join(privs, "|"))
			}
		}
	}
	if checkExisting {
		member := false
		for g := range allowed {
			if s.groups[g][userid] {
				member = true
			}
		}
		if !member {
			return s.fail(noerr, permFailed(""))
		}
	}
	return true, ""
}

// checkFull mirrors check / check_any with their 403 texts.
func (s *Store) checkFull(authid, path string, privs []string, any, noerr bool) (bool, string) {
	for _, p := range privs {
		if !IsPrivilege(p) {
			return false, "invalid privilege '" + p + "'"
		}
	}
	if s.hasPrivs(authid, path, privs, any) {
		return true, ""
	}
	if any {
		return s.fail(noerr, permFailed(path+", "+strings.Join(privs, "|")))
	}
	have := s.privsAt(authid, path)
	for _, p := range privs {
		if _, ok := have[p]; !ok {
			return s.fail(noerr, permFailed(path+", "+p))
		}
	}
	return true, ""
}

// hasPrivs is Has for callers holding s.mu.
func (s *Store) hasPrivs(authid, path string, privs []string, any bool) bool {
	if path == "" {
		return false
	}
	have := s.privsAt(authid, path)
	if any {
		for _, p := range privs {
			if _, ok := have[p]; ok {
				return true
			}
		}
		return false
	}
	for _, p := range privs {
		if _, ok := have[p]; !ok {
			return false
		}
	}
	return true
}

func (s *Store) fail(noerr bool, text string) (bool, string) {
	if noerr {
		return false, ""
	}
	return false, text
}

// templateReplace mirrors PVE::Tools::template_replace: {name} becomes the
// parameter, or "-" when it is missing, empty or "0".
func templateReplace(tmpl string, params map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		v := params[tmpl[i+1:i+j]]
		if v == "" || v == "0" {
			v = "-"
		}
		b.WriteString(v)
		tmpl = tmpl[i+j+1:]
	}
	return b.String()
}

func toStrings(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != "" && x != "0"
	}
	return true
}
