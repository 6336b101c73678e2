package pvesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

const (
	apiPrefix   = "/api2/json"
	maxPostSize = 512 * 1024
)

// Handler serves /api2/json/... and the admin API under /_sim/.
func (s *Sim) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Sim) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/_sim/") || r.URL.Path == "/_sim":
		s.serveAdmin(w, r)
	case r.URL.Path == apiPrefix || strings.HasPrefix(r.URL.Path, apiPrefix+"/"):
		s.serveAPI(w, r)
	default:
		writeRaw(w, r, 404, "Not Found", "text/plain", nil)
	}
}

// call is one API request on its way through the checks to its handler.
type call struct {
	s       *Sim
	st      *state
	method  string
	rel     string // path below /api2/json as sent (unescaped)
	rawRel  string // the same, still escaped (volids carry '/' as %2F)
	params  map[string]string
	query   url.Values // what the client sent, for the request log
	authid  string     // user or full token id
	ticket  bool
	now     time.Time
	total   int    // emitted as "total" when > 0
	changes string // emitted as "changes" when non-empty
	ep      *pveschema.Endpoint
	upload  *uploadedFile // the file part of a multipart upload (upload.go)
}

func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(r.URL.Path, apiPrefix)
	if rel == "" {
		rel = "/"
	}
	c := &call{s: s, method: r.Method, rel: rel, rawRel: strings.TrimPrefix(r.URL.EscapedPath(), apiPrefix)}
	logged := func(status int) {
		s.logRequest(Request{Time: s.now(), Method: r.Method, Path: rel, Params: c.query, Status: status, AuthID: c.authid})
	}
	// Transport rules of pveproxy (AnyEvent.pm), checked before anything else.
	if err := checkTransport(r); err != nil {
		logged(err.status)
		writeError(w, r, err)
		return
	}
	if f := s.transportFault(r.Method, rel); f != nil {
		if f.Kind != FaultLatency {
			st := s.applyTransportFault(w, r, f)
			logged(max(st, 0))
			if st == abortAnswer {
				panic(http.ErrAbortHandler)
			}
			return
		}
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			logged(0)
			panic(http.ErrAbortHandler) // no answer at all, not an empty 200
		case <-s.closed:
			logged(0)
			panic(http.ErrAbortHandler)
		}
	}
	data, err := s.dispatch(c, r)
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{status: 500, msg: err.Error() + "\n"}
		}
		if ae.status == 401 && s.opts.AuthDelay > 0 {
			select {
			case <-time.After(s.opts.AuthDelay):
			case <-r.Context().Done():
			case <-s.closed:
			}
		}
		logged(ae.status)
		writeError(w, r, ae)
		return
	}
	body := map[string]any{"data": data}
	if c.total > 0 {
		body["total"] = c.total
	}
	if c.changes != "" {
		body["changes"] = c.changes
	}
	buf, jerr := json.Marshal(body)
	if jerr != nil {
		ae := &apiError{status: 500, msg: "unable to encode result: " + jerr.Error() + "\n"}
		logged(500)
		writeError(w, r, ae)
		return
	}
	logged(200)
	writeRaw(w, r, 200, "OK", "application/json;charset=UTF-8", buf)
}

