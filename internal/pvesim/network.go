package pvesim

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"
)

// netState is /etc/network/interfaces (cur) and, while changes are staged,
// /etc/network/interfaces.new (next). GET lists next when present, with the
// diff in "changes"; PUT applies it in a srvreload task; DELETE reverts.
type netState struct {
	cur  []*iface
	next []*iface // nil: no pending changes
}

type iface struct {
	name     string
	typ      string
	priority int
	exists   bool // physical NIC
	opts     map[string]string
}

func (n *netState) active(name string) *iface {
	for _, i := range n.cur {
		if i.name == name {
			return i
		}
	}
	return nil
}

// staged returns the config being edited (a copy of cur on first edit).
func (n *netState) staged() []*iface {
	if n.next == nil {
		n.next = make([]*iface, 0, len(n.cur))
		for _, i := range n.cur {
			c := *i
			c.opts = copyConf(i.opts)
			n.next = append(n.next, &c)
		}
	}
	return n.next
}

func (n *netState) view() []*iface {
	if n.next != nil {
		return n.next
	}
	return n.cur
}

func find(list []*iface, name string) *iface {
	for _, i := range list {
		if i.name == name {
			return i
		}
	}
	return nil
}

// Keys the network API emits as numbers; the rest are strings.
var netNumericKeys = map[string]bool{"autostart": true, "bridge_vlan_aware": true}

func (n *netState) ifaceJSON(i *iface) map[string]any {
	m := map[string]any{"iface": i.name, "type": i.typ, "method": "manual", "method6": "manual", "families": []string{"inet"}}
	if i.priority > 0 {
		m["priority"] = i.priority
	}
	if i.exists {
		m["exists"] = 1
	}
	if n.active(i.name) != nil {
		m["active"] = 1
	}
	for k, v := range i.opts {
		if netNumericKeys[k] {
			m[k], _ = strconv.Atoi(v)
			continue
		}
		m[k] = v
	}
	if _, ok := i.opts["address"]; ok {
		m["method"] = "static"
	}
	if _, ok := i.opts["address6"]; ok {
		m["method6"] = "static"
		m["families"] = []string{"inet", "inet6"}
	}
	return m
}

func (s *Sim) listNetwork(c *call) (any, error) {
	n := c.st.node(c.params["node"]).net
	typ := c.params["type"]
	out := []map[string]any{}
	for _, i := range n.view() {
		switch typ {
		case "", "include_sdn":
		case "any_bridge", "any_local_bridge":
			if i.typ != "bridge" && i.typ != "OVSBridge" {
				continue
			}
		default:
			if i.typ != typ {
				continue
			}
		}
		out = append(out, n.ifaceJSON(i))
	}
	if n.next != nil {
		c.changes = n.diff(c.now)
	}
	return out, nil
}

func (s *Sim) getIface(c *call) (any, error) {
	n := c.st.node(c.params["node"]).net
	i := find(n.view(), c.params["iface"])
	if i == nil {
		return nil, failf("interface '%s' does not exist", c.params["iface"])
	}
	return n.ifaceJSON(i), nil
}

// ifaceOptionKeys are the parameters stored as interface options.
var ifaceOptionKeys = []string{"address", "netmask", "cidr", "gateway", "address6", "netmask6", "cidr6", "gateway6",
	"autostart", "bridge_ports", "bridge_vlan_aware", "bridge_vids", "comments", "comments6", "mtu", "slaves",
	"bond_mode", "bond-primary", "bond_xmit_hash_policy", "vlan-id", "vlan-raw-device", "ovs_bridge", "ovs_ports",
	"ovs_options", "ovs_bonds", "ovs_tag"}

func (s *Sim) setIfaceOpts(c *call, i *iface, list []*iface) error {
	for _, k := range ifaceOptionKeys {
		if v, ok := c.params[k]; ok {
			i.opts[k] = v
		}
	}
	for _, k := range splitList(c.params["delete"]) {
		delete(i.opts, k)
	}
	if cidr := i.opts["cidr"]; cidr != "" {
		ip, ipn, err := net.ParseCIDR(cidr)
		if err != nil {
			return paramErr("cidr", "invalid format - value does not look like a valid CIDR network")
		}
		ones, _ := ipn.Mask.Size()
		i.opts["address"] = ip.String()
		i.opts["netmask"] = strconv.Itoa(ones)
	} else if a, m := i.opts["address"], i.opts["netmask"]; a != "" && m != "" {
		if _, err := strconv.Atoi(m); err != nil {
			if ipm := net.ParseIP(m).To4(); ipm != nil {
				ones, _ := net.IPv4Mask(ipm[0], ipm[1], ipm[2], ipm[3]).Size()
				m = strconv.Itoa(ones)
				i.opts["netmask"] = m
			}
		}
		i.opts["cidr"] = a + "/" + m
	}
	if i.opts["bridge_vlan_aware"] == "0" {
		delete(i.opts, "bridge_vlan_aware")
	}
	if i.opts["autostart"] == "0" {
		delete(i.opts, "autostart")
	}
	if gw := i.opts["gateway"]; gw != "" {
		if i.opts["address"] == "" {
			return paramErr("gateway", "gateway requires an IPv4 address")
		}
		for _, o := range list {
			if o != i && o.opts["gateway"] != "" {
				return paramErr("gateway", fmt.Sprintf("Default gateway already exists on interface '%s'.", o.name))
			}
		}
	}
	if i.typ == "bridge" {
		if i.opts["bridge_ports"] == "" {
			i.opts["bridge_ports"] = "none"
		}
		i.opts["bridge_stp"] = "off"
		i.opts["bridge_fd"] = "0"
		for _, p := range strings.Fields(i.opts["bridge_ports"]) {
			if p == "none" {
				continue
			}
			if find(list, p) == nil {
				return paramErr("bridge_ports", fmt.Sprintf("unable to find bridge port '%s'", p))
			}
			for _, o := range list {
				if o != i && o.typ == "bridge" && containsField(o.opts["bridge_ports"], p) {
					return paramErr("bridge_ports", fmt.Sprintf("bridge port '%s' is already used on interface '%s'", p, o.name))
				}
			}
		}
	}
	return nil
}

