package pvesim

import (
	"strconv"
	"strings"
)

// agentInterfaces answers the guest agent's network-get-interfaces.
func (s *Sim) agentInterfaces(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if parsePropString(g.conf["agent"], "enabled").get("enabled") != "1" {
		return nil, failf("No QEMU guest agent configured")
	}
	if !g.running {
		return nil, failf("VM %d is not running", g.vmid)
	}
	mac := strings.ToLower(macOf(g.conf["net0"]))
	ip := "10.10." + strconv.Itoa(g.vmid/250%250) + "." + strconv.Itoa(g.vmid%250+2)
	return map[string]any{"result": []map[string]any{
		{"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": []map[string]any{
			{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8},
			{"ip-address-type": "ipv6", "ip-address": "::1", "prefix": 128}}},
		{"name": "eth0", "hardware-address": mac, "ip-addresses": []map[string]any{
			{"ip-address-type": "ipv4", "ip-address": ip, "prefix": 24}}},
	}}, nil
}

func (s *Sim) lxcInterfaces(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if !g.running {
		return nil, failf("CT %d not running", g.vmid)
	}
	out := []map[string]any{{"name": "lo", "hwaddr": "00:00:00:00:00:00", "inet": "127.0.0.1/8", "inet6": "::1/128"}}
	for _, k := range sortedKeys(g.conf) {
		if !isIndexed(k, "net") {
			continue
		}
		p := parsePropString(g.conf[k], "")
		e := map[string]any{"name": p.get("name"), "hwaddr": strings.ToLower(p.get("hwaddr"))}
		if ip := p.get("ip"); ip != "" && ip != "dhcp" && ip != "manual" {
			e["inet"] = ip
		} else {
			e["inet"] = "10.20." + strconv.Itoa(g.vmid/250%250) + "." + strconv.Itoa(g.vmid%250+2) + "/24"
		}
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
