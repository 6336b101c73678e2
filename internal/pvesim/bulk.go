package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Bulk guest actions (PVE 9.1, /cluster/bulk-action/guest): a bulk-* worker
// that runs each guest's own start/shutdown/suspend/migrate endpoint, at
// most max-workers at a time, startup order group after group, and logs
// what it ran (pve-manager's API2/Cluster/BulkAction/Guest.pm).

func (s *Sim) bulkRoutes() []route {
	return []route{
		{method: "GET", tmpl: "/cluster/bulk-action", since: "9.1", h: func(*call) (any, error) {
			return []map[string]string{{"name": "guest"}}, nil
		}},
		{method: "GET", tmpl: "/cluster/bulk-action/guest", since: "9.1", h: func(*call) (any, error) {
			return []map[string]string{{"name": "start"}, {"name": "shutdown"}, {"name": "migrate"}, {"name": "suspend"}}, nil
		}},
		{method: "POST", tmpl: "/cluster/bulk-action/guest/start", since: "9.1", h: s.bulkStart},
		{method: "POST", tmpl: "/cluster/bulk-action/guest/shutdown", since: "9.1", h: s.bulkShutdown},
		{method: "POST", tmpl: "/cluster/bulk-action/guest/suspend", since: "9.1", h: s.bulkSuspend},
		{method: "POST", tmpl: "/cluster/bulk-action/guest/migrate", since: "9.1", h: s.bulkMigrate},
	}
}

// bulkRun is one bulk worker: groups of guests run in order.
type bulkRun struct {
	s       *Sim
	t       *task
	user    string
	groups  [][]*guest
	max     int
	running int
	failed  []int
	failMsg string // "Some guests failed to start: "
	// launch starts the sub-task of one guest: its UPID, "" when skipped,
	// or an error (the guest failed).
	launch func(c *call, g *guest) (string, error)
	verb   string // "Starting", for the failure warning
}

