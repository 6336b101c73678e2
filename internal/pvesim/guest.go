package pvesim

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config keys whose schema type is integer or boolean: the real node emits
// them as JSON numbers; everything else (strings, and schema "number"s such
// as cpulimit) as strings.
var qemuNumericKeys = map[string]bool{
	"cores": true, "sockets": true, "balloon": true, "vcpus": true, "cpuunits": true, "shares": true,
	"migrate_speed": true, "smp": true, "snaptime": true,
	"acpi": true, "autostart": true, "kvm": true, "localtime": true, "numa": true, "onboot": true,
	"protection": true, "reboot": true, "tablet": true, "tdf": true, "template": true, "freeze": true,
	"keephugepages": true, "allow-ksm": true, "ciupgrade": true,
}

var lxcNumericKeys = map[string]bool{
	"cores": true, "cpuunits": true, "memory": true, "swap": true, "tty": true, "snaptime": true,
	"console": true, "onboot": true, "protection": true, "template": true, "unprivileged": true, "debug": true,
}

// configJSON converts stored config strings to the JSON types a real node emits.
func configJSON(kind guestKind, conf map[string]string) map[string]any {
	numeric := byKind(kind, qemuNumericKeys, lxcNumericKeys)
	out := make(map[string]any, len(conf)+1)
	for k, v := range conf {
		if numeric[k] {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out[k] = n
				continue
			}
		}
		if k == "cipassword" {
			v = "**********"
		}
		out[k] = v
	}
	return out
}

// guestOnNode loads a guest as the node in the path sees it: a guest of the
// other kind, or on another node, does not exist here.
func (c *call) guestOnNode(kind guestKind) (*guest, error) { return c.op().guestHere(kind, c.vmid()) }

// lockError is check_lock's text: "VM is locked (backup)".
func lockError(g *guest) error {
	if l := g.lock(); l != "" {
		return failf("%s is locked (%s)", g.typeName(), l)
	}
	return nil
}

func (c *call) rootOnly(names ...string) error {
	if c.authid == "root@pam" {
		return nil
	}
	for _, n := range names {
		if c.boolish(n) {
			return paramErr(n, "Only root may use this option.")
		}
	}
	return nil
}

// boolish is true when a parameter is present and not a false boolean.
func (c *call) boolish(k string) bool {
	v, ok := c.params[k]
	return ok && v != "" && v != "0"
}

func (s *Sim) major() int { return s.schema.major }

// uptime of a running guest in whole seconds.
func (g *guest) uptime(now time.Time) int64 {
	if !g.running {
		return 0
	}
	u := int64(now.Sub(g.startedAt).Seconds())
	if u < 0 {
		u = 0
	}
	return u
}

// stats returns the status fields shared by lists, status/current and
// /cluster/resources. Values are derived from the guest and its uptime so
// they are stable and plausible.
func (s *Sim) guestStats(g *guest, now time.Time, full bool) map[string]any {
	u := g.usageAt(now)
	m := map[string]any{
		"vmid":    g.vmid,
		"name":    g.name(),
		"status":  "stopped",
		"uptime":  u.uptime,
		"cpu":     u.cpu,
		"cpus":    g.cpus(),
		"mem":     u.mem,
		"maxmem":  g.maxMem(),
		"disk":    u.disk,
		"maxdisk": g.maxDisk(),
		"netin":   u.netin,
		"netout":  u.netout,
	}
	g.kind.addStats(m, g, u, full, s.major())
	if g.running {
		m["status"] = "running"
		m["pid"] = 1000 + g.vmid*7%90000
		if s.major() >= 9 {
			for _, p := range pressureKeys {
				m[p] = g.kind.pressure()
			}
		}
	}
	if g.isTemplate() {
		m["template"] = 1
	}
	if l := g.lock(); l != "" {
		m["lock"] = l
	}
	if t := g.conf["tags"]; t != "" {
		m["tags"] = t
	}
	return m
}

func (s *Sim) listGuests(c *call, kind guestKind) (any, error) {
	nodeName := c.params["node"]
	full := c.flag("full")
	out := []map[string]any{}
	for _, g := range c.st.sortedGuests() {
		if g.kind != kind || g.node != nodeName {
			continue
		}
		if !s.has(c.authid, "/vms/"+strconv.Itoa(g.vmid), "VM.Audit") {
			continue
		}
		out = append(out, s.guestStats(g, c.now, full))
	}
	return out, nil
}

func (g *guest) qmpStatus() string {
	switch {
	case !g.running:
		return "stopped"
	case g.paused:
		return "paused"
	}
	return "running"
}

func (st *state) sortedGuests() []*guest {
	out := make([]*guest, 0, len(st.guests))
	for _, g := range st.guests {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].vmid < out[j].vmid })
	return out
}

func (s *Sim) guestStatus(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	m := s.guestStats(g, c.now, true)
	m["ha"] = s.haGuestStatus(g.vmid)
	g.kind.addCurrent(m, g, s.major())
	return m, nil
}

func (s *Sim) guestIndex(c *call, kind guestKind) (any, error) {
	if _, err := c.guestOnNode(kind); err != nil {
		return nil, err
	}
	return c.subdirs("subdir"), nil
}

func (s *Sim) guestStatusIndex(c *call, kind guestKind) (any, error) {
	if _, err := c.guestOnNode(kind); err != nil {
		return nil, err
	}
	return c.subdirs("subdir"), nil
}

func (s *Sim) getGuestConfig(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if sn := c.params["snapshot"]; sn != "" {
		snap := g.snapshot(sn)
		if snap == nil {
			return nil, failf("snapshot '%s' does not exist", sn)
		}
		out := configJSON(kind, snap.conf)
		out["digest"] = g.digest()
		return out, nil
	}
	conf := copyConf(g.conf)
	if !c.flag("current") {
		for k, v := range g.pending {
			conf[k] = v
		}
		for _, k := range g.pendDel {
			delete(conf, k)
		}
	}
	out := configJSON(kind, conf)
	out["digest"] = g.digest()
	return out, nil
}

func (s *Sim) guestPending(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range g.conf {
		keys[k] = true
	}
	for k := range g.pending {
		keys[k] = true
	}
	out := []map[string]any{}
	for _, k := range sortedKeys(keys) {
		if k == "lock" || k == "parent" {
			continue
		}
		e := map[string]any{"key": k}
		typed := configJSON(kind, map[string]string{k: g.conf[k]})
		if v, ok := g.conf[k]; ok {
			_ = v
			e["value"] = typed[k]
		}
		if v, ok := g.pending[k]; ok {
			e["pending"] = configJSON(kind, map[string]string{k: v})[k]
		}
		for _, d := range g.pendDel {
			if d == k {
				e["delete"] = 1
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func (g *guest) snapshot(name string) *snapshot {
	for _, sn := range g.snaps {
		if sn.name == name {
			return sn
		}
	}
	return nil
}

// addQemuCurrent adds what only a VM's status/current has: the QMP status,
// the agent flag and, while running, the machine and QEMU version.
func addQemuCurrent(m map[string]any, g *guest, major int) {
	if parsePropString(g.conf["agent"], "enabled").get("enabled") == "1" {
		m["agent"] = 1
	}
	if !g.running {
		return
	}
	m["running-machine"] = "pc-i440fx-10.1+pve0"
	m["running-qemu"] = "10.1.2"
	if strings.Contains(g.conf["machine"], "q35") {
		m["running-machine"] = "pc-q35-10.1+pve0"
	}
	if major < 9 {
		m["running-machine"] = "pc-i440fx-8.1+pve0"
		m["running-qemu"] = "8.1.5"
	}
}
