package config

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const goodToken = "0123456789abcdef0123456789abcdef"

func TestHTTPStdioByDefault(t *testing.T) {
	c, err := LoadHTTP(env(nil), nil)
	if err != nil || c.Transport != TransportStdio {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestHTTPDefaults(t *testing.T) {
	c, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "HTTP"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Transport != TransportHTTP || c.Listen != DefaultListen || c.Stateless || c.SessionTimeout != 30*time.Minute ||
		c.MaxSessions != 100 || c.RateLimit != DefaultRateLimit || c.MaxBodyBytes != 1<<20 || len(c.Tokens) != 0 ||
		c.ShutdownTimeout != 10*time.Second || c.MaxSessionsPerToken != 10 || c.MaxInflightPerSession != 8 ||
		c.ResumeWindow != 30*time.Second || c.EventRetention != 5*time.Minute || c.MaxEventBytes != 16<<20 {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestHTTPPerTokenAndPerSessionLimits(t *testing.T) {
	c, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http",
		"PVE_MCP_MAX_SESSIONS_PER_TOKEN": "3", "PVE_MCP_MAX_INFLIGHT_PER_SESSION": "2"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxSessionsPerToken != 3 || c.MaxInflightPerSession != 2 {
		t.Fatalf("got %+v", c)
	}
	for k, bad := range map[string][]string{
		"PVE_MCP_MAX_SESSIONS_PER_TOKEN":   {"0", "-1", "100001", "ten", "1.5"},
		"PVE_MCP_MAX_INFLIGHT_PER_SESSION": {"0", "10001", "many"},
	} {
		for _, v := range bad {
			_, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", k: v}), nil)
			if err == nil || !strings.Contains(err.Error(), k+": ") || !strings.Contains(err.Error(), fmt.Sprintf("%q", v)) {
				t.Errorf("%s=%s: got %v", k, v, err)
			}
		}
	}
}

func TestHTTPAllValues(t *testing.T) {
	c, err := LoadHTTP(env(map[string]string{
		"PVE_MCP_TRANSPORT":       "http",
		"PVE_MCP_LISTEN":          "10.0.0.5:9000",
		"PVE_MCP_STATELESS":       "true",
		"PVE_MCP_SESSION_TIMEOUT": "45",
		"PVE_MCP_HTTP_TOKEN":      goodToken,
		"PVE_MCP_ALLOWED_ORIGINS": "https://App.Example/, http://localhost:6274",
		"PVE_MCP_ALLOWED_HOSTS":   "mcp.example.lan,10.0.0.5:9000",
		"PVE_MCP_RATE_LIMIT":      "0",
		"PVE_MCP_MAX_SESSIONS":    "5",
		"PVE_MCP_TLS_CERT":        "/etc/c.pem",
		"PVE_MCP_TLS_KEY":         "/etc/k.pem",
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "10.0.0.5:9000" || !c.Stateless || c.SessionTimeout != 45*time.Minute || c.RateLimit != 0 || c.MaxSessions != 5 {
		t.Fatalf("got %+v", c)
	}
	if strings.Join(c.AllowedOrigins, " ") != "https://app.example http://localhost:6274" {
		t.Fatalf("origins %q", c.AllowedOrigins)
	}
	if strings.Join(c.AllowedHosts, " ") != "mcp.example.lan 10.0.0.5:9000" || c.TLSCert != "/etc/c.pem" || c.TLSKey != "/etc/k.pem" {
		t.Fatalf("got %+v", c)
	}
	if len(c.Tokens) != 1 || c.Tokens[0].Secret != goodToken || c.Tokens[0].Name != "default" {
		t.Fatalf("tokens %v", c.Tokens)
	}
}

func TestHTTPFlagsOverrideEnv(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f := AddHTTPFlags(fs)
	if err := fs.Parse([]string{"--transport", "http", "--listen", "127.0.0.1:9999", "--stateless", "--tls-cert", "c", "--tls-key", "k"}); err != nil {
		t.Fatal(err)
	}
	c, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "stdio", "PVE_MCP_LISTEN": "127.0.0.1:1", "PVE_MCP_STATELESS": "false"}), f)
	if err != nil {
		t.Fatal(err)
	}
	if c.Transport != TransportHTTP || c.Listen != "127.0.0.1:9999" || !c.Stateless || c.TLSCert != "c" || c.TLSKey != "k" {
		t.Fatalf("got %+v", c)
	}
	// Unset flags leave the environment in charge.
	fs = flag.NewFlagSet("x", flag.ContinueOnError)
	f = AddHTTPFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	c, err = LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_LISTEN": "[::1]:8000"}), f)
	if err != nil || c.Listen != "[::1]:8000" {
		t.Fatalf("got %+v, %v", c, err)
	}
}

func TestHTTPSessionTimeout(t *testing.T) {
	for v, want := range map[string]time.Duration{"90s": 90 * time.Second, "2h": 2 * time.Hour, "1": time.Minute, "1h30m": 90 * time.Minute} {
		c, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_SESSION_TIMEOUT": v}), nil)
		if err != nil || c.SessionTimeout != want {
			t.Errorf("%s: got %v, %v", v, c, err)
		}
	}
	for _, v := range []string{"0", "1s", "soon", "-5m", "200h"} {
		_, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_SESSION_TIMEOUT": v}), nil)
		if err == nil || !strings.Contains(err.Error(), "PVE_MCP_SESSION_TIMEOUT") {
			t.Errorf("%s: got %v", v, err)
		}
	}
}

func TestHTTPEveryProblemReported(t *testing.T) {
	_, err := LoadHTTP(env(map[string]string{
		"PVE_MCP_TRANSPORT":       "http",
		"PVE_MCP_LISTEN":          "0.0.0.0:8787",
		"PVE_MCP_HTTP_TOKEN":      "tiny-secret-xyz",
		"PVE_MCP_ALLOWED_ORIGINS": "app.example,https://a.example/path",
		"PVE_MCP_RATE_LIMIT":      "-1",
		"PVE_MCP_MAX_SESSIONS":    "0",
		"PVE_MCP_STATELESS":       "maybe",
		"PVE_MCP_TLS_CERT":        "/c.pem",
	}), nil)
	if err == nil || !IsConfigError(err) {
		t.Fatalf("got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"PVE_MCP_HTTP_TOKEN: the token is shorter than 32", "app.example", "a.example/path",
		"PVE_MCP_RATE_LIMIT", "PVE_MCP_MAX_SESSIONS", "PVE_MCP_STATELESS", "give both or neither",
		"PVE_MCP_ALLOWED_HOSTS: required to listen on all interfaces"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "tiny-secret-xyz") {
		t.Errorf("token echoed: %s", msg)
	}
}

func TestHTTPNonLoopbackNeedsToken(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:8787", ":8787", "192.168.1.2:8787", "mcp.example.lan:8787", "[::]:8787"} {
		_, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_LISTEN": listen, "PVE_MCP_ALLOWED_HOSTS": "*"}), nil)
		if err == nil || !strings.Contains(err.Error(), "required to listen on") {
			t.Errorf("%s: got %v", listen, err)
		}
	}
	for _, listen := range []string{"127.0.0.1:8787", "localhost:1", "[::1]:8787", "127.0.0.2:80"} {
		if _, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_LISTEN": listen}), nil); err != nil {
			t.Errorf("%s: %v", listen, err)
		}
	}
	// A specific address defaults the Host allowlist to itself.
	if _, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_LISTEN": "10.1.1.1:8787", "PVE_MCP_HTTP_TOKEN": goodToken}), nil); err != nil {
		t.Error(err)
	}
}

func TestHTTPBadValues(t *testing.T) {
	for k, v := range map[string]string{
		"PVE_MCP_TRANSPORT":     "grpc",
		"PVE_MCP_LISTEN":        "8787",
		"PVE_MCP_ALLOWED_HOSTS": "a/b",
		"PVE_MCP_HTTP_TOKEN":    "0123456789abcdef 0123456789abcdef",
	} {
		m := map[string]string{"PVE_MCP_TRANSPORT": "http", k: v}
		if _, err := LoadHTTP(env(m), nil); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: got %v", k, v, err)
		}
	}
}

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return p
}

