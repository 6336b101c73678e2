package pve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Run one with: go test -run=^$ -fuzz=FuzzPath -fuzztime=60s ./internal/pve
// The corpora under testdata/fuzz are replayed by plain go test.

// FuzzPath: identifiers put through Path either are refused by the path
// check or reach the server as exactly the segments given, each one level.
func FuzzPath(f *testing.F) {
	for _, s := range [][3]string{
		{"pve1", "100", "status"}, {"..", "x", "y"}, {"pve1?x=1", "", "a"}, {".", "a", "b"},
		{"local:iso/deb 12.iso", "%2e%2e", "a#b"}, {"a\\b", "\x00", "\n"}, {"%", "%zz", "€"},
		{"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam!mcp:", "a", "b"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		segs := []string{"nodes", a, "tasks", b, c}
		p := Path(segs...)
		err := checkPath(p)
		unsafe := false
		for _, s := range segs {
			if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "?#\\") ||
				strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				unsafe = true
			}
		}
		if unsafe && err == nil {
			t.Fatalf("unsafe segments %q passed the check as %q", segs, p)
		}
		if err != nil {
			return
		}
		parts := strings.Split(p, "/")[1:]
		if len(parts) != len(segs) {
			t.Fatalf("%q: %d path levels, want %d", p, len(parts), len(segs))
		}
		for i, part := range parts {
			dec, derr := url.PathUnescape(part)
			if derr != nil || dec != segs[i] {
				t.Fatalf("segment %d of %q: %q unescapes to %q (%v), want %q", i, p, part, dec, derr, segs[i])
			}
		}
		checkRequestURL(t, p)
	})
}

// FuzzCheckPath: whatever string a caller builds, an accepted path cannot
// leave /api2/json, add a query or fragment, or hold dot segments.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"/version", "/nodes/pve1/qemu/100/status/current", "/nodes/../access", "/a/%2e%2e/b",
		"/a/./b", "/a/%2E/b", "/a?b", "/a%3Fb", "/a#b", "//a", "/a/", "/a%2Fb", "/%", "/a\x00", "/a\\b", "/€"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if checkPath(p) != nil {
			return
		}
		dec, err := url.PathUnescape(p)
		if err != nil {
			t.Fatalf("%q accepted but does not unescape: %v", p, err)
		}
		for _, s := range strings.Split(dec, "/")[1:] {
			if s == "." || s == ".." {
				t.Fatalf("%q accepted with a dot segment", p)
			}
		}
		if strings.ContainsAny(dec, "?#\\") {
			t.Fatalf("%q accepted with ?, # or \\", p)
		}
		checkRequestURL(t, p)
	})
}

// checkRequestURL: the request the client would build has exactly this path
// below /api2/json and no query or fragment.
func checkRequestURL(t *testing.T, p string) {
	t.Helper()
	const base = "https://pve.example:8006/api2/json"
	req, err := http.NewRequest(http.MethodGet, base+p, nil)
	if err != nil {
		t.Fatalf("%q: build request: %v", p, err)
	}
	u := req.URL
	if u.Host != "pve.example:8006" || u.RawQuery != "" || u.Fragment != "" || u.EscapedPath() != "/api2/json"+p {
		t.Fatalf("%q: request URL %q (host %q, path %q, query %q)", p, u.String(), u.Host, u.EscapedPath(), u.RawQuery)
	}
}

// FuzzParseUPID: no panic; an accepted UPID round-trips through String and
// through its fields.
func FuzzParseUPID(f *testing.F) {
	for _, s := range []string{
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam!mcp:",
		"UPID:pve:0000ABCD:123456789:65A0B0C0:vzdump::root@pam:",
		"UPID:pve1:00001234:00ABCDEF:6790A1B2:qmstart:100:root@pam!mcp", "UPID:-x:1:2:3:a:b:c:", "", "UPID:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := pveid.ParseUPID(s)
		if err != nil {
			if len(err.Error()) > 300 || !utf8.ValidString(err.Error()) {
				t.Fatalf("error text of %d bytes: %q", len(err.Error()), err.Error())
			}
			return
		}
		if u.String() != s || u.Raw != s {
			t.Fatalf("String() = %q, want %q", u.String(), s)
		}
		again := u
		again.Raw = ""
		v, err := pveid.ParseUPID(again.String())
		if err != nil {
			t.Fatalf("formatted fields %q do not parse: %v", again.String(), err)
		}
		v.Raw = ""
		if v != again {
			t.Fatalf("fields changed: %+v -> %+v", again, v)
		}
		if checkPath(Path("nodes", u.Node, "tasks", s, "status")) != nil && !strings.ContainsAny(s, "?#\\\x00\x7f") &&
			!strings.Contains(s, "..") && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
			t.Fatalf("task path of a plain UPID %q refused", s)
		}
	})
}

