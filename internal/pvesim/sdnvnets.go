package pvesim

import (
	"fmt"
	"net/netip"
	"strings"
)

var sdnVnetOptions = map[string]bool{"zone": true, "tag": false, "alias": false, "vlanaware": false, "isolate-ports": false}

var sdnSubnetOptions = map[string]bool{"vnet": false, "gateway": false, "snat": false, "dnszoneprefix": false,
	"dhcp-range": false, "dhcp-dns-server": false}

// sdnSubnetZone is the zone part of a subnet id ("lab-10.0.20.0-24").
func sdnSubnetZone(id string) string { z, _, _ := strings.Cut(id, "-"); return z }

func (s *Sim) sdnVnetRoutes() []route {
	v := "/cluster/sdn/vnets/{vnet}"
	return []route{
		{method: "GET", tmpl: "/cluster/sdn/vnets", h: s.sdnListVnets},
		{method: "POST", tmpl: "/cluster/sdn/vnets", h: s.sdnCreateVnet},
		{method: "GET", tmpl: v, h: s.sdnGetVnet},
		{method: "PUT", tmpl: v, h: s.sdnUpdateVnet},
		{method: "DELETE", tmpl: v, h: s.sdnDeleteVnet},
		{method: "GET", tmpl: v + "/subnets", h: s.sdnListSubnets},
		{method: "POST", tmpl: v + "/subnets", h: s.sdnCreateSubnet},
		{method: "GET", tmpl: v + "/subnets/{subnet}", h: s.sdnGetSubnet},
		{method: "PUT", tmpl: v + "/subnets/{subnet}", h: s.sdnUpdateSubnet},
		{method: "DELETE", tmpl: v + "/subnets/{subnet}", h: s.sdnDeleteSubnet},
	}
}

// sdnVnetAccess is check_vnet_access: the vnet must exist and the caller
// needs one of privs on /sdn/zones/<zone>/<vnet>.
func (s *Sim) sdnVnetAccess(c *call, vnet string, privs ...string) error {
	cfg := c.st.sdn().cfg["vnets"][vnet]
	if cfg == nil {
		return failf("sdn vnet '%s' does not exist", vnet)
	}
	path := "/sdn/zones/" + cfg["zone"] + "/" + vnet
	for _, p := range privs {
		if s.has(c.authid, path, p) {
			return nil
		}
	}
	return permError(path, privs...)
}

