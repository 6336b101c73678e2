package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Transports the server speaks.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http"
)

// Defaults of the HTTP transport.
const (
	DefaultListen         = "127.0.0.1:8787"
	DefaultSessionTimeout = 30 * time.Minute
	DefaultMaxSessions    = 100
	// DefaultMaxSessionsPerToken keeps one token from holding every session:
	// with the defaults it takes ten tokens to fill the server.
	DefaultMaxSessionsPerToken   = 10
	DefaultMaxInflightPerSession = 8
	DefaultRateLimit             = 120 // JSON-RPC requests per minute per token
	DefaultMaxBodyBytes          = 1 << 20
	DefaultShutdownTimeout       = 10 * time.Second
	// MinHTTPTokenLength keeps guessable tokens out: `openssl rand -hex 32` gives 64.
	MinHTTPTokenLength = 32
)

// HTTPConfig is how the server is reached: stdio, or Streamable HTTP with its
// authentication, browser protections and limits.
type HTTPConfig struct {
	Transport      string // TransportStdio or TransportHTTP
	Listen         string // host:port
	Stateless      bool   // no sessions: each POST stands alone (for replicas behind a balancer)
	SessionTimeout time.Duration
	// Tokens accepted as "Authorization: Bearer <secret>". Empty: no
	// authentication, which only a loopback listen address allows.
	Tokens []HTTPToken
	// AllowedOrigins are exact origins ("https://app.example") browsers may
	// call from; requests without an Origin header are not affected.
	AllowedOrigins []string
	// AllowedHosts are the Host header names (optionally with a port) clients
	// use. Empty: on loopback localhost, 127.0.0.1 and [::1] with the listen
	// port, otherwise the listen host. "*" accepts any Host.
	AllowedHosts []string
	RateLimit    int // JSON-RPC requests per minute per token; 0 turns the limit off
	MaxSessions  int // concurrent sessions (stateless: concurrent requests)
	// MaxSessionsPerToken bounds the sessions one token holds; opening one
	// more closes that token's least recently used idle session.
	MaxSessionsPerToken int
	// MaxInflightPerSession bounds the requests a session has running at
	// once (the GET event stream does not count).
	MaxInflightPerSession int
	MaxBodyBytes          int64
	TLSCert, TLSKey       string // both or neither
	ShutdownTimeout       time.Duration
}

// HTTPToken is one accepted bearer token. Name identifies it in logs and
// binds sessions and rate limits; Secret is never printed.
type HTTPToken struct {
	Name   string
	Secret string
}

// String hides the secret from fmt.
func (t HTTPToken) String() string { return "token " + t.Name }

// GoString hides the secret from %#v.
func (t HTTPToken) GoString() string { return "config.HTTPToken{Name: " + strconv.Quote(t.Name) + "}" }

// LogValue hides the secret from slog.
func (t HTTPToken) LogValue() slog.Value { return slog.StringValue(t.Name) }

// HTTPFlags holds the command-line flags of the HTTP transport; they take
// precedence over the environment.
type HTTPFlags struct {
	fs        *flag.FlagSet
	transport string
	listen    string
	stateless bool
	tlsCert   string
	tlsKey    string
}

// AddHTTPFlags defines --transport, --listen, --stateless, --tls-cert and
// --tls-key on fs. Pass the result to LoadHTTP after fs.Parse.
func AddHTTPFlags(fs *flag.FlagSet) *HTTPFlags {
	f := &HTTPFlags{fs: fs}
	fs.StringVar(&f.transport, "transport", TransportStdio, "stdio or http (env PVE_MCP_TRANSPORT)")
	fs.StringVar(&f.listen, "listen", DefaultListen, "address for --transport http (env PVE_MCP_LISTEN)")
	fs.BoolVar(&f.stateless, "stateless", false, "HTTP without sessions, for several replicas behind a load balancer (env PVE_MCP_STATELESS)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate file; serve HTTPS (env PVE_MCP_TLS_CERT)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file for --tls-cert (env PVE_MCP_TLS_KEY)")
	return f
}

