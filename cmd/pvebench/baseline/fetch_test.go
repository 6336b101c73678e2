//go:build pvebench_fetch

package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestFetchAnswersWithTheBody makes each call GET the URL (-fetch).
func TestFetchAnswersWithTheBody(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"data":{"path":%q}}`, r.URL.Path)
	}))
	defer srv.Close()
	ctx := context.Background()
	fetch, err := fetcher(srv.URL + "/api2/json/version")
	if err != nil {
		t.Fatal(err)
	}
	cs := session(t, fetch)
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "pve_version"})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != `{"data":{"path":"/api2/json/version"}}` {
		t.Fatalf("call: %+v, %v", res, err)
	}
	srv.Close()
	if res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "pve_version"}); err == nil && !res.IsError {
		t.Fatalf("a failed GET answered %+v", res)
	}
}
