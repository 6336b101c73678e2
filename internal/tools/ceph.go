package tools

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// cephStatus reads 'ceph status' through a node, then its OSD tree and
// pools; those two report their own errors. Without Ceph, Proxmox's reason
// comes with what to do.
func (c *call) cephStatus(ctx context.Context, node NodeName) (cephOut, error) {
	if node == "" {
		n, err := c.firstOnlineNode(ctx)
		if err != nil {
			return cephOut{}, err
		}
		node = n
	} else if err := c.node("node", node); err != nil {
		return cephOut{}, err
	}
	out := cephOut{Node: string(node), Quorum: []string{}, OSDs: []cephOSD{}, Pools: []cephPoolOut{}}
	var st struct {
		Health struct {
			Status string `json:"status"`
			Checks map[string]struct {
				Severity string `json:"severity"`
				Summary  struct {
					Message string `json:"message"`
				} `json:"summary"`
			} `json:"checks"`
		} `json:"health"`
		QuorumNames []string `json:"quorum_names"`
		Monmap      struct {
			NumMons pve.Int `json:"num_mons"`
			Mons    []any   `json:"mons"`
		} `json:"monmap"`
		Osdmap struct {
			NumOSDs pve.Int `json:"num_osds"`
			Up      pve.Int `json:"num_up_osds"`
			In      pve.Int `json:"num_in_osds"`
		} `json:"osdmap"`
		Pgmap struct {
			BytesUsed  pve.Int `json:"bytes_used"`
			BytesTotal pve.Int `json:"bytes_total"`
		} `json:"pgmap"`
	}
	if err := c.PVE.Get(ctx, pve.Path("nodes", string(node), "ceph", "status"), nil, &st); err != nil {
		return out, cephError(node, err)
	}
	out.Health, out.Quorum = st.Health.Status, append(out.Quorum, st.QuorumNames...)
	for name, ch := range st.Health.Checks {
		out.Checks = append(out.Checks, cephCheck{Name: name, Severity: ch.Severity, Message: ch.Summary.Message})
	}
	slices.SortFunc(out.Checks, func(a, b cephCheck) int { return strings.Compare(a.Name, b.Name) })
	out.Monitors = max(int(st.Monmap.NumMons), len(st.Monmap.Mons))
	out.OSDsTotal, out.OSDsUp, out.OSDsIn = int(st.Osdmap.NumOSDs), int(st.Osdmap.Up), int(st.Osdmap.In)
	out.BytesUsed, out.BytesTotal = int64(st.Pgmap.BytesUsed), int64(st.Pgmap.BytesTotal)
	errs := map[string]string{}
	if err := c.cephOSDs(ctx, node, &out); err != nil {
		errs["osds"] = err.Error()
	}
	if err := c.cephPools(ctx, node, &out); err != nil {
		errs["pools"] = err.Error()
	}
	if len(errs) > 0 {
		out.Errors = errs
	}
	return out, nil
}

// cephError words Proxmox's refusals when Ceph is missing or not set up.
func cephError(node NodeName, err error) error {
	text := err.Error()
	switch {
	case strings.Contains(text, "binary not installed"):
		return fmt.Errorf("ceph status on %s: Ceph is not installed there: %w (install and set it up with pveceph install and pveceph init, or in the web UI under the node's Ceph panel; nodes without Ceph have nothing to report)", node, err)
	case strings.Contains(text, "not initialized"), strings.Contains(text, "not fully configured"):
		return fmt.Errorf("ceph status on %s: Ceph is installed but not configured: %w (pveceph init, then create monitors)", node, err)
	case strings.Contains(text, "rados_connect failed"), strings.Contains(text, "got timeout"):
		return fmt.Errorf("ceph status on %s: the Ceph monitors could not be reached: %w (check the monitors with pveceph status on a node, and ceph.conf)", node, err)
	}
	return fmt.Errorf("ceph status on %s: %w", node, err)
}

