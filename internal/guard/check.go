package guard

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// request is one request as the guard reads it.
type request struct {
	method, path string
	ep           *pveschema.Endpoint
	params       map[string]string // path and body parameters
	inPath       map[string]bool
	node         string // the {node} of the path, "" for cluster-wide endpoints
	vmid         int    // the guest the request is about (path, or a create's vmid)
	kind         string // "qemu", "lxc" or ""
	create       bool   // POST /nodes/{node}/qemu or /lxc
	update       bool   // a change to an existing guest's config
	release      string // of the schema, e.g. "9.1.3"
}

// verdict collects what the checks found.
type verdict struct {
	refusals []string
	reasons  []string // what needs the user's consent
	// later are checks that read the cluster; they run only when nothing
	// else was refused, so most refusals send no request at all.
	later []func()
}

func (v *verdict) refuse(format string, args ...any) {
	v.refusals = append(v.refusals, fmt.Sprintf(format, args...))
}

func (v *verdict) ask(format string, args ...any) {
	v.reasons = append(v.reasons, fmt.Sprintf(format, args...))
}

// maxKeyLen bounds parameter names: the longest in the PVE schema is under
// 40 bytes, and suggesting close names costs time in the name's length.
const maxKeyLen = 64

// secretKeys are parameters whose values are never repeated in an error.
var secretKeys = map[string]bool{"password": true, "cipassword": true, "secret": true, "key": true, "keyring": true, "encryption-key": true}

func (c *Call) check(ctx context.Context, method, path string, params url.Values) error {
	s, err := c.g.schemaFor(ctx)
	if err != nil {
		return err
	}
	ep, pathParams, ok := s.Lookup(method, path)
	if !ok {
		return fmt.Errorf("%w: %s %s is not an endpoint of the PVE %s API", ErrRefused, method, path, s.Version())
	}
	r := &request{method: method, path: path, ep: ep, params: map[string]string{}, inPath: map[string]bool{}, release: s.Version()}
	for k, v := range pathParams {
		r.params[k], r.inPath[k] = v, true
	}
	var v verdict
	for k, vals := range params {
		if r.inPath[k] {
			v.refuse("%s: set by the path; it cannot be given again", c.arg(k))
			continue
		}
		for _, val := range vals {
			if len(vals) > 1 && strings.ContainsRune(val, 0) {
				// joined, it would read as more items than were given
				v.refuse("%s: an item must not contain NUL", c.arg(k))
			}
		}
		r.params[k] = strings.Join(vals, "\x00") // PVE's form decoding of repeated keys
	}
	c.describe(r)
	names := make([]string, 0, len(r.params))
	for k := range r.params {
		names = append(names, k)
	}
	slices.Sort(names)
	c.validate(r, names, &v)
	if len(v.refusals) == 0 {
		for _, k := range names {
			p, _ := ep.Param(k)
			c.judge(ctx, r, k, r.params[k], p, &v)
		}
		c.judgeMissing(r, &v)
		c.judgeScope(r, &v)
		c.judgeAgent(r, &v)
		c.judgeService(r, &v)
		c.judgeNodePower(r, &v)
		c.judgeRaw(ctx, r, &v)
		c.judgeFirewall(r, &v)
	}
	if len(v.refusals) == 0 {
		for _, f := range v.later {
			f()
		}
	}
	if len(v.refusals) == 0 {
		c.judgeReplace(ctx, r, &v)
		c.judgeJob(ctx, r, &v)
	}
	if len(v.refusals) > 0 {
		return fmt.Errorf("%w: %s", ErrRefused, strings.Join(v.refusals, "; "))
	}
	question := ""
	if len(v.reasons) > 0 {
		question = fmt.Sprintf("%s %s: %s", method, path, strings.Join(v.reasons, "; "))
	}
	switch {
	case method == "GET" && question == "":
		return nil
	case c.consent == nil && question != "":
		return fmt.Errorf("%w: %s needs the user's consent, which this call cannot ask for", ErrRefused, question)
	case c.consent != nil:
		// Every write is offered to the consent step, so a tool's own
		// question and the guard's are asked together, once, before
		// anything changes.
		if err := c.consent(ctx, question); err != nil {
			return err
		}
	}
	// Protection reads the guest's config: after the user's yes, since
	// nothing may reach Proxmox before it, and just before the write.
	var pv verdict
	c.judgeProtected(ctx, r, &pv)
	if len(pv.refusals) > 0 {
		return fmt.Errorf("%w: %s", ErrRefused, strings.Join(pv.refusals, "; "))
	}
	return nil
}

