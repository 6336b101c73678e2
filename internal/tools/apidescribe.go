package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

type apiDescribeArgs struct {
	Path   string `json:"path" jsonschema:"template (/nodes/{node}/qemu/{vmid}/config) or concrete path"`
	Method string `json:"method,omitempty" enum:"GET,POST,PUT,DELETE" jsonschema:"default GET, or the path's only method"`
	Param  string `json:"param,omitempty" jsonschema:"one parameter in full, with its property-string keys (e.g. net0 or net[n])"`
}

// apiParam is a parameter; a property string's keys come as Props.
type apiParam struct {
	apiKey
	Props []apiKey `json:"props,omitempty"`
}

type apiKey struct {
	Name        string     `json:"name"`
	Type        string     `json:"type,omitempty"`
	In          string     `json:"in,omitempty"` // "path" for path parameters
	Required    bool       `json:"required,omitempty"`
	Default     any        `json:"default,omitempty"`
	Format      string     `json:"format,omitempty"`
	Enum        []string   `json:"enum,omitempty"`
	Minimum     *float64   `json:"minimum,omitempty"`
	Maximum     *float64   `json:"maximum,omitempty"`
	Description string     `json:"description,omitempty"`
	Keys        []string   `json:"keys,omitempty"` // of a property string
	Props       []apiParam `json:"props,omitempty"`
}

type apiDescribeOut struct {
	Release     string     `json:"release"`
	Method      string     `json:"method"`
	Path        string     `json:"path"`
	Description string     `json:"description"`
	Privilege   string     `json:"privilege"`
	Task        bool       `json:"task,omitempty"`
	Returns     string     `json:"returns"`
	Params      []apiParam `json:"params"`
	Methods     []string   `json:"methods,omitempty"` // every method of the path
	Note        string     `json:"note,omitempty"`
}

// describeDescMax bounds each parameter's description when all are listed;
// param gives one in full.
const describeDescMax = 160

func apiDescribe(ctx context.Context, c *call, in apiDescribeArgs) (apiDescribeOut, error) {
	s, err := c.PVE.Schema(ctx)
	if err != nil {
		return apiDescribeOut{}, err
	}
	e, methods, err := findEndpoint(s, in.Path, in.Method)
	if err != nil {
		return apiDescribeOut{}, err
	}
	out := apiDescribeOut{Release: s.Version(), Method: e.Method, Path: e.Path, Description: strings.TrimSpace(e.Description),
		Privilege: e.PrivilegeText(), Task: e.IsAsync(), Returns: returnsText(e.Returns), Methods: methods}
	if in.Param != "" {
		p, ok := e.Params[in.Param] // "net[n]" as listed
		if !ok {
			p, ok = e.Param(in.Param) // or "net0"
		}
		if !ok {
			return out, fmt.Errorf("param: %s %s has no parameter %q; it has %s", e.Method, e.Path, in.Param, strings.Join(e.ParamNames(), ", "))
		}
		out.Params = []apiParam{describeParam(e, p, 0)}
		return out, nil
	}
	names := e.ParamNames()
	inPath := e.PathParams()
	slices.SortStableFunc(names, func(a, b string) int { return paramRank(e, inPath, a) - paramRank(e, inPath, b) })
	for _, n := range names {
		p := e.Params[n]
		out.Params = append(out.Params, describeParam(e, p, describeDescMax))
	}
	if e.Method != "GET" {
		out.Note = "pve_api_call sends it with confirm: true after the user's consent; the request guard judges every parameter"
	}
	return out, nil
}

