package mcpctx

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

const (
	maxValues   = 100 // the protocol's cap on completion values
	maxISONodes = 5   // nodes asked for ISOs when no node is given
	// LabelsMeta is the _meta key of a completion result that maps each
	// value to a label (a guest's name, kind, state and node): the
	// protocol's values are bare strings.
	LabelsMeta = "io.github.proxmox-mcp/labels"
)

// choice is one completion value and its label.
type choice struct {
	value, label string
	byName       bool // typed text may match a part of the label (a guest's name)
}

// complete answers completion/complete for prompt arguments and resource
// template variables.
func (x *Context) complete(ctx context.Context, req *mcp.CompleteRequest) (*mcp.CompleteResult, error) {
	p := req.Params
	var known map[string]string
	if p.Context != nil {
		known = p.Context.Arguments
	}
	a, err := x.refArg(p.Ref, p.Argument.Name)
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: err.Error()}
	}
	choices, err := x.choices(ctx, a, known)
	if err != nil {
		return nil, fmt.Errorf("complete %s: %w", p.Argument.Name, err)
	}
	return result(choices, p.Argument.Value), nil
}

// refArg finds what the argument of a prompt or template variable holds.
func (x *Context) refArg(ref *mcp.CompleteReference, name string) (arg, error) {
	switch ref.Type {
	case "ref/prompt":
		all := x.prompts()
		i := slices.IndexFunc(all, func(p prompt) bool { return p.name == ref.Name })
		if i < 0 {
			return arg{}, fmt.Errorf("unknown prompt %q", ref.Name)
		}
		p := all[i]
		for _, a := range p.args {
			if a.name == name {
				return a, nil
			}
		}
		var names []string
		for _, a := range p.args {
			names = append(names, a.name)
		}
		return arg{}, fmt.Errorf("prompt %s has no argument %q (accepted: %s)", p.name, name, strings.Join(names, ", "))
	case "ref/resource":
		vars := map[string]map[string]arg{
			nodeTmpl:    {"node": {kind: "node"}},
			qemuTmpl:    {"node": {kind: "node"}, "vmid": {kind: "config", content: "qemu"}},
			lxcTmpl:     {"node": {kind: "node"}, "vmid": {kind: "config", content: "lxc"}},
			taskLogTmpl: {"upid": {kind: "task"}},
		}[ref.URI]
		if vars == nil {
			return arg{}, fmt.Errorf("unknown resource template %q (accepted: %s, %s, %s, %s)", ref.URI, nodeTmpl, qemuTmpl, lxcTmpl, taskLogTmpl)
		}
		a, ok := vars[name]
		if !ok {
			return arg{}, fmt.Errorf("resource template %s has no variable %q", ref.URI, name)
		}
		a.name = name
		return a, nil
	}
	return arg{}, fmt.Errorf("unknown reference type %q (accepted: ref/prompt, ref/resource)", ref.Type)
}

// choices lists what a may be, as the allowlists permit; known holds the
// arguments already given (a node narrows guests, storages and ISOs; a vmid
// picks whose snapshots).
func (x *Context) choices(ctx context.Context, a arg, known map[string]string) ([]choice, error) {
	switch a.kind {
	case "age":
		return []choice{{value: "36h"}, {value: "7d"}, {value: "14d"}, {value: "30d"}}, nil
	case "cluster":
		names, _ := ctx.Value(clustersKey{}).([]string)
		out := make([]choice, len(names))
		for i, n := range names {
			out[i] = choice{value: n}
		}
		return out, nil
	case "node", "guest", "vmtemplate", "config", "storage":
	case "snapshot":
		return x.snapshots(ctx, known["vmid"])
	case "iso":
		return x.isos(ctx, known["node"])
	case "task":
		return x.tasks(ctx)
	default:
		return nil, nil // free text: nothing to offer
	}
	v, err := x.view(ctx)
	if err != nil {
		return nil, err
	}
	node := known["node"]
	if a.name == "storage" && known["target"] != "" {
		node = known["target"]
	}
	var out []choice
	switch a.kind {
	case "node":
		for _, n := range v.nodes {
			out = append(out, choice{value: n.Node, label: n.Status})
		}
	case "guest", "vmtemplate", "config":
		for _, g := range v.guests {
			// guest: any guest but templates; vmtemplate: templates; config:
			// any guest of the template's kind (a template has a config too)
			if a.kind != "config" && (a.kind == "vmtemplate") != bool(g.Template) ||
				a.content != "" && g.Type != a.content || a.kind != "vmtemplate" && node != "" && g.Node != node {
				continue
			}
			out = append(out, choice{value: strconv.Itoa(int(g.VMID)), label: guestLabel(g), byName: true})
		}
	case "storage":
		seen := map[string]bool{}
		for _, s := range v.storages {
			if seen[s.Storage] || node != "" && s.Node != node || a.content != "" && !hasContent(s.Content, a.content) {
				continue
			}
			seen[s.Storage] = true
			out = append(out, choice{value: s.Storage, label: s.PluginType + ", " + s.Content})
		}
	}
	return out, nil
}

func guestLabel(g entry) string {
	l := g.Name + " (" + g.Type + ", " + g.Status + ", on " + g.Node + ")"
	if g.Template {
		l = g.Name + " (" + g.Type + " template, on " + g.Node + ")"
	}
	return l
}

