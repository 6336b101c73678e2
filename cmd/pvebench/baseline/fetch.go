//go:build pvebench_fetch

// The fetching baseline is a build of its own: the HTTP client code it
// links would otherwise make the bare server's binary, and its resident
// pages, bigger than a bare go-sdk server's.

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
)

// fetcher GETs url over a kept-alive connection; nil for "".
func fetcher(url string) (func(context.Context) (string, error), error) {
	if url == "" {
		return nil, nil
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the bench's own fake
	return func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return "", fmt.Errorf("fetch: %w", err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return "", fmt.Errorf("fetch: %w", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return "", fmt.Errorf("fetch: %w", err)
		}
		return string(body), nil
	}, nil
}
