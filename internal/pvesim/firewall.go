package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// fwState is /etc/pve/firewall: cluster.fw, one host.fw per node and one
// <vmid>.fw per guest, all parsed the same way (PVE::Firewall).
type fwState struct {
	cluster *fwConf
	hosts   map[string]*fwConf
	guests  map[int]*fwConf
	vnets   map[string]*fwConf // sdn/firewall/<vnet>.fw (8.x on)
}

// fwConf is one firewall file: [OPTIONS], [RULES], [ALIASES], [IPSET x] and,
// in cluster.fw only, [group x] sections.
type fwConf struct {
	options map[string]string
	rules   []fwRule
	aliases map[string]*fwAlias // keyed by lower-case name, as Perl does
	ipsets  map[string]*fwIPSet
	groups  map[string]*fwGroup
	// enabledAt is when the firewall was last switched on here (log lines)
	enabledAt time.Time
}

func newFWConf() *fwConf {
	return &fwConf{options: map[string]string{}, aliases: map[string]*fwAlias{},
		ipsets: map[string]*fwIPSet{}, groups: map[string]*fwGroup{}}
}

// fw builds the firewall configuration on first use: a fresh cluster has
// the firewall off (no enable option in cluster.fw), with the aliases, the
// management IPSet and the web server group a home lab typically sets up,
// and the web-facing guests (VM 100, CT 200) using the group.
func (st *state) fw() *fwState {
	if st.fwS != nil {
		return st.fwS
	}
	c := newFWConf()
	c.aliases["lan"] = &fwAlias{name: "lan", cidr: "192.168.1.0/24", comment: "home network"}
	c.aliases["gateway"] = &fwAlias{name: "gateway", cidr: "192.168.1.1"}
	c.ipsets["management"] = &fwIPSet{name: "management", comment: "admin workstations",
		entries: []fwIPEntry{{cidr: "192.168.1.10"}, {cidr: "192.168.1.11", comment: "laptop"}}}
	c.groups["webserver"] = &fwGroup{name: "webserver", comment: "HTTP and HTTPS",
		rules: []fwRule{
			{"type": "in", "action": "ACCEPT", "macro": "HTTP", "enable": "1"},
			{"type": "in", "action": "ACCEPT", "macro": "HTTPS", "enable": "1"},
		}}
	c.rules = []fwRule{
		{"type": "in", "action": "ACCEPT", "source": "+management", "proto": "tcp", "dport": "8006", "enable": "1", "comment": "web GUI"},
		{"type": "in", "action": "ACCEPT", "source": "lan", "macro": "SSH", "enable": "1"},
		{"type": "in", "action": "ACCEPT", "proto": "icmp", "enable": "1", "ipversion": "4"},
	}
	st.fwS = &fwState{cluster: c, hosts: map[string]*fwConf{}, guests: map[int]*fwConf{},
		vnets: map[string]*fwConf{}}
	// the web server VM and the reverse proxy CT use the group
	for _, vmid := range []int{100, 200} {
		if st.guests[vmid] == nil {
			continue
		}
		g := st.fwS.guest(vmid)
		g.options["enable"] = "1"
		g.rules = []fwRule{
			{"type": "group", "action": "webserver", "enable": "1"},
			{"type": "in", "action": "ACCEPT", "macro": "SSH", "source": "+management", "enable": "1"},
		}
	}
	return st.fwS
}

func (f *fwState) host(name string) *fwConf {
	if f.hosts[name] == nil {
		f.hosts[name] = newFWConf()
	}
	return f.hosts[name]
}

func (f *fwState) guest(vmid int) *fwConf {
	if f.guests[vmid] == nil {
		f.guests[vmid] = newFWConf()
	}
	return f.guests[vmid]
}

// dropGuestFirewall removes <vmid>.fw, as destroying a guest does
// (remove_vmfw_conf).
func (st *state) dropGuestFirewall(vmid int) {
	if st.fwS != nil {
		delete(st.fwS.guests, vmid)
	}
}

// cloneGuestFirewall copies <vmid>.fw to the clone (clone_vmfw_conf).
func (st *state) cloneGuestFirewall(src, dst int) {
	if st.fwS == nil || st.fwS.guests[src] == nil {
		return
	}
	o := st.fwS.guests[src]
	n := newFWConf()
	n.options = copyConf(o.options)
	for _, r := range o.rules {
		n.rules = append(n.rules, fwRule(copyConf(r)))
	}
	for k, a := range o.aliases {
		cp := *a
		n.aliases[k] = &cp
	}
	for k, set := range o.ipsets {
		cp := *set
		cp.entries = append([]fwIPEntry(nil), set.entries...)
		n.ipsets[k] = &cp
	}
	st.fwS.guests[dst] = n
}

