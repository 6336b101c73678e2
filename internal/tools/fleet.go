package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/principal"
)

// A Fleet serves several named clusters from one process (PVE_CONFIG_FILE).
// Every tool takes an optional "cluster" argument; a call runs on that
// cluster's own tools, built on its own guard, so nothing of one cluster's
// client, allowlists, plans or task handles is reachable from another. A
// principal's policy narrows which clusters, toolsets and guests it may use:
// each (cluster, policy) pair has tools of its own, built on first use.
type Fleet struct {
	state atomic.Pointer[fleetState]
	box   atomic.Pointer[Toolbox]
}

// FleetCluster is one cluster as the server configured it.
type FleetCluster struct {
	Name    string
	Host    string    // scheme://host:port, for pve_cluster_list
	Sel     Selection // its own read-only, toolsets, destructive and exclude choices
	Allow   guard.Allowlist
	NewDeps func(allow guard.Allowlist) *Deps // its dependencies for an allowlist (its own, narrowed)
}

// Policy bounds a principal (PVE_CONFIG_FILE's [[policy]]).
type Policy struct {
	Name        string // "token:alice", "subject:...", "group:ops", "default"
	Kind, Value string
	Clusters    []string // empty: every cluster
	Toolsets    []string // empty: every toolset
	ReadOnly    bool
	NoDestruct  bool
	Allow       guard.Allowlist
}

type fleetState struct {
	clusters []*fleetCluster
	def      string
	policies []Policy
}

type fleetCluster struct {
	FleetCluster
	mu    sync.Mutex
	views map[string]*clusterView // by policy name ("": none)
}

// clusterView is a cluster's dependencies and tools for one policy.
type clusterView struct {
	deps  *Deps
	tools map[string]Tool
}

// NewFleet serves clusters (the first is the default unless def names
// one) under policies.
func NewFleet(clusters []FleetCluster, def string, policies []Policy) *Fleet {
	f := &Fleet{}
	f.Replace(clusters, def, policies)
	return f
}

// Replace swaps in a new configuration (a reload); calls under way finish
// on the old one, plans and task handles of the old one are dropped.
func (f *Fleet) Replace(clusters []FleetCluster, def string, policies []Policy) {
	st := &fleetState{def: def, policies: slices.Clone(policies)}
	for _, c := range clusters {
		st.clusters = append(st.clusters, &fleetCluster{FleetCluster: c, views: map[string]*clusterView{}})
	}
	if st.def == "" && len(st.clusters) > 0 {
		st.def = st.clusters[0].Name
	}
	f.state.Store(st)
}

// SetToolbox gives the clusters' pve_toolsets the server's toolbox.
func (f *Fleet) SetToolbox(b *Toolbox) { f.box.Store(b) }

// GuardFor is the guard of a cluster ("": the default) for a request's
// caller: resources, prompts and completions read through it.
func (f *Fleet) GuardFor(extra *mcp.RequestExtra, cluster string) (*guard.Guard, error) {
	d, err := f.depsFor(extra, cluster)
	if err != nil {
		return nil, err
	}
	return d.Guard, nil
}

// Names lists the clusters a request's caller may use.
func (f *Fleet) Names(extra *mcp.RequestExtra) []string {
	st := f.state.Load()
	var out []string
	for _, c := range st.visible(st.policyFor(callerOf(extra))) {
		out = append(out, c.Name)
	}
	return out
}

