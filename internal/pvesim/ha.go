package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// High availability: resources.cfg, groups.cfg (PVE 7/8), rules.cfg (PVE 9)
// and the CRM's manager status. The CRM acts at once on a request; the LRM's
// start, shutdown or migration runs as a task of root@pam on the guest's node.

type haState struct {
	res    map[string]*haResource // by sid, "vm:100"
	groups map[string]*haGroup
	rules  map[string]*haRule
	order  int // last rule ordinal handed out
	// disarm is the resource mode while HA is disarmed (PVE 9.1), "" when armed.
	disarm string
	// repl is the replication config and state (replication.go).
	repl *replState
}

type haResource struct {
	sid  string
	vmid int
	opts map[string]string // state, group, failback, max_restart, max_relocate, comment (as written)
	// crm is the service state in the manager status ("" = not tracked).
	crm string
}

type haGroup struct {
	id   string
	opts map[string]string // nodes, restricted, nofailback, comment
}

type haRule struct {
	id    string
	typ   string // node-affinity, resource-affinity
	order int
	opts  map[string]string // resources, nodes, strict, affinity, disable, comment
}

func (st *state) ha() *haState {
	if st.haS == nil {
		st.haS = &haState{res: map[string]*haResource{}, groups: map[string]*haGroup{}, rules: map[string]*haRule{}}
	}
	return st.haS
}

// haOf is the HA resource of a guest, nil when the guest is not HA managed.
func (st *state) haOf(vmid int) *haResource {
	if st.haS == nil {
		return nil
	}
	for _, p := range []string{"vm:", "ct:"} {
		if r := st.haS.res[p+strconv.Itoa(vmid)]; r != nil {
			return r
		}
	}
	return nil
}

// reqState is the requested state with read_and_check_resources_config's default.
func (r *haResource) reqState() string {
	switch v := r.opts["state"]; v {
	case "", "enabled":
		return "started"
	default:
		return v
	}
}

func (s *Sim) haRoutes() []route {
	r := []route{
		{method: "GET", tmpl: "/cluster/ha", h: indexOf("id")},
		{method: "GET", tmpl: "/cluster/ha/resources", h: s.haListResources},
		{method: "POST", tmpl: "/cluster/ha/resources", h: s.haCreateResource},
		{method: "GET", tmpl: "/cluster/ha/resources/{sid}", h: s.haGetResource},
		{method: "PUT", tmpl: "/cluster/ha/resources/{sid}", h: s.haUpdateResource},
		{method: "DELETE", tmpl: "/cluster/ha/resources/{sid}", h: s.haDeleteResource},
		{method: "POST", tmpl: "/cluster/ha/resources/{sid}/migrate", h: s.haMigrateResource},
		{method: "POST", tmpl: "/cluster/ha/resources/{sid}/relocate", h: s.haRelocateResource},
		{method: "GET", tmpl: "/cluster/ha/groups", h: s.haListGroups},
		{method: "POST", tmpl: "/cluster/ha/groups", h: s.haCreateGroup},
		{method: "GET", tmpl: "/cluster/ha/groups/{group}", h: s.haGetGroup},
		{method: "PUT", tmpl: "/cluster/ha/groups/{group}", h: s.haUpdateGroup},
		{method: "DELETE", tmpl: "/cluster/ha/groups/{group}", h: s.haDeleteGroup},
		{method: "GET", tmpl: "/cluster/ha/rules", since: "9.1", h: s.haListRules},
		{method: "POST", tmpl: "/cluster/ha/rules", since: "9.1", h: s.haCreateRule},
		{method: "GET", tmpl: "/cluster/ha/rules/{rule}", since: "9.1", h: s.haGetRule},
		{method: "PUT", tmpl: "/cluster/ha/rules/{rule}", since: "9.1", h: s.haUpdateRule},
		{method: "DELETE", tmpl: "/cluster/ha/rules/{rule}", since: "9.1", h: s.haDeleteRule},
		{method: "GET", tmpl: "/cluster/ha/status", h: indexOf("name")},
		{method: "GET", tmpl: "/cluster/ha/status/current", h: s.haStatusCurrent},
		{method: "GET", tmpl: "/cluster/ha/status/manager_status", h: s.haManagerStatus},
		{method: "POST", tmpl: "/cluster/ha/status/disarm-ha", since: "9.1", h: s.haDisarm},
		{method: "POST", tmpl: "/cluster/ha/status/arm-ha", since: "9.1", h: s.haArm},
	}
	r = append(r, s.replicationRoutes()...)
	r = append(r, s.bulkRoutes()...)
	return append(r, s.backupInfoRoutes()...)
}

var sidRE = lazyre.New(`^(\S+):(\S+)$`)

// parseSID is PVE::HA::Config::parse_sid: a plain vmid takes its guest's type.
func (c *call) parseSID(sid string) (full, typ, name string, err error) {
	if n, e := strconv.Atoi(sid); e == nil && n > 0 && !strings.HasPrefix(sid, "0") {
		g := c.st.guests[n]
		if g == nil {
			return "", "", "", failf("unable to detect SID from VMID - VM/CT %d does not exist", n)
		}
		typ = haType(g.kind)
		return typ + ":" + sid, typ, sid, nil
	}
	m := sidRE.FindStringSubmatch(sid)
	if m == nil {
		return "", "", "", failf("unable to parse service id '%s'", sid)
	}
	return sid, m[1], m[2], nil
}