// dispatch runs the checks in pve-http-server's order: route (501), duplicate
// parameters (400), auth (401), allowtoken and permissions (403), node
// resolution (500 / 595), parameter validation (400), then the handler.
func (s *Sim) dispatch(c *call, r *http.Request) (data any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("pvesim: handler panic", "method", c.method, "path", c.rel, "panic", p)
			data, err = nil, failf("internal simulator error: %v", p)
		}
	}()
	ep, h, pathParams := s.router.route(c.method, c.rawRel)
	if pathParams["node"] == "localhost" {
		// "localhost" is the node that received the request
		s.mu.Lock()
		pathParams["node"] = s.st.nodes[0].name
		s.mu.Unlock()
	}
	// Authentication happens before routing on a real node.
	if err := s.authenticate(c, r); err != nil {
		// parameters are still recorded for the log
		c.query, _, _ = readParams(r)
		return nil, err
	}
	params, shapes, perr := s.readParams(c, r)
	c.query = params
	if perr != nil {
		return nil, perr
	}
	if ep == nil && c.method == "GET" && strings.Trim(c.rawRel, "/") == "" {
		// PVE::API2's index: not in the schema's tree, open to every user.
		return s.apiIndex(), nil
	}
	if ep == nil {
		return nil, notImplemented(c.method, c.rel)
	}
	c.ep = ep
	c.params = map[string]string{}
	for k, vs := range params {
		if len(vs) > 0 {
			c.params[k] = strings.Join(vs, "\x00") // repeated keys: PVE 7's array form
		}
		if len(vs) > 1 && s.major() >= 8 && shapes[k] == "" {
			shapes[k] = "ARRAY" // pve-http-server 8 decodes repeated keys to an array
		}
	}
	for k, v := range pathParams {
		if old, ok := c.params[k]; ok && old != v {
			return nil, paramErr(k, "duplicate parameter (already defined in URI) with conflicting values!")
		}
		c.params[k] = v
	}
	if c.method != "GET" && c.ticket && !isUpload(r) && !s.verifyCSRF(c, r) {
		return nil, &apiError{status: 401, msg: "Permission denied - invalid csrf token", empty: true}
	}
	if !ep.AllowToken && isToken(c.authid) {
		return nil, permErrorText(fmt.Sprintf("Permission check failed (URI '%s' not available with API token, need proper ticket.)", c.rel))
	}
	if err := s.checkPermission(c, ep); err != nil {
		return nil, err
	}
	if nodeName, ok := pathParams["node"]; ok {
		if err := s.resolveNode(nodeName); err != nil {
			return nil, err
		}
	}
	errs := ep.Validate(c.params)
	for k, msg := range shapeErrors(ep, shapes) {
		if errs == nil {
			errs = map[string]string{}
		}
		errs[k] = msg
	}
	if len(errs) > 0 {
		return nil, paramError(errs)
	}
	if f := s.errorFault(c.method, c.rel); f != nil {
		return nil, f
	}
	// a config lock that times out makes the caller wait first (10s on a real node)
	if d := s.lockFaultDelay(c.method, c.params["vmid"]); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return nil, &apiError{status: 500, msg: "client gone\n"}
		case <-s.closed:
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked()
	c.st = s.st
	c.now = s.now()
	return h(c)
}

// resolveNode mimics the proxy step: an unknown node is a failed hostname
// lookup, an offline one a 595 with an empty body.
func (s *Sim) resolveNode(name string) error {
	s.mu.Lock()
	n := s.st.node(name)
	off := n != nil && n.offline
	status, reason := 595, "Connection refused"
	if off {
		if f := s.offlineFault(name); f != nil && f.Status != 0 {
			status = f.Status
			reason = f.Message
		}
	}
	s.mu.Unlock()
	if n == nil && name != "localhost" {
		return failf("hostname lookup '%s' failed - failed to get address info for: %s: Name or service not known", name, name)
	}
	if off {
		if reason == "" {
			reason = proxyReason(status)
		}
		return &apiError{status: status, msg: reason, empty: true}
	}
	return nil
}

func proxyReason(status int) string {
	switch status {
	case 596:
		return "Connection timed out"
	case 597:
		return "Connection reset by peer"
	case 599:
		return "Too many redirections"
	}
	return "Connection refused"
}

func checkTransport(r *http.Request) *apiError {
	switch r.Method {
	case "GET", "POST", "PUT", "DELETE":
	default:
		return &apiError{status: 501, msg: fmt.Sprintf("method '%s' not available", r.Method), empty: true}
	}
	chunked := len(r.TransferEncoding) > 0 && r.TransferEncoding[0] == "chunked"
	if (r.Method == "GET" || r.Method == "DELETE") && (r.ContentLength > 0 || chunked) {
		msg := fmt.Sprintf("Unexpected content for method '%s'", r.Method)
		return &apiError{status: 501, msg: msg, rawBody: msg}
	}
	if chunked {
		msg := "chunked transfer encoding not supported"
		return &apiError{status: 501, msg: msg, rawBody: msg}
	}
	if r.ContentLength > maxPostSize && !isUpload(r) {
		return &apiError{status: 501, msg: "for data too large", rawBody: "for data too large"}
	}
	return nil
}

// apiIndex is what GET /api2/json/ lists on a real node: the routed
// top-level directories.
func (s *Sim) apiIndex() []map[string]string {
	out := []map[string]string{}
	for _, n := range s.router.children["/"] {
		out = append(out, map[string]string{"subdir": n})
	}
	return out
}