// FuzzAPIError: any status line and body give a one-line, readable error
// that never repeats a credential.
func FuzzAPIError(f *testing.F) {
	const secret = "S3CR3T-TOKEN"
	for _, c := range []struct {
		status int
		reason string
		body   string
	}{
		{400, "Parameter verification failed.", `{"data":null,"errors":{"vmid":"value must have a minimum value of 100\n"},"message":"Parameter verification failed.\n"}`},
		{500, "VM 100 not running", `{"data":null,"message":"VM 100 not running\n"}`},
		{401, "No ticket", ""},
		{403, "Permission check failed (/vms/100, VM.PowerMgmt)", `{"message":"Permission check failed\nsecond line"}`},
		{502, "Bad Gateway", "<html><body>bad gateway</body></html>"},
		{596, "Connection timed out", ""},
		{500, "bad " + secret, `{"message":"` + secret + `","errors":{"` + secret + `":"` + secret + `\n\u001b[31m"}}`},
		{0, "", `{"errors":{"a":1,"b":null,"c":{"x":"y"}}}`},
	} {
		f.Add(c.status, c.reason, []byte(c.body))
	}
	redact := func(s string) string { return strings.ReplaceAll(s, secret, "[redacted]") }
	f.Fuzz(func(t *testing.T, status int, reason string, body []byte) {
		resp := &http.Response{StatusCode: status, Status: fmt.Sprintf("%d %s", status, reason)}
		e := newAPIError("GET", "/x", resp, body, redact)
		text := e.Error()
		if strings.Contains(text, secret) {
			t.Fatalf("credential in %q", text)
		}
		if strings.ContainsFunc(text, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("control character in %q", text)
		}
		if !strings.HasPrefix(text, fmt.Sprintf("proxmox: GET /x: %d ", status)) {
			t.Fatalf("error does not start with the status: %q", text)
		}
		_ = IsNotFound(e) || IsPermission(e) || IsAuth(e) || IsLocked(e) || IsProxyFailure(e)
	})
}

// FuzzDecodeEnvelope: any 2xx body either decodes or gives an error; never a panic.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{`{"data":null}`, `{"data":[1],"total":"3"}`, `{"data":"x","total":-1}`, `<html>`, ``, `{"total":1e99}`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var out json.RawMessage
		if _, err := decodeEnvelope(raw, &out); err == nil && len(out) > 0 && !json.Valid(out) {
			t.Fatalf("decoded data %q is not JSON", out)
		}
		if _, err := decodeEnvelope(raw, nil); err != nil && bytes.HasPrefix(bytes.TrimSpace(raw), []byte(`{"data":`)) && json.Valid(raw) {
			var m map[string]json.RawMessage
			// encoding/json matches keys case-insensitively: "Total" counts.
			hasTotal := false
			if json.Unmarshal(raw, &m) == nil {
				for k, v := range m {
					hasTotal = hasTotal || (strings.EqualFold(k, "total") && string(v) != "null")
				}
				if !hasTotal {
					t.Fatalf("valid envelope %q refused: %v", raw, err)
				}
			}
		}
	})
}

// FuzzParseFingerprint: accepted fingerprints are case-insensitive and
// survive formatting.
func FuzzParseFingerprint(f *testing.F) {
	for _, s := range []string{strings.Repeat("AB:", 31) + "CD", strings.Repeat("ab", 32), "AB:CD", "", strings.Repeat("AB:", 32)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := ParseFingerprint(s)
		if err != nil {
			return
		}
		formatted := FormatFingerprint(fp[:])
		for _, v := range []string{formatted, strings.ToLower(formatted), strings.ToUpper(s), strings.ToLower(s)} {
			again, err := ParseFingerprint(v)
			if err != nil || again != fp {
				t.Fatalf("%q parsed, %q does not give the same: %v", s, v, err)
			}
		}
	})
}
