package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Storage replication (/cluster/replication, /nodes/{node}/replication):
// pve-manager's ReplicationConfig.pm and Replication.pm, pve-guest-common's
// ReplicationState. pvescheduler runs the jobs: no worker task, a per-job
// log and state, brought up to date on every read.

type replState struct {
	jobs map[string]*replJob
}

type replJob struct {
	id       string
	guest    int
	jobnum   int
	opts     map[string]string // target, schedule, rate, comment, disable, source, remove_job
	created  time.Time
	removeAt time.Time // the scheduler's next minute after a removal mark
	lastSync int64
	lastTry  int64
	fails    int
	err      string
	duration float64
	snap     int64 // time of the last replication snapshot (0 = none)
	log      []string
}

func (st *state) repl() *replState {
	h := st.ha()
	if h.repl == nil {
		h.repl = &replState{jobs: map[string]*replJob{}}
	}
	return h.repl
}

func (s *Sim) replicationRoutes() []route {
	return []route{
		{method: "GET", tmpl: "/cluster/replication", h: s.listReplication},
		{method: "POST", tmpl: "/cluster/replication", h: s.createReplication},
		{method: "GET", tmpl: "/cluster/replication/{id}", h: s.getReplication},
		{method: "PUT", tmpl: "/cluster/replication/{id}", h: s.updateReplication},
		{method: "DELETE", tmpl: "/cluster/replication/{id}", h: s.deleteReplication},
		{method: "GET", tmpl: "/nodes/{node}/replication", h: s.nodeReplication},
		{method: "GET", tmpl: "/nodes/{node}/replication/{id}", h: func(*call) (any, error) {
			return []map[string]string{{"name": "schedule_now"}, {"name": "log"}, {"name": "status"}}, nil
		}},
		{method: "GET", tmpl: "/nodes/{node}/replication/{id}/status", h: s.replicationStatus},
		{method: "GET", tmpl: "/nodes/{node}/replication/{id}/log", h: s.replicationLog},
		{method: "POST", tmpl: "/nodes/{node}/replication/{id}/schedule_now", h: s.replicationNow},
	}
}

var replNumeric = map[string]bool{"disable": true}

func (r *replState) digest() string {
	var secs []string
	for _, id := range sortedKeys(r.jobs) {
		j := r.jobs[id]
		o := copyConf(j.opts)
		o["guest"] = strconv.Itoa(j.guest)
		o["jobnum"] = strconv.Itoa(j.jobnum)
		secs = append(secs, sectionText("local", id, o))
	}
	return haDigest(secs...)
}

// configJSON is the job as replication.cfg has it.
func (j *replJob) configJSON() map[string]any {
	m := map[string]any{"id": j.id, "type": "local", "guest": j.guest, "jobnum": j.jobnum}
	for k, v := range j.opts {
		switch {
		case replNumeric[k]:
			m[k] = atoiDefault(v, 0)
		case k == "rate":
			f, _ := strconv.ParseFloat(v, 64)
			m[k] = f
		default:
			m[k] = v
		}
	}
	return m
}

var replIDRE = lazyre.New(`^(\d+)-(\d+)$`)

func (c *call) replGuestPerm(id, priv string) (int, error) {
	m := replIDRE.FindStringSubmatch(id)
	if m == nil {
		return 0, failf("invalid replication job id '%s'", id)
	}
	vmid, _ := strconv.Atoi(m[1])
	return vmid, c.checkPriv("/vms/"+m[1], priv)
}

func (s *Sim) listReplication(c *call) (any, error) {
	r := c.st.repl()
	s.replTick()
	out := []map[string]any{}
	for _, id := range sortedKeys(r.jobs) {
		j := r.jobs[id]
		if s.has(c.authid, "/vms/"+strconv.Itoa(j.guest), "VM.Audit") {
			out = append(out, j.configJSON())
		}
	}
	return out, nil
}

