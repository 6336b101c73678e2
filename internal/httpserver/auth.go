package httpserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

const realm = `Bearer realm="proxmox-mcp-server"`

type tokenNameKey struct{}

// tokenSet holds the accepted tokens as digests: comparing fixed-size digests
// in constant time reveals neither the tokens nor their lengths.
type tokenSet struct {
	digests [][sha256.Size]byte
	nameOf  []string
}

func newTokenSet(tokens []config.HTTPToken) *tokenSet {
	ts := &tokenSet{}
	for _, t := range tokens {
		ts.digests = append(ts.digests, sha256.Sum256([]byte(t.Secret)))
		ts.nameOf = append(ts.nameOf, t.Name)
	}
	return ts
}

func (ts *tokenSet) empty() bool { return len(ts.digests) == 0 }

func (ts *tokenSet) names() []string { return ts.nameOf }

// match returns the name of the token, checking every token so the time
// taken does not depend on which one matched.
func (ts *tokenSet) match(secret string) (string, bool) {
	d := sha256.Sum256([]byte(secret))
	found := -1
	for i := range ts.digests {
		if subtle.ConstantTimeCompare(d[:], ts.digests[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return "", false
	}
	return ts.nameOf[found], true
}

// authenticate checks the bearer token. On failure it answers 401 with a
// WWW-Authenticate challenge and returns false. Without configured tokens
// (loopback only) every request passes with an empty name.
func (h *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	if h.tokens.empty() {
		return "", true
	}
	scheme, secret, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		w.Header().Set("WWW-Authenticate", realm)
		http.Error(w, "unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
		return "", false
	}
	name, ok := h.tokens.match(secret)
	if !ok {
		h.log.Info("rejected request with a wrong bearer token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
		http.Error(w, "unauthorized: invalid token", http.StatusUnauthorized)
		return "", false
	}
	return name, true
}
