package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type networkListArgs struct {
	Node NodeName `json:"node"`
	Type string   `json:"type,omitempty" enum:"bridge,bond,eth,vlan,alias,any_bridge" jsonschema:"only this interface type"`
}

type bridgeArgs struct {
	Node        NodeName    `json:"node"`
	Iface       NewBridge   `json:"iface" jsonschema:"bridge name: vmbr and digits"`
	Autostart   bool        `json:"autostart,omitempty" default:"true" jsonschema:"bring up at boot"`
	BridgePorts BridgePorts `json:"bridgePorts,omitempty" jsonschema:"ports, space-separated, e.g. eno1"`
	CIDR        IPv4CIDR    `json:"cidr,omitempty" jsonschema:"IPv4 address with prefix"`
	Gateway     IPv4        `json:"gateway,omitempty" jsonschema:"IPv4 gateway"`
	VLANAware   bool        `json:"vlanAware,omitempty" jsonschema:"VLAN-aware bridge"`
	Comments    OneLine     `json:"comments,omitempty" maxLength:"4096" jsonschema:"comment"`
}

type applyArgs struct {
	Node    NodeName `json:"node"`
	Confirm bool     `json:"confirm,omitempty"`
}

type ifaceOut struct {
	Action string          `json:"action"`
	Node   string          `json:"node"`
	Iface  string          `json:"iface"`
	Result json.RawMessage `json:"result"`
}

func networkTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_list_network", title: "List network", toolset: "network",
			desc: "Network interfaces of a node, including staged ones not yet applied.", output: withChanges(listSchema("GET /nodes/{node}/network entries", "iface: name", "type: bridge, bond, eth, vlan...", "active: 1 when up", "cidr: address", "gateway: gateway", "bridge_ports: ports"))},
			handle(func(ctx context.Context, c *call, in networkListArgs) (networkOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return networkOut{}, err
				}
				q := url.Values{}
				if in.Type != "" {
					q.Set("type", in.Type)
				}
				var env networkEnvelope
				if err := c.PVE.Get(ctx, pve.Path("nodes", string(in.Node), "network"), q, &env); err != nil {
					return networkOut{}, fmt.Errorf("list network of %s: %w", in.Node, err)
				}
				items, err := filter(env.Data, func(entry) bool { return true })
				if err != nil {
					return networkOut{}, fmt.Errorf("list network of %s: %w", in.Node, err)
				}
				return networkOut{Items: items, Changes: env.Changes}, nil
			})),
		define(d, spec{name: "pve_create_bridge", title: "Create bridge", toolset: "network", effect: Mutating,
			desc: "Stage a new Linux bridge on a node; it takes effect after pve_apply_network."},
			handle(func(ctx context.Context, c *call, in bridgeArgs) (ifaceOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return ifaceOut{}, err
				}
				form := url.Values{"type": {"bridge"}, "iface": {string(in.Iface)}, "autostart": {pve.Bool(in.Autostart)},
					"bridge_vlan_aware": {pve.Bool(in.VLANAware)}}
				for k, v := range map[string]string{"bridge_ports": string(in.BridgePorts), "cidr": string(in.CIDR), "gateway": string(in.Gateway), "comments": string(in.Comments)} {
					if v != "" {
						form.Set(k, v)
					}
				}
				var raw json.RawMessage
				if err := c.PVE.Post(ctx, pve.Path("nodes", string(in.Node), "network"), form, &raw); err != nil {
					return ifaceOut{}, writeError(fmt.Sprintf("create bridge %s on %s", in.Iface, in.Node), err, "pve_list_network for "+string(in.Node))
				}
				return ifaceOut{Action: "create_bridge", Node: string(in.Node), Iface: string(in.Iface), Result: okResult(raw)}, nil
			})),
		define(d, spec{name: "pve_apply_network", title: "Apply network changes", toolset: "network", effect: Destructive, idempotent: true,
			desc: "Apply a node's pending network changes; a mistake can cut it off. Needs confirm: true."},
			handle(func(ctx context.Context, c *call, in applyArgs) (taskOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return taskOut{}, err
				}
				if err := c.confirm(in.Confirm, "reload the network of node "+string(in.Node)+" with its pending changes (a mistake can cut the node off)"); err != nil {
					return taskOut{}, err
				}
				out := taskOut{Action: "apply_network", Node: string(in.Node)}
				what := "apply network changes on " + string(in.Node)
				var upid string
				path, sent := pve.Path("nodes", string(in.Node), "network"), time.Now()
				if err := c.PVE.Put(ctx, path, nil, &upid); err != nil {
					err = c.afterUnsure(ctx, what, http.MethodPut, path, sent, err, "", &out)
					return out, err
				}
				return out, c.wait(ctx, what, upid, &out)
			})),
	}
}

// networkEnvelope reads the interfaces and the diff of staged changes that
// Proxmox sends beside them.
type networkEnvelope struct {
	Data    []json.RawMessage `json:"data"`
	Changes string            `json:"changes"`
}

func (e *networkEnvelope) ReadEnvelope(raw []byte) error {
	type plain networkEnvelope
	return json.Unmarshal(raw, (*plain)(e))
}

// networkOut is the interface list (the text, as the reference returns it)
// plus the staged changes as a diff in the structured content.
type networkOut struct {
	Items   []json.RawMessage `json:"items"`
	Changes string            `json:"changes,omitempty" jsonschema:"diff of staged changes that pve_apply_network would apply"`
}

func (n networkOut) text() any { return n.Items }

func withChanges(s *jsonschema.Schema) *jsonschema.Schema {
	s.Properties["changes"] = &jsonschema.Schema{Type: "string", Description: "diff of staged changes that pve_apply_network would apply"}
	return s
}
