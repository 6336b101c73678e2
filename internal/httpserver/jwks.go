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
	// jwksMaxAge: keys older than this are fetched again before use, so a
	// key the issuer withdrew stops verifying.
	jwksMaxAge = time.Hour
)

// errNoKeys: the issuer's key set has never been read.
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
	triedAt  time.Time          // the last fetch, failed or not
	lastErr  error
	inflight chan struct{} // closed when the running fetch ends; nil when none runs
}

// verify checks raw's signature and returns its payload. The key set is
// read on first use, when it is older than jwksMaxAge, and when the keys
// at hand do not verify raw; never twice within jwksRefetchGap.
func (c *jwksCache) verify(ctx context.Context, raw string) ([]byte, error) {
	c.mu.Lock()
	keys, stale := c.keys, c.keys == nil || c.now().Sub(c.okAt) > jwksMaxAge
	c.mu.Unlock()
	if stale {
		if k := c.refetch(ctx); k != nil {
			keys = k
		}
	}
	if keys == nil {
		c.mu.Lock()
		err := c.lastErr
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", errNoKeys, err)
	}
	payload, err := keys.VerifySignature(ctx, raw)
	if err != nil {
		// A key the issuer added since (rotation), or a forgery: one fetch
		// tells, and the gap bounds how often forgeries cause one.
		if k := c.refetch(ctx); k != nil && k != keys {
			return k.VerifySignature(ctx, raw)
		}
	}
	return payload, err
}

// refetch reads the key set again unless that was tried within
// jwksRefetchGap; a caller that finds a fetch running waits for it. It
// returns the keys held then, or nil when it neither fetched nor waited.
func (c *jwksCache) refetch(ctx context.Context) *oidc.StaticKeySet {
	c.mu.Lock()
	if ch := c.inflight; ch != nil {
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.keys
	}
	if !c.triedAt.IsZero() && c.now().Sub(c.triedAt) < jwksRefetchGap {
		c.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	c.inflight, c.triedAt = ch, c.now()
	c.mu.Unlock()
	// The fetch serves every waiter: the caller going away does not end it.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	keys, err := fetchJWKS(fctx, c.client, c.url)
	cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.lastErr = err
	} else {
		c.keys, c.okAt, c.lastErr = keys, c.now(), nil
	}
	c.inflight = nil
	close(ch)
	return c.keys
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
