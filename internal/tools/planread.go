package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// A plan reads, read-only and through the guard, what a call touches: the
// guests it names (config with digest, status, snapshots), the nodes and
// storages involved (network, content, size), the privileges of the
// server's Proxmox user; everything else is known from /cluster/resources.
// The same reads give the state apply checks again (fact).

// fact is one thing a plan read that apply reads again.
type fact struct {
	What  string `json:"what"`
	Value string `json:"value"`
}

// scope is what a call names: guests, nodes, storages.
type scope struct {
	guests   []int
	nodes    []string
	storages []string
}

// scopeOf finds the guests, nodes and storages in a call's arguments.
func scopeOf(raw json.RawMessage) scope {
	var args map[string]any
	_ = json.Unmarshal(raw, &args)
	var sc scope
	addGuest := func(v any) {
		switch x := v.(type) {
		case float64:
			sc.guests = append(sc.guests, int(x))
		case string:
			if n, err := strconv.Atoi(x); err == nil {
				sc.guests = append(sc.guests, n)
			}
		}
	}
	var walk func(k string, v any)
	walk = func(k string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for kk, vv := range x {
				walk(kk, vv)
			}
		case []any:
			for _, vv := range x {
				walk(k, vv)
			}
		case string:
			switch k {
			case "node", "target", "targetNode", "target_node":
				sc.nodes = append(sc.nodes, x)
			case "storage", "targetStorage", "target_storage", "target-storage":
				sc.storages = append(sc.storages, x)
			}
			if sid, _, ok := strings.Cut(x, ":"); ok && pveStorageID(sid) {
				sc.storages = append(sc.storages, sid) // a volume id, or a disk spec "local-lvm:32"
			}
			if guestKey(k) {
				for _, part := range strings.Split(x, ",") {
					addGuest(strings.TrimSpace(part))
				}
			}
		case float64:
			if guestKey(k) {
				addGuest(x)
			}
		}
	}
	walk("", args)
	if p, ok := args["path"].(string); ok {
		// pve_api_call: the node and guest its path names.
		parts := strings.Split(strings.Trim(p, "/"), "/")
		if len(parts) >= 2 && parts[0] == "nodes" {
			sc.nodes = append(sc.nodes, parts[1])
		}
		if len(parts) >= 4 && parts[0] == "nodes" && (parts[2] == "qemu" || parts[2] == "lxc") {
			addGuest(parts[3])
		}
		if len(parts) >= 4 && parts[0] == "nodes" && parts[2] == "storage" {
			sc.storages = append(sc.storages, parts[3])
		}
	}
	sc.guests, sc.nodes, sc.storages = uniq(sc.guests), uniq(sc.nodes), uniq(sc.storages)
	return sc
}

func pveStorageID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
		if !ok {
			return false
		}
	}
	return true
}

