package pveschema

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PrivilegeText says in one line what an endpoint's caller needs, from the
// schema's permissions object: "VM.PowerMgmt on /vms/{vmid}", "any
// authenticated user", or "root@pam only" when the schema names none.
func (e *Endpoint) PrivilegeText() string {
	var p struct {
		User        string          `json:"user"`
		Check       json.RawMessage `json:"check"`
		Description string          `json:"description"`
	}
	if len(e.Permissions) == 0 || string(e.Permissions) == "null" || json.Unmarshal(e.Permissions, &p) != nil {
		return "root@pam only"
	}
	var text string
	switch {
	case len(p.Check) > 0:
		var expr []any
		if json.Unmarshal(p.Check, &expr) == nil {
			text = checkText(expr)
		}
	case p.User == "all":
		text = "any authenticated user"
	case p.User == "world":
		text = "anyone, without login"
	default:
		text = "root@pam only"
	}
	if d := strings.TrimSpace(p.Description); d != "" {
		text += " (" + strings.TrimSuffix(d, ".") + ")"
	}
	return text
}

// checkText renders one check expression of RPCEnvironment.pm's language.
func checkText(expr []any) string {
	if len(expr) == 0 {
		return "?"
	}
	op, _ := expr[0].(string)
	switch op {
	case "perm":
		if len(expr) < 3 {
			break
		}
		path, _ := expr[1].(string)
		privs := strs(expr[2])
		join := " and "
		if len(expr) >= 5 && expr[3] == "any" {
			join = " or "
		}
		return strings.Join(privs, join) + " on " + path
	case "and", "or":
		var parts []string
		for _, sub := range expr[1:] {
			if s, ok := sub.([]any); ok {
				parts = append(parts, checkText(s))
			}
		}
		if len(parts) == 1 {
			return parts[0]
		}
		return "(" + strings.Join(parts, ") "+op+" (") + ")"
	case "userid-group":
		if len(expr) >= 2 {
			return strings.Join(strs(expr[1]), " or ") + " on the user's groups"
		}
	case "userid-param":
		if len(expr) >= 2 && expr[1] == "self" {
			return "the user itself"
		}
		if len(expr) >= 2 {
			return fmt.Sprint(expr[1]) + " on the user's realm"
		}
	case "perm-modify":
		if len(expr) >= 2 {
			return fmt.Sprintf("the right to change permissions on %v", expr[1])
		}
	}
	raw, _ := json.Marshal(expr)
	return string(raw)
}

func strs(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
