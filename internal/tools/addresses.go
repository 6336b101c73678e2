package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type addressArgs struct {
	Node     NodeName `json:"node"`
	VMID     VMID     `json:"vmid"`
	Loopback bool     `json:"loopback,omitempty" jsonschema:"include loopback interfaces"`
}

// addressesOut is a guest's addresses and where they were learnt.
type addressesOut struct {
	Node       string      `json:"node"`
	VMID       int         `json:"vmid"`
	Source     string      `json:"source" jsonschema:"agent, interfaces (the running container) or config"`
	Why        string      `json:"why,omitempty" jsonschema:"why the live source was not used"`
	Interfaces []ifaceAddr `json:"interfaces"`
}

type ifaceAddr struct {
	Name    string   `json:"name"`
	MAC     string   `json:"mac,omitempty"`
	IPv4    []string `json:"ipv4,omitempty" jsonschema:"address/prefix"`
	IPv6    []string `json:"ipv6,omitempty"`
	Bridge  string   `json:"bridge,omitempty"`
	Config  string   `json:"config,omitempty" jsonschema:"the configured setting (config source), e.g. ip=dhcp"`
	Gateway string   `json:"gateway,omitempty"`
}

func vmAddresses(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_ip_addresses", title: "VM IP addresses", toolset: "qemu", effect: ReadOnly,
		desc: "A VM's IP addresses per interface, from the guest agent; without it, what the config sets (cloud-init ipconfigN, MACs)."},
		handle(func(ctx context.Context, c *call, in addressArgs) (addressesOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return addressesOut{}, err
			}
			out := addressesOut{Node: string(in.Node), VMID: int(in.VMID), Source: "agent", Interfaces: []ifaceAddr{}}
			var r struct {
				Result []struct {
					Name  string `json:"name"`
					MAC   string `json:"hardware-address"`
					Addrs []struct {
						Type   string  `json:"ip-address-type"`
						Addr   string  `json:"ip-address"`
						Prefix pve.Int `json:"prefix"`
					} `json:"ip-addresses"`
				} `json:"result"`
			}
			err := c.PVE.Get(ctx, qemuKind.path(in.Node, in.VMID, "agent", "network-get-interfaces"), nil, &r)
			if err == nil {
				for _, i := range r.Result {
					e := ifaceAddr{Name: i.Name, MAC: i.MAC}
					for _, a := range i.Addrs {
						e.add(a.Type == "ipv6", a.Addr+"/"+strconv.Itoa(int(a.Prefix)))
					}
					if in.Loopback || !e.loopback() {
						out.Interfaces = append(out.Interfaces, e)
					}
				}
				return out, nil
			}
			if errors.Is(err, errRefused) {
				return out, err
			}
			out.Source, out.Why = "config", "the guest agent did not answer: "+c.agentError(ctx, in.Node, in.VMID, err)
			return out, c.configAddresses(ctx, qemuKind, in.Node, in.VMID, &out)
		}))
}

func lxcAddresses(d *Deps) Tool {
	return define(d, spec{name: "pve_lxc_ip_addresses", title: "Container IP addresses", toolset: "lxc", effect: ReadOnly,
		desc: "A container's IP addresses per interface, as it holds them while running; else what its config sets."},
		handle(func(ctx context.Context, c *call, in addressArgs) (addressesOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return addressesOut{}, err
			}
			out := addressesOut{Node: string(in.Node), VMID: int(in.VMID), Source: "interfaces", Interfaces: []ifaceAddr{}}
			path := lxcKind.path(in.Node, in.VMID, "interfaces")
			if !c.PVE.HasEndpoint(ctx, "GET", path) {
				out.Source, out.Why = "config", "this Proxmox release has no container interfaces call (it came with PVE 8)"
				return out, c.configAddresses(ctx, lxcKind, in.Node, in.VMID, &out)
			}
			var raw json.RawMessage
			if err := c.PVE.Get(ctx, path, nil, &raw); err != nil {
				var api *pve.APIError
				if !errors.As(err, &api) || api.Status != 501 {
					return out, err
				}
				out.Source, out.Why = "config", "this Proxmox release has no container interfaces call: "+agentReason(err)
				return out, c.configAddresses(ctx, lxcKind, in.Node, in.VMID, &out)
			}
			var list []struct {
				Name  string `json:"name"`
				MAC   string `json:"hwaddr"`
				Inet  string `json:"inet"`
				Inet6 string `json:"inet6"`
				Addrs []struct {
					Type   string  `json:"ip-address-type"`
					Addr   string  `json:"ip-address"`
					Prefix pve.Int `json:"prefix"`
				} `json:"ip-addresses"`
			}
			if t := strings.TrimSpace(string(raw)); t == "" || t == "null" {
				out.Source, out.Why = "config", "the container is not running, so it holds no addresses; start it with pve_lxc_start"
				return out, c.configAddresses(ctx, lxcKind, in.Node, in.VMID, &out)
			}
			if err := json.Unmarshal(raw, &list); err != nil {
				return out, fmt.Errorf("read the interfaces of CT %d: %w", in.VMID, err)
			}
			for _, i := range list {
				e := ifaceAddr{Name: i.Name, MAC: i.MAC}
				for _, a := range i.Addrs {
					e.add(a.Type == "inet6" || a.Type == "ipv6", a.Addr+"/"+strconv.Itoa(int(a.Prefix)))
				}
				if len(i.Addrs) == 0 { // releases before ip-addresses: one of each family
					e.add(false, i.Inet)
					e.add(true, i.Inet6)
				}
				if in.Loopback || !e.loopback() {
					out.Interfaces = append(out.Interfaces, e)
				}
			}
			return out, nil
		}))
}