func (s *Sim) sdnListVnets(c *call) (any, error) {
	view, digest := c.sdnView("vnets")
	out := []map[string]any{}
	for _, id := range sortedKeys(view) {
		e := view[id]
		zone, _ := e["zone"].(string)
		if zone == "" {
			if p, ok := e["pending"].(map[string]any); ok {
				zone, _ = p["zone"].(string)
			}
		}
		p := "/sdn/zones/" + zone + "/" + id
		if !s.has(c.authid, p, "SDN.Audit") && !s.has(c.authid, p, "SDN.Allocate") {
			continue
		}
		e["vnet"] = id
		if digest != "" {
			e["digest"] = digest
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Sim) sdnGetVnet(c *call) (any, error) {
	id := c.params["vnet"]
	if err := s.sdnVnetAccess(c, id, "SDN.Audit", "SDN.Allocate"); err != nil {
		return nil, err
	}
	view, digest := c.sdnView("vnets")
	e := view[id]
	if e == nil {
		return nil, failf("sdn vnet '%s' does not exist", id)
	}
	e["vnet"] = id
	if digest != "" {
		e["digest"] = digest
	}
	return e, nil
}

// sdnVnetZoneHook is the zone plugin's vnet_update_hook: tag rules per
// zone type. An unknown zone fails the plugin lookup.
func (c *call) sdnVnetZoneHook(id string, vn map[string]string) error {
	cfg := c.st.sdn().cfg
	zone := cfg["zones"][vn["zone"]]
	if zone == nil {
		return failf("unknown section type ''")
	}
	tag, hasTag := vn["tag"]
	n := atoiDefault(tag, 0)
	others := func(check func(oid string, o map[string]string) error) error {
		for _, oid := range sortedKeys(cfg["vnets"]) {
			if oid != id {
				if err := check(oid, cfg["vnets"][oid]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	switch zone["type"] {
	case "simple":
		if hasTag {
			return paramErr("tag", "vlan tag is not allowed on simple zone")
		}
	case "vlan":
		if !hasTag {
			return paramErr("tag", "missing vlan tag")
		}
		if n > 4096 {
			return paramErr("tag", "vlan tag max value is 4096")
		}
		return others(func(oid string, o map[string]string) error {
			if o["zone"] == vn["zone"] && o["tag"] == tag {
				return paramErr("tag", fmt.Sprintf("tag %s already exist in vnet %s", tag, oid))
			}
			return nil
		})
	case "qinq":
		if n > 4096 {
			return paramErr("tag", "VLAN tag maximal value is 4096")
		}
	case "vxlan", "evpn":
		if !hasTag {
			return paramErr("tag", "missing vxlan tag")
		}
		if n > 16777216 {
			return paramErr("tag", "vxlan tag max value is 16777216")
		}
		if zone["type"] == "evpn" && vn["vlanaware"] == "1" {
			return paramErr("vlan-aware", "vlan-aware option can't be enabled with evpn")
		}
		return others(func(oid string, o map[string]string) error {
			ot := cfg["zones"][o["zone"]]["type"]
			if (ot == "vxlan" || ot == "evpn") && o["tag"] == tag {
				return paramErr("tag", fmt.Sprintf("vxlan tag %s already exist in vnet %s in zone %s ", tag, oid, o["zone"]))
			}
			return nil
		})
	}
	return nil
}

func (c *call) sdnVnetSubnets(id string) bool {
	for _, sub := range c.st.sdn().cfg["subnets"] {
		if sub["vnet"] == id {
			return true
		}
	}
	return false
}

func (s *Sim) sdnCreateVnet(c *call) (any, error) {
	id := c.params["vnet"]
	if err := sdnCheckID("vnet", id); err != nil {
		return nil, err
	}
	const what = "create sdn vnet object failed"
	opts, err := c.sdnCheckConfig(sdnVnetOptions, true, "vnet")
	if err != nil {
		return nil, sdnLockFail(what, err)
	}
	vnets := c.st.sdn().cfg["vnets"]
	if vnets[id] != nil {
		return nil, sdnLockFail(what, failf("sdn vnet object ID '%s' already defined", id))
	}
	opts["type"] = "vnet"
	if err := c.sdnVnetZoneHook(id, opts); err != nil {
		return nil, sdnLockFail(what, err)
	}
	vnets[id] = opts
	return nil, nil
}

func (s *Sim) sdnUpdateVnet(c *call) (any, error) {
	id := c.params["vnet"]
	if err := s.sdnVnetAccess(c, id, "SDN.Allocate"); err != nil {
		return nil, err
	}
	const what = "update sdn vnet object failed"
	vnets := c.st.sdn().cfg["vnets"]
	if err := checkDigest(c, vnets.digest()); err != nil {
		return nil, sdnLockFail(what, err)
	}
	opts, err := c.sdnCheckConfig(sdnVnetOptions, false, "vnet")
	if err != nil {
		return nil, sdnLockFail(what, err)
	}
	old := vnets[id]
	nv := copyConf(old)
	for _, k := range splitList(c.params["delete"]) {
		if _, ok := sdnVnetOptions[k]; !ok {
			return nil, sdnLockFail(what, failf("no such option '%s'", k))
		}
		if sdnVnetOptions[k] {
			return nil, sdnLockFail(what, failf("unable to delete required option '%s'", k))
		}
		delete(nv, k)
	}
	for k, v := range opts {
		nv[k] = v
	}
	if nv["zone"] != old["zone"] && c.sdnVnetSubnets(id) {
		return nil, sdnLockFail(what, paramErr("zone", "can't change zone if subnets exist"))
	}
	if err := c.sdnVnetZoneHook(id, nv); err != nil {
		return nil, sdnLockFail(what, err)
	}
	if nv["vlanaware"] == "1" && c.sdnVnetSubnets(id) {
		return nil, sdnLockFail(what, paramErr("vlanaware", "vlanaware vnet is not compatible with subnets"))
	}
	vnets[id] = nv
	return nil, nil
}

func (s *Sim) sdnDeleteVnet(c *call) (any, error) {
	id := c.params["vnet"]
	if err := s.sdnVnetAccess(c, id, "SDN.Allocate"); err != nil {
		return nil, err
	}
	if c.sdnVnetSubnets(id) {
		return nil, sdnLockFail("delete sdn vnet object failed", paramErr("vnet", "Can't delete vnet if subnets exists"))
	}
	delete(c.st.sdn().cfg["vnets"], id)
	return nil, nil
}

// sdnSubnetJSON adds what sdn_subnets_config derives from the id, and the
// parsed DHCP ranges (8.x on).
func (s *Sim) sdnSubnetJSON(e map[string]any, id, digest string) map[string]any {
	z, rest, _ := strings.Cut(id, "-")
	network, mask, _ := strings.Cut(rest, "-")
	e["subnet"], e["zone"], e["network"], e["mask"], e["cidr"] = id, z, network, mask, network+"/"+mask
	if digest != "" {
		e["digest"] = digest
	}
	if s.major() >= 8 {
		// get_dhcp_ranges: the ranges parsed from their property strings
		ranges := []map[string]string{}
		if raw, ok := e["dhcp-range"].(string); ok {
			for _, r := range strings.Split(raw, "\x00") {
				ps := parsePropString(r, "")
				ranges = append(ranges, map[string]string{"start-address": ps.get("start-address"), "end-address": ps.get("end-address")})
			}
		}
		e["dhcp-range"] = ranges
	}
	return e
}

func (s *Sim) sdnListSubnets(c *call) (any, error) {
	vnet := c.params["vnet"]
	if err := s.sdnVnetAccess(c, vnet, "SDN.Audit", "SDN.Allocate"); err != nil {
		return nil, err
	}
	view, digest := c.sdnView("subnets")
	out := []map[string]any{}
	for _, id := range sortedKeys(view) {
		if view[id]["vnet"] == vnet {
			out = append(out, s.sdnSubnetJSON(view[id], id, digest))
		}
	}
	return out, nil
}

func (s *Sim) sdnGetSubnet(c *call) (any, error) {
	vnet, id := c.params["vnet"], c.params["subnet"]
	if err := s.sdnVnetAccess(c, vnet, "SDN.Audit", "SDN.Allocate"); err != nil {
		return nil, err
	}
	view, digest := c.sdnView("subnets")
	e := view[id]
	if e == nil {
		return nil, failf("sdn subnet '%s' does not exist", id)
	}
	if e["vnet"] != vnet {
		return nil, paramErr("vnet", "wrong vnet")
	}
	return s.sdnSubnetJSON(e, id, digest), nil
}

// sdnSubnetHook is SubnetPlugin's on_update_hook: the gateway must lie
// in the subnet, and the vnet must not be VLAN-aware.
func (c *call) sdnSubnetHook(id string, sub map[string]string) error {
	vn := c.st.sdn().cfg["vnets"][sub["vnet"]]
	if vn == nil {
		return paramErr("vnet", sub["vnet"]+" don't exist")
	}
	if vn["vlanaware"] == "1" {
		return paramErr("vnet", "you can't add a subnet on a vlanaware vnet")
	}
	_, rest, _ := strings.Cut(id, "-")
	cidr := strings.Replace(rest, "-", "/", 1)
	if gw := sub["gateway"]; gw != "" {
		p, err1 := netip.ParsePrefix(cidr)
		a, err2 := netip.ParseAddr(gw)
		if err1 != nil || err2 != nil || !p.Contains(a) {
			return paramErr("gateway", fmt.Sprintf("%s is not in subnet %s", gw, cidr))
		}
	}
	return nil
}

func (s *Sim) sdnCreateSubnet(c *call) (any, error) {
	vnet := c.params["vnet"]
	if err := s.sdnVnetAccess(c, vnet, "SDN.Allocate"); err != nil {
		return nil, err
	}
	const what = "create sdn subnet object failed"
	sd := c.st.sdn()
	p, err := netip.ParsePrefix(c.params["subnet"])
	if err != nil || p.Masked() != p {
		return nil, paramErr("subnet", "value does not look like a valid CIDR network")
	}
	id := sd.cfg["vnets"][vnet]["zone"] + "-" + strings.Replace(p.String(), "/", "-", 1)
	opts, err := c.sdnCheckConfig(sdnSubnetOptions, true, "vnet", "subnet")
	if err != nil {
		return nil, sdnLockFail(what, err)
	}
	if sd.cfg["subnets"][id] != nil {
		return nil, sdnLockFail(what, failf("sdn subnet object ID '%s' already defined", id))
	}
	opts["type"], opts["vnet"] = "subnet", vnet
	if err := c.sdnSubnetHook(id, opts); err != nil {
		return nil, sdnLockFail(what, err)
	}
	sd.cfg["subnets"][id] = opts
	return nil, nil
}

func (s *Sim) sdnUpdateSubnet(c *call) (any, error) {
	vnet, id := c.params["vnet"], c.params["subnet"]
	if err := s.sdnVnetAccess(c, vnet, "SDN.Allocate"); err != nil {
		return nil, err
	}
	const what = "update sdn subnet object failed"
	subs := c.st.sdn().cfg["subnets"]
	old := subs[id]
	if old == nil {
		return nil, sdnLockFail(what, failf("sdn subnet '%s' does not exist", id))
	}
	if err := checkDigest(c, subs.digest()); err != nil {
		return nil, sdnLockFail(what, err)
	}
	opts, err := c.sdnCheckConfig(sdnSubnetOptions, false, "vnet", "subnet")
	if err != nil {
		return nil, sdnLockFail(what, err)
	}
	ns := copyConf(old)
	for _, k := range splitList(c.params["delete"]) {
		if _, ok := sdnSubnetOptions[k]; !ok || k == "vnet" {
			return nil, sdnLockFail(what, failf("no such option '%s'", k))
		}
		delete(ns, k)
	}
	for k, v := range opts {
		ns[k] = v
	}
	if err := c.sdnSubnetHook(id, ns); err != nil {
		return nil, sdnLockFail(what, err)
	}
	subs[id] = ns
	return nil, nil
}

func (s *Sim) sdnDeleteSubnet(c *call) (any, error) {
	vnet, id := c.params["vnet"], c.params["subnet"]
	if err := s.sdnVnetAccess(c, vnet, "SDN.Allocate"); err != nil {
		return nil, err
	}
	subs := c.st.sdn().cfg["subnets"]
	if subs[id] == nil {
		return nil, sdnLockFail("delete sdn subnet object failed", failf("sdn subnet '%s' does not exist", id))
	}
	delete(subs, id)
	return nil, nil
}
