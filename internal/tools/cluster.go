package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

type noArgs struct{}

type nodeArgs struct {
	Node NodeName `json:"node"`
}

type nodeListArgs struct {
	Status string `json:"status,omitempty" jsonschema:"online or offline"`
	pageArgs
}

type resourcesArgs struct {
	Type string   `json:"type,omitempty" enum:"vm,storage,node,sdn" jsonschema:"only this kind of resource"`
	Node NodeName `json:"node,omitempty"`
	guestFilters
	pageArgs
}

// resourceList shows what tells resources apart and how full they are.
var resourceList = listSpec{fields: []string{"id", "type", "node", "vmid", "name", "storage", "status", "cpu", "mem", "maxmem", "disk", "maxdisk", "uptime", "tags", "pool", "template", "lock"},
	sort: "type,vmid,id"}

// tasksArgs page in Proxmox (start, limit), newest first.
type tasksArgs struct {
	Node    NodeName `json:"node"`
	Limit   int      `json:"limit,omitempty" minimum:"1" maximum:"500" default:"50" jsonschema:"most tasks to return"`
	Offset  int      `json:"offset,omitempty"`
	Running bool     `json:"running,omitempty" jsonschema:"only tasks still running"`
	Type    TaskType `json:"type,omitempty" jsonschema:"e.g. vzdump, qmstart"`
	VMID    VMID     `json:"vmid,omitempty"`
	Errors  bool     `json:"errors,omitempty" jsonschema:"only failed tasks"`
	Fields  string   `json:"fields,omitempty"`
	Sort    string   `json:"sort,omitempty"`
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
			handle(func(ctx context.Context, c *call, _ noArgs) (versionOut, error) {
				v, err := c.PVE.Version(ctx)
				if err != nil {
					return versionOut{}, fmt.Errorf("get version: %w", err)
				}
				out := versionOut{Version: v.Version, Release: v.Release, RepoID: v.RepoID}
				out.Major, out.Minor, out.Patch, _ = pveschema.ParseVersion(v.Version)
				return out, nil
			})),
		define(d, spec{name: "pve_list_nodes", title: "List nodes", toolset: "nodes",
			desc: "Nodes of the cluster with status, CPU, memory and uptime.", output: listSchema("nodes as GET /nodes returns them", "node: name", "status: online or offline", "cpu: CPU use, 0 to 1", "maxcpu: CPUs", "mem: memory used, bytes", "maxmem: memory, bytes", "uptime: seconds")},
			handle(func(ctx context.Context, c *call, in nodeListArgs) (listOut, error) {
				pg, err := newPager(in.pageArgs, listSpec{sort: "node"}, match{"status", in.Status, exact})
				if err != nil {
					return listOut{}, err
				}
				return c.listPage(ctx, "list nodes", "/nodes", nil, func(e entry) bool { return c.allow.NodeAllowed(e.Node) }, pg)
			})),
		define(d, spec{name: "pve_node_status", title: "Node status", toolset: "nodes",
			desc: "Node status: CPU, memory, disk, load, uptime, kernel, PVE version.", output: objectSchema("GET /nodes/{node}/status", "cpu: CPU use, 0 to 1", "memory: total, used, free (bytes)", "rootfs: root disk total, used, avail (bytes)", "loadavg: 1, 5, 15 minutes", "uptime: seconds", "pveversion: PVE version", "kversion: kernel")},
			handle(func(ctx context.Context, c *call, in nodeArgs) (objectOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return nil, err
				}
				return c.object(ctx, "node status of "+string(in.Node), pve.Path("nodes", string(in.Node), "status"))
			})),
		define(d, spec{name: "pve_cluster_resources", title: "Cluster resources", toolset: "cluster",
			desc: "All VMs, containers, storage and nodes of the cluster; type narrows it.", output: listSchema("GET /cluster/resources entries", "id: e.g. qemu/100, lxc/200, node/pve1, storage/pve1/local", "type: qemu, lxc, node, storage, sdn or pool", "node: node name", "vmid: guest id", "name: guest name", "status: running, stopped, online, available...", "template: 1 for a template", "lock: lock held, if any", "maxmem: bytes", "maxdisk: bytes", "cpu: CPU use, 0 to 1")},
			handle(func(ctx context.Context, c *call, in resourcesArgs) (listOut, error) {
				q := url.Values{}
				if in.Type != "" {
					q.Set("type", in.Type)
				}
				pg, err := newPager(in.pageArgs, resourceList, append(in.matches(), match{"node", string(in.Node), exact})...)
				if err != nil {
					return listOut{}, err
				}
				pg.protect = c.Guard.ProtectedTag
				out, err := c.listPage(ctx, "list cluster resources", "/cluster/resources", q, c.allowedResource, pg)
				return out, err
			})),
		define(d, spec{name: "pve_list_tasks", title: "List tasks", toolset: "tasks",
			desc: "Recent tasks on a node with UPID and exit status; running: true lists only running ones.", output: listSchema("GET /nodes/{node}/tasks entries", "upid: task id", "type: e.g. qmstart, vzdump", "id: guest id or other object", "user: who started it", "starttime: unix time", "endtime: unix time, when done", "status: exit status when done, RUNNING while running")},
			handle(func(ctx context.Context, c *call, in tasksArgs) (listOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return listOut{}, err
				}
				return c.tasks(ctx, in)
			})),
		nextVMID(d),
	}
}

