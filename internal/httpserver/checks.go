package httpserver

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// hostCheck accepts the Host headers a legitimate client sends. A page on a
// rebound DNS name reaches the server with that name in Host, so checking
// Host defeats DNS rebinding even on loopback.
type hostCheck struct {
	any      bool
	loopback bool     // the listener is loopback only
	port     string   // the listener's port
	names    []string // host names accepted on any port
	exact    []string // host:port accepted as is
}

func newHostCheck(allowed []string, addr net.Addr) (*hostCheck, error) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return nil, fmt.Errorf("httpserver: listen address %q: %w", addr, err)
	}
	hc := &hostCheck{loopback: config.IsLoopbackHost(host), port: port}
	switch {
	case len(allowed) > 0:
		for _, a := range allowed {
			a = strings.ToLower(a)
			if a == "*" {
				hc.any = true
			} else if _, _, err := net.SplitHostPort(a); err == nil {
				hc.exact = append(hc.exact, a)
			} else {
				hc.names = append(hc.names, strings.TrimSuffix(strings.TrimPrefix(a, "["), "]"))
			}
		}
	case hc.loopback:
		// Only the loopback names, and only with our port.
		for _, n := range loopbackNames() {
			hc.exact = append(hc.exact, n+":"+port)
		}
		if port == "80" || port == "443" {
			hc.exact = append(hc.exact, loopbackNames()...)
		}
	case config.IsUnspecifiedHost(host):
		return nil, fmt.Errorf("httpserver: listening on all interfaces (%s) needs PVE_MCP_ALLOWED_HOSTS", addr)
	default:
		hc.names = append(hc.names, strings.ToLower(host))
	}
	return hc, nil
}

func (hc *hostCheck) allowed(hostHeader string) bool {
	if hc.any {
		return true
	}
	h := strings.ToLower(hostHeader)
	if slices.Contains(hc.exact, h) {
		return true
	}
	name := h
	if n, port, err := net.SplitHostPort(h); err == nil {
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return false
		}
		name = n
	}
	return len(hc.names) > 0 && slices.Contains(hc.names, strings.TrimSuffix(strings.TrimPrefix(name, "["), "]"))
}

func (hc *hostCheck) String() string {
	if hc.any {
		return "*"
	}
	return strings.Join(append(slices.Clone(hc.exact), hc.names...), ",")
}

// loopbackNames are the names a client on this machine reaches a loopback
// listener by, as they appear in Host (config.IsLoopbackHost holds for each).
func loopbackNames() []string { return []string{"localhost", "127.0.0.1", "[::1]"} }

// sameOrigins are the browser origins of the server itself on a loopback
// listener: http(s)://localhost, 127.0.0.1 and [::1] with its port. A page
// there can only be this server's own (it serves none; a rebound DNS name
// would show in Origin and Host), so they need no configuration.
func sameOrigins(hc *hostCheck, tls bool) []string {
	if !hc.loopback {
		return nil
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	var out []string
	for _, n := range loopbackNames() {
		out = append(out, scheme+n+":"+hc.port)
	}
	return out
}

// checkOrigin refuses every request whose Origin is neither on the
// allowlist nor one of the server's own (extra); requests without Origin
// (non-browser clients) pass. For allowed origins it adds the CORS headers
// browsers need and answers preflights.
func (h *Server) checkOrigin(next http.Handler, extra []string) http.Handler {
	allowed := slices.Concat(h.cfg.AllowedOrigins, extra)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origins := r.Header.Values("Origin")
		if len(origins) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		o, err := config.NormalizeOrigin(origins[0])
		if len(origins) > 1 || err != nil || !slices.Contains(allowed, o) {
			h.log.Info("rejected request from a foreign origin", "origin", origins[0], "remote", r.RemoteAddr)
			http.Error(w, "forbidden: Origin "+strconv.Quote(origins[0])+" is not allowed (PVE_MCP_ALLOWED_ORIGINS)", http.StatusForbidden)
			return
		}
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", origins[0])
		hd.Add("Vary", "Origin")
		hd.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate")
		if r.Method == http.MethodOptions {
			hd.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID, "+
				"Mcp-Method, Mcp-Name")
			hd.Set("Access-Control-Max-Age", "600")
		}
		next.ServeHTTP(w, r)
	})
}
