package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// pve_api_call sends any request of the API schema through the same guard
// as every typed tool: path and body parameters are read by the schema and
// judged by the allowlists, volume owner, host-level and consent rules.
// Writes need confirm and the user's yes, always, by elicitation.

type apiReadArgs struct {
	Path   string         `json:"path" jsonschema:"concrete API path, e.g. /nodes/pve1/qemu/100/config"`
	Params map[string]any `json:"params,omitempty" jsonschema:"the endpoint's parameters (pve_api_describe lists them)"`
	Limit  Limit          `json:"limit,omitempty" jsonschema:"for list answers: items per page, default 50; 0 or \"all\""`
	Offset int            `json:"offset,omitempty"`
	Fields string         `json:"fields,omitempty" jsonschema:"for list answers: fields to keep, e.g. vmid,name"`
}

type apiCallArgs struct {
	Method  string `json:"method,omitempty" enum:"GET,POST,PUT,DELETE" jsonschema:"default GET"`
	Confirm bool   `json:"confirm,omitempty" jsonschema:"required for POST, PUT and DELETE"`
	apiReadArgs
}

func (a apiCallArgs) confirmedByArg() bool { return a.Confirm }

// apiAnswerMax bounds a non-list answer; lists are paged instead.
const apiAnswerMax = 64 << 10

// apiDataOut is an answer that is not a list: Proxmox's data as it came
// (secrets hidden), the text too.
type apiDataOut struct {
	Data json.RawMessage `json:"data"`
}

func (o apiDataOut) text() any { return o.Data }

func apiTools(d *Deps) []Tool {
	anyOut := &jsonschema.Schema{Type: "object"}
	full := define(d, spec{name: "pve_api_call", title: "Call the Proxmox API", toolset: "api", effect: Destructive, task: true, output: anyOut,
		desc: "Send any Proxmox API request (pve_api_search, pve_api_describe). GET reads; POST, PUT and DELETE need confirm: true and the user's consent. " +
			"Every request passes the server's guard."},
		handle(func(ctx context.Context, c *call, in apiCallArgs) (any, error) { return apiCall(ctx, c, in) }))
	read := define(d, spec{name: "pve_api_call", title: "Read the Proxmox API", toolset: "api", output: anyOut,
		desc: "Send any Proxmox API GET request (pve_api_search, pve_api_describe); this server is read-only. Every request passes the server's guard."},
		handle(func(ctx context.Context, c *call, in apiReadArgs) (any, error) {
			return apiCall(ctx, c, apiCallArgs{Method: http.MethodGet, apiReadArgs: in})
		}))
	return []Tool{
		define(d, spec{name: "pve_api_search", title: "Search the Proxmox API", toolset: "api",
			desc: "Find Proxmox API endpoints by words or path: method, path, summary and the privilege each needs, for the cluster's release."},
			handle(apiSearch)),
		define(d, spec{name: "pve_api_describe", title: "Describe a Proxmox API endpoint", toolset: "api", output: anyOut,
			desc: "An endpoint's parameters (types, defaults, formats, limits), what it returns and the privilege it needs."},
			handle(apiDescribe)),
		withReadForm(full, read),
	}
}

func apiCall(ctx context.Context, c *call, in apiCallArgs) (any, error) {
	method := strings.ToUpper(in.Method)
	if method == "" {
		method = http.MethodGet
	}
	path, err := apiPath(in.Path)
	if err != nil {
		return nil, err
	}
	s, err := c.PVE.Schema(ctx)
	if err != nil {
		return nil, err
	}
	e, _, ok := s.Lookup(method, path)
	if !ok {
		// content/{volume} takes the rest of the path, as Proxmox routes it:
		// "local:iso/x.iso" given with its slash is one volume
		if re, params, found := s.Route(method, pathSegments(path)); found && strings.HasSuffix(re.Path, "/{volume}") {
			var vals []string
			for _, name := range re.PathParams() {
				vals = append(vals, params[name])
			}
			path, e, ok = at(re.Path, vals...).path, re, true
		}
	}
	if !ok {
		if methods := s.PathMethods(path); len(methods) > 0 {
			return nil, fmt.Errorf("method: %s has no %s endpoint in PVE %s; it has %s", in.Path, method, s.Version(), strings.Join(methods, ", "))
		}
		return nil, fmt.Errorf("path: %s is not an endpoint of the PVE %s API; pve_api_search finds endpoints by words", in.Path, s.Version())
	}
	form, err := apiForm(c, in.Params)
	if err != nil {
		return nil, err
	}
	if method == http.MethodGet {
		return apiRead(ctx, c, e, path, form, in)
	}
	if !in.Confirm {
		return nil, fmt.Errorf("%w: %s %s changes the cluster (%s); set confirm: true, and the user is asked", errRefused, method, path, writeEffect(e, method, path, form))
	}
	if !c.canElicit() {
		return nil, fmt.Errorf("%w: pve_api_call sends a write only after the user's yes, and this client cannot ask its user (no elicitation); use a typed tool or a client that supports elicitation", errRefused)
	}
	c.pending = fmt.Sprintf("send %s %s%s: %s", method, path, paramsText(form), writeEffect(e, method, path, form))
	return apiWrite(ctx, c, e, method, path, form)
}

