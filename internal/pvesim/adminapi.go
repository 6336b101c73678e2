package pvesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// adminReq is one request to the test API under /_sim/: its JSON body,
// with the query string as fallback.
type adminReq struct {
	body  map[string]any
	query func(string) string
	id    string // the {id} of /faults/{id}
}

func (a *adminReq) str(k string) string {
	if v, ok := a.body[k]; ok {
		return jsonParam(v)
	}
	return a.query(k)
}

func (a *adminReq) flag(k string, def bool) bool {
	v := a.str(k)
	if v == "" {
		return def
	}
	return v == "1" || v == "true"
}

// list is a list argument, given as a JSON array or a comma list.
func (a *adminReq) list(k string) []string {
	if arr, ok := a.body[k].([]any); ok {
		return toStrings(arr)
	}
	return splitList(a.str(k))
}

// errNoSuchFault answers 404; other handler errors answer 400.
var errNoSuchFault = errors.New("no such fault")

type adminHandler func(a *adminReq) (any, error)

func (s *Sim) adminRoutes() map[string]adminHandler {
	done := func(f func()) adminHandler { return func(*adminReq) (any, error) { f(); return nil, nil } }
	return map[string]adminHandler{
		"GET /faults":         func(*adminReq) (any, error) { return s.Faults(), nil },
		"POST /faults":        s.adminAddFault,
		"DELETE /faults":      done(s.ClearFaults),
		"DELETE /faults/{id}": s.adminRemoveFault,
		"GET /requests":       func(*adminReq) (any, error) { return s.Requests(), nil },
		"DELETE /requests":    done(s.ResetRequests),
		"POST /reset":         done(s.Reset),
		"POST /advance":       s.adminAdvance,
		"POST /tokens":        s.adminAddToken,
		"POST /users":         func(a *adminReq) (any, error) { return nil, s.AddUser(a.str("userid"), a.str("password")) },
		"POST /acl": func(a *adminReq) (any, error) {
			return nil, s.SetACL(a.str("path"), a.str("ugid"), a.str("role"), a.flag("propagate", true))
		},
		"DELETE /acl": func(a *adminReq) (any, error) {
			s.DeleteACL(a.str("path"), a.str("ugid"), a.str("role"))
			return nil, nil
		},
		"POST /storage": func(a *adminReq) (any, error) {
			return nil, s.AddStorage(a.str("storage"), a.str("type"), a.list("content"), a.flag("shared", false))
		},
		"POST /roles": func(a *adminReq) (any, error) { return nil, s.AddRole(a.str("roleid"), a.list("privs")...) },
	}
}

// serveAdmin is the test API under /_sim/, authenticated with one of the
// full-privilege tokens given at start.
func (s *Sim) serveAdmin(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, method: r.Method, rel: r.URL.Path}
	if err := s.authenticate(c, r); err != nil || !s.has(c.authid, "/", "Sys.Modify", "Permissions.Modify") {
		adminJSON(w, 401, map[string]any{"error": "admin API needs a full-privilege API token"})
		return
	}
	a := &adminReq{query: r.URL.Query().Get}
	if r.Method == "POST" || r.Method == "PUT" {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPostSize)).Decode(&a.body); err != nil && err.Error() != "EOF" {
			adminJSON(w, 400, map[string]any{"error": "body must be a JSON object: " + err.Error()})
			return
		}
	}
	p := strings.TrimPrefix(r.URL.Path, "/_sim")
	if id, ok := strings.CutPrefix(p, "/faults/"); ok {
		p, a.id = "/faults/{id}", id
	}
	h := s.adminRoutes()[r.Method+" "+p]
	if h == nil {
		adminJSON(w, 404, map[string]any{"error": "unknown admin endpoint " + r.Method + " " + r.URL.Path})
		return
	}
	data, err := h(a)
	switch {
	case errors.Is(err, errNoSuchFault):
		adminJSON(w, 404, map[string]any{"error": err.Error()})
	case err != nil:
		adminJSON(w, 400, map[string]any{"error": err.Error()})
	default:
		adminJSON(w, 200, map[string]any{"data": data})
	}
}

func (s *Sim) adminAddFault(a *adminReq) (any, error) {
	if a.body == nil {
		a.body = map[string]any{}
	}
	if d := a.str("delay"); d != "" {
		if dd, err := time.ParseDuration(d); err == nil {
			a.body["delay"] = int64(dd)
		}
	}
	raw, _ := json.Marshal(a.body)
	var f Fault
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, err
	}
	id, err := s.AddFault(f)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": id}, nil
}

func (s *Sim) adminRemoveFault(a *adminReq) (any, error) {
	id, _ := strconv.Atoi(a.id)
	if !s.RemoveFault(id) {
		return nil, errNoSuchFault
	}
	return nil, nil
}

func (s *Sim) adminAdvance(a *adminReq) (any, error) {
	d, err := time.ParseDuration(a.str("duration"))
	if err != nil || d < 0 {
		return nil, fmt.Errorf("duration: want a Go duration like 30s")
	}
	s.Advance(d)
	return nil, nil
}

// adminAddToken creates a token and, with role, grants it to the token and
// its user on path (default /).
func (s *Sim) adminAddToken(a *adminReq) (any, error) {
	id := a.str("tokenid")
	if err := s.AddToken(id, a.str("secret"), a.flag("privsep", true)); err != nil {
		return nil, err
	}
	role := a.str("role")
	if role == "" {
		return nil, nil
	}
	user, _ := splitUser(id)
	path := a.str("path")
	if path == "" {
		path = "/"
	}
	for _, ug := range []string{user, id} {
		if err := s.SetACL(path, ug, role, a.flag("propagate", true)); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
