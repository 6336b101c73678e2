package pvesim

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// guestNIC is one network device as the guest sees it: the name the guest
// gives it, its MAC and the addresses it holds, derived from the config
// (static addresses) and the bridge's subnet on the node (DHCP leases), so
// every view of a guest's network (agent, `ip a`, the container's
// interfaces) agrees.
type guestNIC struct {
	name string
	mac  string // lower case
	ipv4 string // CIDR, "" when none
	ipv6 []string
	down bool
}

// lxcNIC is a container's NIC as its config names it.
func lxcNIC(g *guest, k string, _, _ int, _ bool) (*propString, guestNIC, string, string) {
	p := parsePropString(g.conf[k], "")
	nic := guestNIC{name: p.get("name"), mac: strings.ToLower(p.get("hwaddr"))}
	return p, nic, p.get("ip"), p.get("ip6")
}

// qemuNIC is a VM's NIC as the guest sees it: net0 sits in PCI slot 18
// (0x12), ens18 in a systemd guest, "Ethernet" on Windows; its addresses
// are cloud-init's ipconfigN, else DHCP.
func qemuNIC(g *guest, k string, n, idx int, win bool) (*propString, guestNIC, string, string) {
	p := parsePropString(g.conf[k], "model")
	nic := guestNIC{mac: strings.ToLower(macOf(g.conf[k])), name: "ens" + strconv.Itoa(18+n)}
	if win {
		nic.name = "Ethernet"
		if idx > 0 {
			nic.name = "Ethernet " + strconv.Itoa(idx+1)
		}
	}
	ipc := parsePropString(g.conf["ipconfig"+strconv.Itoa(n)], "")
	ip4, ip6 := ipc.get("ip"), ipc.get("ip6")
	if ip4 == "" {
		ip4 = "dhcp"
	}
	return p, nic, ip4, ip6
}

// nics lists the guest's network devices in config order.
func (st *state) nics(g *guest, win bool) []guestNIC {
	var out []guestNIC
	idx := 0
	for _, k := range sortedIndexed(g.conf, "net") {
		n, _ := strconv.Atoi(strings.TrimPrefix(k, "net"))
		p, nic, ip4, ip6 := byKind(g.kind, qemuNIC, lxcNIC)(g, k, n, idx, win)
		nic.down = p.get("link_down") == "1"
		switch ip4 {
		case "dhcp":
			nic.ipv4 = st.lease(g, p, n)
		case "", "manual":
		default:
			nic.ipv4 = ip4
		}
		if ip6 != "" && ip6 != "dhcp" && ip6 != "auto" && ip6 != "manual" {
			nic.ipv6 = append(nic.ipv6, ip6)
		}
		if ll := linkLocal(nic.mac); ll != "" {
			nic.ipv6 = append(nic.ipv6, ll)
		}
		if nic.down {
			nic.ipv4, nic.ipv6 = "", nil
		}
		out = append(out, nic)
		idx++
	}
	return out
}

// sortedIndexed lists the keys prefix0, prefix1, ... of a config in index order.
func sortedIndexed(conf map[string]string, prefix string) []string {
	var out []string
	for i := 0; i < 32; i++ {
		if _, ok := conf[prefix+strconv.Itoa(i)]; ok {
			out = append(out, prefix+strconv.Itoa(i))
		}
	}
	return out
}

// lease is the DHCP address a guest gets on the network of its bridge: the
// bridge's IPv4 subnet on the node (a VLAN tag: 10.<tag>.0.0/24), from a
// pool at .100-.249; a bridge without an address gives none.
func (st *state) lease(g *guest, p *propString, n int) string {
	host := 100 + (g.vmid+n*50)%150
	if tag, err := strconv.Atoi(p.get("tag")); err == nil && tag > 0 {
		return fmt.Sprintf("10.%d.0.%d/24", tag%256, host)
	}
	nd := st.node(g.node)
	if nd == nil || nd.net == nil {
		return ""
	}
	br := nd.net.active(p.get("bridge"))
	if br == nil || br.opts["cidr"] == "" {
		return ""
	}
	pfx, err := netip.ParsePrefix(br.opts["cidr"])
	if err != nil || !pfx.Addr().Is4() || pfx.Bits() > 24 {
		return ""
	}
	a := pfx.Masked().Addr().As4()
	a[3] = byte(host)
	return netip.AddrFrom4(a).String() + "/" + strconv.Itoa(pfx.Bits())
}

// gateway is the default gateway of the guest: a configured one (cloud-init
// or the container's net0), else the router of the first bridge.
func (st *state) gateway(g *guest) string {
	if gw := parsePropString(g.conf[g.kind.gatewayKey()], "").get("gw"); gw != "" {
		return gw
	}
	nd := st.node(g.node)
	if nd == nil || nd.net == nil {
		return ""
	}
	for _, k := range sortedIndexed(g.conf, "net") {
		br := nd.net.active(parsePropString(g.conf[k], "").get("bridge"))
		if br != nil && br.opts["gateway"] != "" {
			return br.opts["gateway"]
		}
	}
	return ""
}

