package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// sdnObjects is one section config file of /etc/pve/sdn (zones.cfg,
// vnets.cfg, ...): section id -> key -> value as written, "type" included.
type sdnObjects map[string]map[string]string

// sdnState is the SDN configuration and the running configuration the
// last apply (PUT /cluster/sdn) committed; the difference is what
// pending=1 shows.
type sdnState struct {
	cfg     map[string]sdnObjects // "zones", "vnets", "subnets", "controllers", "ipams", "dns"
	running map[string]sdnObjects // zones, vnets, subnets, controllers
	version int64
	// nodeVersion is the running version each node's network was last
	// reloaded with (the local sdn config version)
	nodeVersion map[string]int64
}

// sdn builds the SDN state on first use: no zones yet, only the built-in
// "pve" IPAM every cluster has.
func (st *state) sdn() *sdnState {
	if st.sdnS == nil {
		st.sdnS = &sdnState{cfg: map[string]sdnObjects{
			"zones": {}, "vnets": {}, "subnets": {}, "controllers": {}, "dns": {},
			"ipams": {"pve": {"type": "pve"}},
		}, running: map[string]sdnObjects{}, nodeVersion: map[string]int64{}}
	}
	return st.sdnS
}

func (o sdnObjects) clone() sdnObjects {
	out := sdnObjects{}
	for id, m := range o {
		out[id] = copyConf(m)
	}
	return out
}

// digest is the SHA1 of the file as written: sections in id order.
func (o sdnObjects) digest() string {
	var b strings.Builder
	for _, id := range sortedKeys(o) {
		fmt.Fprintf(&b, "%s: %s\n", o[id]["type"], id)
		for _, k := range sortedKeys(o[id]) {
			if k != "type" {
				fmt.Fprintf(&b, "\t%s %s\n", k, o[id][k])
			}
		}
		b.WriteString("\n")
	}
	sum := sha1.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// sdnNumeric are the keys the section parser reads as numbers or 0/1.
var sdnNumeric = map[string]bool{"mtu": true, "tag": true, "vrf-vxlan": true, "vxlan-port": true,
	"dp-id": true, "asn": true, "ebgp-multihop": true, "vlanaware": true, "isolate-ports": true,
	"snat": true, "advertise-subnets": true, "disable-arp-nd-suppression": true,
	"exitnodes-local-routing": true, "bridge-disable-mac-learning": true, "ebgp": true,
	"bgp-multipath-as-relax": true}

func sdnValue(k, v string) any {
	if sdnNumeric[k] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return v
}

func sdnJSON(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = sdnValue(k, v)
	}
	return out
}

// sdnPending is pending_config: per object the running values, with
// "pending" holding what the configuration changes and "state" new,
// changed or deleted.
func sdnPending(running, cfg sdnObjects) map[string]map[string]any {
	out := map[string]map[string]any{}
	obj := func(id string) map[string]any {
		if out[id] == nil {
			out[id] = map[string]any{}
		}
		return out[id]
	}
	pend := func(p map[string]any) map[string]any {
		if p["pending"] == nil {
			p["pending"] = map[string]any{}
		}
		return p["pending"].(map[string]any)
	}
	for _, id := range sortedKeys(running) {
		ro, co := running[id], cfg[id]
		p := obj(id)
		for _, k := range sortedKeys(ro) {
			p[k] = sdnValue(k, ro[k])
			cv, ok := co[k]
			switch {
			case len(co) == 0:
				p["state"] = "deleted"
			case !ok:
				pend(p)[k] = "deleted"
				p["state"] = "changed"
			case cv != ro[k]:
				p["state"] = "changed"
			}
		}
		if p["state"] != nil {
			pend(p)
		}
	}
	for _, id := range sortedKeys(cfg) {
		ro, co := running[id], cfg[id]
		p := obj(id)
		for _, k := range sortedKeys(co) {
			rv, ok := ro[k]
			if k == "type" || k == "vnet" {
				p[k] = co[k]
			} else if !ok || rv != co[k] {
				pend(p)[k] = sdnValue(k, co[k])
			}
			if len(ro) == 0 {
				p["state"] = "new"
			} else if !ok {
				p["state"] = "changed"
			}
		}
		if p["state"] != nil {
			pend(p)
		}
	}
	return out
}

