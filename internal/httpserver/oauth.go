package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/principal"
)

// signingAlgs are the algorithms a token may be signed with: asymmetric
// ones only, so "none" and HMAC (whose key would be the public key of an
// RSA issuer) never pass; the key set decides which key signs.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

const (
	// discoveryRetry spaces the attempts to read the issuer's metadata
	// while it cannot be read, so a down issuer is not asked per request.
	discoveryRetry = 10 * time.Second
	maxMetadata    = 1 << 20
)

// oauthVerifier checks JWT access tokens of one issuer for one audience.
// jwksCache holds the issuer's keys, go-oidc checks the signature against
// them; the claims are checked here, as access tokens are not ID tokens.
type oauthVerifier struct {
	cfg    config.OAuth
	client *http.Client
	now    func() time.Time // tests move it

	mu      sync.Mutex
	keys    *jwksCache // nil until the key set's URL is known
	lastTry time.Time
	lastErr error
}

func newOAuthVerifier(cfg config.OAuth) *oauthVerifier {
	return &oauthVerifier{cfg: cfg, client: &http.Client{Timeout: 10 * time.Second}, now: time.Now}
}

// rejection says why a token was refused: desc goes to the client (it
// never quotes the token), detail and subject only to the log.
type rejection struct {
	status  int // 401, or 503 when the issuer cannot be reached
	desc    string
	detail  string
	subject string
}

func (r *rejection) Error() string { return r.desc }

func reject(desc, detail string) *rejection {
	return &rejection{status: http.StatusUnauthorized, desc: desc, detail: detail}
}

// claims are the parts of an access token (RFC 9068) the server reads.
type claims struct {
	jwt.Claims
	Scope json.RawMessage `json:"scope"`
	Scp   json.RawMessage `json:"scp"`
}

// verify checks raw and returns the TokenInfo of its principal.
func (v *oauthVerifier) verify(ctx context.Context, raw string) (*auth.TokenInfo, *rejection) {
	jws, err := jose.ParseSignedCompact(raw, signingAlgs)
	if err != nil {
		return nil, reject("the token is not a JWT signed with an accepted algorithm", "parse: "+err.Error())
	}
	if len(jws.Signatures) != 1 {
		return nil, reject("the token must carry exactly one signature", "signatures")
	}
	keys, err := v.keySet(ctx)
	if err != nil {
		return nil, &rejection{status: http.StatusServiceUnavailable, desc: "the authorization server's keys cannot be read now; retry later",
			detail: err.Error()}
	}
	payload, err := keys.verify(ctx, raw)
	if errors.Is(err, errNoKeys) {
		return nil, &rejection{status: http.StatusServiceUnavailable, desc: "the authorization server's keys cannot be read now; retry later",
			detail: err.Error()}
	}
	if err != nil {
		return nil, reject("the token's signature does not verify with the issuer's keys", err.Error())
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, reject("the token's claims are malformed", "claims: "+err.Error())
	}
	now, skew := v.now(), v.cfg.ClockSkew
	bad := func(desc string) *rejection {
		r := reject(desc, desc)
		r.subject = c.Subject
		return r
	}
	switch {
	case c.Issuer != v.cfg.Issuer:
		return nil, bad("the token was issued by another issuer")
	case !c.Audience.Contains(v.cfg.Audience):
		return nil, bad("the token is not meant for this server (aud)")
	case c.Expiry == nil:
		return nil, bad("the token has no expiry (exp)")
	case now.After(c.Expiry.Time().Add(skew)):
		return nil, bad("the token has expired")
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(skew)):
		return nil, bad("the token is not valid yet (nbf)")
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(skew)):
		return nil, bad("the token is issued in the future (iat)")
	case c.Subject == "":
		return nil, bad("the token has no subject (sub)")
	}
	scopes, err := scopeList(c.Scope, c.Scp)
	if err != nil {
		return nil, bad("the token's scope claim is malformed")
	}
	groups, err := v.groups(payload)
	if err != nil {
		return nil, bad("the token's " + v.cfg.GroupsClaim + " claim is not a list of strings")
	}
	return &auth.TokenInfo{
		UserID:     principal.OAuthPrefix + c.Subject,
		Scopes:     scopes,
		Expiration: c.Expiry.Time(),
		Extra: map[string]any{
			principal.ExtraKind:    principal.KindOAuth,
			principal.ExtraSubject: c.Subject,
			principal.ExtraIssuer:  c.Issuer,
			principal.ExtraGroups:  groups,
		},
	}, nil
}

