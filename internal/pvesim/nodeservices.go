package pvesim

import (
	"fmt"
	"strings"
	"time"
)

func (s *Sim) serviceRoutes() []route {
	b := "/nodes/{node}/services"
	return []route{
		{method: "GET", tmpl: b, h: s.listServices},
		{method: "GET", tmpl: b + "/{service}", h: indexOf("subdir")},
		{method: "GET", tmpl: b + "/{service}/state", h: s.serviceState},
		{method: "POST", tmpl: b + "/{service}/start", h: s.serviceCmd("start")},
		{method: "POST", tmpl: b + "/{service}/stop", h: s.serviceCmd("stop")},
		{method: "POST", tmpl: b + "/{service}/restart", h: s.serviceCmd("restart")},
		{method: "POST", tmpl: b + "/{service}/reload", h: s.serviceCmd("reload")},
	}
}

// svcDef is what systemd knows of a unit on a fresh PVE node.
type svcDef struct {
	desc     string
	unit     string // unit-state: enabled, disabled, static, not-found
	oneshot  bool   // Type=oneshot with RemainAfterExit (state "exited")
	inactive bool   // installed but not running
}

// serviceDefs are the units of the services Proxmox lists; the list itself
// is the schema's enum of the release served.
var serviceDefs = map[string]svcDef{
	"chrony":            {desc: "chrony, an NTP client/server", unit: "enabled"},
	"corosync":          {desc: "Corosync Cluster Engine", unit: "enabled"},
	"cron":              {desc: "Regular background program processing daemon", unit: "enabled"},
	"ksmtuned":          {desc: "Kernel Samepage Merging (KSM) Tuning Daemon", unit: "enabled"},
	"lxcfs":             {desc: "FUSE filesystem for LXC", unit: "enabled"},
	"postfix":           {desc: "Postfix Mail Transport Agent", unit: "enabled", oneshot: true},
	"proxmox-firewall":  {desc: "Proxmox nftables firewall", unit: "enabled"},
	"pve-cluster":       {desc: "The Proxmox VE cluster filesystem", unit: "enabled"},
	"pve-firewall":      {desc: "Proxmox VE firewall", unit: "enabled"},
	"pve-ha-crm":        {desc: "PVE Cluster HA Resource Manager Daemon", unit: "enabled"},
	"pve-ha-lrm":        {desc: "PVE Local HA Resource Manager Daemon", unit: "enabled"},
	"pve-lxc-syscalld":  {desc: "Proxmox VE LXC Syscall Daemon", unit: "static"},
	"pvedaemon":         {desc: "PVE API Daemon", unit: "enabled"},
	"pvefw-logger":      {desc: "Proxmox VE firewall logger", unit: "static"},
	"pveproxy":          {desc: "PVE API Proxy Server", unit: "enabled"},
	"pvescheduler":      {desc: "Proxmox VE scheduler", unit: "enabled"},
	"pvestatd":          {desc: "PVE Status Daemon", unit: "enabled"},
	"qmeventd":          {desc: "PVE Qemu Event Daemon", unit: "enabled"},
	"spiceproxy":        {desc: "PVE SPICE Proxy Server", unit: "enabled"},
	"sshd":              {desc: "OpenBSD Secure Shell server", unit: "enabled"},
	"systemd-journald":  {desc: "Journal Service", unit: "static"},
	"systemd-timesyncd": {desc: "systemd-timesyncd.service", unit: "not-found"}, // chrony replaces it
	"syslog":            {desc: "System Logging Service", unit: "enabled"},
}

// essentialServices refuse to stop (Services.pm).
var essentialServices = map[string]bool{"pveproxy": true, "pvedaemon": true, "pve-cluster": true}

type svcState struct {
	name   string
	def    svcDef
	active bool
	since  time.Time
	pid    int
}

// serviceNames is the served release's list of services (the schema's enum).
func (s *Sim) serviceNames() []string {
	ep, ok := s.schema.schema.Endpoint("GET", "/nodes/{node}/services/{service}/state")
	if !ok {
		return nil
	}
	p, _ := ep.Param("service")
	return p.Enum
}

func (s *Sim) seedServices(n *node) map[string]*svcState {
	out := map[string]*svcState{}
	for i, name := range s.serviceNames() {
		d, ok := serviceDefs[name]
		if !ok {
			d = svcDef{desc: name + ".service", unit: "not-found"}
		}
		if name == "syslog" && s.major() >= 8 {
			// bookworm and later ship no rsyslog: the journal is the log
			d = svcDef{desc: "syslog.service", unit: "not-found"}
		}
		st := &svcState{name: name, def: d, since: n.boot.Add(time.Duration(3+i%9) * time.Second), pid: 700 + 37*i + n.id}
		st.active = d.unit != "not-found" && !d.inactive
		out[name] = st
	}
	return out
}

