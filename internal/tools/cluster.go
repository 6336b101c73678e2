package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

type noArgs struct{}

type nodeArgs struct {
	Node NodeName `json:"node"`
}

type resourcesArgs struct {
	Type string `json:"type,omitempty" enum:"vm,storage,node,sdn" jsonschema:"only this kind of resource"`
}

type tasksArgs struct {
	Node    NodeName `json:"node"`
	Limit   int      `json:"limit,omitempty" minimum:"1" maximum:"500" default:"50" jsonschema:"most tasks to return"`
	Running bool     `json:"running,omitempty" jsonschema:"only tasks still running"`
}

type versionOut struct {
	Version string `json:"version"`
	Release string `json:"release"`
	RepoID  string `json:"repoid"`
	Major   int    `json:"major"`
	Minor   int    `json:"minor"`
	Patch   int    `json:"patch"`
}

func clusterTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_version", title: "Proxmox version", toolset: "cluster",
			desc: "Proxmox VE version: version, release, repoid, major, minor, patch."},
			func(ctx context.Context, c *call, _ noArgs) (versionOut, error) {
				v, err := c.PVE.Version(ctx)
				if err != nil {
					return versionOut{}, fmt.Errorf("get version: %w", err)
				}
				out := versionOut{Version: v.Version, Release: v.Release, RepoID: v.RepoID}
				out.Major, out.Minor, out.Patch, _ = pveschema.ParseVersion(v.Version)
				return out, nil
			}),
		define(d, spec{name: "pve_list_nodes", title: "List nodes", toolset: "nodes",
			desc: "Nodes of the cluster with status, CPU, memory and uptime.", output: listSchema("nodes as GET /nodes returns them", "node: name", "status: online or offline", "cpu: CPU use, 0 to 1", "maxcpu: CPUs", "mem: memory used, bytes", "maxmem: memory, bytes", "uptime: seconds")},
			func(ctx context.Context, c *call, _ noArgs) (listOut, error) {
				return c.list(ctx, "list nodes", "/nodes", nil, func(e entry) bool { return c.allow.NodeAllowed(e.Node) })
			}),
		define(d, spec{name: "pve_node_status", title: "Node status", toolset: "nodes",
			desc: "Node status: CPU, memory, disk, load, uptime, kernel, PVE version.", output: objectSchema("GET /nodes/{node}/status", "cpu: CPU use, 0 to 1", "memory: total, used, free (bytes)", "rootfs: root disk total, used, avail (bytes)", "loadavg: 1, 5, 15 minutes", "uptime: seconds", "pveversion: PVE version", "kversion: kernel")},
			func(ctx context.Context, c *call, in nodeArgs) (objectOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return nil, err
				}
				return c.object(ctx, "node status of "+string(in.Node), pve.Path("nodes", string(in.Node), "status"))
			}),
		define(d, spec{name: "pve_cluster_resources", title: "Cluster resources", toolset: "cluster",
			desc: "All VMs, containers, storage and nodes of the cluster; type narrows it.", output: listSchema("GET /cluster/resources entries", "id: e.g. qemu/100, lxc/200, node/pve1, storage/pve1/local", "type: qemu, lxc, node, storage, sdn or pool", "node: node name", "vmid: guest id", "name: guest name", "status: running, stopped, online, available...", "template: 1 for a template", "lock: lock held, if any", "maxmem: bytes", "maxdisk: bytes", "cpu: CPU use, 0 to 1")},
			func(ctx context.Context, c *call, in resourcesArgs) (listOut, error) {
				q := url.Values{}
				if in.Type != "" {
					q.Set("type", in.Type)
				}
				return c.list(ctx, "list cluster resources", "/cluster/resources", q, c.allowedResource)
			}),
		define(d, spec{name: "pve_list_tasks", title: "List tasks", toolset: "tasks",
			desc: "Recent tasks on a node with UPID and exit status; running: true lists only running ones.", output: listSchema("GET /nodes/{node}/tasks entries", "upid: task id", "type: e.g. qmstart, vzdump", "id: guest id or other object", "user: who started it", "starttime: unix time", "endtime: unix time, when done", "status: exit status when done, RUNNING while running")},
			func(ctx context.Context, c *call, in tasksArgs) (listOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return listOut{}, err
				}
				q := url.Values{"limit": {strconv.Itoa(in.Limit)}, "source": {"all"}}
				if in.Running {
					q.Set("source", "active") // PVE has no "running" parameter
				}
				return c.list(ctx, "list tasks on "+string(in.Node), pve.Path("nodes", string(in.Node), "tasks"), q, c.allowedTask(ctx))
			}),
	}
}

// list fetches a Proxmox list and keeps what the allowlists permit. An
// answer that is not a list of objects (null included) fails with a
// *pve.ShapeError rather than reading as an empty list or an empty entry.
func (c *call) list(ctx context.Context, what, path string, q url.Values, keep func(entry) bool) (listOut, error) {
	var objs []pve.Object
	if err := c.PVE.Get(ctx, path, q, &objs); err != nil {
		return listOut{}, fmt.Errorf("%s: %w", what, err)
	}
	items := make([]json.RawMessage, len(objs))
	for i, o := range objs {
		items[i] = json.RawMessage(o)
	}
	kept, err := filter(items, keep)
	if err != nil {
		return listOut{}, fmt.Errorf("%s: %w", what, err)
	}
	return listOut{Items: kept}, nil
}

// object reads one Proxmox object; pve.Object refuses any other shape
// (null, a string, a list) with a *pve.ShapeError.
func (c *call) object(ctx context.Context, what, path string) (objectOut, error) {
	var raw pve.Object
	if err := c.PVE.Get(ctx, path, nil, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return compact(json.RawMessage(raw)), nil
}

// allowedResource hides cluster entries outside the allowlists; pools span
// guests and nodes, so they are hidden while any allowlist is set.
func (c *call) allowedResource(e entry) bool {
	if e.Node == "" {
		return !c.allow.HasNodes() && !c.allow.HasVMIDs()
	}
	if !c.allow.NodeAllowed(e.Node) {
		return false
	}
	if e.Type == "qemu" || e.Type == "lxc" || e.VMID != 0 {
		return c.allow.VMIDAllowed(int(e.VMID))
	}
	return true
}

// allowedTask hides tasks on other guests while a guest-id allowlist is set,
// and tasks of guests that now live on nodes outside PVE_NODE_ALLOWLIST;
// tasks that name no guest are hidden under a guest-id allowlist too, as
// they may span several.
func (c *call) allowedTask(ctx context.Context) func(entry) bool {
	return func(e entry) bool {
		id, err := strconv.Atoi(e.ID)
		if err != nil || id < 100 {
			return !c.allow.HasVMIDs()
		}
		_, elsewhere := c.PVE.GuestElsewhere(ctx, id)
		return c.allow.VMIDAllowed(id) && !elsewhere
	}
}