// bulkVMList reads the vms array (repeated keys or a list).
func (c *call) bulkVMList() []int {
	var out []int
	for _, part := range strings.Split(c.params["vms"], "\x00") {
		for _, v := range splitList(part) {
			if n, err := strconv.Atoi(v); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// bulkPerm is check_guest_permissions: each listed guest, or / for all.
func (c *call) bulkPerm(vms []int, priv string) error {
	if len(vms) == 0 {
		if !c.s.acl.has(c.authid, "/", priv) {
			return permErrorText("Permission check failed (/, " + priv + ")")
		}
		return nil
	}
	for _, id := range vms {
		if err := c.checkPriv("/vms/"+strconv.Itoa(id), priv); err != nil {
			return err
		}
	}
	return nil
}

// startupOf reads a guest's startup order and delays (order=N,up=N,down=N).
func startupOf(g *guest) (order int, up, down string) {
	ps := parsePropString(g.conf["startup"], "order")
	order = atoiDefault(ps.get("order"), 1<<31-1)
	return order, ps.get("up"), ps.get("down")
}

// bulkGroups is get_start_stop_list: non-template guests (those listed, or
// all), grouped by startup order, reversed for shutdown and suspend.
func (st *state) bulkGroups(vms []int, reverse, templates bool) [][]*guest {
	want := map[int]bool{}
	for _, id := range vms {
		want[id] = true
	}
	byOrder := map[int][]*guest{}
	for _, id := range sortedGuestIDs(st) {
		g := st.guests[id]
		if (len(vms) > 0 && !want[id]) || (g.isTemplate() && !templates) {
			continue
		}
		o, _, _ := startupOf(g)
		if templates {
			o = 0
		}
		byOrder[o] = append(byOrder[o], g)
	}
	var orders []int
	for o := range byOrder {
		orders = append(orders, o)
	}
	sort.Ints(orders)
	if reverse {
		sort.Sort(sort.Reverse(sort.IntSlice(orders)))
	}
	var out [][]*guest
	for _, o := range orders {
		out = append(out, byOrder[o])
	}
	return out
}

func startAction(vms []int, prefix, suffix string) string {
	if suffix != "" {
		suffix = " " + suffix
	}
	if len(vms) == 0 {
		return prefix + " all guests" + suffix
	}
	ids := make([]string, len(vms))
	for i, id := range vms {
		ids[i] = strconv.Itoa(id)
	}
	return prefix + " guests" + suffix + ": " + strings.Join(ids, ", ")
}

func maxWorkers(c *call, def int) int {
	if n := atoiDefault(c.params["max-workers"], 0); n > 0 {
		return n
	}
	if n := atoiDefault(c.params["maxworkers"], 0); n > 0 {
		return n
	}
	return def
}

// startBulk forks the bulk worker on the node answering the request and
// starts its first sub-tasks.
func (s *Sim) startBulk(c *call, typ, first string, b *bulkRun) (any, error) {
	b.s, b.user = s, c.authid
	b.t = s.startTask(taskSpec{node: c.st.haMaster().name, typ: typ, user: c.authid, dur: 24 * time.Hour,
		lines: at(0, first)})
	b.next()
	return b.t.upid, nil
}

func (b *bulkRun) log(text string) { b.t.lines = append(b.t.lines, taskLine{text: text}) }

// next launches sub-tasks while slots are free; a group starts only after
// the previous one finished; the worker ends with the last sub-task.
func (b *bulkRun) next() {
	for !b.t.done {
		if len(b.groups) == 0 {
			if b.running == 0 {
				b.finish()
			}
			return
		}
		if len(b.groups[0]) == 0 {
			if b.running > 0 {
				return
			}
			b.groups = b.groups[1:]
			continue
		}
		if b.running >= b.max {
			return
		}
		g := b.groups[0][0]
		b.groups[0] = b.groups[0][1:]
		b.run(g)
	}
}

func (b *bulkRun) run(g *guest) {
	c := &call{s: b.s, st: b.s.st, method: "POST", authid: b.user, now: b.s.now(),
		params: map[string]string{"node": g.node, "vmid": strconv.Itoa(g.vmid)}}
	upid, err := b.launch(c, g)
	if err != nil {
		msg := strings.TrimSpace(err.Error())
		if ae, ok := err.(*apiError); ok {
			msg = fmt.Sprintf("%d %s", ae.status, strings.TrimSpace(ae.msg))
		}
		b.log("WARN: " + msg)
		b.failed = append(b.failed, g.vmid)
		return
	}
	t := b.s.st.taskByUPID[upid]
	if upid == "" || t == nil {
		return
	}
	b.running++
	done := func(failMsg string) {
		b.running--
		if failMsg != "" {
			b.failed = append(b.failed, g.vmid)
			b.log(fmt.Sprintf("WARN: %s %s %d failed: %s", b.verb, g.typeName(), g.vmid, failMsg))
		}
		b.next()
	}
	if t.done {
		msg := ""
		if t.exit != "OK" && !strings.HasPrefix(t.exit, "WARNINGS") {
			msg = t.exit
		}
		done(msg)
		return
	}
	onOK, onFail := t.onOK, t.onFail
	t.onOK = func(end time.Time) error {
		var err error
		if onOK != nil {
			err = onOK(end)
		}
		msg := ""
		if err != nil {
			msg = strings.TrimSpace(err.Error())
		}
		done(msg)
		return err
	}
	t.onFail = func() {
		if onFail != nil {
			onFail()
		}
		done(t.failMsg)
	}
}

func (b *bulkRun) finish() {
	if len(b.failed) > 0 {
		ids := make([]string, len(b.failed))
		for i, id := range b.failed {
			ids[i] = strconv.Itoa(id)
		}
		b.t.failMsg = b.failMsg + strings.Join(ids, ", ")
	}
	end := b.s.now()
	b.t.dur = end.Sub(b.t.start)
	b.s.finishTask(b.t, end)
}

func (s *Sim) bulkStart(c *call) (any, error) {
	vms := c.bulkVMList()
	if err := c.bulkPerm(vms, "VM.PowerMgmt"); err != nil {
		return nil, err
	}
	timeout := c.params["timeout"]
	b := &bulkRun{groups: c.st.bulkGroups(vms, false, false), max: maxWorkers(c, 4), verb: "Starting",
		failMsg: "Some guests failed to start: "}
	b.launch = func(sc *call, g *guest) (string, error) {
		if g.running && !g.paused && g.kind.pausable() {
			b.log(fmt.Sprintf("WARN: Skipping %s %d, already running.", g.typeName(), g.vmid))
			return "", nil
		}
		b.log(fmt.Sprintf("Starting %s %d", g.typeName(), g.vmid))
		var res any
		var err error
		if g.running {
			res, err = byKind(g.kind, s.qemuResume, s.lxcResume)(sc)
		} else {
			if timeout != "" && g.kind.startTakesTimeout() {
				sc.params["timeout"] = timeout
			}
			res, err = byKind(g.kind, s.qemuStart, s.lxcStart)(sc)
		}
		upid, _ := res.(string)
		return upid, err
	}
	return s.startBulk(c, "bulk-start", startAction(vms, "Starting", ""), b)
}

func (s *Sim) bulkShutdown(c *call) (any, error) {
	vms := c.bulkVMList()
	if err := c.bulkPerm(vms, "VM.PowerMgmt"); err != nil {
		return nil, err
	}
	force := c.flagOr("force-stop", true)
	b := &bulkRun{groups: c.st.bulkGroups(vms, true, false), max: maxWorkers(c, 4), verb: "Stopping",
		failMsg: "Some guests failed to shutdown "}
	b.launch = func(sc *call, g *guest) (string, error) {
		if !g.running {
			b.log(fmt.Sprintf("WARN: Skipping %s %d, not running.", g.typeName(), g.vmid))
			return "", nil
		}
		if g.kind.pausable() && g.paused && !force {
			b.log(fmt.Sprintf("WARN: Skipping %s %d, resume paused VM before shutdown.", g.typeName(), g.vmid))
			return "", nil
		}
		timeout := c.params["timeout"]
		if _, _, down := startupOf(g); down != "" {
			timeout = down
		}
		if timeout == "" {
			timeout = "180"
		}
		sc.params["forceStop"], sc.params["timeout"] = strconv.Itoa(b2i(force)), timeout
		b.log(fmt.Sprintf("Shutting down %s %d (Timeout = %s seconds)", g.typeName(), g.vmid, timeout))
		res, err := byKind(g.kind, s.qemuShutdown, s.lxcShutdown)(sc)
		upid, _ := res.(string)
		return upid, err
	}
	return s.startBulk(c, "bulk-shutdown", startAction(vms, "Shutting down", ""), b)
}

func (s *Sim) bulkSuspend(c *call) (any, error) {
	vms := c.bulkVMList()
	if err := c.bulkPerm(vms, "VM.PowerMgmt"); err != nil {
		return nil, err
	}
	toDisk := c.flag("to-disk")
	if toDisk {
		if err := c.bulkPerm(vms, "VM.Config.Disk"); err != nil {
			return nil, err
		}
		if ss := c.params["statestorage"]; ss != "" {
			if err := c.checkPriv("/storage/"+ss, "Datastore.AllocateSpace"); err != nil {
				return nil, err
			}
		}
	}
	b := &bulkRun{groups: c.st.bulkGroups(vms, true, false), max: maxWorkers(c, 4), verb: "Stopping",
		failMsg: "Some guests failed to suspend "}
	b.launch = func(sc *call, g *guest) (string, error) {
		if !g.kind.pausable() {
			b.log(fmt.Sprintf("WARN: skipping %d, only VMs can be suspended", g.vmid))
			return "", nil
		}
		if !g.running {
			b.log(fmt.Sprintf("WARN: Skipping VM %d, not running.", g.vmid))
			return "", nil
		}
		sc.params["todisk"] = strconv.Itoa(b2i(toDisk))
		if ss := c.params["statestorage"]; toDisk && ss != "" {
			sc.params["statestorage"] = ss
		}
		b.log(fmt.Sprintf("Suspending VM %d", g.vmid))
		res, err := byKind(g.kind, s.qemuSuspend, s.lxcSuspend)(sc)
		upid, _ := res.(string)
		return upid, err
	}
	return s.startBulk(c, "bulk-suspend", startAction(vms, "Suspending", ""), b)
}

func (s *Sim) bulkMigrate(c *call) (any, error) {
	vms := c.bulkVMList()
	if err := c.bulkPerm(vms, "VM.Migrate"); err != nil {
		return nil, err
	}
	target := c.params["target"]
	var all []*guest
	for _, grp := range c.st.bulkGroups(vms, false, true) {
		all = append(all, grp...)
	}
	b := &bulkRun{groups: [][]*guest{all}, max: maxWorkers(c, 1), verb: "Migrating",
		failMsg: "Some guests failed to migrate "}
	b.launch = func(sc *call, g *guest) (string, error) {
		if g.node == target {
			b.log(fmt.Sprintf("WARN: %s %d already on %s, skipping.", g.typeName(), g.vmid, g.node))
			return "", nil
		}
		b.log(fmt.Sprintf("Migrating %s %d", g.typeName(), g.vmid))
		return s.migrate(sc.op(), g.kind, migrateArgsFor(g, target, c.params["online"], c.params["with-local-disks"]))
	}
	return s.startBulk(c, "bulk-migrate", startAction(vms, "Migrating", "to "+target), b)
}
