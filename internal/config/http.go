package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
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
	// DefaultResumeWindow is how long a call whose client lost its event
	// stream keeps running for the client to resume it (Last-Event-ID).
	DefaultResumeWindow = 30 * time.Second
	// DefaultEventRetention is how long a stream's events are kept for a
	// resumption after its last event; DefaultMaxEventBytes bounds them all.
	DefaultEventRetention = 5 * time.Minute
	DefaultMaxEventBytes  = 16 << 20
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
	// Tokens accepted as "Authorization: Bearer <secret>". Empty, and
	// OAuth nil: no authentication, which only a loopback listen address allows.
	Tokens []HTTPToken
	// OAuth accepts JWT access tokens of an authorization server besides
	// Tokens (a bearer matching a static token is that token); nil: off.
	OAuth *OAuth
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
	// ShutdownTimeout is how long running calls may go on after SIGTERM
	// before they are cancelled (and answer with what is known).
	ShutdownTimeout time.Duration
	// ResumeWindow, EventRetention and MaxEventBytes bound resumable event
	// streams (sessions only): see the defaults.
	ResumeWindow   time.Duration
	EventRetention time.Duration
	MaxEventBytes  int64
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
	c.ResumeWindow = DefaultResumeWindow
	c.EventRetention = DefaultEventRetention
	c.MaxEventBytes = DefaultMaxEventBytes
	n := len(p.problems)
	c.Tokens = p.httpTokens("PVE_MCP_HTTP_TOKEN", "PVE_MCP_HTTP_TOKEN_FILE")
	c.OAuth = p.oauth()
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
		if len(c.Tokens) == 0 && c.OAuth == nil && !tokensBad {
			p.fail("PVE_MCP_HTTP_TOKEN, PVE_MCP_HTTP_TOKEN_FILE or PVE_MCP_HTTP_OAUTH_ISSUER: required to listen on %s, which is not a loopback address "+
				"(create a token with `openssl rand -hex 32`)", c.Listen)
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