// LoadHTTP reads the transport settings from the environment and the flags
// (nil: environment only). For stdio only Transport is set. The error, a
// *Error, lists every problem at once.
func LoadHTTP(getenv Getenv, flags *HTTPFlags) (*HTTPConfig, error) {
	p := &parser{getenv: getenv}
	set := map[string]bool{}
	if flags != nil && flags.fs != nil {
		flags.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	}
	str := func(flagName, key, flagVal, def string) string {
		if set[flagName] {
			return strings.TrimSpace(flagVal)
		}
		if v, ok := p.get(key); ok {
			return v
		}
		return def
	}
	c := &HTTPConfig{Transport: strings.ToLower(str("transport", "PVE_MCP_TRANSPORT", flagValue(flags, "transport"), TransportStdio))}
	switch c.Transport {
	case TransportStdio:
		return c, nil
	case TransportHTTP:
	default:
		p.fail("PVE_MCP_TRANSPORT / --transport: %q is not a transport (stdio or http)", c.Transport)
		return nil, &Error{Problems: p.problems}
	}
	c.Listen = str("listen", "PVE_MCP_LISTEN", flagValue(flags, "listen"), DefaultListen)
	if set["stateless"] {
		c.Stateless = flags.stateless
	} else {
		c.Stateless = p.boolean("PVE_MCP_STATELESS", false)
	}
	c.TLSCert = str("tls-cert", "PVE_MCP_TLS_CERT", flagValue(flags, "tls-cert"), "")
	c.TLSKey = str("tls-key", "PVE_MCP_TLS_KEY", flagValue(flags, "tls-key"), "")
	c.SessionTimeout = p.sessionTimeout("PVE_MCP_SESSION_TIMEOUT")
	c.RateLimit = p.intRange("PVE_MCP_RATE_LIMIT", DefaultRateLimit, 0, 1_000_000, "requests per minute per token, 0 for no limit")
	c.MaxSessions = p.intRange("PVE_MCP_MAX_SESSIONS", DefaultMaxSessions, 1, 100_000, "concurrent sessions")
	c.MaxSessionsPerToken = p.intRange("PVE_MCP_MAX_SESSIONS_PER_TOKEN", DefaultMaxSessionsPerToken, 1, 100_000, "sessions per token")
	c.MaxInflightPerSession = p.intRange("PVE_MCP_MAX_INFLIGHT_PER_SESSION", DefaultMaxInflightPerSession, 1, 10_000, "requests in flight per session")
	c.MaxBodyBytes = DefaultMaxBodyBytes
	c.ShutdownTimeout = DefaultShutdownTimeout
	n := len(p.problems)
	c.Tokens = p.httpTokens("PVE_MCP_HTTP_TOKEN", "PVE_MCP_HTTP_TOKEN_FILE")
	tokensBad := len(p.problems) > n
	c.AllowedOrigins = p.origins("PVE_MCP_ALLOWED_ORIGINS")
	n = len(p.problems)
	c.AllowedHosts = p.hosts("PVE_MCP_ALLOWED_HOSTS")
	hostsBad := len(p.problems) > n

	if (c.TLSCert == "") != (c.TLSKey == "") {
		p.fail("PVE_MCP_TLS_CERT / --tls-cert and PVE_MCP_TLS_KEY / --tls-key: give both or neither")
	}
	host, _, err := splitListen(c.Listen)
	if err != nil {
		p.fail("PVE_MCP_LISTEN / --listen: %q: %v", c.Listen, err)
	} else if !IsLoopbackHost(host) {
		if len(c.Tokens) == 0 && !tokensBad {
			p.fail("PVE_MCP_HTTP_TOKEN or PVE_MCP_HTTP_TOKEN_FILE: required to listen on %s, which is not a loopback address "+
				"(create one with `openssl rand -hex 32`)", c.Listen)
		}
		if host == "" || IsUnspecifiedHost(host) {
			if len(c.AllowedHosts) == 0 && !hostsBad {
				p.fail("PVE_MCP_ALLOWED_HOSTS: required to listen on all interfaces (%s): list the names clients connect to, "+
					"e.g. mcp.example.lan,10.0.0.5 (or * for any)", c.Listen)
			}
		}
	}
	if len(p.problems) > 0 {
		return nil, &Error{Problems: p.problems}
	}
	return c, nil
}

