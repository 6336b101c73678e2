package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Resource pools (issue 15). PVE 8.1 moved the pool API to /pools with a
// poolid parameter (nested pools have a '/' in their id); 7.x has only
// /pools/{poolid}. Each call picks the shape of the cluster's release.

type poolsArgs struct {
	PoolID PoolID `json:"poolid,omitempty" jsonschema:"only this pool; default: all"`
}

type poolCreateArgs struct {
	PoolID  PoolID  `json:"poolid" jsonschema:"the new pool's id; parent/child nests on PVE 8.1+"`
	Comment OneLine `json:"comment,omitempty"`
}

type poolDeleteArgs struct {
	PoolID  PoolID `json:"poolid"`
	Confirm bool   `json:"confirm,omitempty"`
}

func (a poolDeleteArgs) confirmedByArg() bool { return a.Confirm }

type poolMembersArgs struct {
	PoolID    PoolID      `json:"poolid"`
	VMs       []VMID      `json:"vms,omitempty" jsonschema:"guests to add or remove"`
	Storage   []StorageID `json:"storage,omitempty" jsonschema:"storages to add or remove"`
	Remove    bool        `json:"remove,omitempty" jsonschema:"remove these members instead of adding them"`
	AllowMove bool        `json:"allowMove,omitempty" jsonschema:"move guests that are in another pool (PVE 8.1+)"`
}

// poolMember is one entry of a pool's members as Proxmox lists them.
type poolMember struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Node    string `json:"node,omitempty"`
	VMID    int    `json:"vmid,omitempty"`
	Name    string `json:"name,omitempty"`
	Status  string `json:"status,omitempty"`
	Storage string `json:"storage,omitempty"`
}

type poolOut struct {
	PoolID  string       `json:"poolid"`
	Comment string       `json:"comment,omitempty"`
	Members []poolMember `json:"members" jsonschema:"guests (type qemu or lxc, vmid, node) and storages (type storage)"`
}

type poolsOut struct {
	Pools []poolOut `json:"pools"`
}

func (o poolsOut) text() any { return o.Pools }

type poolWriteOut struct {
	Action string `json:"action"`
	PoolID string `json:"poolid"`
	Result string `json:"result"`
}

// poolMembersOut lists the members after the change, also when none are
// left; MembersError says why they could not be read.
type poolMembersOut struct {
	poolWriteOut
	Members      []poolMember `json:"members" jsonschema:"the pool's members after the change"`
	MembersError string       `json:"membersError,omitempty"`
}

func poolTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_pools", title: "Resource pools", toolset: "pools",
			desc: "Resource pools with their members (guests and storages); poolid shows one."},
			handle(func(ctx context.Context, c *call, in poolsArgs) (poolsOut, error) {
				ids := []string{string(in.PoolID)}
				if in.PoolID == "" {
					var list []struct {
						PoolID string `json:"poolid"`
					}
					if err := c.PVE.Get(ctx, "/pools", nil, &list); err != nil {
						return poolsOut{}, fmt.Errorf("list pools: %w", err)
					}
					ids = ids[:0]
					for _, p := range list {
						ids = append(ids, p.PoolID)
					}
				}
				out := poolsOut{Pools: []poolOut{}}
				for _, id := range ids {
					p, err := c.readPool(ctx, id)
					if err != nil {
						return poolsOut{}, err
					}
					out.Pools = append(out.Pools, p)
				}
				return out, nil
			})),
		define(d, spec{name: "pve_pool_create", title: "Create pool", toolset: "pools", effect: Mutating,
			desc: "Create a resource pool; add members with pve_pool_members."},
			handle(func(ctx context.Context, c *call, in poolCreateArgs) (poolWriteOut, error) {
				form := url.Values{"poolid": {string(in.PoolID)}}
				if in.Comment != "" {
					form.Set("comment", string(in.Comment))
				}
				what := "create pool " + string(in.PoolID)
				if err := c.PVE.Post(ctx, "/pools", form, nil); err != nil {
					return poolWriteOut{}, writeError(what, err, "pve_pools")
				}
				return poolWriteOut{Action: "create", PoolID: string(in.PoolID), Result: "ok"}, nil
			})),
		define(d, spec{name: "pve_pool_delete", title: "Delete pool", toolset: "pools", effect: Destructive,
			desc: "Delete an empty resource pool (Proxmox refuses one with members). Needs confirm: true."},
			handle(func(ctx context.Context, c *call, in poolDeleteArgs) (poolWriteOut, error) {
				id := string(in.PoolID)
				if err := c.confirm(in.Confirm, "delete resource pool "+id+" and the permissions granted on it"); err != nil {
					return poolWriteOut{}, err
				}
				path, q := "/pools", url.Values{"poolid": {id}}
				if !c.newPoolAPI(ctx) {
					path, q = pve.Path("pools", id), nil
				}
				what := "delete pool " + id
				if err := c.PVE.Delete(ctx, path, q, nil); err != nil {
					if strings.Contains(err.Error(), "is not empty") {
						return poolWriteOut{}, fmt.Errorf("%s: %w (remove its members first with pve_pool_members remove: true)", what, err)
					}
					return poolWriteOut{}, writeError(what, err, "pve_pools")
				}
				return poolWriteOut{Action: "delete", PoolID: id, Result: "ok"}, nil
			})),
		define(d, spec{name: "pve_pool_members", title: "Add or remove pool members", toolset: "pools", effect: Mutating,
			desc: "Add guests (vms) and storages to a pool, or with remove: true take them out; returns the members after."},
			handle(func(ctx context.Context, c *call, in poolMembersArgs) (poolMembersOut, error) {
				return c.poolMembers(ctx, in)
			})),
	}
}

