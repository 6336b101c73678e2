package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // PUT /time validates zone names without the host's zoneinfo

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// nodeSysRoutes: a node's system endpoints (time, dns, services, logs, apt, disks, report).
func (s *Sim) nodeSysRoutes() []route {
	n := "/nodes/{node}"
	r := []route{
		{method: "GET", tmpl: n + "/time", h: s.getNodeTime},
		{method: "PUT", tmpl: n + "/time", h: s.setTimezone},
		{method: "GET", tmpl: n + "/dns", h: s.getDNS},
		{method: "PUT", tmpl: n + "/dns", h: s.putDNS},
		{method: "GET", tmpl: n + "/hosts", h: s.getHosts},
		{method: "POST", tmpl: n + "/hosts", h: s.postHosts},
		{method: "GET", tmpl: n + "/subscription", h: s.getSubscription},
		{method: "GET", tmpl: n + "/netstat", h: s.nodeNetstat},
		{method: "GET", tmpl: n + "/report", h: s.nodeReport},
		{method: "GET", tmpl: n + "/syslog", h: s.nodeSyslog},
		{method: "GET", tmpl: n + "/journal", h: s.nodeJournal},
	}
	r = append(r, s.serviceRoutes()...)
	r = append(r, s.aptRoutes()...)
	r = append(r, s.diskRoutes()...)
	return r
}

// nodeSysState holds each node's system settings, built on first use.
type nodeSysState struct {
	nodes map[string]*nodeSys
}

type nodeSys struct {
	timezone string
	dns      map[string]string // search, dns1..dns3 as resolv.conf has them
	hosts    string            // /etc/hosts
	services map[string]*svcState
	// aptRan: an apt update has run; upgrades then lists what it found.
	aptRan   bool
	upgrades []aptPkg
	// repoEnabled overrides the Enabled of "path#index"; repoAdded are
	// the files of standard repositories added through the API.
	repoEnabled map[string]bool
	repoAdded   []aptSourceFile
	diskGPT     map[string]bool // partition tables written or wiped, by device
	// events are journal entries the simulator's actions left (systemd
	// unit messages, timezone changes), besides those derived from tasks.
	events []journalEntry
}

// sys returns the system state of a node, seeding it on first use.
func (c *call) sys(name string) *nodeSys {
	st := c.st
	if st.sysS == nil {
		st.sysS = &nodeSysState{nodes: map[string]*nodeSys{}}
	}
	if ns := st.sysS.nodes[name]; ns != nil {
		return ns
	}
	n := st.node(name)
	ns := &nodeSys{
		timezone: "Europe/Berlin",
		dns:      map[string]string{"search": "lan", "dns1": "192.168.100.1", "dns2": "1.1.1.1"},
		hosts:    seedHosts(n),
		services: c.s.seedServices(n),

		repoEnabled: map[string]bool{},
		diskGPT:     map[string]bool{},
	}
	st.sysS.nodes[name] = ns
	return ns
}

func seedHosts(n *node) string {
	return "127.0.0.1 localhost.localdomain localhost\n" +
		fmt.Sprintf("%s %s.lan %s\n", n.ip, n.name, n.name) +
		"\n# The following lines are desirable for IPv6 capable hosts\n\n" +
		"::1     ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\nff00::0 ip6-mcastprefix\n" +
		"ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\nff02::3 ip6-allhosts\n"
}

// location is the node's time zone (UTC if the name does not load).
func (ns *nodeSys) location() *time.Location {
	if loc, err := time.LoadLocation(ns.timezone); err == nil {
		return loc
	}
	return time.UTC
}

func (s *Sim) getNodeTime(c *call) (any, error) {
	ns := c.sys(c.params["node"])
	_, off := c.now.In(ns.location()).Zone()
	return map[string]any{"timezone": ns.timezone, "time": c.now.Unix(), "localtime": c.now.Unix() + int64(off)}, nil
}

