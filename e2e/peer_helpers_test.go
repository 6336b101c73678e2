package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// peer is one principal's hand-driven MCP session over HTTP: every
// request carries its own bearer token, so principals can sit side by
// side on one server.
type peer struct {
	t    *testing.T
	rs   *wireSession
	auth string
	n    int
}

const peerVersion = "2025-11-25"

// tryOpen posts initialize with token; it returns the HTTP status, the
// WWW-Authenticate header and, on success, the session.
func (hs *httpServer) tryOpen(t *testing.T, token, caps string) (int, string, *peer) {
	t.Helper()
	p := &peer{t: t, rs: &wireSession{hs: hs, version: peerVersion}, auth: "Bearer " + token}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp := p.rs.post(t, ctx, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"`+peerVersion+
		`","capabilities":`+caps+`,"clientInfo":{"name":"peer","version":"0"}}}`, p.hdr())
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), nil
	}
	p.rs.id = resp.Header.Get("Mcp-Session-Id")
	if p.rs.id == "" || !strings.Contains(string(body), peerVersion) {
		t.Fatalf("initialize: %s", body)
	}
	resp = p.rs.post(t, ctx, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, p.hdr())
	resp.Body.Close()
	return 200, "", p
}

// openAs opens a session that must be admitted.
func (hs *httpServer) openAs(t *testing.T, token, caps string) *peer {
	t.Helper()
	status, ch, p := hs.tryOpen(t, token, caps)
	if p == nil {
		t.Fatalf("initialize: %d %s\n%s", status, ch, hs.log())
	}
	return p
}

func (p *peer) hdr() map[string]string { return map[string]string{"Authorization": p.auth} }

// rpc sends one request with params (JSON) and returns the reply.
func (p *peer) rpc(method, params string) rawMsg {
	p.t.Helper()
	p.n++
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`, p.n, method, params)
	return postRPC(p.t, p.rs, method, body, p.hdr())
}

// call runs tools/call; it returns the first text block, the structured
// content (or the error's text) and whether it was a tool error. A
// JSON-RPC error comes back as its message, with isErr.
func (p *peer) call(tool string, args map[string]any) (text string, isErr bool) {
	p.t.Helper()
	a, _ := json.Marshal(args)
	m := p.rpc("tools/call", fmt.Sprintf(`{"name":%q,"arguments":%s}`, tool, a))
	if m["error"] != nil {
		return string(m["error"]), true
	}
	var res struct {
		IsError bool                    `json:"isError"`
		Content []struct{ Text string } `json:"content"`
	}
	if err := json.Unmarshal(m["result"], &res); err != nil {
		p.t.Fatalf("%s: %v: %s", tool, err, m["result"])
	}
	var texts []string
	for _, c := range res.Content {
		texts = append(texts, c.Text)
	}
	return strings.Join(texts, "\n"), res.IsError
}

func (p *peer) ok(tool string, args map[string]any) string {
	p.t.Helper()
	text, isErr := p.call(tool, args)
	if isErr {
		p.t.Fatalf("%s(%v) failed: %s", tool, args, text)
	}
	return text
}

func (p *peer) fails(tool string, args map[string]any, want ...string) string {
	p.t.Helper()
	text, isErr := p.call(tool, args)
	if !isErr {
		p.t.Fatalf("%s(%v) succeeded, want an error: %s", tool, args, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			p.t.Errorf("%s(%v): error %q lacks %q", tool, args, text, w)
		}
	}
	return text
}

// listed is tools/list as tool name -> read-only hint, every page.
func (p *peer) listed() map[string]bool {
	p.t.Helper()
	out := map[string]bool{}
	cursor := ""
	for {
		params := `{}`
		if cursor != "" {
			params = fmt.Sprintf(`{"cursor":%q}`, cursor)
		}
		m := p.rpc("tools/list", params)
		var res struct {
			Tools []struct {
				Name        string
				Annotations struct{ ReadOnlyHint bool } `json:"annotations"`
			} `json:"tools"`
			NextCursor string `json:"nextCursor"`
		}
		if err := json.Unmarshal(m["result"], &res); err != nil || len(res.Tools) == 0 {
			p.t.Fatalf("tools/list: %v", m)
		}
		for _, tl := range res.Tools {
			out[tl.Name] = tl.Annotations.ReadOnlyHint
		}
		if cursor = res.NextCursor; cursor == "" {
			return out
		}
	}
}

// writeTokenFile writes a PVE_MCP_HTTP_TOKEN_FILE of NAME TOKEN lines.
func writeTokenFile(t *testing.T, tokens map[string]string) string {
	t.Helper()
	var b strings.Builder
	for name, tok := range tokens {
		fmt.Fprintf(&b, "%s %s\n", name, tok)
	}
	path := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// sawGuest tells whether the simulator got a request naming guest vmid
// since request number from.
func sawGuest(c *cluster, from, vmid int) bool {
	for _, r := range c.sim.Requests()[from:] {
		if strings.Contains(r.Path, fmt.Sprintf("/%d/", vmid)) || strings.HasSuffix(r.Path, fmt.Sprintf("/%d", vmid)) {
			return true
		}
	}
	return false
}

// okJSON runs a tool that must succeed and decodes its structured content.
func (p *peer) okJSON(tool string, args map[string]any, out any) {
	p.t.Helper()
	a, _ := json.Marshal(args)
	m := p.rpc("tools/call", fmt.Sprintf(`{"name":%q,"arguments":%s}`, tool, a))
	if m["error"] != nil {
		p.t.Fatalf("%s(%v): %s", tool, args, m["error"])
	}
	got, isErr := structured(p.t, m["result"])
	if isErr {
		p.t.Fatalf("%s(%v) failed: %s", tool, args, got)
	}
	if err := json.Unmarshal([]byte(got), out); err != nil {
		p.t.Fatalf("%s: %v: %s", tool, err, got)
	}
}