func flagValue(f *HTTPFlags, name string) string {
	if f == nil {
		return ""
	}
	switch name {
	case "transport":
		return f.transport
	case "listen":
		return f.listen
	case "tls-cert":
		return f.tlsCert
	case "tls-key":
		return f.tlsKey
	}
	return ""
}

// sessionTimeout accepts a Go duration ("45m", "2h") or a number of minutes.
func (p *parser) sessionTimeout(key string) time.Duration {
	v, ok := p.get(key)
	if !ok {
		return DefaultSessionTimeout
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		n, nerr := strconv.Atoi(v)
		if nerr != nil {
			d = -1
		} else {
			d = time.Duration(n) * time.Minute
		}
	}
	if d < 10*time.Second || d > 7*24*time.Hour {
		p.fail("%s: %q is not a session timeout between 10s and 168h (a duration like 45m, or minutes)", key, v)
		return DefaultSessionTimeout
	}
	return d
}

func (p *parser) intRange(key string, def, lo, hi int, what string) int {
	v, ok := p.get(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		p.fail("%s: %q is not a number of %s (%d-%d)", key, v, what, lo, hi)
		return def
	}
	return n
}

// httpTokens reads one token from key, or one or more from the file named by
// fileKey: a line is "TOKEN" or "NAME TOKEN"; blank lines and # comments are
// skipped. The file must not be accessible to group or others.
func (p *parser) httpTokens(key, fileKey string) []HTTPToken {
	v, hasValue := p.get(key)
	file, hasFile := p.get(fileKey)
	switch {
	case hasValue && hasFile:
		p.fail("%s: set either %s or %s, not both", key, key, fileKey)
		return nil
	case hasValue:
		if err := checkTokenSecret(v); err != "" {
			p.fail("%s: %s", key, err)
			return nil
		}
		return []HTTPToken{{Name: "default", Secret: v}}
	case hasFile:
		return p.tokenFile(key, fileKey, file)
	}
	return nil
}