func haType(k guestKind) string { return byKind(k, "vm", "ct") }

// groupsMigrated is have_groups_been_migrated: PVE 9 converts every group
// to a rule, so its groups.cfg is empty and the group API refuses.
func (s *Sim) groupsMigrated() bool { return s.major() >= 9 && len(s.st.ha().groups) == 0 }

// haDigest is the SHA1 of a section config as written to /etc/pve/ha.
func haDigest(sections ...string) string {
	sum := sha1.Sum([]byte(strings.Join(sections, "\n")))
	return hex.EncodeToString(sum[:])
}

func sectionText(typ, id string, opts map[string]string) string {
	var b strings.Builder
	b.WriteString(typ + ": " + id + "\n")
	for _, k := range sortedKeys(opts) {
		b.WriteString("\t" + k + " " + opts[k] + "\n")
	}
	return b.String()
}

func (h *haState) resDigest() string {
	var secs []string
	for _, sid := range sortedKeys(h.res) {
		r := h.res[sid]
		typ, name, _ := strings.Cut(sid, ":")
		secs = append(secs, sectionText(typ, name, r.opts))
	}
	return haDigest(secs...)
}

// haRequest is the CRM's answer to a new requested state: the service state
// changes at once and the LRM starts or shuts the guest down in a task.
func (s *Sim) haRequest(r *haResource) {
	g := s.st.guests[r.vmid]
	if g == nil || s.st.ha().disarm != "" {
		return
	}
	switch r.reqState() {
	case "ignored":
		r.crm = ""
	case "started":
		r.crm = "started"
		if !g.running {
			s.lrmTask(g, "start", func(end time.Time) { g.running, g.paused, g.startedAt = true, false, end })
		}
	default: // stopped, disabled
		if !g.running {
			r.crm = "stopped"
			return
		}
		r.crm = "request_stop"
		s.lrmTask(g, "shutdown", func(time.Time) {
			g.running, g.paused = false, false
			if cur := s.st.haOf(g.vmid); cur == r && r.crm == "request_stop" {
				r.crm = "stopped"
			}
		})
	}
}

// lrmTask is a start or shutdown the LRM runs for the CRM.
func (s *Sim) lrmTask(g *guest, op string, done func(end time.Time)) {
	vmid := g.vmid
	s.startTask(taskSpec{node: g.node, typ: g.kind.task(op), id: strconv.Itoa(vmid), user: "root@pam", vmid: vmid,
		dur: 2 * time.Second, lines: at(0, "task started by HA resource agent"),
		onOK: func(end time.Time) error {
			if s.st.guests[vmid] != g {
				return noConfig(g.kind, g.node, vmid)
			}
			done(end)
			return nil
		}})
}

// haMove is the CRM's migrate or relocate: the LRM migrates the guest
// (relocate stops it first and starts it again on the target).
func (s *Sim) haMove(r *haResource, target string, relocate bool) {
	g := s.st.guests[r.vmid]
	tn := s.st.node(target)
	if g == nil || tn == nil || target == g.node || r.crm == "" || s.st.ha().disarm != "" {
		return
	}
	wasRunning := g.running
	online := g.running && !relocate && g.kind.liveMigrates()
	restart := g.running && !g.kind.liveMigrates()
	lines, dur, failMsg := s.migrationPlan(g, tn, online, false, restart, s.now())
	lines = append(at(0, "task started by HA resource agent"), lines...)
	prev := r.crm
	if relocate {
		r.crm = "relocate"
	} else {
		r.crm = "migrate"
	}
	src := g.node
	s.startTask(taskSpec{node: src, typ: g.kind.task("migrate"), id: strconv.Itoa(r.vmid), user: "root@pam", vmid: r.vmid,
		dur: dur, lines: lines, failMsg: failMsg, failAt: 0.1, interruptMsg: "migration aborted",
		onOK: func(end time.Time) error {
			for _, v := range volumesOf(g) {
				if vol := s.st.findVolume(src, v); vol != nil {
					s.st.removeVolume(src, v)
					s.st.addVolume(target, vol)
				}
			}
			g.node = target
			if wasRunning {
				g.running = true
				if !online {
					g.startedAt = end
				}
			}
			if r.crm == "migrate" || r.crm == "relocate" {
				r.crm = prev
			}
			return nil
		},
		onFail: func() {
			if r.crm == "migrate" || r.crm == "relocate" {
				r.crm = prev
			}
		}})
	if relocate || restart {
		g.running = false
	}
}

// haGuestRequest is qm/pct start, stop, shutdown or migrate on an HA guest:
// a short hastart/hastop/hamigrate task that only asks the CRM.
func (s *Sim) haGuestRequest(c *call, g *guest, typ, state, target string) (any, error) {
	return s.haGuestRequestOp(c.op(), g, typ, state, target), nil
}
