package pvesim

import (
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// sdnZoneOptions are the options each zone plugin accepts (options() of
// the Zones plugins); true marks the required ones.
var sdnZoneOptions = map[string]map[string]bool{
	"simple": {"nodes": false, "mtu": false, "dns": false, "reversedns": false, "dnszone": false, "ipam": false, "dhcp": false},
	"vlan": {"nodes": false, "bridge": true, "bridge-disable-mac-learning": false, "mtu": false, "dns": false,
		"reversedns": false, "dnszone": false, "ipam": false},
	"qinq": {"nodes": false, "tag": true, "bridge": true, "bridge-disable-mac-learning": false, "mtu": false,
		"vlan-protocol": false, "dns": false, "reversedns": false, "dnszone": false, "ipam": false},
	"vxlan": {"nodes": false, "peers": false, "vxlan-port": false, "mtu": false, "dns": false, "reversedns": false,
		"dnszone": false, "ipam": false, "fabric": false},
	"evpn": {"nodes": false, "vrf-vxlan": true, "controller": true, "exitnodes": false, "exitnodes-local-routing": false,
		"exitnodes-primary": false, "advertise-subnets": false, "disable-arp-nd-suppression": false,
		"bridge-disable-mac-learning": false, "rt-import": false, "vxlan-port": false, "mtu": false, "mac": false,
		"dns": false, "reversedns": false, "dnszone": false, "ipam": false},
	"faucet": {"nodes": false, "dp-id": false, "mtu": false, "dns": false, "reversedns": false, "dnszone": false, "ipam": false},
}

// sdnNotOption are the request keys that are never section options.
var sdnNotOption = map[string]bool{"type": true, "digest": true, "delete": true, "lock-token": true,
	"pending": true, "running": true, "release-lock": true}

// sdnCheckConfig is SectionConfig's check_config: every key must be an
// option of the type, booleans become 0/1, and on create the required
// options must be there.
func (c *call) sdnCheckConfig(opts map[string]bool, create bool, ids ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range sortedKeys(c.params) {
		if sdnNotOption[k] || contains(ids, k) {
			continue
		}
		if _, ok := opts[k]; !ok {
			return nil, failf("unexpected property '%s'", k)
		}
		v := c.params[k]
		if p, ok := c.ep.Param(k); ok && p.Type == "boolean" {
			v = strconv.Itoa(b2i(c.flag(k)))
		}
		out[k] = v
	}
	if create {
		for _, k := range sortedKeys(opts) {
			if opts[k] && out[k] == "" {
				return nil, failf("missing value for required option '%s'", k)
			}
		}
	}
	return out, nil
}

var sdnIDPattern = lazyre.New(`(?i)^[a-z][a-z0-9]*[a-z0-9]$`)

// sdnCheckID is the pve-sdn-zone-id / pve-sdn-vnet-id format check of the
// parameter key (the schema only names the format).
func sdnCheckID(key, id string) error {
	if !sdnIDPattern.MatchString(id) {
		return paramErr(key, key+" ID '"+id+"' contains illegal characters")
	}
	if len(id) > 8 {
		return paramErr(key, key+" ID '"+id+"' can't be more length than 8 characters")
	}
	return nil
}

func (s *Sim) sdnZoneJSON(e map[string]any, id, digest string) map[string]any {
	e["zone"] = id
	if digest != "" {
		e["digest"] = digest
	}
	return e
}

func (s *Sim) sdnListZones(c *call) (any, error) {
	view, digest := c.sdnView("zones")
	out := []map[string]any{}
	for _, id := range sortedKeys(view) {
		p := "/sdn/zones/" + id
		if !s.has(c.authid, p, "SDN.Audit") && !s.has(c.authid, p, "SDN.Allocate") {
			continue
		}
		if t := c.params["type"]; t != "" && view[id]["type"] != t {
			continue
		}
		out = append(out, s.sdnZoneJSON(view[id], id, digest))
	}
	return out, nil
}

func (s *Sim) sdnGetZone(c *call) (any, error) {
	view, digest := c.sdnView("zones")
	id := c.params["zone"]
	if view[id] == nil {
		return nil, failf("sdn '%s' does not exist", id)
	}
	return s.sdnZoneJSON(view[id], id, digest), nil
}

// sdnZoneRefs checks what a zone points to (dns, ipam, controller), as
// create and update do inside the lock.
func (c *call) sdnZoneRefs(z map[string]string) error {
	cfg := c.st.sdn().cfg
	if d := z["dns"]; d != "" && cfg["dns"][d] == nil {
		return paramErr("dns", d+" don't exist")
	}
	if d := z["reversedns"]; d != "" && cfg["dns"][d] == nil {
		return paramErr("reversedns", d+" don't exist")
	}
	if z["dnszone"] != "" && z["dns"] == "" {
		return paramErr("dnszone", "missing dns server")
	}
	if i := z["ipam"]; i != "" && cfg["ipams"][i] == nil {
		return paramErr("ipam", i+" not existing")
	}
	if ctl := z["controller"]; z["type"] == "evpn" && cfg["controllers"][ctl] == nil {
		return failf("controller %s don't exist at /usr/share/perl5/PVE/Network/SDN/Zones/EvpnPlugin.pm line 354.", ctl)
	}
	return nil
}

func (s *Sim) sdnCreateZone(c *call) (any, error) {
	typ, id := c.params["type"], c.params["zone"]
	if err := sdnCheckID("zone", id); err != nil {
		return nil, err
	}
	opts, err := c.sdnCheckConfig(sdnZoneOptions[typ], true, "zone")
	if err != nil {
		return nil, err
	}
	zones := c.st.sdn().cfg["zones"]
	const what = "create sdn zone object failed"
	if zones[id] != nil {
		return nil, sdnLockFail(what, failf("sdn zone object ID '%s' already defined", id))
	}
	opts["type"] = typ
	if err := c.sdnZoneRefs(opts); err != nil {
		return nil, sdnLockFail(what, err)
	}
	zones[id] = opts
	return nil, nil
}

func (s *Sim) sdnUpdateZone(c *call) (any, error) {
	sd := c.st.sdn()
	zones := sd.cfg["zones"]
	id := c.params["zone"]
	const what = "update sdn zone object failed"
	if err := checkDigest(c, zones.digest()); err != nil {
		return nil, sdnLockFail(what, err)
	}
	z := zones[id]
	if z == nil {
		return nil, sdnLockFail(what, failf("sdn '%s' does not exist", id))
	}
	opts, err := c.sdnCheckConfig(sdnZoneOptions[z["type"]], false, "zone")
	if err != nil {
		return nil, sdnLockFail(what, err)
	}
	nz := copyConf(z)
	for _, k := range splitList(c.params["delete"]) {
		req, ok := sdnZoneOptions[z["type"]][k]
		switch {
		case !ok:
			return nil, sdnLockFail(what, failf("no such option '%s'", k))
		case req:
			return nil, sdnLockFail(what, failf("unable to delete required option '%s'", k))
		case opts[k] != "":
			return nil, sdnLockFail(what, failf("cannot set and delete property '%s' at the same time!", k))
		}
		delete(nz, k)
	}
	for k, v := range opts {
		nz[k] = v
	}
	if nz["ipam"] != z["ipam"] {
		for sid := range sd.cfg["subnets"] {
			if sdnSubnetZone(sid) == id {
				return nil, sdnLockFail(what, paramErr("ipam", "can't change ipam if a subnet is already defined in this zone"))
			}
		}
	}
	if err := c.sdnZoneRefs(nz); err != nil {
		return nil, sdnLockFail(what, err)
	}
	zones[id] = nz
	return nil, nil
}

func (s *Sim) sdnDeleteZone(c *call) (any, error) {
	sd := c.st.sdn()
	id := c.params["zone"]
	const what = "delete sdn zone object failed"
	if sd.cfg["zones"][id] == nil {
		return nil, sdnLockFail(what, failf("sdn '%s' does not exist", id))
	}
	for _, vid := range sortedKeys(sd.cfg["vnets"]) {
		if sd.cfg["vnets"][vid]["zone"] == id {
			return nil, sdnLockFail(what, failf("zone %s is used by vnet %s at /usr/share/perl5/PVE/Network/SDN/Zones/Plugin.pm line 148.", id, vid))
		}
	}
	delete(sd.cfg["zones"], id)
	return nil, nil
}
