package mcpctx

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// entry is one item of GET /cluster/resources.
type entry struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Node       string    `json:"node,omitempty"`
	VMID       pve.Int   `json:"vmid,omitempty"`
	Name       string    `json:"name,omitempty"`
	Status     string    `json:"status,omitempty"`
	Storage    string    `json:"storage,omitempty"`
	PluginType string    `json:"plugintype,omitempty"`
	Content    string    `json:"content,omitempty"`
	Shared     pve.Flag  `json:"shared,omitempty"`
	Template   pve.Flag  `json:"template,omitempty"`
	Lock       string    `json:"lock,omitempty"`
	Tags       string    `json:"tags,omitempty"`
	CPU        pve.Float `json:"cpu,omitempty"`
	MaxCPU     pve.Float `json:"maxcpu,omitempty"`
	Mem        pve.Int   `json:"mem,omitempty"`
	MaxMem     pve.Int   `json:"maxmem,omitempty"`
	Disk       pve.Int   `json:"disk,omitempty"`
	MaxDisk    pve.Int   `json:"maxdisk,omitempty"`
	Uptime     pve.Int   `json:"uptime,omitempty"`
}

func (e entry) guest() bool { return e.Type == "qemu" || e.Type == "lxc" }

// view is the part of the cluster the allowlists let this server show.
type view struct {
	nodes, guests, storages []entry
}

// readView reads /cluster/resources through the guard and keeps what the
// allowlists permit, as the tools' lists do: guests by id and node, nodes
// and storages by node. Each list is sorted (nodes and storages by name,
// guests by id).
func readView(ctx context.Context, c *guard.Call, a guard.Allowlist) (view, error) {
	var all []entry
	if err := c.Get(ctx, "/cluster/resources", nil, &all); err != nil {
		return view{}, fmt.Errorf("read the cluster (GET /cluster/resources): %w", err)
	}
	var v view
	for _, e := range all {
		if e.Node == "" || !a.NodeAllowed(e.Node) {
			continue
		}
		switch {
		case e.guest():
			if a.VMIDAllowed(int(e.VMID)) {
				v.guests = append(v.guests, e)
			}
		case e.Type == "node":
			v.nodes = append(v.nodes, e)
		case e.Type == "storage":
			v.storages = append(v.storages, e)
		}
	}
	slices.SortFunc(v.nodes, func(a, b entry) int { return strings.Compare(a.Node, b.Node) })
	slices.SortFunc(v.guests, func(a, b entry) int { return int(a.VMID) - int(b.VMID) })
	slices.SortFunc(v.storages, func(a, b entry) int {
		return strings.Compare(a.Node+"/"+a.Storage, b.Node+"/"+b.Storage)
	})
	return v, nil
}

// guest finds guest id in the view.
func (v view) guest(id int) (entry, bool) {
	i := slices.IndexFunc(v.guests, func(e entry) bool { return int(e.VMID) == id })
	if i < 0 {
		return entry{}, false
	}
	return v.guests[i], true
}

// cache keeps recent reads for completions, each for ttl: a client asks on
// every keystroke, and Proxmox need not be read that often.
type cache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]cached
}

type cached struct {
	at  time.Time
	val any
}

func newCache(ttl time.Duration) *cache { return &cache{ttl: ttl, m: map[string]cached{}} }

// get returns the value under key, read by load when missing or stale.
// Errors are not kept. Two callers may both load at once; the last wins.
func get[T any](c *cache, key string, load func() (T, error)) (T, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.ttl {
		return e.val.(T), nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, old := range c.m { // drop stale entries so keys of many nodes and guests do not pile up
		if time.Since(old.at) >= c.ttl {
			delete(c.m, k)
		}
	}
	c.m[key] = cached{at: time.Now(), val: v}
	return v, nil
}

// view is readView, cached.
func (x *Context) view(ctx context.Context) (view, error) {
	return get(x.cache, fmt.Sprintf("view/%p", x.guard(ctx)), func() (view, error) { return readView(ctx, x.call(ctx), x.guard(ctx).Allow()) })
}
