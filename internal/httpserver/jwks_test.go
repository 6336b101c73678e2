package httpserver

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// jwksServer serves a key set the test changes, and counts the fetches.
type jwksServer struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	status  int
	fetches int
	hold    chan struct{} // when set, a fetch waits for it to close
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	hold := s.hold
	s.fetches++
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status != 0 {
		w.WriteHeader(s.status)
		return
	}
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: s.keys})
}

func (s *jwksServer) set(status int, keys ...jose.JSONWebKey) {
	s.mu.Lock()
	s.status, s.keys = status, keys
	s.mu.Unlock()
}

// holdFetches makes fetches wait until the returned channel is closed.
func (s *jwksServer) holdFetches() chan struct{} {
	hold := make(chan struct{})
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
	return hold
}

// newJWKSTest serves keys and gives a cache of them on a clock the test moves.
func newJWKSTest(t *testing.T, keys ...testKey) (*jwksServer, *testClock, *jwksCache) {
	js := &jwksServer{}
	var pub []jose.JSONWebKey
	for _, k := range keys {
		pub = append(pub, k.public())
	}
	js.set(0, pub...)
	srv := httptest.NewServer(js)
	t.Cleanup(srv.Close)
	clock := &testClock{t: time.Unix(1_000_000, 0)}
	return js, clock, &jwksCache{url: srv.URL, client: srv.Client(), now: clock.now}
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

type testKey struct {
	priv *rsa.PrivateKey
	kid  string
}

func newTestKey(t *testing.T, kid string) testKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{k, kid}
}

func (k testKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"}
}

func (k testKey) token(t *testing.T) string {
	return signWith(t, jose.SigningKey{Algorithm: jose.RS256, Key: k.priv}, k.kid, map[string]any{"sub": "u"})
}

// testClock is a clock the test moves and fetches read from other goroutines.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fresh: no fetch runs, and the keys were read within jwksMaxAge.
func (c *jwksCache) fresh() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inflight == nil && c.keys != nil && c.now().Sub(c.okAt) <= jwksMaxAge
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
	}
}

// TestJWKSFetchesAreBounded: tokens the keys do not verify bring on at most
// one fetch per gap (go-oidc's RemoteKeySet fetched for each), a rotated
// key verifies after the gap, a down issuer is not asked per request, old
// keys are read again in the background, and keys that cannot be read
// again for a day are not used.
func TestJWKSFetchesAreBounded(t *testing.T) {
	a, b, forger := newTestKey(t, "a"), newTestKey(t, "b"), newTestKey(t, "a")
	js, clock, c := newJWKSTest(t, a)
	ctx := context.Background()
	verify := func(tok string) error { _, err := c.verify(ctx, tok); return err }

	if err := verify(a.token(t)); err != nil || js.count() != 1 {
		t.Fatalf("first token: %v after %d fetches, want it verified after 1", err, js.count())
	}
	for range 50 {
		if verify(forger.token(t)) == nil {
			t.Fatal("a forged token with a known kid verified")
		}
	}
	if js.count() != 1 {
		t.Fatalf("50 forged tokens within the gap: %d fetches, want 1", js.count())
	}
	js.set(0, a.public(), b.public()) // the issuer rotates
	if verify(b.token(t)) == nil {
		t.Fatal("the new key verified before the key set was read again")
	}
	clock.add(jwksRefetchGap)
	if err := verify(b.token(t)); err != nil || js.count() != 2 {
		t.Fatalf("the new key after the gap: %v, %d fetches; want verified after 2", err, js.count())
	}

	clock.add(jwksMaxAge + time.Second) // keys this old are read again, in the background
	js.set(0, b.public())               // a is withdrawn
	if err := verify(a.token(t)); err != nil {
		t.Fatalf("the keys at hand, while they are read again: %v", err)
	}
	eventually(t, "old keys were not read again", func() bool { return js.count() == 3 && c.fresh() })
	if verify(a.token(t)) == nil {
		t.Fatal("a withdrawn key verified after the key set was read again")
	}

	js.set(http.StatusInternalServerError) // the issuer's key set cannot be read for a day
	clock.add(jwksMaxStale + time.Second)
	if err := verify(b.token(t)); !errors.Is(err, errNoKeys) {
		t.Fatalf("keys not read again for a day: %v, want errNoKeys (503)", err)
	}

	down := &jwksCache{url: c.url, client: c.client, now: clock.now}
	before := js.count()
	for range 5 {
		if _, err := down.verify(ctx, a.token(t)); !errors.Is(err, errNoKeys) {
			t.Fatalf("issuer down: %v, want errNoKeys", err)
		}
	}
	if js.count() != before+1 {
		t.Fatalf("issuer down, 5 tokens within the gap: %d fetches, want 1", js.count()-before)
	}
}

func TestFetchJWKSKeepsPublicSigningKeys(t *testing.T) {
	a := newTestKey(t, "a")
	js := &jwksServer{}
	srv := httptest.NewServer(js)
	defer srv.Close()
	ctx := context.Background()
	js.set(0, jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct", Algorithm: "HS256"},
		jose.JSONWebKey{Key: &a.priv.PublicKey, KeyID: "e", Use: "enc", Algorithm: "RSA-OAEP"})
	if _, err := fetchJWKS(ctx, srv.Client(), srv.URL); err == nil || !strings.Contains(err.Error(), "no public signing key") {
		t.Fatalf("a set of a symmetric and an encryption key: %v", err)
	}
	js.set(0, jose.JSONWebKey{Key: a.priv, KeyID: "a", Algorithm: "RS256"}) // a private key published by mistake
	keys, err := fetchJWKS(ctx, srv.Client(), srv.URL)
	if err != nil || len(keys.PublicKeys) != 1 {
		t.Fatalf("%v, %v", keys, err)
	}
	if _, ok := keys.PublicKeys[0].(*rsa.PublicKey); !ok {
		t.Fatalf("kept %T, want the public half", keys.PublicKeys[0])
	}
}

// TestJWKSFetchDoesNotHoldValidTokens: while a forged token's fetch hangs
// on a slow issuer, a token the cached keys verify is not kept waiting.
func TestJWKSFetchDoesNotHoldValidTokens(t *testing.T) {
	a, forger := newTestKey(t, "a"), newTestKey(t, "a")
	js, clock, c := newJWKSTest(t, a)
	ctx := context.Background()
	if _, err := c.verify(ctx, a.token(t)); err != nil {
		t.Fatal(err)
	}
	clock.add(jwksRefetchGap)
	hold := js.holdFetches()
	forged := make(chan error, 1)
	go func() { _, err := c.verify(ctx, forger.token(t)); forged <- err }()
	for js.count() < 2 {
		time.Sleep(time.Millisecond) // the forged token's fetch is at the issuer
	}
	done := make(chan error, 1)
	go func() { _, err := c.verify(ctx, a.token(t)); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("a valid token during a fetch: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a valid token waited for the fetch a forged one started")
	}
	close(hold)
	if err := <-forged; err == nil {
		t.Fatal("the forged token verified")
	}

	// Keys due to be read again, an issuer that hangs: valid tokens go on.
	clock.add(jwksMaxAge + time.Second)
	hold = js.holdFetches()
	before := js.count()
	start := time.Now()
	for range 3 {
		if _, err := c.verify(ctx, a.token(t)); err != nil {
			t.Fatalf("a valid token while old keys are read again: %v", err)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("three valid tokens took %v while the issuer hung", d)
	}
	eventually(t, "no background fetch", func() bool { return js.count() == before+1 })
	close(hold)
	eventually(t, "the background fetch did not end", c.fresh)
}