func TestHTTPTokenFile(t *testing.T) {
	other := strings.Repeat("x", 40)
	p := writeFile(t, "# team tokens\n\nalice "+goodToken+"\n"+other+"\n", 0o600)
	c, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_HTTP_TOKEN_FILE": p}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tokens) != 2 || c.Tokens[0].Name != "alice" || c.Tokens[0].Secret != goodToken || c.Tokens[1].Name != "token4" || c.Tokens[1].Secret != other {
		t.Fatalf("tokens %v", c.Tokens)
	}
}

func TestHTTPTokenFileProblems(t *testing.T) {
	cases := map[string]struct {
		content string
		mode    os.FileMode
		want    string
	}{
		"group readable":  {goodToken + "\n", 0o640, "accessible to group or others (mode 0640)"},
		"world readable":  {goodToken + "\n", 0o604, "chmod 600"},
		"empty":           {"# nothing\n", 0o600, "holds no token"},
		"three fields":    {"a b c\n", 0o600, "line 1: expected TOKEN or NAME TOKEN"},
		"short":           {"bob short\n", 0o600, "line 1: the token is shorter"},
		"duplicate name":  {"a " + goodToken + "\na " + strings.Repeat("y", 32) + "\n", 0o600, "line 2: the name of an earlier line is used again"},
		"duplicate":       {"a " + goodToken + "\nb " + goodToken + "\n", 0o600, "the same token appears twice"},
		"bad name":        {"a/b " + goodToken + "\n", 0o600, "line 1: the name (first column"},
		"swapped columns": {"a+b/" + goodToken + " alice\n", 0o600, "line 1: the name (first column"},
	}
	for name, tc := range cases {
		p := writeFile(t, tc.content, tc.mode)
		_, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_HTTP_TOKEN_FILE": p}), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v", name, err)
			continue
		}
		// The problem names the variable the user set, not the plain one.
		if !strings.Contains(err.Error(), "PVE_MCP_HTTP_TOKEN_FILE: ") || strings.Contains(err.Error(), "PVE_MCP_HTTP_TOKEN: ") {
			t.Errorf("%s: names the wrong variable: %v", name, err)
		}
		if strings.Contains(err.Error(), goodToken) || strings.Contains(err.Error(), "a/b") {
			t.Errorf("%s: token or name echoed: %v", name, err)
		}
	}
	_, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_HTTP_TOKEN_FILE": "/nonexistent/x",
		"PVE_MCP_HTTP_TOKEN": goodToken}), nil)
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("both: %v", err)
	}
	_, err = LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_HTTP_TOKEN_FILE": "/nonexistent/x"}), nil)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing: %v", err)
	}
}