// apiPath checks a path and rebuilds it one escaped segment at a time, so
// what the guard reads is what Proxmox gets.
func apiPath(p string) (string, error) {
	p = strings.TrimSpace(p)
	p = strings.TrimPrefix(p, "/api2/json")
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("path: an API path starting with /, e.g. /nodes/pve1/qemu; got %q", p)
	}
	if strings.ContainsAny(p, "?#") {
		return "", fmt.Errorf("path: %q holds a query or fragment; give the parameters in params", p)
	}
	if strings.Contains(p, "{") {
		return "", fmt.Errorf("path: %q is a template; put values in its {...} segments (pve_cluster_resources lists nodes and guests)", p)
	}
	p = strings.TrimSuffix(p, "/")
	var segs []string
	for _, raw := range strings.Split(p, "/")[1:] {
		seg, err := url.PathUnescape(raw)
		if err != nil || seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("path: %q has an empty, dot or badly escaped segment %q", p, raw)
		}
		segs = append(segs, seg)
	}
	return pve.Path(segs...), nil
}

// apiForm turns params into Proxmox's form values: strings as given,
// numbers in full, booleans as 1 or 0, arrays as repeated keys.
func apiForm(c *call, params map[string]any) (url.Values, error) {
	form := url.Values{}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vals := []any{params[k]}
		if list, ok := params[k].([]any); ok {
			vals = list
		}
		for _, v := range vals {
			if _, nested := v.([]any); nested || isObject(v) {
				return nil, fmt.Errorf("params.%s: a string, number, boolean or an array of them; objects and nested arrays have no form encoding", k)
			}
			s, err := formValue(v)
			if err != nil {
				return nil, fmt.Errorf("params.%s: %v", k, err)
			}
			form.Add(k, s)
		}
		c.PVE.Name(k, "params."+k)
	}
	return form, nil
}

func apiRead(ctx context.Context, c *call, e *pveschema.Endpoint, path string, q url.Values, in apiCallArgs) (any, error) {
	var raw json.RawMessage
	if err := c.PVE.Get(ctx, path, q, &raw); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	raw = c.hideOutside(hideSecrets(e, raw))
	if items, ok := arrayItems(raw); ok {
		pg, err := newPager(pageArgs{Limit: in.Limit, Offset: in.Offset, Fields: in.Fields}, listSpec{})
		if err != nil {
			return nil, err
		}
		if !allObjects(items) {
			if in.Fields != "" {
				return nil, fmt.Errorf("fields: GET %s answers a list of values, not objects", path)
			}
			pg.fields = nil
			return pg.pageValues(items), nil
		}
		return pg.page(&pve.List{Items: items}, func(entry) bool { return true })
	}
	if in.Fields != "" || in.Offset != 0 || in.Limit.Set {
		return nil, fmt.Errorf("limit, offset and fields apply to list answers; GET %s answers %s", path, returnsText(e.Returns))
	}
	return dataOut(path, raw)
}

func dataOut(path string, raw json.RawMessage) (apiDataOut, error) {
	if len(raw) > apiAnswerMax {
		return apiDataOut{}, fmt.Errorf("%s answered %d bytes, more than the %d this tool returns; narrow it with the endpoint's parameters (pve_api_describe)", path, len(raw), apiAnswerMax)
	}
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	return apiDataOut{Data: raw}, nil
}

func apiWrite(ctx context.Context, c *call, e *pveschema.Endpoint, method, path string, form url.Values) (any, error) {
	what := method + " " + path
	out := taskOut{Action: what, Node: nodeOfPath(path)}
	var raw json.RawMessage
	sent := time.Now()
	var err error
	switch method {
	case http.MethodPost:
		err = c.PVE.Post(ctx, path, form, &raw)
	case http.MethodPut:
		err = c.PVE.Put(ctx, path, form, &raw)
	default:
		err = c.PVE.Delete(ctx, path, form, &raw)
	}
	if err != nil {
		return nil, c.afterUnsure(ctx, what, method, path, sent, err, kindOfPath(path), &out)
	}
	if upid, ok := upidOf(raw); ok && e.IsAsync() {
		if err := c.follow(ctx, what, upid, kindOfPath(path), &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	return dataOut(path, c.hideOutside(hideSecrets(e, raw)))
}

func nodeOfPath(path string) string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) > 1 && parts[0] == "nodes" {
		n, _ := url.PathUnescape(parts[1])
		return n
	}
	return ""
}

func arrayItems(raw json.RawMessage) ([]json.RawMessage, bool) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, false
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil, false
	}
	return items, true
}

func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

func allObjects(items []json.RawMessage) bool {
	for _, it := range items {
		if len(it) == 0 || it[0] != '{' {
			return false
		}
	}
	return true
}

// pathSegments splits an escaped path into its unescaped segments.
func pathSegments(path string) []string {
	var segs []string
	for _, raw := range strings.Split(strings.TrimPrefix(path, "/"), "/") {
		seg, err := url.PathUnescape(raw)
		if err != nil {
			seg = raw
		}
		segs = append(segs, seg)
	}
	return segs
}
