//go:build !pvebench_fetch

package main

import (
	"context"
	"errors"
)

// fetcher is nil: this build answers every call with a fixed text.
func fetcher(url string) (func(context.Context) (string, error), error) {
	if url != "" {
		return nil, errors.New("-fetch: this baseline is built without -tags pvebench_fetch")
	}
	return nil, nil
}