// list fetches a Proxmox list and keeps what the allowlists permit. An
// answer that is not a list of objects (null included) fails with a
// *pve.ShapeError rather than reading as an empty list or an empty entry.
func (c *call) list(ctx context.Context, what, path string, q url.Values, keep func(entry) bool) (listOut, error) {
	return c.listPage(ctx, what, path, q, keep, &pager{})
}

// listPage is list, filtered, sorted, cut and projected by pg.
func (c *call) listPage(ctx context.Context, what, path string, q url.Values, keep func(entry) bool, pg *pager) (listOut, error) {
	l := pve.List{Want: pg.readWith()} // read with the answer's check
	if err := c.PVE.Get(ctx, path, q, &l); err != nil {
		return listOut{}, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pg.page(&l, keep) // a copy of what it shows: l can be released
	read := len(l.Items)
	l.Release()
	if err != nil {
		return listOut{}, fmt.Errorf("%s: %w", what, err)
	}
	if read == 0 {
		if note := c.emptyListNote(ctx, path); note != "" {
			out.note = strings.TrimSpace(out.note + "\n" + note)
		}
	}
	return out, nil
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

// allowedGuest keeps a node's guests that the guest-id allowlist permits.
func (c *call) allowedGuest(e entry) bool { return c.allow.VMIDAllowed(int(e.VMID)) }

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

type nextIDArgs struct {
	VMID  VMID `json:"vmid,omitempty" jsonschema:"first id to try"`
	Exact bool `json:"exact,omitempty" jsonschema:"vmid itself, or Proxmox's reason it is taken"`
}

type nextIDOut struct {
	VMID int `json:"vmid"`
}

// nextIDProbes bounds the ids pve_next_vmid asks Proxmox about in one call.
const nextIDProbes = 100

func nextVMID(d *Deps) Tool {
	return define(d, spec{name: "pve_next_vmid", title: "Next free guest id", toolset: "cluster",
		desc: "The next free guest id, or the first free one at or above vmid (exact: vmid itself or an error)."},
		handle(func(ctx context.Context, c *call, in nextIDArgs) (nextIDOut, error) {
			switch {
			case in.Exact && in.VMID == 0:
				return nextIDOut{}, fmt.Errorf("invalid argument \"exact\": it needs vmid, the id to check")
			case in.Exact:
				if err := c.vmid("vmid", in.VMID); err != nil {
					return nextIDOut{}, err
				}
				id, err := c.nextID(ctx, int(in.VMID))
				if err != nil {
					return nextIDOut{}, fmt.Errorf("check guest id %d: %w", in.VMID, err)
				}
				return nextIDOut{VMID: id}, nil
			case in.VMID == 0:
				id, err := c.nextID(ctx, 0)
				if err != nil {
					return nextIDOut{}, fmt.Errorf("get the next free guest id: %w", err)
				}
				if c.allow.VMIDAllowed(id) {
					return nextIDOut{VMID: id}, nil
				}
				return c.firstFreeAllowed(ctx, id+1, true)
			}
			if c.allow.HasVMIDs() {
				return c.firstFreeAllowed(ctx, int(in.VMID), false)
			}
			return c.firstFree(ctx, int(in.VMID))
		}))
}

// firstFree asks Proxmox about each id from start upward until one is free.
func (c *call) firstFree(ctx context.Context, start int) (nextIDOut, error) {
	probes, id := 0, start
	for ; probes < nextIDProbes && id <= pveid.MaxVMID; id++ {
		probes++
		got, err := c.nextID(ctx, id)
		if err == nil {
			return nextIDOut{VMID: got}, nil
		}
		if !idTaken(err) {
			return nextIDOut{}, fmt.Errorf("check guest id %d: %w", id, err)
		}
	}
	return nextIDOut{}, fmt.Errorf("no free guest id from %d to %d (%d ids checked); give a higher vmid", start, id-1, probes)
}

// firstFreeAllowed asks Proxmox about the ids PVE_VMID_ALLOWLIST permits
// from start upward; with wrap, then about those below start (the search
// for the next id began at Proxmox's own proposal).
func (c *call) firstFreeAllowed(ctx context.Context, start int, wrap bool) (nextIDOut, error) {
	all := c.allow.VMIDs()
	i, _ := slices.BinarySearch(all, start)
	ids := all[i:]
	if wrap {
		ids = append(slices.Clone(ids), all[:i]...)
	}
	const act = "delete a guest you no longer need (pve_vm_delete, pve_lxc_delete) or add ids to PVE_VMID_ALLOWLIST"
	if len(ids) == 0 {
		return nextIDOut{}, fmt.Errorf("PVE_VMID_ALLOWLIST permits no guest id at or above %d (it permits %s); give a lower vmid, or add ids to PVE_VMID_ALLOWLIST",
			start, idSpan(all))
	}
	for n, id := range ids {
		if n == nextIDProbes {
			return nextIDOut{}, fmt.Errorf("the first %d guest ids PVE_VMID_ALLOWLIST permits that were checked (%s) are taken; give a vmid above %d, or %s",
				n, idSpan(ids[:n]), ids[n-1], act)
		}
		got, err := c.nextID(ctx, id)
		if err == nil {
			return nextIDOut{VMID: got}, nil
		}
		if !idTaken(err) {
			return nextIDOut{}, fmt.Errorf("check guest id %d: %w", id, err)
		}
	}
	if len(ids) == len(all) {
		return nextIDOut{}, fmt.Errorf("every guest id PVE_VMID_ALLOWLIST permits is taken (%s); %s", idSpan(all), act)
	}
	return nextIDOut{}, fmt.Errorf("every guest id PVE_VMID_ALLOWLIST permits at or above %d is taken (%s); give a lower vmid (it also permits %s), or %s",
		start, idSpan(ids), idSpan(all[:i]), act)
}

// idSpan words a sorted list of ids: all of them when few, else their
// count and range.
func idSpan(ids []int) string {
	if len(ids) <= 10 {
		s := make([]string, len(ids))
		for i, id := range ids {
			s[i] = strconv.Itoa(id)
		}
		return strings.Join(s, ", ")
	}
	return fmt.Sprintf("%d ids from %d to %d", len(ids), slices.Min(ids), slices.Max(ids))
}

// nextID is GET /cluster/nextid: with id, id itself when it is free.
func (c *call) nextID(ctx context.Context, id int) (int, error) {
	q := url.Values{}
	if id > 0 {
		q.Set("vmid", strconv.Itoa(id))
	}
	var n pve.Int
	if err := c.PVE.Get(ctx, "/cluster/nextid", q, &n); err != nil {
		return 0, err
	}
	return int(n), nil
}

// idTaken is Proxmox's answer for an id in use: 400, "VM 100 already exists".
func idTaken(err error) bool {
	var api *pve.APIError
	return errors.As(err, &api) && api.Status == http.StatusBadRequest && strings.Contains(api.Errors["vmid"], "already exists")
}
