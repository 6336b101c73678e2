package mcpctx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

const (
	clusterURI   = "pve://cluster"
	nodeTmpl     = "pve://nodes/{node}"
	qemuTmpl     = "pve://{node}/qemu/{vmid}/config"
	lxcTmpl      = "pve://{node}/lxc/{vmid}/config"
	taskLogTmpl  = "pve://tasks/{upid}/log"
	jsonMIME     = "application/json"
	maxGuests    = 100 // guests a cluster or node view lists
	maxStorages  = 100
	logTail      = 50  // task log lines a read carries
	listPageSize = 100 // resources/list entries per page
)

// target is what a pve:// URI names.
type target struct {
	kind string // cluster, node, qemu, lxc, tasklog
	node string
	vmid int
	upid string
}

func (x *Context) addResources(s *mcp.Server) {
	s.AddResource(&mcp.Resource{URI: clusterURI, Name: "cluster", Title: "Cluster summary", MIMEType: jsonMIME,
		Description: "Quorum, nodes with CPU and memory, guests by state (the first 100), storages; as the allowlists permit."}, x.read)
	for _, t := range []*mcp.ResourceTemplate{
		{URITemplate: nodeTmpl, Name: "node", Title: "Node summary", MIMEType: jsonMIME,
			Description: "A node's status (CPU, memory, load, versions), its guests and storages."},
		{URITemplate: qemuTmpl, Name: "vm-config", Title: "VM configuration", MIMEType: jsonMIME,
			Description: "A VM's configuration as GET /nodes/{node}/qemu/{vmid}/config returns it."},
		{URITemplate: lxcTmpl, Name: "container-config", Title: "Container configuration", MIMEType: jsonMIME,
			Description: "A container's configuration as GET /nodes/{node}/lxc/{vmid}/config returns it."},
		{URITemplate: taskLogTmpl, Name: "task-log", Title: "Task log", MIMEType: jsonMIME,
			Description: "A task's state and the last 50 log lines (upid as is or percent-encoded). Subscribe to be told of new lines until the task ends."},
	} {
		s.AddResourceTemplate(t, x.read)
	}
}

// parseURI reads a pve:// URI; errors name the part and what is accepted.
func parseURI(uri string) (target, error) {
	rest, ok := strings.CutPrefix(uri, "pve://")
	if !ok {
		return target{}, badURI(uri, "expected pve://cluster, %s, %s, %s or %s", nodeTmpl, qemuTmpl, lxcTmpl, taskLogTmpl)
	}
	segs := strings.Split(rest, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return target{}, badURI(uri, "%v", err)
		}
		segs[i] = u
	}
	switch {
	case len(segs) == 1 && segs[0] == "cluster":
		return target{kind: "cluster"}, nil
	case len(segs) == 2 && segs[0] == "nodes":
		return target{kind: "node", node: segs[1]}, checkNode(uri, segs[1])
	case len(segs) == 3 && segs[0] == "tasks" && segs[2] == "log":
		if _, err := pveid.ParseUPID(segs[1]); err != nil {
			return target{}, badURI(uri, "upid: %v", err)
		}
		return target{kind: "tasklog", upid: segs[1]}, nil
	case len(segs) == 4 && (segs[1] == "qemu" || segs[1] == "lxc") && segs[3] == "config":
		if err := checkNode(uri, segs[0]); err != nil {
			return target{}, err
		}
		id, err := strconv.Atoi(segs[2])
		if err != nil || !pveid.ValidVMID(id) {
			return target{}, badURI(uri, "vmid: got %q; expected a guest id from %d to %d", segs[2], pveid.MinVMID, pveid.MaxVMID)
		}
		return target{kind: segs[1], node: segs[0], vmid: id}, nil
	}
	return target{}, badURI(uri, "expected pve://cluster, %s, %s, %s or %s", nodeTmpl, qemuTmpl, lxcTmpl, taskLogTmpl)
}

func checkNode(uri, node string) error {
	if !pveid.ValidNode(node) {
		return badURI(uri, "node: got %q; expected a node name (letters, digits and '-')", node)
	}
	return nil
}

func badURI(uri, format string, a ...any) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("invalid resource URI %q: ", uri) + fmt.Sprintf(format, a...)}
}

// read is the handler of every resource and template.
func (x *Context) read(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	body, _, err := x.readURI(ctx, uri)
	if err != nil {
		return nil, err
	}
	res := &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: jsonMIME, Text: string(body)}}}
	res.CacheScope = "private" // what is read depends on the credential and the allowlists
	return res, nil
}

// readURI renders the resource at uri; done is true for a task log whose
// task has ended (it changes no more).
func (x *Context) readURI(ctx context.Context, uri string) (body []byte, done bool, err error) {
	t, err := parseURI(uri)
	if err != nil {
		return nil, false, err
	}
	a := x.guard(ctx).Allow()
	if t.node != "" {
		if err := a.Node("node", t.node); err != nil {
			return nil, false, refusal(uri, err)
		}
	}
	if t.vmid != 0 {
		if err := a.VMID("vmid", t.vmid); err != nil {
			return nil, false, refusal(uri, err)
		}
	}
	c := x.call(ctx)
	var out any
	switch t.kind {
	case "cluster":
		out, err = clusterSummary(ctx, c, a)
	case "node":
		out, err = nodeSummary(ctx, c, a, t.node)
	case "qemu", "lxc":
		var cfg pve.Object
		err = c.Get(ctx, pve.Path("nodes", t.node, t.kind, strconv.Itoa(t.vmid), "config"), nil, &cfg)
		out = map[string]any{"node": t.node, "type": t.kind, "vmid": t.vmid, "config": json.RawMessage(cfg)}
	case "tasklog":
		var tl taskLog
		tl, err = readTaskLog(ctx, c, t.upid)
		out, done = tl, tl.Status == "stopped"
	}
	if err != nil {
		return nil, false, readError(uri, err)
	}
	body, err = json.Marshal(out)
	return body, done, err
}