// sdnView is what a GET reads: the configuration, the running one
// (running=1) or the pending view (pending=1). The digest is the file's,
// absent from the pending view.
func (c *call) sdnView(file string) (map[string]map[string]any, string) {
	sd := c.st.sdn()
	cfg := sd.cfg[file]
	switch {
	case c.flag("pending"):
		return sdnPending(sd.running[file], cfg), ""
	case c.flag("running"):
		cfg = sd.running[file]
	}
	out := map[string]map[string]any{}
	for id, m := range cfg {
		out[id] = sdnJSON(m)
	}
	return out, cfg.digest()
}

// sdnLockFail is how lock_sdn_config reports an error of the locked code:
// parameter errors as PVE::Exception prints them, plain dies with the cfs
// lock prefix; all as a 500.
func sdnLockFail(what string, err error) error {
	if ae, ok := err.(*apiError); ok && ae.status == 400 {
		var b strings.Builder
		b.WriteString(what + ": 400 " + ae.msg)
		for _, k := range sortedKeys(ae.errs) {
			b.WriteString(k + ": " + ae.errs[k] + "\n")
		}
		return &apiError{status: 500, msg: b.String()}
	}
	msg := strings.TrimSuffix(err.(*apiError).msg, "\n")
	return failf("%s: error with cfs lock 'domain-sdn': %s", what, msg)
}

func (s *Sim) sdnRoutes() []route {
	r := []route{
		{method: "GET", tmpl: "/cluster/sdn", h: indexOf("id")},
		{method: "PUT", tmpl: "/cluster/sdn", h: s.sdnApply},
		{method: "GET", tmpl: "/cluster/sdn/zones", h: s.sdnListZones},
		{method: "POST", tmpl: "/cluster/sdn/zones", h: s.sdnCreateZone},
		{method: "GET", tmpl: "/cluster/sdn/zones/{zone}", h: s.sdnGetZone},
		{method: "PUT", tmpl: "/cluster/sdn/zones/{zone}", h: s.sdnUpdateZone},
		{method: "DELETE", tmpl: "/cluster/sdn/zones/{zone}", h: s.sdnDeleteZone},
		{method: "GET", tmpl: "/cluster/sdn/controllers", h: s.sdnListPlain("controllers", "controller", "/sdn/controllers/")},
		{method: "GET", tmpl: "/cluster/sdn/ipams", h: s.sdnListPlain("ipams", "ipam", "/sdn/ipams/")},
		{method: "GET", tmpl: "/cluster/sdn/dns", h: s.sdnListPlain("dns", "dns", "/sdn/dns/")},
	}
	r = append(r, s.sdnVnetRoutes()...)
	return append(r, s.sdnNodeRoutes()...)
}

// sdnApply commits the configuration as the running one and reloads the
// network of every node in a reloadnetworkall task.
func (s *Sim) sdnApply(c *call) (any, error) {
	sd := c.st.sdn()
	var lines []taskLine
	for i, n := range c.st.nodes {
		lines = append(lines, taskLine{at: float64(i+1) / float64(len(c.st.nodes)+1), text: n.name + ": reloading network config"})
	}
	// commit_config runs in the request; the task only reloads the nodes
	sd.version++
	for _, f := range []string{"zones", "vnets", "subnets", "controllers"} {
		sd.running[f] = sd.cfg[f].clone()
	}
	version := sd.version
	return c.startTask(taskSpec{node: c.st.nodes[0].name, typ: "reloadnetworkall", dur: 3 * time.Second, lines: lines,
		onOK: func(time.Time) error {
			for _, n := range s.st.nodes {
				if !n.offline {
					sd.nodeVersion[n.name] = version
				}
			}
			return nil
		}})
}

// sdnListPlain lists controllers, IPAMs or DNS servers the caller may see.
func (s *Sim) sdnListPlain(file, key, aclBase string) handler {
	return func(c *call) (any, error) {
		view, digest := c.sdnView(file)
		out := []map[string]any{}
		for _, id := range sortedKeys(view) {
			if !s.has(c.authid, aclBase+id, "SDN.Audit") && !s.has(c.authid, aclBase+id, "SDN.Allocate") {
				continue
			}
			e := view[id]
			if t := c.params["type"]; t != "" && e["type"] != t {
				continue
			}
			e[key] = id
			if digest != "" {
				e["digest"] = digest
			}
			out = append(out, e)
		}
		return out, nil
	}
}
