package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// vzdump backs up the selected guests that live on this node; guests on
// other nodes are skipped ("OK" when none is local), unknown ids fail inside
// the job.
func (s *Sim) vzdump(c *call) (any, error) {
	nodeName := c.params["node"]
	if c.params["stdout"] != "" && c.boolish("stdout") {
		return nil, paramErr("stdout", "option is only allowed on the command line interface.")
	}
	if err := c.vzdumpPerm(); err != nil {
		return nil, err
	}
	all := c.flag("all")
	exclude := map[int]bool{}
	for _, v := range splitList(c.params["exclude"]) {
		id, _ := strconv.Atoi(v)
		exclude[id] = true
	}
	var ids []int
	if all {
		for _, g := range c.st.sortedGuests() {
			if !exclude[g.vmid] {
				ids = append(ids, g.vmid)
			}
		}
	} else if p := c.params["pool"]; p != "" {
		if pl := c.st.pools[p]; pl != nil {
			for _, g := range c.st.poolGuests(pl) { // not its storages
				ids = append(ids, g.vmid)
			}
			sort.Ints(ids)
		}
	} else {
		for _, v := range splitList(c.params["vmid"]) {
			id, _ := strconv.Atoi(v)
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if err := c.checkPriv("/vms/"+strconv.Itoa(id), "VM.Backup"); err != nil {
			return nil, err
		}
	}
	var local, skipped []int
	for _, id := range ids {
		g := c.st.guests[id]
		switch {
		case g == nil || g.node == nodeName:
			local = append(local, id)
		default:
			skipped = append(skipped, id)
		}
	}
	if len(local) == 0 && !all {
		return "OK", nil
	}
	storage := c.arg("storage")
	if storage == "" {
		storage = "local" // vzdump.conf's default; the schema has none
	}
	if err := c.checkPriv("/storage/"+storage, "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	ns := c.st.storageOn(nodeName, storage)
	if ns == nil {
		return nil, failf("storage '%s' does not exist", storage)
	}
	if !hasContent(ns.def, "backup") {
		return nil, failf("storage '%s' does not support backups", storage)
	}
	return s.startBackup(c, nodeName, ns, local, skipped)
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

// startBackup is the job's check step (the guests, locked) then its task.
func (s *Sim) startBackup(c *call, nodeName string, ns *nodeStorage, local, skipped []int) (any, error) {
	j := &vzdumpRun{nodeName: nodeName, ns: ns, mode: c.arg("mode"), compress: c.params["compress"],
		notesTmpl: c.params["notes-template"], protected: c.flag("protected"), start: c.now}
	j.items, j.total = c.backupItems(nodeName, local)
	// time: 2s per guest plus ~1 GiB/s of data, at least 10s for a job
	secs := 2*len(j.items) + int(j.total/(1<<30))
	if secs < 10 {
		secs = 10
	}
	j.dur = time.Duration(secs) * time.Second
	lines := s.backupJobLines(c, j, local, skipped, secs)
	return s.forkBackup(c, j, local, lines)
}

// backupItems are the guests of a job: each locked, with the size to read,
// or why it fails.
func (c *call) backupItems(nodeName string, local []int) ([]*backupItem, int64) {
	var items []*backupItem
	var total int64
	for _, id := range local {
		it := &backupItem{vmid: id, g: c.st.guests[id]}
		switch {
		case it.g == nil:
			it.failed = fmt.Sprintf("unable to find VM '%d'", id)
		case it.g.lock() != "":
			it.failed = fmt.Sprintf("%s is locked (%s)", it.g.typeName(), it.g.lock())
		default:
			it.size = it.g.kind.traits().backupSize(c.st, it.g, nodeName)
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
func (s *Sim) forkBackup(c *call, j *vzdumpRun, local []int, lines []taskLine) (any, error) {
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
	t = s.startTask(taskSpec{node: j.nodeName, typ: "vzdump", id: taskID, user: c.authid, vmid: firstOr(local),
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
	return t.upid, nil
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
