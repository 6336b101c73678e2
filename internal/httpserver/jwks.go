package httpserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

const (
	// jwksRefetchGap spaces the fetches a token the keys do not verify
	// brings on: go-oidc's RemoteKeySet fetched the key set again for each
	// such token, so anyone could make the server hammer the issuer.
	jwksRefetchGap = 10 * time.Second
	// jwksMaxAge: keys older than this are read again in the background,
	// so a key the issuer withdrew stops verifying.
	jwksMaxAge = time.Hour
	// jwksMaxStale: keys that could not be read again for this long are
	// no longer used (503), or a withdrawn key would live on while the
	// issuer's key set cannot be read.
	jwksMaxStale = 24 * time.Hour
)

// errNoKeys: no key set to verify with, none having been read, or none
// within jwksMaxStale.
var errNoKeys = errors.New("the issuer's key set could not be read")

// jwksCache holds an issuer's signing keys; go-oidc checks signatures
// against them. A fetch runs without the lock: a token the keys at hand
// verify never waits for one.
type jwksCache struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	keys     *oidc.StaticKeySet // nil until a fetch succeeds
	okAt     time.Time          // when keys were read
	triedAt  time.Time          // when the last fetch ended, failed or not
	lastErr  error
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
}

// verify checks raw's signature and returns its payload. The key set is
// read on first use and when the keys at hand do not verify raw, never
// twice within jwksRefetchGap; keys older than jwksMaxAge are read again in
// the background. A token the keys at hand verify never waits for a fetch.
func (c *jwksCache) verify(ctx context.Context, raw string) ([]byte, error) {
	keys, due := c.usable()
	if keys == nil {
		c.refetch(ctx, true)
		if keys, due = c.usable(); keys == nil {
			return nil, c.noKeys(ctx)
		}
	}
	payload, err := keys.VerifySignature(ctx, raw)
	if err != nil {
		// A key the issuer added since (rotation), or a forgery: one fetch
		// tells, and the gap bounds how often forgeries cause one.
		if c.refetch(ctx, true) {
			if k, _ := c.usable(); k != nil && k != keys {
				return k.VerifySignature(ctx, raw)
			}
		}
		return nil, err
	}
	if due {
		go c.refetch(context.WithoutCancel(ctx), false)
	}
	return payload, nil
}

// usable is the keys to verify with (nil when there are none, or none read
// within jwksMaxStale) and whether a fetch of newer ones is due now.
func (c *jwksCache) usable() (keys *oidc.StaticKeySet, due bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	age := now.Sub(c.okAt)
	if c.keys == nil || age > jwksMaxStale {
		return nil, false
	}
	due = age > jwksMaxAge && c.inflight == nil && now.Sub(c.triedAt) >= jwksRefetchGap
	return c.keys, due
}

func (c *jwksCache) noKeys(ctx context.Context) error {
	c.mu.Lock()
	err := c.lastErr
	c.mu.Unlock()
	if err == nil {
		err = ctx.Err() // gone while the fetch ran
	}
	if err == nil {
		err = errors.New("no key set read in the last day")
	}
	return fmt.Errorf("%w: %v", errNoKeys, err)
}

// refetch reads the key set again unless a fetch ended within
// jwksRefetchGap. With wait, a caller that finds a fetch running waits for
// it; it reports whether a fetch ended meanwhile.
func (c *jwksCache) refetch(ctx context.Context, wait bool) bool {
	c.mu.Lock()
	if ch := c.inflight; ch != nil {
		c.mu.Unlock()
		if !wait {
			return false
		}
		select {
		case <-ch:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !c.triedAt.IsZero() && c.now().Sub(c.triedAt) < jwksRefetchGap {
		c.mu.Unlock()
		return false
	}
	ch := make(chan struct{})
	c.inflight = ch
	c.mu.Unlock()
	// The fetch serves every waiter: the caller going away does not end it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	keys, err := fetchJWKS(fctx, c.client, c.url)
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	// The gap runs from the end: a fetch that hung is not followed by another at once.
	c.triedAt = c.now()
	if err != nil {
		c.lastErr = err
	} else {
		c.keys, c.okAt, c.lastErr = keys, c.triedAt, nil
	}
	c.inflight = nil
	close(ch)
	return true
}

// fetchJWKS reads a JWK set and keeps its public signing keys.
func fetchJWKS(ctx context.Context, client *http.Client, url string) (*oidc.StaticKeySet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s answers %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadata))
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("jwks: %s: %w", url, err)
	}
	keys := &oidc.StaticKeySet{}
	for _, k := range set.Keys {
		if k.Use == "enc" {
			continue
		}
		pub := k.Public() // invalid for a symmetric key: no verification key
		switch pub.Key.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey: // what go-oidc verifies with
			if pub.Valid() {
				keys.PublicKeys = append(keys.PublicKeys, pub.Key)
			}
		}
	}
	if len(keys.PublicKeys) == 0 {
		return nil, fmt.Errorf("jwks: %s holds no public signing key", url)
	}
	return keys, nil
}
