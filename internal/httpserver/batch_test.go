package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// listBatch builds a JSON-RPC batch of tools/list requests just under size
// bytes: the attack of the security issue (1 MiB, about 20 000 requests).
func listBatch(size int) string {
	var b strings.Builder
	b.WriteString("[")
	for i := 1; ; i++ {
		item := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`, i)
		if b.Len()+len(item)+2 > size {
			break
		}
		if i > 1 {
			b.WriteString(",")
		}
		b.WriteString(item)
	}
	b.WriteString("]")
	return b.String()
}

// postLimited POSTs body and reads at most limit bytes of the answer, so that
// a server streaming a gigabyte cannot stall the test.
func (e *env) postLimited(hdr http.Header, body string, limit int64) (int, http.Header, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", e.url, strings.NewReader(body))
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	return resp.StatusCode, resp.Header, string(b), err
}

// oldProtocol asks for 2025-03-26, the last version with batches, which the
// SDK still serves.
func oldProtocol(h http.Header) http.Header {
	h.Set("Mcp-Protocol-Version", "2025-03-26")
	return h
}

func checkBatchRefused(t *testing.T, what string, status int, hdr http.Header, body string) {
	t.Helper()
	if status != http.StatusBadRequest || len(body) > 512 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("%s: %d %s, %d bytes: %.200s", what, status, hdr.Get("Content-Type"), len(body), body)
		return
	}
	var got struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.JSONRPC != "2.0" || string(got.ID) != "null" ||
		got.Error.Code != -32600 || !strings.Contains(got.Error.Message, "batches are not supported: send one request per POST") {
		t.Errorf("%s: body %s (%v)", what, body, err)
	}
}

// TestBatchRefusedOnEveryPost: a 1 MiB batch of tools/list, three at once,
// with and without a session and in stateless mode, gets a small 400 and
// leaves the server's memory where it was.
func TestBatchRefusedOnEveryPost(t *testing.T) {
	t.Parallel()
	batch := listBatch(1 << 20)
	if n := strings.Count(batch, "tools/list"); n < 20000 {
		t.Fatalf("batch of %d requests", n)
	}
	e := newEnv(t, envOpts{})
	sid := e.openRaw(aliceToken)
	stateless := newEnv(t, envOpts{http: config.HTTPConfig{Stateless: true}})
	type target struct {
		what string
		e    *env
		hdr  http.Header
	}
	targets := []target{
		{"in a session", e, oldProtocol(withSession(aliceToken, sid))},
		{"in a session, current protocol", e, withSession(aliceToken, sid)},
		{"without a session", e, oldProtocol(bearer(aliceToken))},
		{"stateless", stateless, oldProtocol(bearer(bobToken))},
	}
	before := measure()
	var allocBefore runtime.MemStats
	runtime.ReadMemStats(&allocBefore)
	for _, tg := range targets {
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				status, hdr, body, err := tg.e.postLimited(tg.hdr, batch, 1<<20)
				if err != nil {
					t.Errorf("%s: %v", tg.what, err)
					return
				}
				checkBatchRefused(t, tg.what, status, hdr, body)
			})
		}
		wg.Wait()
	}
	after := measure()
	var allocAfter runtime.MemStats
	runtime.ReadMemStats(&allocAfter)
	// 12 batches of 1 MiB are read and refused: a few MiB each at most (the
	// client's copy included), nowhere near the gigabytes of answers.
	grew, alloc := after.heapMB-before.heapMB, float64(allocAfter.TotalAlloc-allocBefore.TotalAlloc)/(1<<20)
	t.Logf("12 batches: heap in use %+.1f MiB, %.0f MiB allocated", grew, alloc)
	if grew > 32 || alloc > 256 {
		t.Errorf("heap grew by %.1f MiB, the batches allocated %.0f MiB", grew, alloc)
	}
	// The session is unharmed.
	if resp, body := e.raw("POST", Endpoint, withSession(aliceToken, sid), listToolsBody); resp.StatusCode != 200 || !strings.Contains(body, "pve_list_nodes") {
		t.Errorf("after the batches: %d %.200s", resp.StatusCode, body)
	}
}

// TestResponseSizeBounded: whatever one POST holds, the server answers at
// most one JSON-RPC message, of bounded size: tools/list is answered once.
func TestResponseSizeBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	sid := e.openRaw(aliceToken)
	var stream strings.Builder // one MiB of messages one after the other, no array
	for stream.Len() < 1<<20-100 {
		stream.WriteString(`{"jsonrpc":"2.0","id":7,"method":"tools/list"}` + "\n")
	}
	const bound = 256 << 10 // tools/list is about 25 kB
	for _, c := range []struct {
		what, body string
		hdr        http.Header
	}{
		{"one tools/list", listToolsBody, withSession(aliceToken, sid)},
		{"one tools/list, old protocol", listToolsBody, oldProtocol(withSession(aliceToken, sid))},
		{"concatenated messages", stream.String(), oldProtocol(withSession(aliceToken, sid))},
		{"a batch", listBatch(1 << 20), oldProtocol(withSession(aliceToken, sid))},
	} {
		status, _, body, err := e.postLimited(c.hdr, c.body, bound+1)
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if len(body) > bound {
			t.Errorf("%s: answer over %d bytes (%d)", c.what, bound, status)
			continue
		}
		if n := strings.Count(body, `"jsonrpc":"2.0"`); n > 1 {
			t.Errorf("%s: %d messages in one answer", c.what, n)
		}
		if strings.HasPrefix(c.what, "one tools/list") && (status != 200 || strings.Count(body, `"name":"pve_list_nodes"`) != 1) {
			t.Errorf("%s: %d %.200s", c.what, status, body)
		}
	}
}
