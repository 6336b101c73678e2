package tools

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// pve_api_search and pve_api_describe read the API schema of the cluster's
// release, the one the request guard judges every request by.

type apiSearchArgs struct {
	Query  string `json:"query" jsonschema:"words (e.g. 'vm firewall rules') or a path (e.g. /nodes/{node}/qemu or /nodes/pve1/qemu/100)"`
	Method string `json:"method,omitempty" enum:"GET,POST,PUT,DELETE"`
	Limit  int    `json:"limit,omitempty" jsonschema:"default 20, at most 100"`
	Offset int    `json:"offset,omitempty"`
}

type apiEndpointBrief struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Summary   string `json:"summary"`
	Privilege string `json:"privilege"`
	Task      bool   `json:"task,omitempty"` // answers a UPID: runs as a Proxmox task
}

type apiSearchOut struct {
	Release string             `json:"release"`
	Items   []apiEndpointBrief `json:"items"`
	Total   int                `json:"total"`
	Next    int                `json:"next,omitempty"`
	Note    string             `json:"note,omitempty"`
}

// searchWords maps an admin's words to the schema's.
var searchWords = map[string][]string{
	"vm": {"qemu"}, "vms": {"qemu"}, "virtual": {"qemu"}, "container": {"lxc"}, "containers": {"lxc"}, "ct": {"lxc"},
	"backup": {"vzdump", "backup"}, "backups": {"vzdump", "backup"}, "disk": {"disk", "disks"}, "user": {"users"},
	"group": {"groups"}, "node": {"nodes"}, "snapshot": {"snapshot"}, "task": {"tasks"}, "log": {"log", "syslog", "journal"},
}

// searchMethods are words that pick a method rather than an endpoint.
var searchMethods = map[string]string{"delete": "DELETE", "remove": "DELETE", "destroy": "DELETE", "create": "POST",
	"add": "POST", "new": "POST", "update": "PUT", "set": "PUT", "change": "PUT", "modify": "PUT", "list": "GET",
	"read": "GET", "show": "GET", "get": "GET"}

func apiSearch(ctx context.Context, c *call, in apiSearchArgs) (apiSearchOut, error) {
	s, err := c.PVE.Schema(ctx)
	if err != nil {
		return apiSearchOut{}, err
	}
	limit := in.Limit
	switch {
	case limit == 0:
		limit = 20
	case limit < 0 || limit > 100:
		return apiSearchOut{}, fmt.Errorf("limit: 1 to 100; got %d", limit)
	}
	if in.Offset < 0 {
		return apiSearchOut{}, fmt.Errorf("offset: 0 or more; got %d", in.Offset)
	}
	q := strings.TrimSpace(in.Query)
	if q == "" {
		return apiSearchOut{}, fmt.Errorf("query: words or a path, e.g. \"vm snapshot\" or /nodes/{node}/qemu")
	}
	var hits []*pveschema.Endpoint
	out := apiSearchOut{Release: s.Version()}
	if strings.HasPrefix(q, "/") {
		hits = searchPath(s, q)
	} else {
		var partial bool
		hits, partial = searchText(s, q, in.Method)
		if partial {
			out.Note = "no endpoint matches every word; these match the most"
		}
	}
	if in.Method != "" {
		hits = slices.DeleteFunc(hits, func(e *pveschema.Endpoint) bool { return e.Method != in.Method })
	}
	out.Total = len(hits)
	from := min(in.Offset, len(hits))
	to := min(from+limit, len(hits))
	out.Items = make([]apiEndpointBrief, 0, to-from)
	for _, e := range hits[from:to] {
		out.Items = append(out.Items, apiEndpointBrief{Method: e.Method, Path: e.Path, Summary: summary(e.Description, 120),
			Privilege: clip(e.PrivilegeText(), 160), Task: e.IsAsync()})
	}
	if to < len(hits) {
		out.Next = to
	}
	if out.Total == 0 {
		out.Note = "no endpoint matches; try other words, or a path such as /nodes/{node}/qemu"
	}
	return out, nil
}

// searchPath finds the endpoints of a path (template or concrete) and those
// below it, nearest first.
func searchPath(s *pveschema.Schema, q string) []*pveschema.Endpoint {
	q = strings.TrimSuffix(strings.TrimPrefix(q, "/api2/json"), "/")
	tmpl := q
	if !strings.Contains(q, "{") {
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			if e, _, ok := s.Lookup(m, q); ok {
				tmpl = e.Path
				break
			}
		}
	}
	var hits []*pveschema.Endpoint
	for _, e := range s.Endpoints() {
		if e.Path == tmpl || strings.HasPrefix(e.Path, tmpl+"/") || tmpl == "" {
			hits = append(hits, e)
		}
	}
	slices.SortStableFunc(hits, func(a, b *pveschema.Endpoint) int {
		return strings.Count(a.Path, "/") - strings.Count(b.Path, "/")
	})
	return hits
}

// searchText ranks endpoints by how well they match the words: a word in
// the path counts most, then in the handler's name, then the description.
// partial: no endpoint matched every word, so the best partial ones came.
func searchText(s *pveschema.Schema, q, method string) (hits []*pveschema.Endpoint, partial bool) {
	var words []string
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.')
	}) {
		if m, ok := searchMethods[w]; ok && method == "" {
			method = m
			continue
		}
		words = append(words, w)
	}
	type scored struct {
		e       *pveschema.Endpoint
		score   int
		matched int
	}
	var all []scored
	best := 0
	for _, e := range s.Endpoints() {
		if method != "" && e.Method != method {
			continue
		}
		sc := scored{e: e}
		for _, w := range words {
			if v := wordScore(e, w); v > 0 {
				sc.score += v
				sc.matched++
			}
		}
		if sc.matched > 0 || len(words) == 0 {
			all = append(all, sc)
			best = max(best, sc.matched)
		}
	}
	partial = best < len(words)
	all = slices.DeleteFunc(all, func(x scored) bool { return x.matched < best })
	slices.SortStableFunc(all, func(a, b scored) int {
		if a.score != b.score {
			return b.score - a.score
		}
		return len(a.e.Path) - len(b.e.Path)
	})
	for _, x := range all {
		hits = append(hits, x.e)
	}
	return hits, partial && len(hits) > 0
}

func wordScore(e *pveschema.Endpoint, w string) int {
	forms := append([]string{w}, searchWords[w]...)
	best := 0
	for _, f := range forms {
		for _, seg := range strings.Split(e.Path, "/") {
			switch {
			case seg == f:
				best = max(best, 6)
			case strings.HasPrefix(seg, f) && !strings.HasPrefix(seg, "{"):
				best = max(best, 4)
			}
		}
		if slices.Contains(strings.Split(e.Name, "_"), f) {
			best = max(best, 3)
		}
		if best == 0 && strings.Contains(strings.ToLower(e.Description), f) {
			best = 1
		}
	}
	return best
}

// summary is the first sentence of a description, at most n bytes.
func summary(d string, n int) string {
	d = strings.Join(strings.Fields(d), " ")
	if i := strings.Index(d, ". "); i > 0 {
		d = d[:i+1]
	}
	return clip(d, n)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "..."
}
