package pveschema

import (
	"net/url"
	"sort"
	"strings"
)

// pathNode is one segment level of the endpoint tree.
type pathNode struct {
	literal map[string]*pathNode
	params  []*paramChild // {name} children (normally at most one)
	methods map[string]*Endpoint
}

func (n *pathNode) insert(e *Endpoint) {
	cur := n
	segs := splitPath(e.Path)
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name := seg[1 : len(seg)-1]
			var child *pathNode
			for _, pc := range cur.params {
				if pc.name == name {
					child = pc.node
				}
			}
			if child == nil {
				child = &pathNode{}
				cur.params = append(cur.params, &paramChild{name: name, node: child})
			}
			if i == len(segs)-1 && greedyParam(segs) {
				for _, pc := range cur.params {
					if pc.node == child {
						pc.greedy = true
					}
				}
			}
			cur = child
			continue
		}
		if cur.literal == nil {
			cur.literal = map[string]*pathNode{}
		}
		next := cur.literal[seg]
		if next == nil {
			next = &pathNode{}
			cur.literal[seg] = next
		}
		cur = next
	}
	if cur.methods == nil {
		cur.methods = map[string]*Endpoint{}
	}
	cur.methods[e.Method] = e
}

type paramChild struct {
	name string
	node *pathNode
	// greedy: the parameter takes the rest of the path, slashes included
	// (pve-storage registers content/{volume} with an empty fragmentDelimiter).
	greedy bool
}

// greedyParam tells whether the last {param} of a template takes the rest of
// the path: pve-storage's content/{volume}, so that local:vztmpl/x.tar.xz may
// come unescaped.
func greedyParam(segs []string) bool {
	n := len(segs)
	return n >= 2 && segs[n-2] == "content" && segs[n-1] == "{volume}"
}

// splitPath splits an API path into segments, ignoring empty ones (PVE
// splits on /\/+/).
func splitPath(p string) []string {
	parts := strings.Split(p, "/")
	out := parts[:0]
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// match walks the tree; literal segments win over {param} segments, with
// backtracking when a literal branch dead-ends.
func (n *pathNode) match(segs []string, params map[string]string) *pathNode {
	if len(segs) == 0 {
		if n.methods != nil {
			return n
		}
		return nil
	}
	seg := segs[0]
	if next := n.literal[seg]; next != nil {
		if found := next.match(segs[1:], params); found != nil {
			return found
		}
	}
	for _, pc := range n.params {
		if found := pc.node.match(segs[1:], params); found != nil {
			params[pc.name] = seg
			return found
		}
	}
	return nil
}

// find resolves a concrete path to its tree node and path parameters.
func (s *Schema) find(path string) (*pathNode, map[string]string) {
	path, _, _ = strings.Cut(path, "?")
	path = strings.TrimPrefix(path, "/api2/json")
	raw := splitPath(path)
	segs := make([]string, len(raw))
	for i, r := range raw {
		if u, err := url.PathUnescape(r); err == nil {
			segs[i] = u
		} else {
			segs[i] = r
		}
	}
	params := map[string]string{}
	node := s.root.match(segs, params)
	if node == nil {
		return nil, nil
	}
	return node, params
}

// Lookup finds the endpoint for method and a concrete path such as
// "/nodes/pve1/qemu/100/status/start" (relative to /api2/json; a leading
// "/api2/json" and a query string are ignored). Give the escaped path
// (url.URL.EscapedPath): it is split on "/" before each segment is
// unescaped, so "local%3Aiso%2Fx.iso" stays one segment. It returns the
// endpoint and the path parameters ({"node":"pve1","vmid":"100"}); ok is
// false when no endpoint matches (PVE answers 501 then).
func (s *Schema) Lookup(method, path string) (*Endpoint, map[string]string, bool) {
	node, params := s.find(path)
	if node == nil {
		return nil, nil, false
	}
	e := node.methods[strings.ToUpper(method)]
	if e == nil {
		return nil, nil, false
	}
	return e, params, true
}

// PathMethods returns the methods defined for a concrete path (sorted), or
// nil when the path does not exist at all.
func (s *Schema) PathMethods(path string) []string {
	node, _ := s.find(path)
	if node == nil {
		return nil
	}
	out := make([]string, 0, len(node.methods))
	for m := range node.methods {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Endpoint returns the endpoint for a method and a path template such as
// "/nodes/{node}/qemu".
func (s *Schema) Endpoint(method, template string) (*Endpoint, bool) {
	for _, e := range s.endpoints {
		if e.Path == template && e.Method == strings.ToUpper(method) {
			return e, true
		}
	}
	return nil, false
}

// Route finds the endpoint of method for a path given as its segments,
// already unescaped, the way a PVE node routes a request: only endpoints of
// method count, literal segments win over {param} ones (backtracking when a
// literal branch dead-ends), an empty segment matches no {param}, and
// content/{volume} takes the rest of the path, slashes included. It returns
// the endpoint and the path parameters; ok is false when nothing matches.
func (s *Schema) Route(method string, segs []string) (*Endpoint, map[string]string, bool) {
	params := map[string]string{}
	e := s.root.route(strings.ToUpper(method), segs, params)
	if e == nil {
		return nil, nil, false
	}
	return e, params, true
}

func (n *pathNode) route(method string, segs []string, params map[string]string) *Endpoint {
	if len(segs) == 0 {
		return n.methods[method]
	}
	seg := segs[0]
	if next := n.literal[seg]; next != nil {
		if e := next.route(method, segs[1:], params); e != nil {
			return e
		}
	}
	if seg == "" {
		return nil
	}
	for _, pc := range n.params {
		if e := pc.node.route(method, segs[1:], params); e != nil {
			params[pc.name] = seg
			return e
		}
		if pc.greedy && len(segs) > 1 {
			if e := pc.node.methods[method]; e != nil {
				params[pc.name] = strings.Join(segs, "/")
				return e
			}
		}
	}
	return nil
}
