package httpserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/principal"
)

const testAudience = "https://mcp.test/mcp"

// oauthEnv is our server with static tokens and OAuth against a real
// provider; skew moves the verifier's clock; seen records the TokenInfo of
// the requests the MCP server received.
type oauthEnv struct {
	*env
	op   *testOP
	skew atomic.Int64
	mu   sync.Mutex
	seen []*auth.TokenInfo
}

func newOAuthEnv(t *testing.T) *oauthEnv {
	t.Helper()
	oe := &oauthEnv{op: startOP(t, testAudience, nil)}
	cfg := &config.OAuth{Issuer: oe.op.issuer, Audience: testAudience, ClockSkew: time.Minute,
		GroupsClaim: "groups", ScopesSupported: config.DefaultOAuthScopes}
	clock := Option(func(h *Server) {
		h.oauth.now = func() time.Time { return time.Now().Add(time.Duration(oe.skew.Load())) }
	})
	oe.env = newEnv(t, envOpts{http: config.HTTPConfig{OAuth: cfg}, options: []Option{clock}})
	oe.srv.mcp.AddReceivingMiddleware(func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			if ex := req.GetExtra(); ex != nil && method == "tools/list" {
				oe.mu.Lock()
				oe.seen = append(oe.seen, ex.TokenInfo)
				oe.mu.Unlock()
			}
			return next(ctx, method, req)
		}
	})
	return oe
}

func (oe *oauthEnv) lastSeen() *auth.TokenInfo {
	oe.mu.Lock()
	defer oe.mu.Unlock()
	if len(oe.seen) == 0 {
		return nil
	}
	return oe.seen[len(oe.seen)-1]
}

func (oe *oauthEnv) metadataURL() string { return oe.base + MetadataPath + Endpoint }