// scopeList reads scope (RFC 9068: space-separated) or scp (an array, or
// a string as some issuers send it).
func scopeList(scope, scp json.RawMessage) ([]string, error) {
	var out []string
	for _, raw := range []json.RawMessage{scope, scp} {
		l, err := stringOrList(raw, true)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	return out, nil
}

func (v *oauthVerifier) groups(payload []byte) ([]string, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(payload, &all); err != nil {
		return nil, err
	}
	return stringOrList(all[v.cfg.GroupsClaim], false)
}

// stringOrList reads a claim that is a list of strings or one string,
// split at spaces when split is set; absent or null is empty.
func stringOrList(raw json.RawMessage, split bool) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if split {
			return strings.Fields(s), nil
		}
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, errors.New("neither a string nor a list of strings")
	}
	return l, nil
}

// keySet returns the issuer's key set, discovering its URL on first use.
func (v *oauthVerifier) keySet(ctx context.Context) (*jwksCache, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys != nil {
		return v.keys, nil
	}
	if v.lastErr != nil && v.now().Sub(v.lastTry) < discoveryRetry {
		return nil, v.lastErr
	}
	jwks := v.cfg.JWKSURL
	if jwks == "" {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var err error
		if jwks, err = discoverJWKS(ctx, v.client, v.cfg.Issuer); err != nil {
			v.lastTry, v.lastErr = v.now(), err
			return nil, err
		}
	}
	v.keys = &jwksCache{url: jwks, client: v.client, now: func() time.Time { return v.now() }}
	return v.keys, nil
}

// discoverJWKS reads jwks_uri from the issuer's OpenID configuration, or
// else from its OAuth authorization server metadata (RFC 8414), whose
// well-known path goes before the issuer's path.
func discoverJWKS(ctx context.Context, client *http.Client, issuer string) (string, error) {
	u, err := url.Parse(issuer)
	if err != nil {
		return "", fmt.Errorf("OAuth issuer: %w", err)
	}
	path := strings.TrimSuffix(u.Path, "/")
	oidcURL, rfc8414 := *u, *u
	oidcURL.Path = path + "/.well-known/openid-configuration"
	rfc8414.Path = "/.well-known/oauth-authorization-server" + path
	var errs []error
	for _, m := range []string{oidcURL.String(), rfc8414.String()} {
		jwks, err := readJWKSURI(ctx, client, m, issuer)
		if err == nil {
			return jwks, nil
		}
		errs = append(errs, err)
	}
	return "", fmt.Errorf("discover the issuer's key set (set PVE_MCP_HTTP_OAUTH_JWKS_URL to skip it): %w", errors.Join(errs...))
}

func readJWKSURI(ctx context.Context, client *http.Client, metadataURL, issuer string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return "", fmt.Errorf("metadata %s: %w", metadataURL, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("metadata %s: HTTP %d", metadataURL, resp.StatusCode)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadata)).Decode(&doc); err != nil {
		return "", fmt.Errorf("metadata %s: %w", metadataURL, err)
	}
	// RFC 8414 §3.3 and OpenID Discovery §4.3: a document naming another
	// issuer must not be used.
	if doc.Issuer != issuer {
		return "", fmt.Errorf("metadata %s names the issuer %q, not %q", metadataURL, doc.Issuer, issuer)
	}
	ju, err := url.Parse(doc.JWKSURI)
	if err != nil || ju.Host == "" || (ju.Scheme != "https" && !(ju.Scheme == "http" && config.IsLoopbackHost(ju.Hostname()))) {
		return "", fmt.Errorf("metadata %s: jwks_uri %q is not an https URL", metadataURL, doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}