func TestHTTPTokenNeverPrinted(t *testing.T) {
	tok := HTTPToken{Name: "alice", Secret: goodToken}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "token", tok, "tokens", []HTTPToken{tok})
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), fmt.Sprint([]HTTPToken{tok}), b.String()} {
		if strings.Contains(s, goodToken) || !strings.Contains(s, "alice") {
			t.Errorf("printed %q", s)
		}
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{"HTTPS://App.Example:8443/": "https://app.example:8443", "http://[::1]:6274": "http://[::1]:6274"} {
		if got, err := NormalizeOrigin(in); err != nil || got != want {
			t.Errorf("%s: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"null", "file:///x", "https://a.example/x", "https://u@a.example", "ftp://a.example"} {
		if _, err := NormalizeOrigin(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestHTTPTokenFileInCredentialsDirectory(t *testing.T) {
	// systemd grants the service user read access by an ACL, whose mask shows as group bits.
	p := writeFile(t, "alice "+goodToken+"\n", 0o640)
	m := map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_HTTP_TOKEN_FILE": p, "CREDENTIALS_DIRECTORY": filepath.Dir(p)}
	if c, err := LoadHTTP(env(m), nil); err != nil || len(c.Tokens) != 1 {
		t.Fatalf("credential file: %v", err)
	}
	m["CREDENTIALS_DIRECTORY"] = filepath.Join(filepath.Dir(p), "sub")
	if _, err := LoadHTTP(env(m), nil); err == nil {
		t.Fatal("a group-readable file outside the credentials directory accepted")
	}
	// Others are never allowed.
	p = writeFile(t, "alice "+goodToken+"\n", 0o604)
	m = map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_HTTP_TOKEN_FILE": p, "CREDENTIALS_DIRECTORY": filepath.Dir(p)}
	if _, err := LoadHTTP(env(m), nil); err == nil {
		t.Fatal("a world-readable credential accepted")
	}
}

func TestLoadAllReportsBoth(t *testing.T) {
	_, _, err := LoadAll(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_RATE_LIMIT": "x"}), nil)
	if err == nil || !IsConfigError(err) || !strings.Contains(err.Error(), "PROXMOX_HOST") || !strings.Contains(err.Error(), "PVE_MCP_RATE_LIMIT") {
		t.Fatalf("got %v", err)
	}
	m := base()
	m["PVE_MCP_TRANSPORT"] = "http"
	cfg, hc, err := LoadAll(env(m), nil)
	if err != nil || cfg.TokenID != "mcp@pve!mcp" || hc.Transport != TransportHTTP {
		t.Fatalf("got %v %v %v", cfg, hc, err)
	}
}

// A token pasted into PVE_MCP_HTTP_TOKEN_FILE by mistake is not echoed.
func TestHTTPTokenFilePathNotEchoed(t *testing.T) {
	_, err := LoadHTTP(env(map[string]string{"PVE_MCP_TRANSPORT": "http", "PVE_MCP_HTTP_TOKEN_FILE": goodToken}), nil)
	if err == nil || !strings.Contains(err.Error(), "cannot open the file") {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), goodToken) || strings.Contains(err.Error(), goodToken[:8]) {
		t.Fatalf("token echoed: %v", err)
	}
}
