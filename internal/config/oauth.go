package config

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults of the OAuth resource server.
const (
	DefaultOAuthClockSkew   = 60 * time.Second
	DefaultOAuthGroupsClaim = "groups"
	maxOAuthClockSkew       = 10 * time.Minute
)

// DefaultOAuthScopes are the scopes the server understands: what kind of
// tools a token may call; pve:toolset:NAME further restricts it to toolsets.
var DefaultOAuthScopes = []string{"pve:read", "pve:write", "pve:destructive"}

// OAuth makes the HTTP transport an OAuth 2.1 resource server: it accepts
// JWT access tokens its issuer signed for its audience. A config file may
// fill the same struct.
type OAuth struct {
	// Issuer is the authorization server's issuer URL; tokens' iss must
	// equal it exactly.
	Issuer string
	// Audience must be among a token's aud, typically ResourceURL.
	Audience string
	// JWKSURL holds the issuer's signing keys; "" discovers it from the
	// issuer's metadata.
	JWKSURL string
	// ResourceURL is the public URL of the MCP endpoint, the resource of
	// the protected-resource metadata; "" derives it from each request's Host.
	ResourceURL string
	// ClockSkew is the tolerance on exp, nbf and iat.
	ClockSkew time.Duration
	// GroupsClaim is the claim holding the subject's groups.
	GroupsClaim string
	// ScopesSupported is advertised in the metadata.
	ScopesSupported []string
}

// oauth reads the OAuth settings; nil when no issuer is set.
func (p *parser) oauth() *OAuth {
	issuer, ok := p.get("PVE_MCP_HTTP_OAUTH_ISSUER")
	if !ok {
		for _, k := range []string{"PVE_MCP_HTTP_OAUTH_AUDIENCE", "PVE_MCP_HTTP_OAUTH_JWKS_URL", "PVE_MCP_HTTP_OAUTH_CLOCK_SKEW",
			"PVE_MCP_HTTP_OAUTH_GROUPS_CLAIM", "PVE_MCP_HTTP_OAUTH_SCOPES_SUPPORTED", "PVE_MCP_HTTP_RESOURCE_URL"} {
			if _, set := p.get(k); set {
				p.fail("%s: takes effect only with PVE_MCP_HTTP_OAUTH_ISSUER (the authorization server's issuer URL)", k)
			}
		}
		return nil
	}
	o := &OAuth{ClockSkew: DefaultOAuthClockSkew, GroupsClaim: DefaultOAuthGroupsClaim}
	if p.oauthURL("PVE_MCP_HTTP_OAUTH_ISSUER", issuer, "the authorization server's issuer URL, e.g. https://idp.example/realms/pve") {
		o.Issuer = issuer
	}
	if v, ok := p.get("PVE_MCP_HTTP_OAUTH_AUDIENCE"); ok {
		o.Audience = v
	} else {
		p.fail("PVE_MCP_HTTP_OAUTH_AUDIENCE: required with PVE_MCP_HTTP_OAUTH_ISSUER: the aud tokens must carry, " +
			"typically the MCP endpoint's URL, e.g. https://mcp.example/mcp")
	}
	if v, ok := p.get("PVE_MCP_HTTP_OAUTH_JWKS_URL"); ok && p.oauthURL("PVE_MCP_HTTP_OAUTH_JWKS_URL", v, "the URL of the issuer's JSON Web Key Set") {
		o.JWKSURL = v
	}
	if v, ok := p.get("PVE_MCP_HTTP_RESOURCE_URL"); ok && p.oauthURL("PVE_MCP_HTTP_RESOURCE_URL", v, "the public URL of the MCP endpoint, e.g. https://mcp.example/mcp") {
		o.ResourceURL = v
	}
	if v, ok := p.get("PVE_MCP_HTTP_OAUTH_CLOCK_SKEW"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxOAuthClockSkew {
			p.fail("PVE_MCP_HTTP_OAUTH_CLOCK_SKEW: %q is not a duration between 0s and %v (e.g. 30s)", v, maxOAuthClockSkew)
		} else {
			o.ClockSkew = d
		}
	}
	if v, ok := p.get("PVE_MCP_HTTP_OAUTH_GROUPS_CLAIM"); ok {
		if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
			p.fail("PVE_MCP_HTTP_OAUTH_GROUPS_CLAIM: %q is not a claim name (printable ASCII without spaces, e.g. groups or roles)", v)
		} else {
			o.GroupsClaim = v
		}
	}
	o.ScopesSupported = slices.Clone(DefaultOAuthScopes)
	if v, ok := p.get("PVE_MCP_HTTP_OAUTH_SCOPES_SUPPORTED"); ok {
		o.ScopesSupported = nil
		for _, s := range splitList(v) {
			if strings.ContainsAny(s, `"\`) || strings.ContainsFunc(s, func(r rune) bool { return r < '!' || r > '~' }) {
				p.fail("PVE_MCP_HTTP_OAUTH_SCOPES_SUPPORTED: %q is not a scope (printable ASCII without quotes or backslashes)", s)
				continue
			}
			if !slices.Contains(o.ScopesSupported, s) {
				o.ScopesSupported = append(o.ScopesSupported, s)
			}
		}
	}
	return o
}

// oauthURL checks a URL of the OAuth settings: https, or http on a loopback
// host (a test's authorization server), without userinfo, query or fragment.
func (p *parser) oauthURL(key, v, what string) bool {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		p.fail("%s: %q is not an absolute URL (%s)", key, v, what)
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())):
		p.fail("%s: %q must use https (plain http only on a loopback host, for tests)", key, v)
	case u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		p.fail("%s: must not hold a user, query or fragment (%s)", key, what)
	default:
		return true
	}
	return false
}
