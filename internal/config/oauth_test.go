package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func oauthEnv(extra map[string]string) Getenv {
	m := map[string]string{"PVE_MCP_TRANSPORT": "http"}
	for k, v := range extra {
		m[k] = v
	}
	return env(m)
}

func TestOAuthOffByDefault(t *testing.T) {
	c, err := LoadHTTP(oauthEnv(nil), nil)
	if err != nil || c.OAuth != nil {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestOAuthDefaultsAndValues(t *testing.T) {
	c, err := LoadHTTP(oauthEnv(map[string]string{
		"PVE_MCP_HTTP_OAUTH_ISSUER":   "https://idp.example/realms/pve",
		"PVE_MCP_HTTP_OAUTH_AUDIENCE": "https://mcp.example/mcp",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	o := c.OAuth
	if o == nil || o.Issuer != "https://idp.example/realms/pve" || o.Audience != "https://mcp.example/mcp" || o.JWKSURL != "" ||
		o.ResourceURL != "" || o.ClockSkew != time.Minute || o.GroupsClaim != "groups" || !slices.Equal(o.ScopesSupported, DefaultOAuthScopes) {
		t.Fatalf("defaults: %+v", o)
	}
	c, err = LoadHTTP(oauthEnv(map[string]string{
		"PVE_MCP_LISTEN":                      "0.0.0.0:8787", // OAuth alone is enough off loopback
		"PVE_MCP_ALLOWED_HOSTS":               "mcp.example",
		"PVE_MCP_HTTP_OAUTH_ISSUER":           "http://127.0.0.1:9999",
		"PVE_MCP_HTTP_OAUTH_AUDIENCE":         "pve-mcp",
		"PVE_MCP_HTTP_OAUTH_JWKS_URL":         "https://idp.example/keys",
		"PVE_MCP_HTTP_OAUTH_CLOCK_SKEW":       "5s",
		"PVE_MCP_HTTP_OAUTH_GROUPS_CLAIM":     "roles",
		"PVE_MCP_HTTP_OAUTH_SCOPES_SUPPORTED": "pve:read pve:toolset:qemu,pve:read",
		"PVE_MCP_HTTP_RESOURCE_URL":           "https://mcp.example/mcp",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	o = c.OAuth
	if o.Issuer != "http://127.0.0.1:9999" || o.JWKSURL != "https://idp.example/keys" || o.ClockSkew != 5*time.Second ||
		o.GroupsClaim != "roles" || !slices.Equal(o.ScopesSupported, []string{"pve:read", "pve:toolset:qemu"}) ||
		o.ResourceURL != "https://mcp.example/mcp" {
		t.Fatalf("values: %+v", o)
	}
}

func TestOAuthProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"audience required", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "https://idp.example"},
			[]string{"PVE_MCP_HTTP_OAUTH_AUDIENCE: required"}},
		{"plain http issuer", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "http://idp.example", "PVE_MCP_HTTP_OAUTH_AUDIENCE": "a"},
			[]string{"PVE_MCP_HTTP_OAUTH_ISSUER", "must use https"}},
		{"not a URL", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "idp.example", "PVE_MCP_HTTP_OAUTH_AUDIENCE": "a"},
			[]string{"PVE_MCP_HTTP_OAUTH_ISSUER", "not an absolute URL"}},
		{"query", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "https://idp.example/?x=1", "PVE_MCP_HTTP_OAUTH_AUDIENCE": "a"},
			[]string{"PVE_MCP_HTTP_OAUTH_ISSUER: must not hold a user, query or fragment"}},
		{"bad jwks and resource", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "https://idp.example", "PVE_MCP_HTTP_OAUTH_AUDIENCE": "a",
			"PVE_MCP_HTTP_OAUTH_JWKS_URL": "http://idp.example/keys", "PVE_MCP_HTTP_RESOURCE_URL": "/mcp"},
			[]string{"PVE_MCP_HTTP_OAUTH_JWKS_URL", "PVE_MCP_HTTP_RESOURCE_URL"}},
		{"skew", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "https://idp.example", "PVE_MCP_HTTP_OAUTH_AUDIENCE": "a",
			"PVE_MCP_HTTP_OAUTH_CLOCK_SKEW": "1h"}, []string{"PVE_MCP_HTTP_OAUTH_CLOCK_SKEW", "between 0s and 10m"}},
		{"groups claim", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "https://idp.example", "PVE_MCP_HTTP_OAUTH_AUDIENCE": "a",
			"PVE_MCP_HTTP_OAUTH_GROUPS_CLAIM": "grüppen"}, []string{"PVE_MCP_HTTP_OAUTH_GROUPS_CLAIM"}},
		{"scope with a quote", map[string]string{"PVE_MCP_HTTP_OAUTH_ISSUER": "https://idp.example", "PVE_MCP_HTTP_OAUTH_AUDIENCE": "a",
			"PVE_MCP_HTTP_OAUTH_SCOPES_SUPPORTED": `pve:read,a"b`}, []string{"PVE_MCP_HTTP_OAUTH_SCOPES_SUPPORTED"}},
		{"settings without issuer", map[string]string{"PVE_MCP_HTTP_OAUTH_AUDIENCE": "a", "PVE_MCP_HTTP_RESOURCE_URL": "https://m/mcp"},
			[]string{"PVE_MCP_HTTP_OAUTH_AUDIENCE: takes effect only with PVE_MCP_HTTP_OAUTH_ISSUER", "PVE_MCP_HTTP_RESOURCE_URL: takes effect"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadHTTP(oauthEnv(tc.env), nil)
			if err == nil || !IsConfigError(err) {
				t.Fatalf("got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("missing %q in:\n%s", w, err)
				}
			}
		})
	}
}