func (c *call) poolMembers(ctx context.Context, in poolMembersArgs) (poolMembersOut, error) {
	id := string(in.PoolID)
	if len(in.VMs) == 0 && len(in.Storage) == 0 {
		return poolMembersOut{}, fmt.Errorf("invalid argument \"vms\": give the guests (vms) or storages (storage) to add or remove")
	}
	if in.AllowMove && in.Remove {
		return poolMembersOut{}, fmt.Errorf("invalid argument \"allowMove\": it moves guests into this pool; leave it out with remove: true")
	}
	if len(in.VMs)+len(in.Storage) > 100 {
		return poolMembersOut{}, fmt.Errorf("invalid argument \"vms\": at most 100 members per call, got %d", len(in.VMs)+len(in.Storage))
	}
	var vms, stores []string
	for i, v := range in.VMs {
		if err := c.vmid(fmt.Sprintf("vms[%d]", i), v); err != nil {
			return poolMembersOut{}, err
		}
		vms = append(vms, strconv.Itoa(int(v)))
	}
	for _, s := range in.Storage {
		stores = append(stores, string(s))
	}
	newAPI := c.newPoolAPI(ctx)
	if in.AllowMove && !newAPI {
		return poolMembersOut{}, fmt.Errorf("invalid argument \"allowMove\": PVE before 8.1 cannot move a guest between pools; remove it from its pool first")
	}
	form := url.Values{}
	if len(vms) > 0 {
		form.Set("vms", strings.Join(vms, ","))
	}
	if len(stores) > 0 {
		form.Set("storage", strings.Join(stores, ","))
	}
	if in.Remove {
		form.Set("delete", "1")
	}
	if in.AllowMove {
		form.Set("allow-move", "1")
	}
	path := pve.Path("pools", id)
	if newAPI {
		path = "/pools"
		form.Set("poolid", id)
	}
	action, what := "add", "add "+memberText(vms, stores)+" to pool "+id
	if in.Remove {
		action, what = "remove", "remove "+memberText(vms, stores)+" from pool "+id
	}
	if err := c.PVE.Put(ctx, path, form, nil); err != nil {
		if strings.Contains(err.Error(), "belongs already to pool") && newAPI {
			return poolMembersOut{}, fmt.Errorf("%s: %w (set allowMove: true to move it)", what, err)
		}
		return poolMembersOut{}, writeError(what, err, "pve_pools")
	}
	out := poolMembersOut{poolWriteOut: poolWriteOut{Action: action, PoolID: id, Result: "ok"}, Members: []poolMember{}}
	if p, err := c.readPool(ctx, id); err == nil {
		out.Members = p.Members
	} else {
		out.MembersError = err.Error() + "; pve_pools lists them"
	}
	return out, nil
}

func memberText(vms, stores []string) string {
	var parts []string
	if len(vms) > 0 {
		parts = append(parts, "guests "+strings.Join(vms, ", "))
	}
	if len(stores) > 0 {
		parts = append(parts, "storages "+strings.Join(stores, ", "))
	}
	return strings.Join(parts, " and ")
}

// newPoolAPI: /pools with poolid (PVE 8.1 and later). When the version
// cannot be read, the newer shape is assumed, as for the newest schema.
func (c *call) newPoolAPI(ctx context.Context) bool {
	v, err := c.PVE.Version(ctx)
	if err != nil {
		return true
	}
	major, minor, _, ok := pveschema.ParseVersion(v.Version)
	return !ok || major > 8 || major == 8 && minor >= 1
}

// readPool reads one pool with its members, keeping those the allowlists
// show: guests by PVE_VMID_ALLOWLIST and their node, storages by node.
func (c *call) readPool(ctx context.Context, id string) (poolOut, error) {
	var info struct {
		PoolID  string            `json:"poolid"`
		Comment string            `json:"comment"`
		Members []json.RawMessage `json:"members"`
	}
	var err error
	if c.newPoolAPI(ctx) {
		var list []json.RawMessage
		err = c.PVE.Get(ctx, "/pools", url.Values{"poolid": {id}}, &list)
		if err == nil && len(list) == 1 {
			err = json.Unmarshal(list[0], &info)
		} else if err == nil {
			err = fmt.Errorf("the answer lists %d pools for poolid %s, not one", len(list), id)
		}
	} else {
		err = c.PVE.Get(ctx, pve.Path("pools", id), nil, &info)
	}
	if err != nil {
		return poolOut{}, fmt.Errorf("read pool %s: %w", id, err)
	}
	out := poolOut{PoolID: id, Comment: info.Comment, Members: []poolMember{}}
	for _, raw := range info.Members {
		var m struct {
			poolMember
			VMID pve.Int `json:"vmid"`
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return poolOut{}, fmt.Errorf("read pool %s: member %s: %w", id, compact(raw), err)
		}
		m.poolMember.VMID = int(m.VMID)
		if m.Node != "" && !c.allow.NodeAllowed(m.Node) || m.Type != "storage" && !c.allow.VMIDAllowed(m.poolMember.VMID) {
			continue
		}
		out.Members = append(out.Members, m.poolMember)
	}
	return out, nil
}
