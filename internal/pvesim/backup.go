package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// vzdumpArgs are the parameters of POST /nodes/{node}/vzdump, decoded.
type vzdumpArgs struct {
	vmids     []int // the guests asked for (without all or pool)
	all       bool
	exclude   []int // with all
	pool      string
	storage   string // "" = vzdump.conf's default, local
	mode      string
	compress  string
	notesTmpl string
	protected bool
	// the permission rules look at which options were sent (even empty):
	// their names, and the values they read
	sent     []string
	fleecing string
	dumpdir  string
	// cmdOpts are the options as sent but node and vmid, sorted, each
	// "--key value": the job's command line in its log
	cmdOpts []string
}

// vzdump backs up the selected guests that live on this node; guests on
// other nodes are skipped ("OK" when none is local), unknown ids fail inside
// the job.
func (s *Sim) vzdump(c *call) (any, error) {
	if c.params["stdout"] != "" && c.boolish("stdout") {
		return nil, paramErr("stdout", "option is only allowed on the command line interface.")
	}
	a := vzdumpArgs{all: c.flag("all"), pool: c.params["pool"], storage: c.arg("storage"), mode: c.arg("mode"),
		compress: c.params["compress"], notesTmpl: c.params["notes-template"], protected: c.flag("protected"),
		fleecing: c.params["fleecing"], dumpdir: c.params["dumpdir"]}
	for _, v := range splitList(c.params["exclude"]) {
		id, _ := strconv.Atoi(v)
		a.exclude = append(a.exclude, id)
	}
	for _, v := range splitList(c.params["vmid"]) {
		id, _ := strconv.Atoi(v)
		a.vmids = append(a.vmids, id)
	}
	for _, k := range sortedKeys(c.params) {
		a.sent = append(a.sent, k)
		if k != "node" && k != "vmid" {
			a.cmdOpts = append(a.cmdOpts, "--"+k+" "+c.params[k])
		}
	}
	res, err := s.backup(c.op(), a)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// backupPlan is what a vzdump's check step found: the target storage, the
// guests on the node and those skipped on others.
type backupPlan struct {
	ns             *nodeStorage
	local, skipped []int
	storageErr     string // why the storage cannot take the backups
}

// backup is the vzdump operation: "OK" when no guest asked for is on the
// node, else the job's UPID.
func (s *Sim) backup(o op, a vzdumpArgs) (string, error) {
	p, err := s.checkBackup(o, a)
	switch {
	case err != nil || p == nil:
		return "OK", err
	case p.storageErr != "":
		taskID := ""
		if len(p.local) == 1 {
			taskID = strconv.Itoa(p.local[0])
		}
		t := s.startTask(taskSpec{node: o.node, typ: "vzdump", id: taskID, user: o.user, vmid: firstOr(p.local),
			dur: time.Second, failMsg: p.storageErr})
		return t.upid, nil
	}
	return s.startBackup(o, a, p), nil
}

// checkBackup is vzdump's check step: permissions, the guests it takes
// and the storage; nil when there is nothing to do.
func (s *Sim) checkBackup(o op, a vzdumpArgs) (*backupPlan, error) {
	if err := o.vzdumpPerm(a); err != nil {
		return nil, err
	}
	exclude := map[int]bool{}
	for _, id := range a.exclude {
		exclude[id] = true
	}
	var ids []int
	if a.all {
		for _, g := range o.st.sortedGuests() {
			if !exclude[g.vmid] {
				ids = append(ids, g.vmid)
			}
		}
	} else if a.pool != "" {
		if pl := o.st.pools[a.pool]; pl != nil {
			for _, g := range o.st.poolGuests(pl) { // not its storages
				ids = append(ids, g.vmid)
			}
			sort.Ints(ids)
		}
	} else {
		ids = a.vmids
	}
	for _, id := range ids {
		if err := o.checkPriv("/vms/"+strconv.Itoa(id), "VM.Backup"); err != nil {
			return nil, err
		}
	}
	p := &backupPlan{}
	for _, id := range ids {
		g := o.st.guests[id]
		switch {
		case g == nil || g.node == o.node:
			p.local = append(p.local, id)
		default:
			p.skipped = append(p.skipped, id)
		}
	}
	if len(p.local) == 0 && !a.all {
		return nil, nil
	}
	storage := a.storage
	if storage == "" {
		storage = "local" // vzdump.conf's default; the schema has none
	}
	if err := o.checkPriv("/storage/"+storage, "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	// VZDump->new checks the storage inside the task: the task fails
	p.ns = o.st.storageOn(o.node, storage)
	switch {
	case p.ns == nil:
		p.storageErr = fmt.Sprintf("could not activate storage '%s': storage '%s' does not exist could not get storage information for '%s': storage '%s' does not exist",
			storage, storage, storage, storage)
	case !hasContent(p.ns.def, "backup"):
		p.storageErr = fmt.Sprintf("could not get storage information for '%s': can't use storage '%s' for backups - wrong content type", storage, storage)
	}
	return p, nil
}

type backupItem struct {
	g      *guest
	vmid   int
	volid  string
	size   int64
	failed string
}

// vzdumpRun is a vzdump job on its way to its task.
type vzdumpRun struct {
	nodeName                  string
	ns                        *nodeStorage // the target storage
	mode, compress, notesTmpl string
	protected                 bool
	start                     time.Time
	dur                       time.Duration
	items                     []*backupItem
	total                     int64 // bytes to read
}

// startBackup locks the job's guests and starts its task.
func (s *Sim) startBackup(o op, a vzdumpArgs, p *backupPlan) string {
	j := &vzdumpRun{nodeName: o.node, ns: p.ns, mode: a.mode, compress: a.compress,
		notesTmpl: a.notesTmpl, protected: a.protected, start: o.now}
	j.items, j.total = o.st.backupItems(o.node, p.local)
	// time: 2s per guest plus ~1 GiB/s of data, at least 10s for a job
	secs := 2*len(j.items) + int(j.total/(1<<30))
	if secs < 10 {
		secs = 10
	}
	j.dur = time.Duration(secs) * time.Second
	lines := s.backupJobLines(o.st, j, a.cmdOpts, p.local, p.skipped, secs)
	return s.forkBackup(o, j, p.local, lines)
}

// backupItems are the guests of a job: each locked, with the size to read,
// or why it fails.
func (st *state) backupItems(nodeName string, local []int) ([]*backupItem, int64) {
	var items []*backupItem
	var total int64
	for _, id := range local {
		it := &backupItem{vmid: id, g: st.guests[id]}
		switch {
		case it.g == nil:
			it.failed = fmt.Sprintf("unable to find VM '%d'", id)
		case it.g.lock() != "":
			it.failed = fmt.Sprintf("%s is locked (%s)", it.g.typeName(), it.g.lock())
		default:
			it.size = it.g.kind.traits().backupSize(st, it.g, nodeName)
			it.g.conf["lock"] = "backup"
		}
		total += it.size
		items = append(items, it)
	}
	return items, total
}

// qemuBackupSize is what vzdump reads of a VM: its disks, whole.
func qemuBackupSize(st *state, g *guest, nodeName string) int64 {
	var size int64
	for _, d := range snapshotDisks(g) {
		if v := st.findVolume(nodeName, d[1]); v != nil {
			size += v.size
		}
	}
	return size
}

// lxcBackupSize is what vzdump reads of a container: its file system.
func lxcBackupSize(_ *state, g *guest, _ string) int64 { return g.maxDisk() }

// failures counts the job's guests that fail.
func (j *vzdumpRun) failures() int {
	failed := 0
	for _, it := range j.items {
		if it.failed != "" {
			failed++
		}
	}
	return failed
}

// forkBackup is the job's task: it unlocks the guests and stores the
// archives of those that worked, even when others failed.
func (s *Sim) forkBackup(o op, j *vzdumpRun, local []int, lines []taskLine) string {
	failMsg := ""
	if j.failures() > 0 {
		failMsg = "job errors"
	}
	taskID := ""
	if len(local) == 1 {
		taskID = strconv.Itoa(local[0])
	}
	unlock := func() {
		for _, it := range j.items {
			if it.g != nil && it.failed == "" && it.g.lock() == "backup" {
				delete(it.g.conf, "lock")
			}
		}
	}
	var t *task
	store := func(end time.Time) {
		for _, it := range j.items {
			if it.failed == "" {
				s.storeBackup(j.nodeName, j.ns, it, end, j.notesTmpl, j.protected, j.compress)
			}
		}
	}
	t = s.startTask(taskSpec{node: j.nodeName, typ: "vzdump", id: taskID, user: o.user, vmid: firstOr(local),
		dur: j.dur, lines: lines, failMsg: failMsg, interruptMsg: "interrupted by signal",
		onOK: func(end time.Time) error {
			unlock()
			store(end)
			return nil
		},
		onFail: func() {
			unlock()
			// partial success: the guests that worked are still backed up
			if t != nil && t.failMsg == "job errors" {
				store(t.start.Add(t.dur))
			}
		}})
	return t.upid
}

func firstOr(ids []int) int {
	if len(ids) == 1 {
		return ids[0]
	}
	return 0
}

func intsToStrings(ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}

// storeBackup writes the archive volume, with the guest config for restore.
func (s *Sim) storeBackup(nodeName string, ns *nodeStorage, it *backupItem, end time.Time, notesTmpl string, protected bool, compress string) {
	g := it.g
	_, format := backupExt(g.kind, compress)
	if ns.def.typ == "pbs" {
		format = pbsFormat(g.kind)
	}
	conf := copyConf(g.conf)
	delete(conf, "lock")
	delete(conf, "parent")
	notes := strings.NewReplacer("{{guestname}}", g.name(), "{{vmid}}", strconv.Itoa(g.vmid), "{{node}}", nodeName,
		"{{cluster}}", s.st.clusterName).Replace(notesTmpl)
	v := &volume{volid: it.volid, content: "backup", format: format, size: archiveSize(it), vmid: g.vmid,
		ctime: end.Unix(), notes: notes, protected: protected, subtype: string(g.kind), backupConf: conf}
	v.ctime = backupCtime(it.volid, end)
	ns.vols[v.volid] = v
}

// backupCtime parses the time from the archive name, as PVE does.
func backupCtime(volid string, def time.Time) int64 {
	i := strings.Index(volid, "-20")
	if i < 0 || len(volid) < i+20 {
		return def.Unix()
	}
	t, err := time.ParseInLocation("2006_01_02-15_04_05", volid[i+1:i+20], time.Local)
	if err != nil {
		return def.Unix()
	}
	return t.Unix()
}