func (s *Sim) getReplication(c *call) (any, error) {
	s.replTick()
	j := c.st.repl().jobs[c.params["id"]]
	if j == nil {
		return nil, failf("no such replication job '%s'", c.params["id"])
	}
	if err := c.checkPriv("/vms/"+strconv.Itoa(j.guest), "VM.Audit"); err != nil {
		return nil, err
	}
	m := j.configJSON()
	m["digest"] = c.st.repl().digest()
	return m, nil
}

// replicatable is get_replicatable_volumes: local volumes of the guest on
// storage with the replicate feature (ZFS); shared storage is skipped.
func (st *state) replicatable(g *guest) ([]string, error) {
	var out []string
	for _, volid := range volumesOf(g) {
		sid, _, _ := strings.Cut(volid, ":")
		var def *storageDef
		for _, d := range st.storages {
			if d.id == sid {
				def = d
			}
		}
		if def == nil || def.shared {
			continue
		}
		if def.typ != "zfspool" {
			return nil, fmt.Errorf("missing replicate feature on volume '%s'", volid)
		}
		out = append(out, volid)
	}
	return out, nil
}

func (s *Sim) createReplication(c *call) (any, error) {
	id := c.params["id"]
	vmid, err := c.replGuestPerm(id, "VM.Replicate")
	if err != nil {
		return nil, err
	}
	g := c.st.guests[vmid]
	if g == nil {
		return nil, failf("Guest '%d' does not exist.", vmid)
	}
	target := c.params["target"]
	if c.st.node(target) == nil {
		return nil, failf("Target '%s' does not exist.", target)
	}
	if src := c.params["source"]; src != "" && src != g.node {
		return nil, failf("Source '%s' does not match current node of guest '%d' (%s)", src, vmid, g.node)
	}
	if target == g.node {
		return nil, failf("Source and target must not be identical")
	}
	vols, err := c.st.replicatable(g)
	if err != nil {
		return nil, failf("%s", err.Error())
	}
	if len(vols) == 0 {
		return nil, failf("No replicatable volumes found")
	}
	r := c.st.repl()
	if r.jobs[id] != nil {
		return nil, failf("replication job '%s' already exists", id)
	}
	opts := map[string]string{"source": g.node}
	for _, k := range []string{"target", "schedule", "rate", "comment", "disable", "remove_job"} {
		if v, ok := c.params[k]; ok {
			if k == "disable" {
				v = strconv.Itoa(b2i(c.flag(k)))
			}
			opts[k] = v
		}
	}
	jobnum, _ := strconv.Atoi(replIDRE.FindStringSubmatch(id)[2])
	r.jobs[id] = &replJob{id: id, guest: vmid, jobnum: jobnum, opts: opts, created: c.now}
	return nil, nil
}

func (s *Sim) updateReplication(c *call) (any, error) {
	id := c.params["id"]
	if _, err := c.replGuestPerm(id, "VM.Replicate"); err != nil {
		return nil, err
	}
	r := c.st.repl()
	if d := c.params["digest"]; d != "" && d != r.digest() {
		return nil, failf("detected modified configuration - file changed by other user? Try again.")
	}
	j := r.jobs[id]
	if j == nil {
		return nil, failf("no such job '%s'", id)
	}
	del := splitList(c.params["delete"])
	for _, k := range del {
		switch k {
		case "target", "type":
			return nil, failf("unable to delete required option '%s'", k)
		case "schedule", "rate", "comment", "disable", "source", "remove_job":
		default:
			return nil, failf("no such option '%s'", k)
		}
	}
	for _, k := range []string{"schedule", "rate", "comment", "disable", "source", "remove_job"} {
		if v, ok := c.params[k]; ok {
			if k == "disable" {
				v = strconv.Itoa(b2i(c.flag(k)))
			}
			j.opts[k] = v
		}
	}
	for _, k := range del {
		delete(j.opts, k)
	}
	if j.opts["remove_job"] != "" && j.removeAt.IsZero() {
		j.removeAt = c.now.Truncate(time.Minute).Add(time.Minute)
	}
	return nil, nil
}

