package guard

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// view is what one call learns of the cluster, read at most once per call
// and only when a check needs it: where each guest lives, which is not kept
// across calls so that a migration is seen at once, and which storages each
// node has, kept by the guard for a minute (a storage id never changes type
// while it exists; a storage not found is looked up again).
type view struct {
	raw      *pve.Client
	cache    *storageCache
	guests   map[int]string // vmid -> node
	storages storageTypes
	gErr     error
	gDone    bool
	sFresh   bool // storages were read during this call
}

// storageTypes maps node -> storage id -> plugin type.
type storageTypes map[string]map[string]string

// storageCache holds the last storage read, shared by the calls of a guard.
type storageCache struct {
	mu    sync.Mutex
	types storageTypes
	at    time.Time
}

const storageCacheTTL = time.Minute

type resource struct {
	Type       string  `json:"type"`
	Node       string  `json:"node"`
	VMID       pve.Int `json:"vmid"`
	Storage    string  `json:"storage"`
	PluginType string  `json:"plugintype"`
}

// guestNode tells which node guest id lives on; ok is false when the
// cluster does not know it.
func (v *view) guestNode(ctx context.Context, id int) (node string, ok bool, err error) {
	if !v.gDone {
		v.gDone = true
		var res []resource
		if err := v.raw.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res); err != nil {
			v.gErr = fmt.Errorf("find the guests' nodes (GET /cluster/resources): %w", err)
		} else {
			v.guests = map[int]string{}
			for _, r := range res {
				if r.Type == "qemu" || r.Type == "lxc" {
					v.guests[int(r.VMID)] = r.Node
				}
			}
		}
	}
	if v.gErr != nil {
		return "", false, v.gErr
	}
	node, ok = v.guests[id]
	return node, ok, nil
}

// storageType tells the plugin type of storage sid on node; ok is false when
// the node has no such storage.
func (v *view) storageType(ctx context.Context, node, sid string) (plugin string, ok bool, err error) {
	if v.storages == nil {
		v.storages = v.cache.get()
	}
	plugin, ok = v.storages.find(node, sid)
	if ok || v.sFresh {
		return plugin, ok, nil
	}
	if err := v.readStorages(ctx); err != nil {
		return "", false, err
	}
	plugin, ok = v.storages.find(node, sid)
	return plugin, ok, nil
}

// cachedType is storageType without a request: what this call or the
// guard's cache already knows.
func (v *view) cachedType(node, sid string) (string, bool) {
	if v.storages == nil {
		v.storages = v.cache.get()
	}
	return v.storages.find(node, sid)
}

func (v *view) readStorages(ctx context.Context) error {
	v.sFresh = true
	var res []resource
	if err := v.raw.Get(ctx, "/cluster/resources", url.Values{"type": {"storage"}}, &res); err != nil {
		return fmt.Errorf("read the storages' types (GET /cluster/resources): %w", err)
	}
	types := storageTypes{}
	for _, r := range res {
		if r.Type != "storage" {
			continue
		}
		if types[r.Node] == nil {
			types[r.Node] = map[string]string{}
		}
		types[r.Node][r.Storage] = r.PluginType
	}
	v.storages = types
	v.cache.put(types)
	return nil
}

// find looks sid up on node, or on any node for a cluster-wide request.
func (t storageTypes) find(node, sid string) (string, bool) {
	if node != "" {
		p, ok := t[node][sid]
		return p, ok
	}
	for _, m := range t {
		if p, ok := m[sid]; ok {
			return p, true
		}
	}
	return "", false
}

func (s *storageCache) get() storageTypes {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.types == nil || time.Since(s.at) > storageCacheTTL {
		return storageTypes{}
	}
	return s.types
}

func (s *storageCache) put(t storageTypes) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.types, s.at = t, time.Now()
}