// describe finds what the request is about.
func (c *Call) describe(r *request) {
	r.node = r.params["node"]
	if !r.inPath["node"] {
		r.node = ""
	}
	tmpl := r.ep.Path
	switch {
	case strings.HasPrefix(tmpl, "/nodes/{node}/qemu"):
		r.kind = "qemu"
	case strings.HasPrefix(tmpl, "/nodes/{node}/lxc"):
		r.kind = "lxc"
	}
	r.create = r.method == "POST" && (tmpl == "/nodes/{node}/qemu" || tmpl == "/nodes/{node}/lxc")
	r.update = (r.method == "PUT" || r.method == "POST") && strings.HasSuffix(tmpl, "/{vmid}/config")
	if id, err := strconv.Atoi(r.params["vmid"]); err == nil && (r.inPath["vmid"] || r.create) {
		r.vmid = id
	}
}

// validate refuses characters no parameter may hold, keys the endpoint
// does not have, and values Proxmox itself would refuse.
func (c *Call) validate(r *request, names []string, v *verdict) {
	for _, k := range names {
		if _, ok := r.ep.Param(k); !ok {
			if len(k) > maxKeyLen {
				v.refuse("a parameter name of %d bytes: Proxmox's %s %s has no parameter that long", len(k), r.method, r.ep.Path)
				continue
			}
			msg := fmt.Sprintf("%s: Proxmox's %s %s has no parameter %q", c.arg(k), r.method, r.ep.Path, k)
			if near := pveschema.Suggest(r.ep.ParamNames(), k); len(near) > 0 {
				msg += "; did you mean " + strings.Join(near, ", ") + "?"
			}
			v.refuse("%s", msg)
		}
		if strings.ContainsRune(r.params[k], 0) && !isArray(r.ep, k) {
			v.refuse("%s: a value must not contain NUL", c.arg(k))
		}
	}
	if len(v.refusals) > 0 {
		return
	}
	errs := r.ep.Validate(r.params)
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		msg := strings.TrimSpace(errs[k])
		val, ok := r.params[k]
		if !ok || secretKeys[k] {
			v.refuse("%s: Proxmox would refuse it: %s", c.arg(k), msg)
			continue
		}
		v.refuse("%s = %q: Proxmox would refuse it: %s", c.arg(k), val, msg)
	}
}

func isArray(ep *pveschema.Endpoint, k string) bool {
	p, ok := ep.Param(k)
	return ok && (p.Type == "array" || p.Format == "string-alist")
}

// judge applies the allowlists, volume, host-level and consent rules to one
// parameter.
func (c *Call) judge(ctx context.Context, r *request, k, val string, p *pveschema.Param, v *verdict) {
	a := c.g.opts.Allow
	format := p.Format
	c.judgeHostLevel(r, k, val, v)
	c.judgeDestructive(r, k, val, v)
	if c.judgeHA(ctx, r, k, val, format, v) {
		return
	}
	switch {
	case k == "upid" && r.inPath[k]:
		c.judgeUPID(ctx, val, v)
		return
	case format == "pve-node" || (k == "node" && r.inPath[k]):
		if err := a.Node(c.arg(k), val); err != nil {
			v.refuse("%s", trimRefused(err))
		}
		return
	case format == "pve-node-list":
		for _, n := range splitList(val) {
			if err := a.Node(c.arg(k), n); err != nil {
				v.refuse("%s", trimRefused(err))
			}
		}
		return
	case format == "pve-vmid" || format == "pve-vmid-list" || (p.Items != nil && p.Items.Format == "pve-vmid"):
		for _, s := range splitList(val) {
			c.judgeGuest(ctx, r, k, s, v)
		}
		return
	}
	if kind := volumeParam(r, k, p); kind != "" {
		c.judgeVolume(ctx, r, c.arg(k), val, kind, v)
	}
	if p.Props != nil || pveschema.IsPropertyFormat(format) {
		c.judgeProperties(ctx, r, k, val, p, v)
	}
}

