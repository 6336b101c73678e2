package httpserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// BenchmarkPOSTCallHTTP is the server's side of one small call over
// Streamable HTTP: a pve_version tools/call POSTed by hand on an open
// session (keep-alive connections, no MCP client), at 1, 8 and 32 in
// flight. The client's share is a plain http.Client's, so allocs/op and a
// -cpuprofile are mostly the server's: auth, checks, SDK, tool.
//
//	go test -run '^$' -bench POSTCallHTTP -benchmem -count 6 ./internal/httpserver
func BenchmarkPOSTCallHTTP(b *testing.B) {
	e := newEnv(b, envOpts{quietLog: true, http: config.HTTPConfig{MaxInflightPerSession: 64}})
	sid := e.openRawVersion(aliceToken, "2025-11-25")
	var id atomic.Int64
	id.Store(100)
	post := func() error {
		n := id.Add(1)
		body := `{"jsonrpc":"2.0","id":` + strconv.FormatInt(n, 10) +
			`,"method":"tools/call","params":{"name":"pve_version","arguments":{}}}`
		req, err := http.NewRequest(http.MethodPost, e.url, strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header = http.Header{
			"Content-Type":         {"application/json"},
			"Accept":               {"application/json, text/event-stream"},
			"Mcp-Protocol-Version": {"2025-11-25"},
			"Mcp-Session-Id":       {sid},
			"Authorization":        {"Bearer " + aliceToken},
		}
		resp, err := e.client.Do(req)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(`"result"`)) || bytes.Contains(got, []byte(`"isError":true`)) {
			return fmt.Errorf("call %d: %d %s", n, resp.StatusCode, got)
		}
		return nil
	}
	benchInFlight(b, post)
}