// stateJSON is Services.pm's service_state: SubState, ActiveState and
// UnitFileState ("not-found" when not installed).
func (sv *svcState) stateJSON() map[string]any {
	state, active := "dead", "inactive"
	if sv.active {
		state, active = "running", "active"
		if sv.def.oneshot {
			state = "exited"
		}
	}
	return map[string]any{"service": sv.name, "name": sv.name, "desc": sv.def.desc,
		"state": state, "active-state": active, "unit-state": sv.def.unit}
}

func (s *Sim) listServices(c *call) (any, error) {
	ns := c.sys(c.params["node"])
	out := []map[string]any{}
	for _, name := range sortedKeys(ns.services) {
		out = append(out, ns.services[name].stateJSON())
	}
	return out, nil
}

func (s *Sim) serviceState(c *call) (any, error) {
	return c.sys(c.params["node"]).services[c.params["service"]].stateJSON(), nil
}

// unitName is the systemd unit a service id stands for.
func unitName(service string) string {
	switch service {
	case "sshd":
		return "ssh.service"
	case "postfix":
		return "postfix@-.service"
	}
	return service + ".service"
}

// serviceCmd runs "systemctl <cmd> <service>" in a worker (srvstart, ...).
// reload is systemd's try-reload-or-restart: nothing happens to a stopped unit.
func (s *Sim) serviceCmd(cmd string) handler {
	return func(c *call) (any, error) {
		name := c.params["service"]
		ns := c.sys(c.params["node"])
		sv := ns.services[name]
		verb := map[string]string{"start": "starting", "stop": "stopping", "restart": "re-starting", "reload": "reloading"}[cmd]
		sysCmd := cmd
		if cmd == "reload" {
			sysCmd = "try-reload-or-restart"
		}
		sp := taskSpec{typ: "srv" + cmd, id: name, dur: time.Second}
		switch {
		case cmd == "stop" && essentialServices[name]:
			sp.failMsg = fmt.Sprintf("invalid service cmd '%s %s': refusing to stop essential service!", name, cmd)
		case sv.def.unit == "not-found" && cmd != "reload":
			past := map[string]string{"start": "start", "stop": "stop", "restart": "restart"}[cmd]
			sp.lines = at(0.5, fmt.Sprintf("Failed to %s %s: Unit %s not found.", past, unitName(name), unitName(name)))
			sp.failMsg = fmt.Sprintf("command 'systemctl %s %s' failed: exit code 5", sysCmd, name)
		case sv.def.unit == "not-found":
			// try-reload-or-restart of an unknown unit is a no-op
		default:
			sp.onOK = func(end time.Time) error {
				s.applyServiceCmd(c, ns, sv, cmd, end)
				return nil
			}
		}
		sp.node, sp.user = c.params["node"], c.authid
		t := s.startTask(sp)
		// the worker syslogs before it runs systemctl
		ns.events = append(ns.events, journalEntry{t: c.now.Add(time.Millisecond), ident: "pvedaemon", pid: int(t.pid),
			unit: "pvedaemon", msg: fmt.Sprintf("%s service %s: %s", verb, name, t.upid)})
		return t.upid, nil
	}
}

// applyServiceCmd changes the unit's state and logs systemd's lines.
func (s *Sim) applyServiceCmd(c *call, ns *nodeSys, sv *svcState, cmd string, end time.Time) {
	unit := unitName(sv.name)
	label := unit + " - " + sv.def.desc
	if s.major() < 8 {
		label = sv.def.desc // systemd 247 prints only the description
	}
	log := func(off time.Duration, msg string) {
		ns.events = append(ns.events, journalEntry{t: end.Add(off - 10*time.Millisecond), ident: "systemd", pid: 1, unit: strings.TrimSuffix(unit, ".service"), msg: msg})
	}
	stop := func() {
		log(-400*time.Millisecond, "Stopping "+label+"...")
		log(-300*time.Millisecond, unit+": Deactivated successfully.")
		log(-200*time.Millisecond, "Stopped "+label+".")
		sv.active = false
		sv.since = end
	}
	start := func() {
		log(-100*time.Millisecond, "Starting "+label+"...")
		log(0, "Started "+label+".")
		sv.active = true
		sv.since = end
		sv.pid = 1000 + c.st.rng.IntN(900000)
	}
	switch cmd {
	case "start":
		if !sv.active {
			start()
		}
	case "stop":
		if sv.active {
			stop()
		}
	case "restart":
		if sv.active {
			stop()
		}
		start()
	case "reload":
		if sv.active {
			log(-100*time.Millisecond, "Reloading "+label+"...")
			log(0, "Reloaded "+label+".")
		}
	}
}
