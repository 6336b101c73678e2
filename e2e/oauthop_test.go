package e2e

// A real OpenID provider in process, adapted from internal/httpserver's
// oauthop_test.go: the binary under test fetches its keys over loopback.

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The example storage's service user, which gets tokens by the client
// credentials grant.
const (
	serviceID     = "sid1"
	serviceSecret = "verysecret"
)

// testOP is a real OpenID provider (zitadel's op package with its example
// storage) on loopback, issuing JWT access tokens.
type testOP struct {
	t      *testing.T
	issuer string
	store  *opStorage
}

// opStorage adapts the example storage: its service user gets JWT access
// tokens (not opaque ones) for our audience, carrying their scope and the
// groups claim; keysOf, when set, signs with another provider's key.
type opStorage struct {
	*storage.Storage
	keysOf *storage.Storage

	mu       sync.Mutex
	audience []string
	groups   []string
}

type jwtClient struct{ op.Client }

func (jwtClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }

func (s *opStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := s.Storage.ClientCredentials(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	return jwtClient{c}, nil
}

func (s *opStorage) ClientCredentialsTokenRequest(ctx context.Context, id string, scopes []string) (op.TokenRequest, error) {
	tr, err := s.Storage.ClientCredentialsTokenRequest(ctx, id, scopes)
	if err != nil {
		return nil, err
	}
	jr := tr.(*oidc.JWTTokenRequest)
	s.mu.Lock()
	jr.Audience = append([]string(nil), s.audience...)
	s.mu.Unlock()
	return jr, nil
}

// GetPrivateClaimsFromScopes puts the scopes in the access token: zitadel
// leaves them out of a JWT access token unless the storage asserts them.
func (s *opStorage) GetPrivateClaimsFromScopes(_ context.Context, _, _ string, scopes []string) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{"scope": strings.Join(scopes, " "), "groups": s.groups}, nil
}

func (s *opStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	if s.keysOf != nil {
		return s.keysOf.SigningKey(ctx)
	}
	return s.Storage.SigningKey(ctx)
}

func (s *opStorage) KeySet(ctx context.Context) ([]op.Key, error) {
	if s.keysOf != nil {
		return s.keysOf.KeySet(ctx)
	}
	return s.Storage.KeySet(ctx)
}

// startOP serves a provider whose tokens carry audience; keysOf (may be
// nil) lends it another provider's signing key.
func startOP(t *testing.T, audience string, keysOf *testOP) *testOP {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	st := &opStorage{Storage: storage.NewStorage(storage.NewUserStore(issuer)), audience: []string{audience}, groups: []string{"ops", "pve-admins"}}
	if keysOf != nil {
		st.keysOf = keysOf.store.Storage
	}
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("test")), CodeMethodS256: true, AuthMethodPost: true},
		st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = provider
	srv.Start()
	t.Cleanup(srv.Close)
	return &testOP{t: t, issuer: issuer, store: st}
}

// setAudience changes the aud of the tokens issued from now on.
func (o *testOP) setAudience(aud ...string) {
	o.store.mu.Lock()
	o.store.audience = aud
	o.store.mu.Unlock()
}

// token gets an access token by the client credentials grant at the
// provider's token endpoint.
func (o *testOP) token(scopes ...string) string {
	o.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(scopes, " ")}}
	req, err := http.NewRequest(http.MethodPost, o.issuer+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		o.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(serviceID, serviceSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		o.t.Fatalf("token endpoint: %d %v %s %s", resp.StatusCode, err, out.Error, out.Description)
	}
	if strings.Count(out.AccessToken, ".") != 2 {
		o.t.Fatalf("not a JWT access token: %d dots", strings.Count(out.AccessToken, "."))
	}
	return out.AccessToken
}

// sign makes a token with the provider's own key and kid but claims of the
// test's choosing, for the cases the token endpoint will not produce.
func (o *testOP) sign(claims map[string]any) string {
	o.t.Helper()
	k, err := o.store.SigningKey(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	return signWith(o.t, jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: k.Key()}, k.ID(), claims)
}

func signWith(t *testing.T, key jose.SigningKey, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("at+jwt")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	signer, err := jose.NewSigner(key, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
