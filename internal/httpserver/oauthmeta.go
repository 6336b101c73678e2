package httpserver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

// MetadataPath serves the OAuth protected-resource metadata (RFC 9728).
const MetadataPath = "/.well-known/oauth-protected-resource"

// resourceURL is the public URL of the MCP endpoint: configured, or else
// from the request's Host (checked before this is called).
func (h *Server) resourceURL(r *http.Request) string {
	if h.oauth.cfg.ResourceURL != "" {
		return h.oauth.cfg.ResourceURL
	}
	scheme := "http"
	if h.tls != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: Endpoint}).String()
}

// metadataURL puts the well-known path between the resource's host and
// its path (RFC 9728 §3.1).
func metadataURL(resource string) string {
	u, err := url.Parse(resource)
	if err != nil {
		return ""
	}
	u.Path = MetadataPath + strings.TrimSuffix(u.Path, "/")
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u.String()
}

// challenge answers status with a Bearer challenge naming the resource
// metadata (RFC 9728 §5.1) and, unless code is empty (no token was sent,
// RFC 6750 §3.1), the error; insufficient_scope names the scope to ask for.
func (h *Server) challenge(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	params := []string{realm, "resource_metadata=" + strconv.Quote(metadataURL(h.resourceURL(r)))}
	if code != "" {
		params = append(params, "error="+strconv.Quote(code))
	}
	if code == "insufficient_scope" {
		params = append(params, `scope="pve:read"`)
	}
	if desc != "" {
		params = append(params, "error_description="+strconv.Quote(desc))
	}
	w.Header().Set("WWW-Authenticate", strings.Join(params, ", "))
	text := "unauthorized"
	switch status {
	case http.StatusForbidden:
		text = "forbidden"
	case http.StatusBadRequest:
		text = "bad request"
	}
	if desc == "" {
		desc = "send Authorization: Bearer <token>; see " + MetadataPath + Endpoint
	}
	http.Error(w, text+": "+desc, status)
}

// serveMetadata answers the protected-resource metadata, without
// authentication: clients read it to find the authorization server.
func (h *Server) serveMetadata(w http.ResponseWriter, r *http.Request, hosts *hostCheck) {
	if !hosts.allowed(r.Host) {
		http.Error(w, "forbidden: Host "+strconv.Quote(r.Host)+" is not allowed (PVE_MCP_ALLOWED_HOSTS)", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	doc := oauthex.ProtectedResourceMetadata{
		Resource:               h.resourceURL(r),
		AuthorizationServers:   []string{h.oauth.cfg.Issuer},
		ScopesSupported:        h.oauth.cfg.ScopesSupported,
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "proxmox-mcp-server",
	}
	b, err := json.Marshal(doc)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(b)
}