func hasContent(list, c string) bool { return slices.Contains(strings.Split(list, ","), c) }

// snapshots lists guest vmid's snapshots (cached per guest).
func (x *Context) snapshots(ctx context.Context, vmid string) ([]choice, error) {
	id, err := strconv.Atoi(vmid)
	if err != nil {
		return nil, nil // no guest chosen yet
	}
	v, err := x.view(ctx)
	if err != nil {
		return nil, err
	}
	g, ok := v.guest(id)
	if !ok {
		return nil, nil // not a guest the allowlists show
	}
	return get(x.cache, "snap/"+vmid, func() ([]choice, error) {
		var snaps []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		}
		if err := x.call(ctx).Get(ctx, pve.Path("nodes", g.Node, g.Type, vmid, "snapshot"), nil, &snaps); err != nil {
			return nil, fmt.Errorf("list the snapshots of %d: %w", id, err)
		}
		var out []choice
		for _, s := range snaps {
			if s.Name != "current" { // "current" is the running state, not a snapshot
				out = append(out, choice{value: s.Name, label: s.Description})
			}
		}
		return out, nil
	})
}

// isos lists the ISO images on node's storages, or on the first allowed
// nodes when none is given (cached per node).
func (x *Context) isos(ctx context.Context, node string) ([]choice, error) {
	v, err := x.view(ctx)
	if err != nil {
		return nil, err
	}
	var out []choice
	seen := map[string]bool{}
	nodes := 0
	for _, n := range v.nodes {
		if node != "" && n.Node != node || node == "" && (n.Status != "online" || nodes == maxISONodes) {
			continue
		}
		nodes++
		list, err := get(x.cache, "iso/"+n.Node, func() ([]choice, error) { return x.nodeISOs(ctx, v, n.Node) })
		if err != nil {
			return nil, err
		}
		for _, c := range list {
			if !seen[c.value] {
				seen[c.value] = true
				out = append(out, c)
			}
		}
	}
	return out, nil
}

func (x *Context) nodeISOs(ctx context.Context, v view, node string) ([]choice, error) {
	var out []choice
	for _, s := range v.storages {
		if s.Node != node || !hasContent(s.Content, "iso") || s.Status != "available" {
			continue
		}
		var vols []struct {
			VolID string  `json:"volid"`
			Size  pve.Int `json:"size"`
		}
		if err := x.call(ctx).Get(ctx, pve.Path("nodes", node, "storage", s.Storage, "content"), url.Values{"content": {"iso"}}, &vols); err != nil {
			return nil, fmt.Errorf("list the ISOs on %s of %s: %w", s.Storage, node, err)
		}
		for _, vol := range vols {
			out = append(out, choice{value: vol.VolID, label: fmt.Sprintf("%d MiB, on %s", int64(vol.Size)>>20, node)})
		}
	}
	return out, nil
}

// result keeps the choices that match what was typed: a prefix of the
// value, or for labelled values a part of the label (a guest's name).
func result(choices []choice, typed string) *mcp.CompleteResult {
	typed = strings.ToLower(typed)
	labels := map[string]string{}
	vals := []string{}
	total := 0
	for _, c := range choices {
		if !strings.HasPrefix(strings.ToLower(c.value), typed) && (!c.byName || !strings.Contains(strings.ToLower(c.label), typed)) {
			continue
		}
		total++
		if len(vals) < maxValues {
			vals = append(vals, c.value)
			if c.label != "" {
				labels[c.value] = c.label
			}
		}
	}
	res := &mcp.CompleteResult{Completion: mcp.CompletionResultDetails{Values: vals, Total: total, HasMore: total > len(vals)}}
	if len(labels) > 0 {
		res.Meta = mcp.Meta{LabelsMeta: labels}
	}
	return res
}

// tasks lists the cluster's recent tasks, newest first, that the guard
// would let be read: on an allowed node, and under a guest-id allowlist of
// an allowed guest, which under a node allowlist lives on an allowed node.
func (x *Context) tasks(ctx context.Context) ([]choice, error) {
	return get(x.cache, "tasks", func() ([]choice, error) {
		var list []struct {
			UPID   string `json:"upid"`
			Node   string `json:"node"`
			Type   string `json:"type"`
			ID     string `json:"id"`
			Status string `json:"status"`
		}
		c := x.call(ctx)
		if err := c.Get(ctx, "/cluster/tasks", nil, &list); err != nil {
			return nil, fmt.Errorf("list the cluster's tasks (GET /cluster/tasks): %w", err)
		}
		a := x.guard(ctx).Allow()
		var out []choice
		for _, t := range list {
			if !a.NodeAllowed(t.Node) {
				continue
			}
			if a.Any() {
				id, err := strconv.Atoi(t.ID)
				if err != nil || id < 100 {
					if a.HasVMIDs() {
						continue // a task of no one guest
					}
				} else if _, elsewhere := c.GuestElsewhere(ctx, id); !a.VMIDAllowed(id) || elsewhere {
					continue
				}
			}
			state := t.Status
			if state == "" {
				state = "running"
			}
			out = append(out, choice{value: t.UPID, label: strings.TrimSpace(t.Type+" "+t.ID) + " on " + t.Node + ": " + state, byName: true})
		}
		return out, nil
	})
}