func TestOAuthValidToken(t *testing.T) {
	oe := newOAuthEnv(t)
	tok := oe.op.token("openid", "pve:read", "pve:toolset:qemu")
	cs := oe.mustConnect(tok, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.ListTools(ctx, nil)
	if err != nil || len(res.Tools) == 0 {
		t.Fatalf("tools/list: %v, %d tools", err, len(res.Tools))
	}
	ti := oe.lastSeen()
	if ti == nil || ti.UserID != "oauth:"+serviceID || ti.Expiration.IsZero() || ti.Extra["issuer"] != oe.op.issuer {
		t.Fatalf("TokenInfo: %+v", ti)
	}
	want := principal.Principal{Kind: "oauth", Name: serviceID, Groups: []string{"ops", "pve-admins"},
		Scopes: []string{"openid", "pve:read", "pve:toolset:qemu"}}
	if diff := cmp.Diff(want, principal.FromTokenInfo(ti)); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	// A static token still works beside OAuth, as before.
	_, err = oe.mustConnect(aliceToken, nil).ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := principal.FromTokenInfo(oe.lastSeen()); p.Kind != "token" || p.Name != "alice" || p.Scopes != nil {
		t.Errorf("static token principal: %+v", p)
	}
	if strings.Contains(oe.logs.String(), tok) {
		t.Error("OAuth token in the log")
	}
}

func TestOAuthSessionBoundToSubject(t *testing.T) {
	oe := newOAuthEnv(t)
	sid := oe.openRaw(oe.op.token("pve:read"))
	// A fresh token of the same subject keeps the session; a static token
	// may not take it over.
	if resp, body := oe.raw("POST", Endpoint, withSession(oe.op.token("pve:write"), sid), listToolsBody); resp.StatusCode != 200 {
		t.Fatalf("same subject: %d %s", resp.StatusCode, body)
	}
	if resp, _ := oe.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode == 200 {
		t.Fatal("another principal used the session")
	}
}

func TestOAuthRejections(t *testing.T) {
	oe := newOAuthEnv(t)
	good := oe.op.token("pve:read")
	now := time.Now().Unix()
	base := func() map[string]any {
		return map[string]any{"iss": oe.op.issuer, "sub": "u1", "aud": testAudience, "exp": now + 300, "iat": now, "scope": "pve:read"}
	}
	with := func(k string, v any) map[string]any {
		c := base()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	// A provider with another issuer name but the same key: only iss is wrong.
	otherIssuer := startOP(t, testAudience, oe.op)
	// The same kid, signed with a key the provider does not know.
	opKey, _ := oe.op.store.SigningKey(context.Background())
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := base64.RawURLEncoding.EncodeToString
	claimsJSON, _ := json.Marshal(base())
	oe.op.setAudience("https://elsewhere.test/mcp")
	wrongAud := oe.op.token("pve:read")
	oe.op.setAudience("https://elsewhere.test/mcp", testAudience)
	audList := oe.op.token("pve:read")
	oe.op.setAudience(testAudience)

	for _, tc := range []struct {
		name   string
		token  string
		skew   time.Duration
		status int
		desc   string // in the challenge's error_description
	}{
		{name: "valid", token: good, status: 200},
		{name: "aud list holding ours", token: audList, status: 200},
		{name: "expired", token: good, skew: 7 * time.Minute, status: 401, desc: "expired"},
		{name: "expired but within skew", token: good, skew: 5*time.Minute + 30*time.Second, status: 200},
		{name: "wrong audience", token: wrongAud, status: 401, desc: "aud"},
		{name: "wrong issuer", token: otherIssuer.token("pve:read"), status: 401, desc: "another issuer"},
		{name: "unknown key", token: signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: stranger}, "not-a-kid", base()), status: 401, desc: "signature"},
		{name: "known kid, wrong key", token: signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: stranger}, opKey.ID(), base()), status: 401, desc: "signature"},
		{name: "ES256 unknown key", token: signWith(t, jose.SigningKey{Algorithm: jose.ES256, Key: ecKey}, "", base()), status: 401, desc: "signature"},
		{name: "unsigned", token: b64([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + b64(claimsJSON) + ".", status: 401, desc: "accepted algorithm"},
		{name: "HS256", token: signWith(t, jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, opKey.ID(), base()),
			status: 401, desc: "accepted algorithm"},
		{name: "garbage", token: "not-a-jwt-at-all-but-long-enough-to-look-like-one", status: 401, desc: "not a JWT"},
		{name: "no exp", token: oe.op.sign(with("exp", nil)), status: 401, desc: "exp"},
		{name: "nbf in the future", token: oe.op.sign(with("nbf", now+600)), status: 401, desc: "nbf"},
		{name: "iat in the future", token: oe.op.sign(with("iat", now+600)), status: 401, desc: "iat"},
		{name: "no sub", token: oe.op.sign(with("sub", nil)), status: 401, desc: "sub"},
		{name: "groups not strings", token: oe.op.sign(with("groups", []int{1})), status: 401, desc: "groups"},
		{name: "no scope claim", token: oe.op.sign(with("scope", nil)), status: 403},
		{name: "scp array with pve:write", token: oe.op.sign(with("scp", []string{"pve:write"})), status: 200},
		{name: "no pve scope", token: oe.op.token("openid", "profile"), status: 403},
		{name: "toolset scope alone", token: oe.op.token("pve:toolset:qemu"), status: 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			oe.skew.Store(int64(tc.skew))
			defer oe.skew.Store(0)
			resp, body := oe.raw("POST", Endpoint, bearer(tc.token), initializeBody)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			ch := resp.Header.Get("WWW-Authenticate")
			if strings.Contains(ch+body, tc.token) {
				t.Error("the answer echoes the token")
			}
			switch tc.status {
			case 401:
				if !strings.Contains(ch, `resource_metadata="`+oe.metadataURL()+`"`) || !strings.Contains(ch, `error="invalid_token"`) ||
					!strings.Contains(ch, "error_description=") || !strings.Contains(ch, tc.desc) {
					t.Errorf("challenge %q, want invalid_token mentioning %q", ch, tc.desc)
				}
			case 403:
				if !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="pve:read"`) ||
					!strings.Contains(ch, `resource_metadata="`+oe.metadataURL()+`"`) {
					t.Errorf("challenge %q", ch)
				}
			}
		})
	}
	if logs := oe.logs.String(); !strings.Contains(logs, "rejected OAuth token") || !strings.Contains(logs, "subject=u1") || strings.Contains(logs, good) {
		t.Errorf("log lacks the rejections, or holds a token:\n%s", logs)
	}
}

func TestOAuthChallengeWithoutToken(t *testing.T) {
	oe := newOAuthEnv(t)
	resp, _ := oe.raw("POST", Endpoint, nil, initializeBody)
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || !strings.HasPrefix(ch, "Bearer ") || !strings.Contains(ch, `resource_metadata="`+oe.metadataURL()+`"`) ||
		strings.Contains(ch, "error=") {
		t.Fatalf("%d %q", resp.StatusCode, ch)
	}
	// A token in the query string is refused, even a valid one, even with a header.
	tok := oe.op.token("pve:read")
	for _, hdr := range []http.Header{nil, bearer(tok)} {
		resp, body := oe.raw("POST", Endpoint+"?access_token="+tok, hdr, initializeBody)
		ch := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != 400 || !strings.Contains(ch, `error="invalid_request"`) || strings.Contains(ch+body, tok) {
			t.Errorf("query token: %d %q %s", resp.StatusCode, ch, body)
		}
	}
	if strings.Contains(oe.logs.String(), tok) {
		t.Error("token in the log")
	}
}

func TestOAuthMetadata(t *testing.T) {
	oe := newOAuthEnv(t)
	for _, path := range []string{MetadataPath, MetadataPath + Endpoint} {
		resp, body := oe.raw("GET", path, nil, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"resource":                 oe.url,
			"authorization_servers":    []any{oe.op.issuer},
			"scopes_supported":         []any{"pve:read", "pve:write", "pve:destructive"},
			"bearer_methods_supported": []any{"header"},
			"resource_name":            "proxmox-mcp-server",
		}
		if diff := cmp.Diff(want, doc); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
	if resp, _ := oe.raw("POST", MetadataPath, nil, "{}"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	if resp, _ := oe.raw("GET", MetadataPath, http.Header{"Host": {"evil.example"}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %d", resp.StatusCode)
	}
}

// TestDiscoveryFallback: an issuer without OpenID configuration is read
// from its RFC 8414 metadata, whose well-known path precedes the issuer's
// path; a document naming another issuer is refused, and an unreachable
// issuer answers 503.
func TestDiscoveryFallback(t *testing.T) {
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/oauth-authorization-server/tenant", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": issuer + "/keys"})
	})
	mux.HandleFunc("/other/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": "https://evil.example", "jwks_uri": "https://evil.example/keys"})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	issuer = srv.URL + "/tenant"
	ctx := context.Background()
	got, err := discoverJWKS(ctx, srv.Client(), issuer)
	if err != nil || got != issuer+"/keys" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := discoverJWKS(ctx, srv.Client(), srv.URL+"/other"); err == nil || !strings.Contains(err.Error(), "names the issuer") {
		t.Errorf("foreign issuer: %v", err)
	}
	v := newOAuthVerifier(config.OAuth{Issuer: srv.URL + "/missing", Audience: "a", ClockSkew: time.Minute})
	v.client = srv.Client()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok := signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: key}, "k", map[string]any{"sub": "u"})
	if _, rej := v.verify(ctx, tok); rej == nil || rej.status != http.StatusServiceUnavailable || strings.Contains(rej.desc, tok) {
		t.Errorf("unreachable issuer: %+v", rej)
	}
}

func TestMetadataURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://mcp.example/mcp":     "https://mcp.example/.well-known/oauth-protected-resource/mcp",
		"https://mcp.example/":        "https://mcp.example/.well-known/oauth-protected-resource",
		"https://mcp.example:8443/a/": "https://mcp.example:8443/.well-known/oauth-protected-resource/a",
	} {
		if got := metadataURL(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestScopeList(t *testing.T) {
	got, err := scopeList(json.RawMessage(`"a b  c"`), json.RawMessage(`["d"]`))
	if err != nil || !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("%v %v", got, err)
	}
	if _, err := scopeList(json.RawMessage(`{"x":1}`), nil); err == nil {
		t.Error("object accepted as scope")
	}
}
