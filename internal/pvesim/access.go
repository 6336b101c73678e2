package pvesim

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// authenticate resolves the caller from an API token header or a ticket
// cookie (PVEAuthCookie), in pve-http-server's precedence: cookie, then
// PVEAuthCookie in the Authorization header, then the token.
func (s *Sim) authenticate(c *call, r *http.Request) error {
	if c.method == "POST" && c.rel == "/access/ticket" && !strings.Contains(r.Header.Get("Authorization"), "PVEAPIToken") {
		return nil // world-accessible: the login itself
	}
	if c.method == "GET" && (c.rel == "/access/domains" || c.rel == "/access/ticket") {
		// pve-http-server asks no credentials here (the login box lists realms)
		if err := s.checkCredentials(c, r); err != nil {
			c.authid, c.ticket = "", false
		}
		return nil
	}
	return s.checkCredentials(c, r)
}

func (s *Sim) checkCredentials(c *call, r *http.Request) error {
	ticket := ""
	if ck, err := r.Cookie("PVEAuthCookie"); err == nil {
		ticket = unescapeTicket(ck.Value)
	}
	auth := r.Header.Get("Authorization")
	if ticket == "" && strings.HasPrefix(auth, "PVEAuthCookie=") {
		ticket = unescapeTicket(strings.TrimPrefix(auth, "PVEAuthCookie="))
	}
	if ticket != "" {
		user, ok := s.acl.st.VerifyTicket(ticket)
		if !ok {
			return &apiError{status: 401, msg: "Authentication failed!", empty: true}
		}
		c.authid, c.ticket = user, true
		return nil
	}
	if strings.Contains(auth, "PVEAPIToken") {
		id, ok := s.acl.st.CheckToken(auth)
		if !ok {
			return &apiError{status: 401, msg: "Authentication failed!", empty: true}
		}
		c.authid = id
		return nil
	}
	return &apiError{status: 401, msg: "No ticket", empty: true}
}

func (s *Sim) verifyCSRF(c *call, r *http.Request) bool {
	return s.acl.st.VerifyCSRF(c.authid, r.Header.Get("CSRFPreventionToken"))
}

// has tells whether authid holds every privilege on path.
func (s *Sim) has(authid, path string, privs ...string) bool {
	for _, p := range privs {
		if !s.acl.has(authid, path, p) {
			return false
		}
	}
	return true
}

// checkPriv fails with the 403 of the first missing privilege.
func (c *call) checkPriv(path string, privs ...string) error { return c.op().checkPriv(path, privs...) }

// checkAny fails unless authid holds at least one of privs on path.
func (c *call) checkAny(path string, privs ...string) error {
	for _, p := range privs {
		if c.s.acl.has(c.authid, path, p) {
			return nil
		}
	}
	return permError(path, privs...)
}

// checkPermission applies the endpoint's schema permission rule.
func (s *Sim) checkPermission(c *call, ep *pveschema.Endpoint) error {
	return s.acl.checkRule(c.authid, ep.Permissions, c.params)
}

func (s *Sim) createTicket(c *call) (any, error) {
	user := c.params["username"]
	if realm := c.params["realm"]; realm != "" && !strings.Contains(user, "@") {
		user += "@" + realm
	}
	ticket, csrf, err := s.acl.st.Login(user, c.params["password"])
	if err != nil {
		return nil, &apiError{status: 401, msg: "authentication failure\n"}
	}
	out := map[string]any{
		"username":            user,
		"ticket":              ticket,
		"CSRFPreventionToken": csrf,
		"cap":                 s.acl.capabilities(user),
	}
	if s.has(user, "/", "Sys.Audit") && len(c.st.nodes) > 1 {
		out["clustername"] = c.st.clusterName
	}
	return out, nil
}

func (s *Sim) getPermissions(c *call) (any, error) {
	target := c.authid
	if u := c.params["userid"]; u != "" && u != c.authid {
		owner, _ := splitUser(u)
		if !(isToken(u) && owner == c.authid) && !s.has(c.authid, "/access", "Sys.Audit") {
			return nil, permError("/access", "Sys.Audit")
		}
		target = u
	}
	return s.acl.permissions(target, c.params["path"]), nil
}

// unescapeTicket decodes %XX as pve-http-server's uri_unescape does, and
// nothing else: a '+' of the ticket's base64 signature stays a '+' (clients
// send the ticket raw).
func unescapeTicket(v string) string {
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}