// judgeGuest checks a guest id parameter. A cluster-wide request (no node in
// its path) acts wherever the guest lives, so that node must be allowed too.
func (c *Call) judgeGuest(ctx context.Context, r *request, k, s string, v *verdict) {
	a := c.g.opts.Allow
	id, err := strconv.Atoi(s)
	if err != nil {
		v.refuse("%s: %q is not a guest id", c.arg(k), s)
		return
	}
	if err := a.VMID(c.arg(k), id); err != nil {
		v.refuse("%s", trimRefused(err))
		return
	}
	if r.ep.Path == "/cluster/nextid" {
		return // asks whether the id is free: no guest is acted on, wherever it lives
	}
	if r.create && k == "vmid" && a.HasNodes() {
		// A restore over an existing guest acts on it wherever it lives.
		v.later = append(v.later, func() {
			if node, ok := c.GuestElsewhere(ctx, id); ok {
				v.refuse("%s: guest %d exists on node %s, which is not in PVE_NODE_ALLOWLIST (%s)", c.arg(k), id, orUnknown(node), strings.Join(a.nodes, ", "))
			}
		})
		return
	}
	if r.node != "" || !a.HasNodes() {
		return
	}
	v.later = append(v.later, func() {
		node, ok, err := c.view.guestNode(ctx, id)
		switch {
		case err != nil:
			v.refuse("%s: cannot tell which node guest %d is on, and PVE_NODE_ALLOWLIST is set: %v", c.arg(k), id, err)
		case !ok:
			v.refuse("%s: guest %d is not in the cluster, and PVE_NODE_ALLOWLIST is set", c.arg(k), id)
		case !a.NodeAllowed(node):
			v.refuse("%s: guest %d is on node %s, which is not in PVE_NODE_ALLOWLIST (%s)", c.arg(k), id, node, strings.Join(a.nodes, ", "))
		}
	})
}

// guestlessTasks are task types that concern no guest, so a guest-id
// allowlist does not hide them.
var guestlessTasks = map[string]bool{"download": true, "srvreload": true}

func (c *Call) judgeUPID(ctx context.Context, val string, v *verdict) {
	a := c.g.opts.Allow
	u, err := pveid.ParseUPID(val)
	if err != nil {
		v.refuse("upid: %v", err)
		return
	}
	if err := a.Node("upid's node", u.Node); err != nil {
		v.refuse("%s", trimRefused(err))
	}
	if !a.Any() || guestlessTasks[u.Type] {
		return
	}
	if strings.HasPrefix(u.Type, "bulk-") && u.User == c.AuthID() {
		return // a bulk action of ours: each guest it names passed the allowlists when it was sent
	}
	id, err := strconv.Atoi(u.ID)
	if err != nil || id < 100 {
		if a.HasVMIDs() {
			v.refuse("task %s names no guest, and PVE_VMID_ALLOWLIST is set", u.Type)
		}
		return
	}
	if err := a.VMID("upid's guest", id); err != nil {
		v.refuse("%s", trimRefused(err))
		return
	}
	if a.HasNodes() {
		v.later = append(v.later, func() {
			if node, ok := c.GuestElsewhere(ctx, id); ok {
				v.refuse("upid: task of guest %d, which lives on node %s, not in PVE_NODE_ALLOWLIST (%s)", id, orUnknown(node), strings.Join(a.nodes, ", "))
			}
		})
	}
}

func orUnknown(node string) string {
	if node == "" {
		return "(unknown: the cluster could not be read)"
	}
	return node
}

// trimRefused drops the "refused: " prefix of an allowlist error, as the
// whole refusal carries it once.
func trimRefused(err error) string {
	return strings.TrimPrefix(err.Error(), ErrRefused.Error()+": ")
}

// splitList reads a PVE list (comma, semicolon, space or NUL separated).
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == 0 || r == '\t' || r == '\n' })
}