// fwScope is where a firewall endpoint works: rule_env in PVE::Firewall
// (cluster, host, vm, ct, group) and the path it is served under.
type fwScope struct {
	env  string
	base string
	kind guestKind // vm/ct
}

func (sc fwScope) guest() bool { return sc.env == "vm" || sc.env == "ct" }

// conf is the file the endpoint reads. Like Perl, a guest's file is read by
// vmid alone; a missing file is an empty configuration.
func (sc fwScope) conf(c *call) *fwConf {
	f := c.st.fw()
	switch sc.env {
	case "host":
		return f.host(c.params["node"])
	case "vm", "ct":
		return f.guest(c.vmid())
	case "vnet":
		if f.vnets[c.params["vnet"]] == nil {
			f.vnets[c.params["vnet"]] = newFWConf()
		}
		return f.vnets[c.params["vnet"]]
	}
	return f.cluster
}

func (s *Sim) firewallRoutes() []route {
	scopes := []fwScope{
		{env: "cluster", base: "/cluster/firewall"},
		{env: "host", base: "/nodes/{node}/firewall"},
		{env: "vm", base: "/nodes/{node}/qemu/{vmid}/firewall", kind: kindQemu},
		{env: "ct", base: "/nodes/{node}/lxc/{vmid}/firewall", kind: kindLXC},
	}
	var r []route
	for _, sc := range scopes {
		b := sc.base
		r = append(r,
			route{method: "GET", tmpl: b, h: indexOf("name")},
			route{method: "GET", tmpl: b + "/rules", h: s.fwListRules(sc)},
			route{method: "POST", tmpl: b + "/rules", h: s.fwCreateRule(sc)},
			route{method: "GET", tmpl: b + "/rules/{pos}", h: s.fwGetRule(sc)},
			route{method: "PUT", tmpl: b + "/rules/{pos}", h: s.fwUpdateRule(sc)},
			route{method: "DELETE", tmpl: b + "/rules/{pos}", h: s.fwDeleteRule(sc)},
			route{method: "GET", tmpl: b + "/options", h: s.fwGetOptions(sc)},
			route{method: "PUT", tmpl: b + "/options", h: s.fwSetOptions(sc)},
		)
		if sc.env != "host" {
			r = append(r, s.fwAliasRoutes(sc)...)
			r = append(r, s.fwIPSetRoutes(sc)...)
			r = append(r, route{method: "GET", tmpl: b + "/refs", h: s.fwRefs(sc)})
		}
		if sc.env != "cluster" {
			r = append(r, route{method: "GET", tmpl: b + "/log", h: s.fwLog(sc)})
		}
	}
	g := fwScope{env: "group", base: "/cluster/firewall/groups/{group}"}
	r = append(r,
		route{method: "GET", tmpl: "/cluster/firewall/groups", h: s.fwListGroups},
		route{method: "POST", tmpl: "/cluster/firewall/groups", h: s.fwCreateGroup},
		route{method: "DELETE", tmpl: g.base, h: s.fwDeleteGroup},
		route{method: "GET", tmpl: g.base, h: s.fwListRules(g)},
		route{method: "POST", tmpl: g.base, h: s.fwCreateRule(g)},
		route{method: "GET", tmpl: g.base + "/{pos}", h: s.fwGetRule(g)},
		route{method: "PUT", tmpl: g.base + "/{pos}", h: s.fwUpdateRule(g)},
		route{method: "DELETE", tmpl: g.base + "/{pos}", h: s.fwDeleteRule(g)},
		route{method: "GET", tmpl: "/cluster/firewall/macros", h: s.fwMacros},
	)
	return append(r, s.fwVnetRoutes()...)
}