// pathless drops the path from a file error, keeping the reason.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (p *parser) tokenFile(key, fileKey, path string) []HTTPToken {
	// Open first and check the open file: no swap between check and read,
	// and a FIFO or device cannot hang the start-up.
	// Errors name the reason, not the path: a token pasted into the variable
	// by mistake would be echoed.
	f, err := os.Open(path)
	if err != nil {
		p.fail("%s: cannot open the file: %v", key, pathless(err))
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		p.fail("%s: %v", key, pathless(err))
		return nil
	}
	if !fi.Mode().IsRegular() {
		p.fail("%s: %s is not a regular file", key, path)
		return nil
	}
	// systemd's credentials (LoadCredential=) are private to the service but
	// may show group bits: the mask of the ACL that grants the service user.
	mask := os.FileMode(0o077)
	if p.inCredentialsDir(path) {
		mask = 0o007
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&mask != 0 {
		p.fail("%s: %s is accessible to group or others (mode %04o); run chmod 600 on it", key, path, fi.Mode().Perm())
		return nil
	}
	const maxTokenFile = 1 << 20
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		p.fail("%s: %v", key, pathless(err))
		return nil
	}
	if len(data) > maxTokenFile {
		p.fail("%s: %s is larger than 1 MiB; it should hold one token per line", key, path)
		return nil
	}
	n := len(p.problems)
	var out []HTTPToken
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		t := HTTPToken{Name: "token" + strconv.Itoa(i+1)}
		switch len(fields) {
		case 1:
			t.Secret = fields[0]
		case 2:
			t.Name, t.Secret = fields[0], fields[1]
		default:
			p.fail("%s: %s line %d: expected TOKEN or NAME TOKEN", key, fileKey, i+1)
			continue
		}
		if !validTokenName(t.Name) {
			p.fail("%s: %s line %d: the name (first column, not shown: it may be a token in the wrong column) may hold letters, digits, '.', '-', '_' and '@'", key, fileKey, i+1)
			continue
		}
		if e := checkTokenSecret(t.Secret); e != "" {
			p.fail("%s: %s line %d: %s", key, fileKey, i+1, e)
			continue
		}
		for _, o := range out {
			if o.Name == t.Name {
				p.fail("%s: %s line %d: the name of an earlier line is used again", key, fileKey, i+1)
			}
			if o.Secret == t.Secret {
				p.fail("%s: %s line %d: the same token appears twice", key, fileKey, i+1)
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 && len(p.problems) == n {
		p.fail("%s: %s holds no token", key, fileKey)
	}
	return out
}

// inCredentialsDir tells whether path lies in systemd's $CREDENTIALS_DIRECTORY.
func (p *parser) inCredentialsDir(path string) bool {
	dir, ok := p.get("CREDENTIALS_DIRECTORY")
	if !ok {
		return false
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsAbs(dir) && filepath.IsAbs(path) && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func validTokenName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_@", r)
		if !ok {
			return false
		}
	}
	return true
}

// checkTokenSecret says what is wrong with a token, never echoing it.
func checkTokenSecret(s string) string {
	if len(s) < MinHTTPTokenLength {
		return fmt.Sprintf("the token is shorter than %d characters (create one with `openssl rand -hex 32`)", MinHTTPTokenLength)
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r > '~' {
			return "the token holds whitespace, control or non-ASCII characters"
		}
	}
	return ""
}

// origins reads exact browser origins: scheme://host[:port].
func (p *parser) origins(key string) []string {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	var out []string
	for _, o := range splitList(v) {
		norm, err := NormalizeOrigin(o)
		if err != nil {
			p.fail("%s: %q %v", key, o, err)
			continue
		}
		if !slices.Contains(out, norm) {
			out = append(out, norm)
		}
	}
	return out
}

// NormalizeOrigin lower-cases an origin and drops a trailing slash; it
// refuses anything that is not scheme://host[:port].
func NormalizeOrigin(o string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("is not an origin like https://app.example or http://localhost:6274")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("is not an http or https origin")
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("must be only scheme://host[:port], without a path")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// hosts reads Host header names, each optionally with a port, or "*".
func (p *parser) hosts(key string) []string {
	v, ok := p.get(key)
	if !ok {
		return nil
	}
	var out []string
	for _, h := range splitList(v) {
		h = strings.ToLower(h)
		if h != "*" {
			name := h
			if n, port, err := net.SplitHostPort(h); err == nil {
				if _, perr := strconv.ParseUint(port, 10, 16); perr != nil {
					p.fail("%s: %q has a bad port", key, h)
					continue
				}
				name = n
			}
			name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
			if name == "" || strings.ContainsAny(name, "/?#@ ") {
				p.fail("%s: %q is not a host name or address (e.g. mcp.example.lan or 10.0.0.5:8787)", key, h)
				continue
			}
		}
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

func splitListen(addr string) (host string, port int, err error) {
	h, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("not host:port (e.g. 127.0.0.1:8787)")
	}
	n, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		return "", 0, fmt.Errorf("bad port %q", ps)
	}
	return h, int(n), nil
}

// IsLoopbackHost tells whether a listen or Host name is loopback only.
func IsLoopbackHost(host string) bool {
	return isLoopback(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
}

// IsUnspecifiedHost tells whether a listen host means every interface.
func IsUnspecifiedHost(host string) bool {
	if host == "" {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsUnspecified()
}

// LoadAll reads the Proxmox configuration and the transport settings
// together, so one error lists the problems of both.
func LoadAll(getenv Getenv, flags *HTTPFlags) (*Config, *HTTPConfig, error) {
	cfg, err1 := Load(getenv)
	hc, err2 := LoadHTTP(getenv, flags)
	var problems []string
	for _, err := range []error{err1, err2} {
		var ce *Error
		switch {
		case err == nil:
		case errors.As(err, &ce):
			problems = append(problems, ce.Problems...)
		default:
			return nil, nil, err
		}
	}
	if len(problems) > 0 {
		return nil, nil, &Error{Problems: problems}
	}
	return cfg, hc, nil
}
