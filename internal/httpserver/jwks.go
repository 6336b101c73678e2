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
// against them.
type jwksCache struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    *oidc.StaticKeySet // nil until a fetch succeeds
	okAt    time.Time          // when keys were read
	triedAt time.Time          // the last fetch, failed or not
	lastErr error
}

// verify checks raw's signature and returns its payload. The key set is
// read on first use, when it is older than jwksMaxAge, and when the keys
// at hand do not verify raw; never twice within jwksRefetchGap.
func (c *jwksCache) verify(ctx context.Context, raw string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keys == nil || c.now().Sub(c.okAt) > jwksMaxAge {
		c.refresh(ctx)
	}
	if c.keys == nil {
		return nil, fmt.Errorf("%w: %v", errNoKeys, c.lastErr)
	}
	payload, err := c.keys.VerifySignature(ctx, raw)
	if err != nil && c.refresh(ctx) {
		// A key the issuer added since (rotation), or a forgery: one fetch
		// tells, and the gap bounds how often forgeries cause one.
		payload, err = c.keys.VerifySignature(ctx, raw)
	}
	return payload, err
}

// refresh fetches the key set unless the last fetch is within
// jwksRefetchGap; it reports whether it read new keys. On failure the keys
// at hand stay.
func (c *jwksCache) refresh(ctx context.Context) bool {
	now := c.now()
	if !c.triedAt.IsZero() && now.Sub(c.triedAt) < jwksRefetchGap {
		return false
	}
	c.triedAt = now
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	keys, err := fetchJWKS(ctx, c.client, c.url)
	if err != nil {
		c.lastErr = err
		return false
	}
	c.keys, c.okAt, c.lastErr = keys, now, nil
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
