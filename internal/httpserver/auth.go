package httpserver

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/principal"
)

const realm = `Bearer realm="proxmox-mcp-server"`

// tokenInfoKey carries the TokenInfo authenticate made to the SDK's
// RequireBearerToken, which puts it in every request it serves.
type tokenInfoKey struct{}

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

// authenticate checks the bearer token: a static token, or else (with
// OAuth) a JWT access token. On failure it answers 401 (403 for a token
// without any pve:* scope) with a WWW-Authenticate challenge and returns
// false. Without tokens or OAuth (loopback only) every request passes with
// a nil TokenInfo.
func (h *Server) authenticate(w http.ResponseWriter, r *http.Request) (*auth.TokenInfo, bool) {
	if !h.authRequired() {
		return nil, true
	}
	if h.oauth != nil && r.URL.Query().Has("access_token") {
		// RFC 9700 §2.5: a token in the URL ends up in logs and histories.
		h.challenge(w, r, http.StatusBadRequest, "invalid_request", "send the token in the Authorization header, never in the URL")
		return nil, false
	}
	scheme, secret, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	secret = strings.TrimSpace(secret)
	if !strings.EqualFold(scheme, "Bearer") || secret == "" {
		if h.oauth != nil {
			h.challenge(w, r, http.StatusUnauthorized, "", "")
			return nil, false
		}
		w.Header().Set("WWW-Authenticate", realm)
		http.Error(w, "unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
		return nil, false
	}
	if name, ok := h.tokens.match(secret); ok {
		return &auth.TokenInfo{UserID: name}, true
	}
	if h.oauth == nil {
		h.log.Info("rejected request with a wrong bearer token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", realm+`, error="invalid_token"`)
		http.Error(w, "unauthorized: invalid token", http.StatusUnauthorized)
		return nil, false
	}
	ti, rej := h.oauth.verify(r.Context(), secret)
	if rej != nil {
		h.log.Info("rejected OAuth token", "reason", rej.detail, "subject", rej.subject, "remote", r.RemoteAddr)
		if rej.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "10")
			http.Error(w, "unavailable: "+rej.desc, rej.status)
			return nil, false
		}
		h.challenge(w, r, rej.status, "invalid_token", rej.desc)
		return nil, false
	}
	if !principal.HasAnyEffectScope(ti.Scopes) {
		sub, _ := ti.Extra[principal.ExtraSubject].(string)
		h.log.Info("rejected OAuth token", "reason", "no pve:read, pve:write or pve:destructive scope", "subject", sub, "remote", r.RemoteAddr)
		h.challenge(w, r, http.StatusForbidden, "insufficient_scope", "the token has none of the scopes pve:read, pve:write, pve:destructive")
		return nil, false
	}
	return ti, true
}

func (h *Server) authRequired() bool { return !h.tokens.empty() || h.oauth != nil }