func (st *fleetState) cluster(name string) *fleetCluster {
	for _, c := range st.clusters {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// policyFor is the first policy matching who: its token name, OAuth
// subject or one of its groups; then a default policy; nil: none.
func (st *fleetState) policyFor(who caller) *Policy {
	for i := range st.policies {
		p := &st.policies[i]
		switch {
		case p.Kind == "token" && who.Kind == principal.KindToken && who.Name == p.Value,
			p.Kind == "subject" && who.Kind == principal.KindOAuth && who.Name == p.Value,
			p.Kind == "group" && who.Kind == principal.KindOAuth && slices.Contains(who.Groups, p.Value):
			return p
		}
	}
	for i := range st.policies {
		if st.policies[i].Kind == "default" {
			return &st.policies[i]
		}
	}
	return nil
}

// visible lists the clusters pol may use, in order.
func (st *fleetState) visible(pol *Policy) []*fleetCluster {
	var out []*fleetCluster
	for _, c := range st.clusters {
		if pol == nil || len(pol.Clusters) == 0 || slices.Contains(pol.Clusters, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

func names(cs []*fleetCluster) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.Name
	}
	return strings.Join(s, ", ")
}

// view is the cluster's inventory for pol, built once.
func (c *fleetCluster) view(f *Fleet, pol *Policy) *clusterView {
	key := ""
	allow := c.Allow
	if pol != nil {
		key, allow = pol.Name, c.Allow.Narrow(pol.Allow)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.views[key]; ok {
		return v
	}
	d := c.NewDeps(allow)
	d.Fleet, d.Cluster, d.Toolbox = f, c.Name, f.box.Load()
	v := &clusterView{deps: d, tools: map[string]Tool{}}
	for _, t := range Inventory(d) {
		v.tools[t.Def.Name] = t
	}
	c.views[key] = v
	return v
}

// resolve finds the cluster a request names ("" for the default) among
// those the caller's policy allows.
func (st *fleetState) resolve(pol *Policy, cname string) (*fleetCluster, error) {
	visible := st.visible(pol)
	if cname == "" {
		// The default, or for a policy that leaves it out the first
		// cluster the policy allows.
		cname = st.def
		if len(visible) > 0 && !slices.Contains(visible, st.cluster(cname)) {
			cname = visible[0].Name
		}
	}
	c := st.cluster(cname)
	switch {
	case c == nil:
		return nil, fmt.Errorf("invalid argument \"cluster\": no cluster %q; expected one of: %s (or \"all\" for a list from each)", cname, names(visible))
	case !slices.Contains(visible, c):
		return nil, fmt.Errorf("%w: cluster %q is not one policy %s allows (%s)", errRefused, cname, pol.Name, names(visible))
	}
	return c, nil
}

// depsFor is the dependencies of cluster cname ("": the default) for the
// caller of a request: tasks/* requests follow a task on its cluster.
func (f *Fleet) depsFor(extra *mcp.RequestExtra, cname string) (*Deps, error) {
	st := f.state.Load()
	pol := st.policyFor(callerOf(extra))
	c, err := st.resolve(pol, cname)
	if err != nil {
		return nil, err
	}
	return c.view(f, pol).deps, nil
}

// Route makes each tool of all take "cluster" and run on that cluster's
// own form of it; all is the default cluster's inventory, as offered.
func (f *Fleet) Route(all []Tool) []Tool {
	out := make([]Tool, len(all))
	for i, t := range all {
		out[i] = f.wrap(t, false)
		if t.readForm != nil {
			r := f.wrap(*t.readForm, true)
			out[i].readForm = &r
		}
	}
	return out
}

func (f *Fleet) wrap(t Tool, readForm bool) Tool {
	def := *t.Def
	// The generated schemas lack the cluster argument: these are inferred.
	fill := sync.OnceFunc(func() {
		in, out := t.inferred()
		def.InputSchema, def.OutputSchema = withClusterArg(in), out
	})
	name := t.Def.Name
	handler := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return f.call(ctx, req, name, readForm)
	}
	return Tool{Def: &def, Toolset: t.Toolset, Effect: t.Effect, handler: handler, input: t.input, fill: fill}
}

const clusterArgAbout = `the cluster to act on (pve_cluster_list names them); default: the default cluster; "all": a list from every cluster`

// withClusterArg adds the optional "cluster" property to an advertised
// input schema.
func withClusterArg(s any) any {
	prop := &jsonschema.Schema{Type: "string", Description: clusterArgAbout}
	switch v := s.(type) {
	case *jsonschema.Schema:
		c := *v
		c.Properties = make(map[string]*jsonschema.Schema, len(v.Properties)+1)
		for k, p := range v.Properties {
			c.Properties[k] = p
		}
		c.Properties["cluster"] = prop
		c.PropertyOrder = append(slices.Clone(v.PropertyOrder), "cluster")
		return &c
	default:
		return &jsonschema.Schema{Type: "object", Properties: map[string]*jsonschema.Schema{"cluster": prop}}
	}
}

// takeCluster removes "cluster" from the arguments.
func takeCluster(raw json.RawMessage) (json.RawMessage, string, error) {
	if len(raw) == 0 || !strings.Contains(string(raw), `"cluster"`) {
		return raw, "", nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return raw, "", nil // the tool's own decoding names the problem
	}
	v, ok := m["cluster"]
	if !ok {
		return raw, "", nil
	}
	var name string
	if err := json.Unmarshal(v, &name); err != nil {
		return nil, "", fmt.Errorf("invalid argument \"cluster\": got %s; expected a cluster name (a string), as pve_cluster_list shows", v)
	}
	delete(m, "cluster")
	out, err := json.Marshal(m)
	if err != nil {
		return nil, "", fmt.Errorf("arguments: %w", err)
	}
	return out, name, nil
}

// call runs one tools/call on the cluster it names.
func (f *Fleet) call(ctx context.Context, req *mcp.CallToolRequest, name string, readForm bool) (*mcp.CallToolResult, error) {
	st := f.state.Load()
	pol := st.policyFor(callerOf(req.Extra))
	args, cname, err := takeCluster(req.Params.Arguments)
	if err != nil {
		return errorResult(err), nil
	}
	sub := *req
	params := *req.Params
	params.Arguments = args
	sub.Params = &params
	if cname == "all" {
		return f.span(ctx, st, pol, &sub, name, readForm)
	}
	c, err := st.resolve(pol, cname)
	if err != nil {
		return errorResult(err), nil
	}
	t, err := f.pick(c, pol, name, readForm)
	if err != nil {
		return errorResult(err), nil
	}
	if s := slotFrom(ctx); s != nil {
		s.cluster = c.Name
	}
	res, err := t.handler(ctx, &sub)
	if lg := c.view(f, pol).deps.Logger; lg != nil {
		level, outcome := slog.LevelDebug, "ok"
		if err != nil || res == nil || res.IsError {
			outcome = "error"
		}
		if t.Effect != ReadOnly || outcome != "ok" {
			level = slog.LevelInfo
		}
		lg.Log(ctx, level, "tool call", "principal", principalOf(req, c.view(f, pol).deps.LocalUser), "cluster", c.Name, "tool", name, "outcome", outcome)
	}
	return res, err
}

// pick is the cluster's tool name for pol, once the cluster's own choices
// and the policy admit it.
func (f *Fleet) pick(c *fleetCluster, pol *Policy, name string, readForm bool) (Tool, error) {
	t, ok := c.view(f, pol).tools[name]
	if !ok {
		return Tool{}, fmt.Errorf("%w: %s is not a tool of cluster %q", errRefused, name, c.Name)
	}
	if readForm && t.readForm != nil {
		t = *t.readForm
	}
	if err := c.check(pol, name, t.Toolset, t.Effect); err != nil {
		return Tool{}, err
	}
	return t, nil
}

// check refuses a tool the cluster's own choices or the policy keep out.
func (c *fleetCluster) check(pol *Policy, name, toolset string, effect Effect) error {
	if why := c.refuses(name, toolset, effect); why != "" {
		return fmt.Errorf("%w: cluster %q %s, so it does not run %s", errRefused, c.Name, why, name)
	}
	if pol != nil {
		if why := pol.refuses(name, toolset, effect); why != "" {
			return fmt.Errorf("%w: policy %s %s, so it does not run %s", errRefused, pol.Name, why, name)
		}
	}
	return nil
}

// refuses says why the cluster's own tool choices keep a tool out, or "".
func (c *fleetCluster) refuses(name, toolset string, effect Effect) string {
	s := c.Sel
	switch {
	case slices.Contains(s.Exclude, name):
		return "excludes it (exclude_tools)"
	case s.ReadOnly && effect != ReadOnly:
		return "is read-only (read_only)"
	case s.DisableDestructive && effect == Destructive:
		return "runs no destructive tool (disable_destructive)"
	case len(s.Toolsets) > 0 && !slices.Contains(s.Toolsets, "all") && !slices.Contains(s.Toolsets, toolset) &&
		!slices.Contains(s.Tools, name) && !alwaysOn(name):
		return "enables toolsets " + strings.Join(s.Toolsets, ", ") + ", not " + toolset
	}
	return ""
}

// refuses says why the policy keeps a tool out, or "".
func (p *Policy) refuses(name, toolset string, effect Effect) string {
	switch {
	case p.ReadOnly && effect != ReadOnly:
		return "is read-only"
	case p.NoDestruct && effect == Destructive:
		return "allows no destructive tool"
	case len(p.Toolsets) > 0 && !slices.Contains(p.Toolsets, "all") && !slices.Contains(p.Toolsets, toolset) && !alwaysOn(name):
		return "allows toolsets " + strings.Join(p.Toolsets, ", ") + ", not " + toolset
	}
	return ""
}

// alwaysOn are the tools a narrowed toolset choice keeps: finding the
// clusters and the toolsets themselves.
func alwaysOn(name string) bool {
	return name == "pve_cluster_list" || name == "pve_toolsets"
}
