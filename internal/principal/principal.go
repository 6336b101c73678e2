// Package principal names who is calling the server (a static HTTP token,
// an OAuth subject, the local user of the stdio server, or nobody) and what
// an OAuth token's scopes let it do.
package principal

import (
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"
)

// Kinds of principal.
const (
	KindToken     = "token"     // a static bearer token (PVE_MCP_HTTP_TOKEN[_FILE])
	KindOAuth     = "oauth"     // a JWT access token from the OAuth issuer
	KindLocal     = "local"     // the user running the stdio server
	KindAnonymous = "anonymous" // HTTP on loopback without authentication
)

// Effects a tool may have, as named in scopes.
const (
	EffectRead        = "read"
	EffectWrite       = "write"
	EffectDestructive = "destructive"
)

// Scopes an OAuth token may carry. ScopeToolsetPrefix+NAME restricts the
// token to the toolsets it names.
const (
	ScopeRead          = "pve:read"
	ScopeWrite         = "pve:write"
	ScopeDestructive   = "pve:destructive"
	ScopeToolsetPrefix = "pve:toolset:"
)

// OAuthPrefix starts the TokenInfo.UserID of an OAuth principal; static
// token names cannot hold ':', so the two never collide.
const OAuthPrefix = "oauth:"

// Extra keys of an OAuth principal's auth.TokenInfo.
const (
	ExtraKind    = "kind"
	ExtraSubject = "subject"
	ExtraIssuer  = "issuer"
	ExtraGroups  = "groups"
)

// Principal is who makes a call.
type Principal struct {
	Kind   string   // KindToken, KindOAuth, KindLocal or KindAnonymous
	Name   string   // the token's name, the OAuth subject or the local user
	Groups []string // OAuth only
	Scopes []string // OAuth only
}

// FromTokenInfo reads the principal the HTTP transport authenticated. A nil
// TokenInfo (no authentication) is anonymous; the stdio server has none
// either and uses Local.
func FromTokenInfo(ti *auth.TokenInfo) Principal {
	if ti == nil || ti.UserID == "" {
		return Principal{Kind: KindAnonymous}
	}
	if kind, _ := ti.Extra[ExtraKind].(string); kind == KindOAuth {
		p := Principal{Kind: KindOAuth, Scopes: slices.Clone(ti.Scopes)}
		p.Name, _ = ti.Extra[ExtraSubject].(string)
		if p.Name == "" {
			p.Name = strings.TrimPrefix(ti.UserID, OAuthPrefix)
		}
		p.Groups, _ = ti.Extra[ExtraGroups].([]string)
		p.Groups = slices.Clone(p.Groups)
		return p
	}
	return Principal{Kind: KindToken, Name: ti.UserID}
}

// Local is the user running the stdio server.
func Local(user string) Principal { return Principal{Kind: KindLocal, Name: user} }

// ScopeAllows tells whether the principal's scopes allow a tool of toolset
// with effect (EffectRead, EffectWrite or EffectDestructive); when not, the
// reason names the scope missing. A wider effect scope covers the narrower
// ones (pve:destructive covers writes and reads, pve:write covers reads);
// without any pve:toolset: scope every toolset is allowed. Principals other
// than OAuth ones are not restricted by scopes.
func (p Principal) ScopeAllows(toolset, effect string) (bool, string) {
	if p.Kind != KindOAuth {
		return true, ""
	}
	var enough []string
	switch effect {
	case EffectRead:
		enough = []string{ScopeRead, ScopeWrite, ScopeDestructive}
	case EffectWrite:
		enough = []string{ScopeWrite, ScopeDestructive}
	case EffectDestructive:
		enough = []string{ScopeDestructive}
	default:
		return false, "unknown effect " + effect
	}
	if !slices.ContainsFunc(p.Scopes, func(s string) bool { return slices.Contains(enough, s) }) {
		return false, "the token lacks the scope " + enough[0]
	}
	restricted := slices.ContainsFunc(p.Scopes, func(s string) bool { return strings.HasPrefix(s, ScopeToolsetPrefix) })
	if restricted && !slices.Contains(p.Scopes, ScopeToolsetPrefix+toolset) {
		return false, "the token lacks the scope " + ScopeToolsetPrefix + toolset
	}
	return true, ""
}

// HasAnyEffectScope tells whether scopes hold one of pve:read, pve:write
// and pve:destructive: without one an OAuth token can call nothing.
func HasAnyEffectScope(scopes []string) bool {
	return slices.ContainsFunc(scopes, func(s string) bool {
		return s == ScopeRead || s == ScopeWrite || s == ScopeDestructive
	})
}