func containsField(s, f string) bool {
	for _, x := range strings.Fields(s) {
		if x == f {
			return true
		}
	}
	return false
}

func (s *Sim) createIface(c *call) (any, error) {
	n := c.st.node(c.params["node"]).net
	name := c.params["iface"]
	if find(n.view(), name) != nil {
		return nil, paramErr("iface", "interface already exists")
	}
	list := n.staged()
	prio := 1
	for _, i := range list {
		if i.priority >= prio {
			prio = i.priority + 1
		}
	}
	i := &iface{name: name, typ: c.params["type"], priority: prio, opts: map[string]string{}}
	if err := s.setIfaceOpts(c, i, append(list, i)); err != nil {
		if len(n.next) == len(n.cur) && n.sameAsCur() {
			n.next = nil
		}
		return nil, err
	}
	n.next = append(list, i)
	return nil, nil
}

func (n *netState) sameAsCur() bool { return n.diffLines() == nil }

func (s *Sim) updateIface(c *call) (any, error) {
	n := c.st.node(c.params["node"]).net
	name := c.params["iface"]
	if find(n.view(), name) == nil {
		return nil, paramErr("iface", "interface does not exist")
	}
	list := n.staged()
	i := find(list, name)
	if t := c.params["type"]; t != "" && t != i.typ {
		return nil, paramErr("type", "interface type does not match")
	}
	for _, k := range ifaceOptionKeys {
		if _, set := c.params[k]; !set && k != "autostart" && k != "comments" {
			delete(i.opts, k)
		}
	}
	if err := s.setIfaceOpts(c, i, list); err != nil {
		return nil, err
	}
	return nil, nil
}

func (s *Sim) deleteIface(c *call) (any, error) {
	n := c.st.node(c.params["node"]).net
	name := c.params["iface"]
	if find(n.view(), name) == nil {
		return nil, paramErr("iface", "interface does not exist")
	}
	list := n.staged()
	out := list[:0]
	for _, i := range list {
		if i.name != name {
			out = append(out, i)
		}
	}
	n.next = out
	return nil, nil
}

func (s *Sim) revertNetwork(c *call) (any, error) {
	c.st.node(c.params["node"]).net.next = nil
	return nil, nil
}

func (s *Sim) applyNetwork(c *call) (any, error) {
	nodeName := c.params["node"]
	return c.startTask(taskSpec{typ: "srvreload", id: "networking", dur: 2 * time.Second,
		onOK: func(time.Time) error {
			n := s.st.node(nodeName).net
			if n.next != nil {
				n.cur, n.next = n.next, nil
			}
			return nil
		}})
}

// render writes an interfaces file for the diff in "changes".
func render(list []*iface) []string {
	sorted := append([]*iface(nil), list...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].priority < sorted[j].priority })
	lines := []string{"auto lo", "iface lo inet loopback", ""}
	for _, i := range sorted {
		method := "manual"
		if i.opts["address"] != "" {
			method = "static"
		}
		if i.opts["autostart"] == "1" {
			lines = append(lines, "auto "+i.name)
		}
		lines = append(lines, "iface "+i.name+" inet "+method)
		if a := i.opts["cidr"]; a != "" {
			lines = append(lines, "\taddress "+a)
		}
		if g := i.opts["gateway"]; g != "" {
			lines = append(lines, "\tgateway "+g)
		}
		if i.typ == "bridge" {
			lines = append(lines, "\tbridge-ports "+i.opts["bridge_ports"], "\tbridge-stp off", "\tbridge-fd 0")
			if i.opts["bridge_vlan_aware"] == "1" {
				lines = append(lines, "\tbridge-vlan-aware yes", "\tbridge-vids 2-4094")
			}
		}
		if m := i.opts["mtu"]; m != "" {
			lines = append(lines, "\tmtu "+m)
		}
		if cm := i.opts["comments"]; cm != "" {
			for _, l := range strings.Split(strings.TrimRight(cm, "\n"), "\n") {
				lines = append(lines, "#"+l)
			}
		}
		lines = append(lines, "")
	}
	lines = append(lines, "", "source /etc/network/interfaces.d/*")
	return lines
}

// diffLines is a minimal LCS line diff: nil when the files are equal.
func (n *netState) diffLines() []string {
	a, b := render(n.cur), render(n.view())
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	var out []string
	changed := false
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			out = append(out, " "+a[i])
			i++
			j++
		case j < len(b) && (i == len(a) || dp[i][j+1] >= dp[i+1][j]):
			out = append(out, "+"+b[j])
			changed = true
			j++
		default:
			out = append(out, "-"+a[i])
			changed = true
			i++
		}
	}
	if !changed {
		return nil
	}
	return out
}

func (n *netState) diff(now time.Time) string {
	lines := n.diffLines()
	if lines == nil {
		return ""
	}
	ts := now.Format("2006-01-02 15:04:05.000000000 -0700")
	oldN, newN := 0, 0
	for _, l := range lines {
		if l[0] != '+' {
			oldN++
		}
		if l[0] != '-' {
			newN++
		}
	}
	head := fmt.Sprintf("--- /etc/network/interfaces\t%s\n+++ /etc/network/interfaces.new\t%s\n@@ -1,%d +1,%d @@\n", ts, ts, oldN, newN)
	return head + strings.Join(lines, "\n") + "\n"
}