// fwDigest is copy_opject_with_digest / copy_list_with_digest: SHA1 over
// "key:value\n" of every entry's sorted keys.
func fwDigest(entries ...map[string]string) string {
	h := sha1.New()
	for _, e := range entries {
		for _, k := range sortedKeys(e) {
			h.Write([]byte(k + ":" + e[k] + "\n"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func checkDigest(c *call, digest string) error {
	if d := c.params["digest"]; d != "" && d != digest {
		return failf("detected modified configuration - file changed by other user? Try again.")
	}
	return nil
}

// fwIntOptions are the options the parsers read as numbers (parse_*fw_option).
var fwIntOptions = map[string]bool{
	"enable": true, "dhcp": true, "ndp": true, "radv": true, "macfilter": true, "ipfilter": true,
	"ips": true, "ebtables": true, "nosmurfs": true, "tcpflags": true, "log_nf_conntrack": true,
	"nf_conntrack_allow_invalid": true, "protection_synflood": true, "nftables": true,
	"nf_conntrack_max": true, "nf_conntrack_tcp_timeout_established": true,
	"nf_conntrack_tcp_timeout_syn_recv": true, "protection_synflood_rate": true,
	"protection_synflood_burst": true, "protection_limit": true,
}

func (s *Sim) fwGetOptions(sc fwScope) handler {
	return func(c *call) (any, error) {
		if err := s.fwAccess(c, sc, false); err != nil {
			return nil, err
		}
		conf := sc.conf(c)
		opts := conf.options
		if sc.env == "cluster" {
			if en := atoi64Default(opts["enable"], 0); en > 1 && c.now.Unix()-en > 60 {
				// an anti-lockout time stamp older than a minute reads as off
				opts = copyConf(opts)
				opts["enable"] = "0"
			}
		}
		out := map[string]any{"digest": fwDigest(opts)}
		for k, v := range opts {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && fwIntOptions[k] {
				out[k] = n
			} else {
				out[k] = v
			}
		}
		return out, nil
	}
}

func (s *Sim) fwSetOptions(sc fwScope) handler {
	return func(c *call) (any, error) {
		if err := s.fwAccess(c, sc, true); err != nil {
			return nil, err
		}
		conf := sc.conf(c)
		if err := checkDigest(c, fwDigest(conf.options)); err != nil {
			return nil, err
		}
		skip := map[string]bool{"node": true, "vmid": true, "vnet": true, "delete": true, "digest": true}
		for _, opt := range splitList(c.params["delete"]) {
			if _, ok := c.ep.Param(opt); !ok || skip[opt] {
				return nil, paramErr("delete", "no such option '"+opt+"'")
			}
			delete(conf.options, opt)
		}
		wasOn := conf.options["enable"] != "" && conf.options["enable"] != "0"
		for _, k := range c.ep.ParamNames() {
			v, ok := c.params[k]
			if !ok || skip[k] {
				continue
			}
			if p, _ := c.ep.Param(k); p != nil && p.Type == "boolean" {
				v = strconv.Itoa(b2i(c.flag(k)))
			}
			if k == "enable" && sc.env == "cluster" && atoi64Default(v, 0) > 1 {
				// the anti-lockout form: enable=<n> stores the time it was set
				v = strconv.FormatInt(c.now.Unix(), 10)
			}
			conf.options[k] = v
		}
		if on := conf.options["enable"] != "" && conf.options["enable"] != "0"; on && !wasOn {
			conf.enabledAt = c.now
		}
		return nil, nil
	}
}

// fwRefs lists what source/dest may reference: IPSets then aliases of the
// cluster (scope dc) and, for a guest, of the guest (scope guest).
func (s *Sim) fwRefs(sc fwScope) handler {
	return func(c *call) (any, error) {
		typ := c.params["type"]
		out := fwCollectRefs(c.st.fw().cluster, typ, "dc", s.major() >= 8)
		if sc.guest() {
			out = append(out, fwCollectRefs(sc.conf(c), typ, "guest", s.major() >= 8)...)
		}
		return out, nil
	}
}

func fwCollectRefs(conf *fwConf, typ, scope string, scoped bool) []map[string]any {
	out := []map[string]any{}
	add := func(t, name, ref, comment string) {
		e := map[string]any{"type": t, "name": name, "ref": ref}
		if scoped {
			e["scope"] = scope
		}
		if comment != "" {
			e["comment"] = comment
		}
		out = append(out, e)
	}
	if typ == "" || typ == "ipset" {
		for _, k := range sortedKeys(conf.ipsets) {
			add("ipset", k, "+"+k, conf.ipsets[k].comment)
		}
	}
	if typ == "" || typ == "alias" {
		for _, k := range sortedKeys(conf.aliases) {
			a := conf.aliases[k]
			add("alias", a.name, a.name, a.comment)
		}
	}
	return out
}

func (s *Sim) fwMacros(c *call) (any, error) {
	out := make([]map[string]string, 0, len(fwMacroTable))
	for _, m := range fwMacroTable {
		out = append(out, map[string]string{"macro": m[0], "descr": m[1]})
	}
	return out, nil
}

// fwMacro finds a macro by name regardless of case and returns its
// preferred spelling.
func fwMacro(name string) (string, bool) {
	for _, m := range fwMacroTable {
		if strings.EqualFold(m[0], name) {
			return m[0], true
		}
	}
	return "", false
}