// firstOnlineNode is the first node by name that is online and allowed.
func (c *call) firstOnlineNode(ctx context.Context) (NodeName, error) {
	var nodes []struct {
		Node   string `json:"node"`
		Status string `json:"status"`
	}
	if err := c.PVE.Get(ctx, "/nodes", nil, &nodes); err != nil {
		return "", fmt.Errorf("list nodes to ask about Ceph: %w", err)
	}
	var names []string
	for _, n := range nodes {
		if n.Status == "online" && c.allow.NodeAllowed(n.Node) {
			names = append(names, n.Node)
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("no online node to ask about Ceph (pve_list_nodes shows their state); name one in node")
	}
	slices.Sort(names)
	return NodeName(names[0]), nil
}

// cephBucket is a node of the OSD tree: a bucket with children or an OSD.
type cephBucket struct {
	ID          pve.Int      `json:"id"`
	Name        string       `json:"name"`
	Type        string       `json:"type"`
	Status      string       `json:"status"`
	In          pve.Int      `json:"in"`
	Host        string       `json:"host"`
	DeviceClass string       `json:"device_class"`
	PercentUsed pve.Float    `json:"percent_used"`
	Children    []cephBucket `json:"children"`
}

func (c *call) cephOSDs(ctx context.Context, node NodeName, out *cephOut) error {
	var tree struct {
		Root cephBucket `json:"root"`
	}
	if err := c.PVE.Get(ctx, pve.Path("nodes", string(node), "ceph", "osd"), nil, &tree); err != nil {
		return err
	}
	var walk func(b cephBucket)
	walk = func(b cephBucket) {
		if b.Type == "osd" {
			out.OSDs = append(out.OSDs, cephOSD{ID: int(b.ID), Name: b.Name, Host: b.Host, Status: b.Status, In: b.In == 1,
				DeviceClass: b.DeviceClass, PercentUsed: round2(float64(b.PercentUsed))})
		}
		for _, ch := range b.Children {
			walk(ch)
		}
	}
	walk(tree.Root)
	slices.SortFunc(out.OSDs, func(a, b cephOSD) int { return a.ID - b.ID })
	return nil
}

func (c *call) cephPools(ctx context.Context, node NodeName, out *cephOut) error {
	var pools []struct {
		Name        string    `json:"pool_name"`
		Type        string    `json:"type"`
		Size        pve.Int   `json:"size"`
		MinSize     pve.Int   `json:"min_size"`
		PGs         pve.Int   `json:"pg_num"`
		BytesUsed   pve.Int   `json:"bytes_used"`
		PercentUsed pve.Float `json:"percent_used"`
	}
	if err := c.PVE.Get(ctx, pve.Path("nodes", string(node), "ceph", "pool"), nil, &pools); err != nil {
		return err
	}
	for _, p := range pools {
		// Proxmox passes ceph df's fraction on: 0.0123 is 1.23 %.
		out.Pools = append(out.Pools, cephPoolOut{Name: p.Name, Type: p.Type, Size: int(p.Size), MinSize: int(p.MinSize), PGs: int(p.PGs),
			BytesUsed: int64(p.BytesUsed), PercentUsed: round2(100 * float64(p.PercentUsed))})
	}
	return nil
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

type cephCheck struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

type cephOSD struct {
	ID          int     `json:"id"`
	Name        string  `json:"name"`
	Host        string  `json:"host"`
	Status      string  `json:"status" jsonschema:"up or down"`
	In          bool    `json:"in"`
	DeviceClass string  `json:"deviceClass,omitempty"`
	PercentUsed float64 `json:"percentUsed"`
}

type cephPoolOut struct {
	Name        string  `json:"name"`
	Type        string  `json:"type,omitempty"`
	Size        int     `json:"size"`
	MinSize     int     `json:"minSize"`
	PGs         int     `json:"pgs"`
	BytesUsed   int64   `json:"bytesUsed"`
	PercentUsed float64 `json:"percentUsed"`
}

type cephOut struct {
	Node       string            `json:"node" jsonschema:"the node asked"`
	Health     string            `json:"health" jsonschema:"HEALTH_OK, HEALTH_WARN or HEALTH_ERR"`
	Checks     []cephCheck       `json:"checks,omitempty" jsonschema:"what makes it not OK"`
	Quorum     []string          `json:"quorum" jsonschema:"monitors in quorum"`
	Monitors   int               `json:"monitors"`
	OSDsUp     int               `json:"osdsUp"`
	OSDsIn     int               `json:"osdsIn"`
	OSDsTotal  int               `json:"osdsTotal"`
	BytesUsed  int64             `json:"bytesUsed"`
	BytesTotal int64             `json:"bytesTotal"`
	OSDs       []cephOSD         `json:"osds"`
	Pools      []cephPoolOut     `json:"pools"`
	Errors     map[string]string `json:"errors,omitempty" jsonschema:"parts that could not be read: osds, pools"`
}