// refusal is an allowlist refusal as a JSON-RPC error naming why.
func refusal(uri string, err error) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("read %s: %v", uri, err)}
}

func readError(uri string, err error) error {
	switch {
	case errors.Is(err, guard.ErrRefused):
		return refusal(uri, err)
	case pve.IsNotFound(err):
		return mcp.ResourceNotFoundError(uri)
	}
	return fmt.Errorf("read %s: %w", uri, err)
}

// middleware answers resources/list with the resources added to the
// server (pve://cluster and any other) and then what the allowlists let be
// read: each node and each guest's configuration, a page at a time (the SDK
// would list only the fixed ones). A read or subscription of a malformed
// pve:// URI is refused with what is wrong, where the SDK would say only
// "not found".
func (x *Context) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		var uri string
		switch r := req.(type) {
		case *mcp.ReadResourceRequest:
			if r.Params != nil && strings.HasPrefix(r.Params.URI, "pve://") {
				return readAs(ctx, method, r, next)
			}
		case *mcp.SubscribeRequest:
			if r.Params != nil {
				uri = r.Params.URI
			}
		case *mcp.ListResourcesRequest:
			if method == "resources/list" {
				return x.list(ctx, method, r, next)
			}
		}
		if strings.HasPrefix(uri, "pve://") {
			if _, err := parseURI(uri); err != nil {
				return nil, err
			}
		}
		return next(ctx, method, req)
	}
}

// readAs reads a task log by its UPID percent-encoded as the SDK's
// template match needs (every ':', '@' and '!'), whatever form the client
// gave, and answers with the client's URI.
func readAs(ctx context.Context, method string, r *mcp.ReadResourceRequest, next mcp.MethodHandler) (mcp.Result, error) {
	uri := r.Params.URI
	t, err := parseURI(uri)
	if err != nil {
		return nil, err
	}
	if t.kind != "tasklog" {
		return next(ctx, method, r)
	}
	canon := "pve://tasks/" + url.QueryEscape(t.upid) + "/log"
	r2, p := *r, *r.Params
	p.URI, r2.Params = canon, &p
	res, err := next(ctx, method, &r2)
	if rr, ok := res.(*mcp.ReadResourceResult); ok && rr != nil {
		for _, c := range rr.Contents {
			if c.URI == canon {
				c.URI = uri
			}
		}
	}
	return res, err
}

func (x *Context) list(ctx context.Context, method string, r *mcp.ListResourcesRequest, next mcp.MethodHandler) (mcp.Result, error) {
	start := 0
	whole := *r
	whole.Params = &mcp.ListResourcesParams{}
	if r.Params != nil {
		*whole.Params = *r.Params
		whole.Params.Cursor = ""
		if c := r.Params.Cursor; c != "" {
			n, err := strconv.Atoi(c)
			if err != nil || n < 0 {
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams,
					Message: fmt.Sprintf("invalid cursor %q: expected the nextCursor of an earlier resources/list", c)}
			}
			start = n
		}
	}
	fixed, err := next(ctx, method, &whole)
	if err != nil {
		return nil, err
	}
	lr, ok := fixed.(*mcp.ListResourcesResult)
	if !ok {
		return nil, fmt.Errorf("list resources: the server answered %T", fixed)
	}
	all := lr.Resources
	more, err := x.listAll(ctx)
	if err != nil {
		return nil, err
	}
	all = append(all, more...)
	res := &mcp.ListResourcesResult{Resources: []*mcp.Resource{}}
	res.CacheScope = "private" // what is listed depends on the credential and the allowlists
	if start < len(all) {
		end := min(len(all), start+listPageSize)
		res.Resources = all[start:end]
		if end < len(all) {
			res.NextCursor = strconv.Itoa(end)
		}
	}
	return res, nil
}

// listAll lists each node and guest configuration the allowlists permit.
func (x *Context) listAll(ctx context.Context) ([]*mcp.Resource, error) {
	v, err := x.view(ctx)
	if err != nil {
		return nil, fmt.Errorf("list resources: %w", err)
	}
	var out []*mcp.Resource
	for _, n := range v.nodes {
		out = append(out, &mcp.Resource{URI: "pve://nodes/" + n.Node, Name: "node " + n.Node,
			Title: "Node " + n.Node + " (" + n.Status + ")", MIMEType: jsonMIME})
	}
	for _, g := range v.guests {
		noun := map[string]string{"qemu": "VM", "lxc": "Container"}[g.Type]
		out = append(out, &mcp.Resource{
			URI:      fmt.Sprintf("pve://%s/%s/%d/config", g.Node, g.Type, g.VMID),
			Name:     fmt.Sprintf("%s %d %s", g.Type, g.VMID, g.Name),
			Title:    fmt.Sprintf("%s %d (%s) config, on %s", noun, g.VMID, g.Name, g.Node),
			MIMEType: jsonMIME})
	}
	return out, nil
}
