package tools

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// SDN and Ceph reads of issue 15.

type sdnZonesArgs struct {
	Type    string `json:"type,omitempty" enum:"simple,vlan,qinq,vxlan,evpn,faucet" jsonschema:"only zones of this type"`
	Pending bool   `json:"pending,omitempty" jsonschema:"show changes not applied yet (state: new, changed, deleted)"`
}

type sdnVnetsArgs struct {
	Zone    SDNID `json:"zone,omitempty" jsonschema:"only vnets of this zone"`
	Pending bool  `json:"pending,omitempty" jsonschema:"show changes not applied yet (state: new, changed, deleted)"`
}

type sdnSubnetsArgs struct {
	Vnet    SDNID `json:"vnet,omitempty" jsonschema:"only subnets of this vnet (default: all vnets)"`
	Pending bool  `json:"pending,omitempty" jsonschema:"show changes not applied yet (state: new, changed, deleted)"`
}

type cephArgs struct {
	Node NodeName `json:"node,omitempty" jsonschema:"node to ask (default: the first online node)"`
}

func sdnCephTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_sdn_zones", title: "SDN zones", toolset: "sdn",
			desc:   "SDN zones of the cluster: type, bridge, nodes, MTU, IPAM.",
			output: listSchema("zones as GET /cluster/sdn/zones returns them", "zone: id", "type: simple, vlan, vxlan, evpn...", "state: with pending, new, changed or deleted")},
			handle(func(ctx context.Context, c *call, in sdnZonesArgs) (listOut, error) {
				q := pendingQuery(in.Pending)
				if in.Type != "" {
					q.Set("type", in.Type)
				}
				return c.list(ctx, "list SDN zones", "/cluster/sdn/zones", q, func(entry) bool { return true })
			})),
		define(d, spec{name: "pve_sdn_vnets", title: "SDN vnets", toolset: "sdn",
			desc:   "SDN vnets (virtual networks guests attach to like bridges): zone, tag, alias.",
			output: listSchema("vnets as GET /cluster/sdn/vnets returns them", "vnet: id", "zone: its zone", "tag: VLAN or VXLAN id", "state: with pending, new, changed or deleted")},
			handle(func(ctx context.Context, c *call, in sdnVnetsArgs) (listOut, error) {
				out, err := c.list(ctx, "list SDN vnets", "/cluster/sdn/vnets", pendingQuery(in.Pending), func(entry) bool { return true })
				if err != nil || in.Zone == "" {
					return out, err
				}
				return keepField(out, "zone", string(in.Zone)), nil
			})),
		define(d, spec{name: "pve_sdn_subnets", title: "SDN subnets", toolset: "sdn",
			desc:   "SDN subnets of a vnet, or of every vnet: CIDR, gateway, SNAT, DHCP ranges.",
			output: listSchema("subnets as GET /cluster/sdn/vnets/{vnet}/subnets returns them", "subnet: id", "vnet: its vnet", "cidr: network", "gateway: gateway", "snat: 1 for SNAT")},
			handle(func(ctx context.Context, c *call, in sdnSubnetsArgs) (listOut, error) {
				return c.sdnSubnets(ctx, in)
			})),
		define(d, spec{name: "pve_ceph_status", title: "Ceph status", toolset: "ceph",
			desc: "Ceph health with its warnings, monitors in quorum, OSDs (up, in, usage) and pools, when Ceph is installed."},
			handle(func(ctx context.Context, c *call, in cephArgs) (cephOut, error) {
				return c.cephStatus(ctx, in.Node)
			})),
	}
}

func pendingQuery(pending bool) url.Values {
	q := url.Values{}
	if pending {
		q.Set("pending", pve.Bool(true))
	}
	return q
}

// keepField keeps the items whose field key is val.
func keepField(l listOut, key, val string) listOut {
	out := listOut{Items: []json.RawMessage{}}
	for _, it := range l.Items {
		var m map[string]any
		if json.Unmarshal(it, &m) == nil && m[key] == val {
			out.Items = append(out.Items, it)
		}
	}
	return out
}

func (c *call) sdnSubnets(ctx context.Context, in sdnSubnetsArgs) (listOut, error) {
	q := pendingQuery(in.Pending)
	vnets := []string{string(in.Vnet)}
	if in.Vnet == "" {
		all, err := c.list(ctx, "list SDN vnets", "/cluster/sdn/vnets", q, func(entry) bool { return true })
		if err != nil {
			return listOut{}, err
		}
		vnets = vnets[:0]
		for _, it := range all.Items {
			var v struct {
				Vnet string `json:"vnet"`
			}
			if json.Unmarshal(it, &v) == nil && v.Vnet != "" {
				vnets = append(vnets, v.Vnet)
			}
		}
	}
	out := listOut{Items: []json.RawMessage{}}
	for _, v := range vnets {
		l, err := c.list(ctx, "list subnets of SDN vnet "+v, pve.Path("cluster", "sdn", "vnets", v, "subnets"), q, func(entry) bool { return true })
		if err != nil {
			return listOut{}, err
		}
		out.Items = append(out.Items, l.Items...)
	}
	return out, nil
}
