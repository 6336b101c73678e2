//go:build !pvebench_fetch

package main

import "testing"

func TestFetchNeedsItsBuild(t *testing.T) {
	if f, err := fetcher(""); f != nil || err != nil {
		t.Fatalf(`fetcher("") = %v, %v; want nil, nil`, f != nil, err)
	}
	if _, err := fetcher("https://127.0.0.1:1/"); err == nil {
		t.Fatal("-fetch accepted by a build without pvebench_fetch")
	}
}
