package tools

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// readStorages loads storage.cfg (or what /cluster/resources tells of it),
// every storage's size on each node, and the content of those in scope on
// the nodes in scope.
func (r *planReader) readStorages(ctx context.Context, rows map[string]map[string]any, sizes map[string][]pvesim.TwinStorageNode, inScope, nodes []string) {
	var cfg []map[string]any
	if err := r.c.PVE.Get(ctx, "/storage", nil, &cfg); err != nil {
		cfg = nil
		for _, sid := range slices.Sorted(maps.Keys(rows)) {
			row := rows[sid]
			cfg = append(cfg, map[string]any{"storage": sid, "type": row["plugintype"], "content": row["content"], "shared": row["shared"]})
		}
	}
	for _, d := range cfg {
		sid := anyStr(d["storage"])
		if len(sizes[sid]) == 0 {
			continue // on no node this token sees
		}
		r.state.Storages = append(r.state.Storages, pvesim.TwinStorage{ID: sid, Type: anyStr(d["type"]), Content: strings.Split(anyStr(d["content"]), ","),
			Shared: anyNum(d["shared"]) == 1, Path: anyStr(d["path"]), VGName: anyStr(d["vgname"]), ThinPool: anyStr(d["thinpool"]), Nodes: sizes[sid]})
	}
	for _, ts := range r.state.Storages {
		if !contains(inScope, ts.ID) {
			continue
		}
		for _, sn := range ts.Nodes {
			if !contains(nodes, sn.Node) && !(ts.Shared && len(nodes) == 0) {
				continue
			}
			var vols []map[string]any
			path := pve.Path("nodes", sn.Node, "storage", ts.ID, "content")
			if err := r.c.PVE.Get(ctx, path, nil, &vols); err != nil {
				r.note(fmt.Sprintf("storage %s on %s", ts.ID, sn.Node), "unreadable")
				continue
			}
			var ids []string
			for _, v := range vols {
				ids = append(ids, anyStr(v["volid"]))
				r.state.Volumes = append(r.state.Volumes, pvesim.TwinVolume{Node: sn.Node, VolID: anyStr(v["volid"]), Content: anyStr(v["content"]),
					Format: anyStr(v["format"]), Size: int64(anyNum(v["size"])), VMID: int(anyNum(v["vmid"])), CTime: int64(anyNum(v["ctime"])),
					Notes: anyStr(v["notes"]), Protected: anyNum(v["protected"]) == 1, Subtype: anyStr(v["subtype"])})
			}
			sort.Strings(ids)
			sum := sha256.Sum256([]byte(strings.Join(ids, "\n")))
			r.note(fmt.Sprintf("storage %s on %s volumes", ts.ID, sn.Node), fmt.Sprintf("%d, %s", len(ids), hex.EncodeToString(sum[:6])))
			if ts.Shared {
				break // one content for every node
			}
		}
	}
}

// volumeStorages lists the storages a config's values name (disks, ISOs,
// hookscripts).
func volumeStorages(conf map[string]string) []string {
	var out []string
	for _, v := range conf {
		first, _, _ := strings.Cut(v, ",")
		if sid, _, ok := strings.Cut(first, ":"); ok && pveStorageID(sid) && !strings.Contains(first, "=") {
			out = append(out, sid)
		}
	}
	return out
}

// shellGuest is a guest the call does not name, from /cluster/resources:
// enough for lists, ids, pools and protection by tag.
func shellGuest(id int, row map[string]any) pvesim.TwinGuest {
	typ := anyStr(row["type"])
	conf := map[string]string{}
	nameKey := "name"
	if typ == "lxc" {
		nameKey = "hostname"
	}
	if n := anyStr(row["name"]); n != "" {
		conf[nameKey] = n
	}
	if t := anyStr(row["tags"]); t != "" {
		conf["tags"] = t
	}
	if anyNum(row["template"]) == 1 {
		conf["template"] = "1"
	}
	if m := int64(anyNum(row["maxmem"])); m > 0 {
		conf["memory"] = strconv.FormatInt(m>>20, 10)
	}
	if c := int(anyNum(row["maxcpu"])); c > 0 {
		conf["cores"] = strconv.Itoa(c)
	}
	return pvesim.TwinGuest{VMID: id, Type: typ, Node: anyStr(row["node"]), Config: conf, Running: anyStr(row["status"]) == "running",
		Uptime: int64(anyNum(row["uptime"])), Pool: anyStr(row["pool"])}
}

// stringMap turns an API object into .conf strings, leaving out skip.
func stringMap(m map[string]any, skip ...string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if contains(skip, k) || v == nil {
			continue
		}
		out[k] = anyStr(v)
	}
	return out
}

func anyStr(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	}
	return fmt.Sprint(v)
}

func anyNum(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}