func uniq[T comparable](xs []T) []T {
	var out []T
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// planReader reads a cluster's part for a plan, and the facts it saw.
type planReader struct {
	c     *call
	facts []fact
	state pvesim.TwinState
	perms map[string]map[string]int // /access/permissions; nil: not readable
}

func (r *planReader) note(what, value string) { r.facts = append(r.facts, fact{what, value}) }

func (r *planReader) get(ctx context.Context, path string, q url.Values, out any) error {
	if err := r.c.PVE.Get(ctx, path, q, out); err != nil {
		return fmt.Errorf("plan: read %s: %w", path, err)
	}
	return nil
}

// read loads the scope's part of the cluster. The allowlists come first:
// a plan tells no more of a guest or node outside them than the tool does.
func (r *planReader) read(ctx context.Context, sc scope) error {
	for _, id := range sc.guests {
		if err := r.c.vmid("vmid", VMID(id)); err != nil {
			return err
		}
	}
	for _, n := range sc.nodes {
		if err := r.c.node("node", NodeName(n)); err != nil {
			return err
		}
	}
	var res []map[string]any
	if err := r.get(ctx, "/cluster/resources", nil, &res); err != nil {
		return err
	}
	guests := map[int]map[string]any{}
	storageNodes := map[string][]pvesim.TwinStorageNode{}
	storageRows := map[string]map[string]any{}
	for _, row := range res {
		switch anyStr(row["type"]) {
		case "node":
			r.state.Nodes = append(r.state.Nodes, pvesim.TwinNode{Name: anyStr(row["node"]), Offline: anyStr(row["status"]) != "online",
				CPUs: int(anyNum(row["maxcpu"])), Memory: int64(anyNum(row["maxmem"])), Uptime: int64(anyNum(row["uptime"]))})
		case "qemu", "lxc":
			guests[int(anyNum(row["vmid"]))] = row
		case "storage":
			sid := anyStr(row["storage"])
			storageNodes[sid] = append(storageNodes[sid], pvesim.TwinStorageNode{Node: anyStr(row["node"]),
				Total: int64(anyNum(row["maxdisk"])), Used: int64(anyNum(row["disk"]))})
			storageRows[sid] = row
		}
	}
	sort.Slice(r.state.Nodes, func(i, j int) bool { return r.state.Nodes[i].Name < r.state.Nodes[j].Name })
	nodes := slices.Clone(sc.nodes)
	storages := slices.Clone(sc.storages)
	named := map[int]bool{}
	for _, id := range sc.guests {
		named[id] = true
		row, ok := guests[id]
		if !ok {
			r.note(fmt.Sprintf("guest %d", id), "absent")
			continue
		}
		if !r.c.allow.NodeAllowed(anyStr(row["node"])) {
			return fmt.Errorf("%w: guest %d is not on a node PVE_NODE_ALLOWLIST allows", errRefused, id)
		}
		tg, err := r.readGuest(ctx, id, anyStr(row["type"]), anyStr(row["node"]))
		if err != nil {
			return err
		}
		tg.Pool = anyStr(row["pool"])
		r.state.Guests = append(r.state.Guests, tg)
		nodes = append(nodes, tg.Node)
		storages = append(storages, volumeStorages(tg.Config)...)
	}
	for _, id := range slices.Sorted(maps.Keys(guests)) {
		if !named[id] {
			r.state.Guests = append(r.state.Guests, shellGuest(id, guests[id]))
		}
	}
	r.readStorages(ctx, storageRows, storageNodes, uniq(storages), uniq(nodes))
	for _, n := range uniq(nodes) {
		var ifaces []map[string]any
		if err := r.c.PVE.Get(ctx, pve.Path("nodes", n, "network"), nil, &ifaces); err == nil {
			i := slices.IndexFunc(r.state.Nodes, func(tn pvesim.TwinNode) bool { return tn.Name == n })
			for _, f := range ifaces {
				if i >= 0 {
					r.state.Nodes[i].Ifaces = append(r.state.Nodes[i].Ifaces, pvesim.TwinIface{Name: anyStr(f["iface"]), Type: anyStr(f["type"]),
						Options: stringMap(f, "iface", "type", "priority", "families", "method", "method6", "active", "exists")})
				}
			}
		}
	}
	var perms map[string]map[string]int
	if err := r.c.PVE.Get(ctx, "/access/permissions", nil, &perms); err == nil {
		r.perms = perms
	}
	return nil
}

// readGuest reads a named guest's config, status and snapshots.
func (r *planReader) readGuest(ctx context.Context, id int, typ, node string) (pvesim.TwinGuest, error) {
	base := pve.Path("nodes", node, typ, strconv.Itoa(id))
	var conf map[string]any
	if err := r.get(ctx, base+"/config", nil, &conf); err != nil {
		return pvesim.TwinGuest{}, err
	}
	var status map[string]any
	if err := r.get(ctx, base+"/status/current", nil, &status); err != nil {
		return pvesim.TwinGuest{}, err
	}
	tg := pvesim.TwinGuest{VMID: id, Type: typ, Node: node, Config: stringMap(conf, "digest"),
		Running: anyStr(status["status"]) == "running", Uptime: int64(anyNum(status["uptime"]))}
	r.note(fmt.Sprintf("guest %d", id), typ+" on "+node)
	r.note(fmt.Sprintf("guest %d config digest", id), anyStr(conf["digest"]))
	r.note(fmt.Sprintf("guest %d status", id), anyStr(status["status"]))
	var snaps []map[string]any
	if err := r.get(ctx, base+"/snapshot", nil, &snaps); err != nil {
		return pvesim.TwinGuest{}, err
	}
	var names []string
	for _, sn := range snaps {
		name := anyStr(sn["name"])
		if name == "current" {
			continue
		}
		var sconf map[string]any
		if err := r.get(ctx, base+"/snapshot/"+url.PathEscape(name)+"/config", nil, &sconf); err != nil {
			return pvesim.TwinGuest{}, err
		}
		tg.Snapshots = append(tg.Snapshots, pvesim.TwinSnapshot{Name: name, Description: anyStr(sn["description"]), Parent: anyStr(sn["parent"]),
			SnapTime: int64(anyNum(sn["snaptime"])), VMState: anyNum(sn["vmstate"]) == 1, Config: stringMap(sconf, "digest", "snapstate")})
		names = append(names, name)
	}
	sort.Slice(tg.Snapshots, func(i, j int) bool { return tg.Snapshots[i].SnapTime < tg.Snapshots[j].SnapTime })
	sort.Strings(names)
	r.note(fmt.Sprintf("guest %d snapshots", id), strings.Join(names, ","))
	return tg, nil
}

// guestKey tells the argument names that hold guest ids.
func guestKey(k string) bool {
	return k == "vmid" || k == "newid" || k == "vmids" || k == "vms" || k == "targetVmid" || k == "target-vmid"
}
