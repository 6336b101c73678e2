package pvesim

import (
	"errors"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveacl"
)

// API tokens of a user (/access/users/{userid}/token), PVE::API2::User.

// tokenOf checks that the user and its token exist (check_token_exist).
func (s *Sim) tokenOf(c *call) (string, pveacl.TokenInfo, error) {
	user, name := c.params["userid"], c.params["tokenid"]
	if !s.acl.st.HasUser(user) {
		return "", pveacl.TokenInfo{}, failf("no such user ('%s')", user)
	}
	full := user + "!" + name
	t, ok := s.acl.st.Token(full)
	if !ok {
		return "", pveacl.TokenInfo{}, failf("no such token '%s' for user '%s'", name, user)
	}
	return full, t, nil
}

func (s *Sim) listTokens(c *call) (any, error) {
	user := c.params["userid"]
	if !s.acl.st.HasUser(user) {
		return nil, failf("no such user ('%s')", user)
	}
	out := []map[string]any{}
	for _, n := range s.acl.st.TokenNames(user) {
		t, _ := s.acl.st.Token(user + "!" + n)
		e := tokenEntry(t)
		e["tokenid"] = n
		out = append(out, e)
	}
	return out, nil
}

func (s *Sim) readToken(c *call) (any, error) {
	_, t, err := s.tokenOf(c)
	if err != nil {
		return nil, err
	}
	return tokenEntry(t), nil
}

// generateToken answers the secret once; info holds only what was set
// (privsep always, expire and comment when given).
func (s *Sim) generateToken(c *call) (any, error) {
	user, name := c.params["userid"], c.params["tokenid"]
	if !s.acl.st.HasUser(user) {
		return nil, failf("no such user ('%s')", user)
	}
	full := user + "!" + name
	if _, exists := s.acl.st.Token(full); exists {
		return nil, paramErr("tokenid", "Token already exists.")
	}
	info := pveacl.TokenInfo{Privsep: c.flagOr("privsep", true), Expire: atoi64Default(c.params["expire"], 0),
		Comment: c.params["comment"]}
	secret := randomUUID()
	if err := s.acl.st.CreateToken(full, secret, info); err != nil {
		if errors.Is(err, pveacl.ErrExists) {
			return nil, failf("generating token failed: Token already exists.")
		}
		return nil, failf("generating token failed: %s", err)
	}
	shown := map[string]any{"privsep": b2i(info.Privsep)}
	if c.has("expire") {
		shown["expire"] = info.Expire
	}
	if info.Comment != "" {
		shown["comment"] = info.Comment
	}
	return map[string]any{"info": shown, "value": secret, "full-tokenid": full}, nil
}

func (s *Sim) updateToken(c *call) (any, error) {
	full, _, err := s.tokenOf(c)
	if err != nil {
		return nil, err
	}
	del := splitList(c.params["delete"])
	for _, k := range del {
		if k != "comment" {
			return nil, paramErr("delete", "unknown option '"+k+"'")
		}
	}
	_ = s.acl.st.UpdateToken(full, func(t *pveacl.TokenInfo) {
		if c.has("privsep") {
			t.Privsep = c.flagOr("privsep", true)
		}
		if c.has("expire") {
			t.Expire = atoi64Default(c.params["expire"], 0)
		}
		if v, ok := c.params["comment"]; ok {
			t.Comment = v
		}
		if len(del) > 0 {
			t.Comment = ""
		}
	})
	t, _ := s.acl.st.Token(full)
	out := tokenEntry(t)
	if c.flag("regenerate") {
		secret := randomUUID()
		_ = s.acl.st.RegenerateToken(full, secret)
		out["value"], out["full-tokenid"] = secret, full
	}
	return out, nil
}

// removeToken deletes the token; its ACL entries go with it.
func (s *Sim) removeToken(c *call) (any, error) {
	full, _, err := s.tokenOf(c)
	if err != nil {
		return nil, err
	}
	s.acl.st.DeleteToken(full)
	return nil, nil
}