// findEndpoint resolves a template or a concrete path and a method; with no
// method, GET or the path's only method.
func findEndpoint(s *pveschema.Schema, path, method string) (*pveschema.Endpoint, []string, error) {
	path = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(path), "/api2/json"), "/")
	if !strings.HasPrefix(path, "/") {
		return nil, nil, fmt.Errorf("path: an API path starting with /, e.g. /nodes/{node}/qemu; got %q", path)
	}
	var methods []string
	for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
		if endpointOf(s, m, path) != nil {
			methods = append(methods, m)
		}
	}
	if len(methods) == 0 {
		return nil, nil, fmt.Errorf("path: %s is not a path of the PVE %s API; pve_api_search finds endpoints by words", path, s.Version())
	}
	switch {
	case method == "" && slices.Contains(methods, "GET"):
		method = "GET"
	case method == "" && len(methods) == 1:
		method = methods[0]
	case method == "":
		return nil, nil, fmt.Errorf("method: %s has %s; say which", path, strings.Join(methods, " and "))
	case !slices.Contains(methods, method):
		return nil, nil, fmt.Errorf("method: %s has no %s endpoint; it has %s", path, method, strings.Join(methods, ", "))
	}
	return endpointOf(s, method, path), methods, nil
}

func endpointOf(s *pveschema.Schema, method, path string) *pveschema.Endpoint {
	if strings.Contains(path, "{") {
		e, _ := s.Endpoint(method, path)
		return e
	}
	e, _, _ := s.Lookup(method, path)
	return e
}

// paramRank orders path parameters first, then required ones.
func paramRank(e *pveschema.Endpoint, inPath []string, name string) int {
	if slices.Contains(inPath, name) {
		return 0
	}
	if p := e.Params[name]; p != nil && !p.Optional {
		return 1
	}
	return 2
}

func describeParam(e *pveschema.Endpoint, p *pveschema.Param, descMax int) apiParam {
	ap := apiParam{}
	ap.apiKey = apiKey{Name: p.Name, Type: p.Type, Required: !p.Optional, Enum: p.Enum, Minimum: p.Minimum, Maximum: p.Maximum,
		Format: p.Format}
	if slices.Contains(e.PathParams(), p.Name) {
		ap.In = "path"
	}
	if ap.Format == "" && p.TypeText != "" && len(p.Props) == 0 {
		ap.Format = p.TypeText
	}
	if len(p.Default) > 0 {
		_ = json.Unmarshal(p.Default, &ap.Default)
	}
	ap.Description = strings.Join(strings.Fields(p.Description), " ")
	if p.Alias != "" {
		ap.Description = strings.TrimSpace("alias of " + p.Alias + ". " + ap.Description)
	}
	if descMax > 0 {
		ap.Description = clip(ap.Description, descMax)
	}
	keys := make([]string, 0, len(p.Props))
	for k := range p.Props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if descMax > 0 {
		ap.Keys = keys
		return ap
	}
	ap.Format = p.Format
	if len(keys) > 0 {
		ap.Format = "property string: key=value,..."
	}
	for _, k := range keys {
		sub := describeParam(e, p.Props[k], describeDescMax)
		sub.In, sub.Keys = "", nil
		ap.Props = append(ap.Props, sub.apiKey)
	}
	return ap
}

// returnsText says in a line what an endpoint answers.
func returnsText(raw json.RawMessage) string {
	var r struct {
		Type       string                     `json:"type"`
		Items      *returnsShape              `json:"items"`
		Properties map[string]json.RawMessage `json:"properties"`
		Desc       string                     `json:"description"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &r) != nil {
		return "nothing (null)"
	}
	switch {
	case r.Type == "array" && r.Items != nil && len(r.Items.Properties) > 0:
		return "array of objects: " + fieldsText(r.Items.Properties)
	case r.Type == "array" && r.Items != nil:
		return "array of " + r.Items.Type
	case r.Type == "object" && len(r.Properties) > 0:
		return "object: " + fieldsText(r.Properties)
	case r.Type == "string" && strings.Contains(strings.ToLower(r.Desc), "upid"):
		return "string: a task's UPID (pve_api_call waits for the task)"
	case r.Type == "" || r.Type == "null":
		return "nothing (null)"
	}
	return r.Type
}

type returnsShape struct {
	Type       string                     `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// fieldsText lists fields with their types, at most 40.
func fieldsText(props map[string]json.RawMessage) string {
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for i, n := range names {
		if i == 40 {
			fmt.Fprintf(&b, ", and %d more", len(names)-40)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		var t struct {
			Type any `json:"type"`
		}
		_ = json.Unmarshal(props[n], &t)
		fmt.Fprintf(&b, "%s (%v)", n, t.Type)
	}
	return b.String()
}
