package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// view is what one call learns of the cluster, read at most once per call
// and only when a check needs it: where each guest lives and which storages
// each node has. It is not kept across calls, so a migration is seen at once.
type view struct {
	raw      *pve.Client
	guests   map[int]string               // vmid -> node
	storages map[string]map[string]string // node -> storage id -> plugin type
	gErr     error
	sErr     error
	gDone    bool
	sDone    bool
}

type resource struct {
	Type       string  `json:"type"`
	Node       string  `json:"node"`
	VMID       flexInt `json:"vmid"`
	Storage    string  `json:"storage"`
	PluginType string  `json:"plugintype"`
}

// flexInt reads a number Proxmox may send as a string.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*f = flexInt(n)
	return nil
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
	if !v.sDone {
		v.sDone = true
		var res []resource
		if err := v.raw.Get(ctx, "/cluster/resources", url.Values{"type": {"storage"}}, &res); err != nil {
			v.sErr = fmt.Errorf("read the storages' types (GET /cluster/resources): %w", err)
		} else {
			v.storages = map[string]map[string]string{}
			for _, r := range res {
				if r.Type != "storage" {
					continue
				}
				if v.storages[r.Node] == nil {
					v.storages[r.Node] = map[string]string{}
				}
				v.storages[r.Node][r.Storage] = r.PluginType
			}
		}
	}
	if v.sErr != nil {
		return "", false, v.sErr
	}
	if node != "" {
		plugin, ok = v.storages[node][sid]
		return plugin, ok, nil
	}
	for _, m := range v.storages { // a cluster-wide request: any node's entry
		if p, found := m[sid]; found {
			return p, true, nil
		}
	}
	return "", false, nil
}

var _ json.Unmarshaler = (*flexInt)(nil)