// linkLocal is the EUI-64 IPv6 link-local address of a MAC, with its prefix.
func linkLocal(mac string) string {
	var b [6]byte
	parts := strings.Split(mac, ":")
	if len(parts) != 6 {
		return ""
	}
	for i, h := range parts {
		v, err := strconv.ParseUint(h, 16, 8)
		if err != nil {
			return ""
		}
		b[i] = byte(v)
	}
	var a [16]byte
	a[0], a[1] = 0xfe, 0x80
	a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15] = b[0]^2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]
	return netip.AddrFrom16(a).String() + "/64"
}

// splitCIDR splits "192.168.1.5/24" into address and prefix length.
func splitCIDR(cidr string) (string, int) {
	a, bits, _ := strings.Cut(cidr, "/")
	n, _ := strconv.Atoi(bits)
	return a, n
}

// agentInterfaces answers the guest agent's network-get-interfaces: the
// qemu-ga reply, loopback first, with the traffic counters the node sees
// on the first NIC.
func (s *Sim) agentIfaces(c *call, os *guestOS) []map[string]any {
	g := os.g
	up := g.uptime(c.now)
	rate := int64(2000 + g.vmid%5000)
	loName := "lo"
	if os.win {
		loName = "Loopback Pseudo-Interface 1"
	}
	lo := map[string]any{"name": loName, "ip-addresses": []map[string]any{
		{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8},
		{"ip-address-type": "ipv6", "ip-address": "::1", "prefix": 128}},
		"statistics": ifStats(up*60, up*60)}
	if !os.win {
		lo["hardware-address"] = "00:00:00:00:00:00"
	}
	out := []map[string]any{lo}
	for i, n := range c.st.nics(g, os.win) {
		e := map[string]any{"name": n.name, "hardware-address": n.mac}
		var addrs []map[string]any
		if n.ipv4 != "" {
			a, bits := splitCIDR(n.ipv4)
			addrs = append(addrs, map[string]any{"ip-address-type": "ipv4", "ip-address": a, "prefix": bits})
		}
		for _, v6 := range n.ipv6 {
			a, bits := splitCIDR(v6)
			e6 := map[string]any{"ip-address-type": "ipv6", "ip-address": a, "prefix": bits}
			if os.win {
				// Windows lists its link-local address first
				addrs = append([]map[string]any{e6}, addrs...)
			} else {
				addrs = append(addrs, e6)
			}
		}
		if len(addrs) > 0 {
			e["ip-addresses"] = addrs
		}
		rx, tx := int64(0), int64(0)
		if i == 0 {
			rx, tx = up*rate, up*rate/3
		}
		e["statistics"] = ifStats(rx, tx)
		out = append(out, e)
	}
	return out
}

func ifStats(rx, tx int64) map[string]any {
	return map[string]any{"rx-bytes": rx, "rx-packets": rx / 900, "rx-errs": 0, "rx-dropped": 0,
		"tx-bytes": tx, "tx-packets": tx / 700, "tx-errs": 0, "tx-dropped": 0}
}

// lxcInterfaces is GET /nodes/{node}/lxc/{vmid}/interfaces: `ip --json a`
// inside the container, as pve-container reshapes it. A stopped container
// has no network namespace to enter, and the answer is null.
func (s *Sim) lxcInterfaces(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if !g.running {
		return nil, nil
	}
	lo := guestNIC{name: "lo", mac: "00:00:00:00:00:00", ipv4: "127.0.0.1/8", ipv6: []string{"::1/128"}}
	out := []map[string]any{}
	for _, n := range append([]guestNIC{lo}, c.st.nics(g, false)...) {
		e := map[string]any{"name": n.name, "hwaddr": n.mac, "hardware-address": n.mac}
		addrs := []map[string]any{}
		add := func(family, cidr string) {
			a, bits := splitCIDR(cidr)
			// the deprecated inet/inet6 keys keep the family's last address
			e[family] = cidr
			addrs = append(addrs, map[string]any{"ip-address-type": family, "ip-address": a, "prefix": bits})
		}
		if n.ipv4 != "" {
			add("inet", n.ipv4)
		}
		for _, v6 := range n.ipv6 {
			add("inet6", v6)
		}
		e["ip-addresses"] = addrs
		out = append(out, e)
	}
	return out, nil
}

func macOf(net string) string {
	p := parsePropString(net, "model")
	for _, k := range p.keys {
		if netModels[k] && k != "model" {
			return p.get(k)
		}
	}
	return p.get("macaddr")
}