// deleteReplication marks the job for removal; the scheduler removes it
// (and its snapshots) on its next run. force drops it from the config at once.
func (s *Sim) deleteReplication(c *call) (any, error) {
	id := c.params["id"]
	if _, err := c.replGuestPerm(id, "VM.Replicate"); err != nil {
		return nil, err
	}
	r := c.st.repl()
	if c.flag("force") {
		if c.flag("keep") {
			return nil, paramErr("keep", "conflicts with parameter 'force'")
		}
		delete(r.jobs, id)
		return nil, nil
	}
	j := r.jobs[id]
	if j == nil {
		return nil, failf("no such job '%s'", id)
	}
	j.opts["remove_job"] = "full"
	if c.flag("keep") {
		j.opts["remove_job"] = "local"
	}
	j.removeAt = c.now.Truncate(time.Minute).Add(time.Minute)
	return nil, nil
}

// nodeJob finds a job whose guest is on the node in the path (job_status).
func (c *call) nodeJob() (*replJob, error) {
	c.s.replTick()
	id := c.params["id"]
	j := c.st.repl().jobs[id]
	if j == nil {
		return nil, failf("no such replication job '%s'", id)
	}
	if g := c.st.guests[j.guest]; g == nil || g.node != c.params["node"] {
		return nil, failf("no such replication job '%s'", id)
	}
	return j, nil
}

func (s *Sim) nodeReplication(c *call) (any, error) {
	s.replTick()
	r := c.st.repl()
	out := []map[string]any{}
	for _, id := range sortedKeys(r.jobs) {
		j := r.jobs[id]
		g := c.st.guests[j.guest]
		if g == nil || g.node != c.params["node"] || (j.opts["remove_job"] == "" && j.opts["target"] == g.node) {
			continue
		}
		if c.has("guest") && c.vmidParam("guest") != j.guest {
			continue
		}
		if !s.has(c.authid, "/vms/"+strconv.Itoa(j.guest), "VM.Audit") {
			continue
		}
		out = append(out, s.replStatusJSON(j, g))
	}
	return out, nil
}

func (c *call) vmidParam(k string) int { return atoiDefault(c.params[k], 0) }

func (s *Sim) replicationStatus(c *call) (any, error) {
	j, err := c.nodeJob()
	if err != nil {
		return nil, err
	}
	if err := c.checkPriv("/vms/"+strconv.Itoa(j.guest), "VM.Audit"); err != nil {
		return nil, err
	}
	return s.replStatusJSON(j, c.st.guests[j.guest]), nil
}

func (s *Sim) replicationLog(c *call) (any, error) {
	s.replTick()
	id := c.params["id"]
	j := c.st.repl().jobs[id]
	if j == nil {
		return nil, failf("no such replication job '%s'", id)
	}
	if !s.has(c.authid, "/vms/"+strconv.Itoa(j.guest), "VM.Audit") && !s.has(c.authid, "/nodes/"+c.params["node"], "Sys.Audit") {
		return nil, permErrorText("Permission check failed")
	}
	lines := j.log
	if len(lines) == 0 {
		lines = []string{"no content"}
	}
	start, limit := atoiDefault(c.params["start"], 0), atoiDefault(c.params["limit"], 50)
	out := []map[string]any{}
	for i := start; i < len(lines) && (limit == 0 || i < start+limit); i++ {
		out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
	}
	c.total = len(lines)
	return out, nil
}

func (s *Sim) replicationNow(c *call) (any, error) {
	if _, err := c.replGuestPerm(c.params["id"], "VM.Replicate"); err != nil {
		return nil, err
	}
	j := c.st.repl().jobs[c.params["id"]]
	if j == nil {
		return nil, failf("no such replication job '%s'", c.params["id"])
	}
	// schedule_job_now resets last_try (only when the job has run before)
	if j.lastTry != 0 {
		j.lastTry = 0
	}
	return nil, nil
}