func (e *ifaceAddr) add(v6 bool, cidr string) {
	switch {
	case cidr == "" || strings.HasPrefix(cidr, "/"):
	case v6:
		e.IPv6 = append(e.IPv6, cidr)
	default:
		e.IPv4 = append(e.IPv4, cidr)
	}
}

// loopback: lo (Windows: "Loopback Pseudo-Interface 1"), or only loopback addresses.
func (e ifaceAddr) loopback() bool {
	if e.Name == "lo" || strings.HasPrefix(e.Name, "Loopback") {
		return true
	}
	all := append(append([]string{}, e.IPv4...), e.IPv6...)
	for _, a := range all {
		p, err := netip.ParsePrefix(a)
		if err != nil || !p.Addr().IsLoopback() {
			return false
		}
	}
	return len(all) > 0
}

// configAddresses lists the guest's NICs as its config sets them: a VM's
// netN (MAC, bridge) with cloud-init's ipconfigN, a container's netN with
// ip=, ip6= and gw=. DHCP addresses are known only inside the guest.
func (c *call) configAddresses(ctx context.Context, k guestKind, node NodeName, vmid VMID, out *addressesOut) error {
	conf, err := c.configStrings(ctx, k.path(node, vmid, "config"))
	if err != nil {
		return fmt.Errorf("%s; and its config could not be read: %w", out.Why, err)
	}
	if conf["template"] == "1" {
		// A template never runs: "start it" would be refused.
		out.Why = fmt.Sprintf("%s %d is a template, and templates never run, so it holds no addresses; clone it (pve_%s_clone) and start the clone",
			k.noun, vmid, k.tool)
	}
	for i := 0; i < 32; i++ {
		n := strconv.Itoa(i)
		netv, ok := conf["net"+n]
		if !ok {
			continue
		}
		nic := propMap(netv)
		e := ifaceAddr{Name: "net" + n, Bridge: nic["bridge"]}
		ipc := nic // a container's addresses are in its netN
		if k.api == "qemu" {
			for _, model := range []string{"virtio", "e1000", "e1000e", "rtl8139", "vmxnet3", "ne2k_pci", "pcnet", "i82551", "i82557b", "i82559er", "ne2k_isa"} {
				if mac, ok := nic[model]; ok {
					e.MAC = strings.ToLower(mac)
				}
			}
			ipc = propMap(conf["ipconfig"+n])
			e.Config = conf["ipconfig"+n]
		} else {
			e.Name, e.MAC = nic["name"], strings.ToLower(nic["hwaddr"])
			e.Config = settings(nic, "ip", "ip6", "gw", "gw6")
		}
		if ip := ipc["ip"]; strings.Contains(ip, "/") {
			e.add(false, ip)
		}
		if ip := ipc["ip6"]; strings.Contains(ip, "/") {
			e.add(true, ip)
		}
		e.Gateway = ipc["gw"]
		out.Interfaces = append(out.Interfaces, e)
	}
	return nil
}

// propMap reads a property string (key=value,...), the first bare value under "".
func propMap(s string) map[string]string {
	m := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(part, "="); ok {
			m[k] = v
		} else if part != "" {
			m[""] = part
		}
	}
	return m
}

func settings(m map[string]string, keys ...string) string {
	var parts []string
	for _, k := range keys {
		if v, ok := m[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, ",")
}