// validTimezone: what /usr/share/zoneinfo has as a file.
func validTimezone(tz string) bool {
	if tz == "" || tz == "Local" || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

func (s *Sim) setTimezone(c *call) (any, error) {
	tz := c.params["timezone"]
	if !validTimezone(tz) {
		return nil, paramErr("timezone", "No such timezone")
	}
	ns := c.sys(c.params["node"])
	if ns.timezone != tz {
		ns.timezone = tz
		abbr, _ := c.now.In(ns.location()).Zone()
		ns.events = append(ns.events, journalEntry{t: c.now, ident: "systemd-timedated", pid: 3000 + c.st.rng.IntN(60000),
			msg: fmt.Sprintf("Changed time zone to '%s' (%s).", tz, abbr)})
	}
	return nil, nil
}

func (s *Sim) getDNS(c *call) (any, error) {
	out := map[string]any{}
	for k, v := range c.sys(c.params["node"]).dns {
		out[k] = v
	}
	return out, nil
}

// putDNS rewrites resolv.conf as pve-common does: the search line and the
// name servers given (duplicates and 0.0.0.0 dropped); the others go away.
func (s *Sim) putDNS(c *call) (any, error) {
	ns := c.sys(c.params["node"])
	dns := map[string]string{}
	if v := c.params["search"]; v != "" {
		dns["search"] = strings.Fields(v)[0]
	}
	seen := map[string]bool{}
	i := 0
	for _, k := range []string{"dns1", "dns2", "dns3"} {
		v := c.params[k]
		if v == "" || v == "0.0.0.0" || seen[v] {
			continue
		}
		seen[v] = true
		i++
		dns["dns"+strconv.Itoa(i)] = v
	}
	ns.dns = dns
	return nil, nil
}

func nodeSHA1(s string) string {
	sum := sha1.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func (s *Sim) getHosts(c *call) (any, error) {
	h := c.sys(c.params["node"]).hosts
	return map[string]any{"data": h, "digest": nodeSHA1(h)}, nil
}

var hostsNameRe = lazyre.New(`^[.\-a-zA-Z0-9]+$`)

func (s *Sim) postHosts(c *call) (any, error) {
	ns := c.sys(c.params["node"])
	if d := c.params["digest"]; d != "" && d != nodeSHA1(ns.hosts) {
		return nil, failf("detected modified configuration - file changed by other user? Try again.")
	}
	data := c.params["data"]
	for _, line := range strings.Split(data, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		f := strings.Fields(line)
		if net.ParseIP(f[0]) == nil {
			return nil, paramErr("data", fmt.Sprintf("Invalid IP '%s'", f[0]))
		}
		for _, name := range f[1:] {
			if !hostsNameRe.MatchString(name) {
				return nil, paramErr("data", fmt.Sprintf("Invalid Hostname '%s'", name))
			}
		}
	}
	ns.hosts = data
	return nil, nil
}

// serverID is the node's made-up subscription server id (a hash of its MAC).
func serverID(n *node) string {
	return strings.ToUpper(nodeSHA1("serverid " + n.name)[:32])
}

// subscriptionURL is where the node points to for a subscription.
func (s *Sim) subscriptionURL() string {
	if s.major() < 8 {
		return "https://www.proxmox.com/proxmox-ve/pricing"
	}
	return "https://www.proxmox.com/en/proxmox-virtual-environment/pricing"
}

func (s *Sim) getSubscription(c *call) (any, error) {
	out := map[string]any{"status": "notfound", "message": "There is no subscription key", "url": s.subscriptionURL()}
	node := c.params["node"]
	if s.has(c.authid, "/nodes/"+node, "Sys.Audit") {
		out["serverid"] = serverID(c.st.node(node))
	}
	return out, nil
}

// netstat lists the tap/veth counters of the running guests: vmid and the
// counters are strings, as the regex captures of /proc/net/dev are.
func (s *Sim) nodeNetstat(c *call) (any, error) {
	out := []map[string]any{}
	for _, g := range c.st.sortedGuests() {
		if g.node != c.params["node"] || !g.running {
			continue
		}
		up := g.uptime(c.now)
		for i := 0; i < 32; i++ {
			if _, ok := g.conf["net"+strconv.Itoa(i)]; !ok {
				continue
			}
			rx := up*int64(2000+g.vmid%700) + int64(i)*4096
			tx := up*int64(600+g.vmid%300) + int64(i)*1024
			// in is what the guest received: the host side's transmit
			out = append(out, map[string]any{"vmid": strconv.Itoa(g.vmid), "dev": "net" + strconv.Itoa(i),
				"in": strconv.FormatInt(rx, 10), "out": strconv.FormatInt(tx, 10)})
		}
	}
	return out, nil
}
