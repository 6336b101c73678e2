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
	all := c.boolParam("all", false)
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
	storage := c.params["storage"]
	if storage == "" {
		storage = "local"
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

func (s *Sim) startBackup(c *call, nodeName string, ns *nodeStorage, local, skipped []int) (any, error) {
	mode := c.params["mode"]
	if mode == "" {
		mode = "snapshot"
	}
	compress := c.params["compress"]
	notesTmpl := c.params["notes-template"]
	protected := c.boolParam("protected", false)
	start := c.now
	cmd := "vzdump " + strings.Join(intsToStrings(local), " ")
	for _, k := range sortedKeys(c.params) {
		if k == "node" || k == "vmid" {
			continue
		}
		cmd += " --" + k + " " + c.params[k]
	}
	lines := at(0, "INFO: starting new backup job: "+cmd)
	if len(skipped) > 0 {
		lines = append(lines, taskLine{at: 0, text: "INFO: skip external VMs: " + strings.Join(intsToStrings(skipped), ", ")})
	}
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
			it.size = it.g.maxDisk()
			if it.g.kind.isQemu() {
				it.size = 0
				for _, d := range snapshotDisks(it.g) {
					if v := c.st.findVolume(nodeName, d[1]); v != nil {
						it.size += v.size
					}
				}
			}
			it.g.conf["lock"] = "backup"
		}
		total += it.size
		items = append(items, it)
	}
	// time: 2s per guest plus ~1 GiB/s of data, at least 10s for a job
	secs := 2*len(items) + int(total/(1<<30))
	if secs < 10 {
		secs = 10
	}
	dur := time.Duration(secs) * time.Second
	pos := 0.0
	for i, it := range items {
		share := 1.0 / float64(len(items))
		if total > 0 {
			share = (2.0/float64(secs))*1 + float64(it.size)/float64(total)*(1-2.0*float64(len(items))/float64(secs))
		}
		from, to := pos, pos+share
		if i == len(items)-1 {
			to = 0.97
		}
		pos = to
		lines = append(lines, s.backupLines(c, nodeName, ns, it, from, to, start.Add(time.Duration(from*float64(dur))), mode, compress, notesTmpl, protected, dur)...)
	}
	failed := 0
	for _, it := range items {
		if it.failed != "" {
			failed++
		}
	}
	if failed > 0 {
		lines = append(lines, taskLine{at: 0.98, text: "INFO: Backup job finished with errors"})
	} else {
		lines = append(lines, taskLine{at: 0.98, text: "INFO: Backup job finished successfully"})
	}
	if s.major() >= 8 {
		lines = append(lines, taskLine{at: 0.99, text: "INFO: notified via target `mail-to-root`"})
	}
	failMsg := ""
	if failed > 0 {
		failMsg = "job errors"
	}
	taskID := ""
	if len(local) == 1 {
		taskID = strconv.Itoa(local[0])
	}
	unlock := func() {
		for _, it := range items {
			if it.g != nil && it.failed == "" && it.g.lock() == "backup" {
				delete(it.g.conf, "lock")
			}
		}
	}
	var t *task
	store := func(end time.Time) {
		for _, it := range items {
			if it.failed == "" {
				s.storeBackup(nodeName, ns, it, end, notesTmpl, protected, compress)
			}
		}
	}
	t = s.startTask(taskSpec{node: nodeName, typ: "vzdump", id: taskID, user: c.authid, vmid: firstOr(local),
		dur: dur, lines: lines, failMsg: failMsg, interruptMsg: "interrupted by signal",
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

func backupExt(kind guestKind, compress string) (string, string) {
	base := "vma"
	if kind.isLXC() {
		base = "tar"
	}
	switch compress {
	case "", "0":
		return base, base
	case "1", "lzo":
		return base + ".lzo", base + ".lzo"
	case "gzip":
		if kind.isLXC() {
			return "tar.gz", "tar.gz"
		}
		return "vma.gz", "vma.gz"
	}
	return base + ".zst", base + ".zst"
}

func backupName(kind guestKind, vmid int, at time.Time, compress string) string {
	ext, _ := backupExt(kind, compress)
	return fmt.Sprintf("vzdump-%s-%d-%s.%s", kind, vmid, at.Format("2006_01_02-15_04_05"), ext)
}

func (s *Sim) backupLines(c *call, nodeName string, ns *nodeStorage, it *backupItem, from, to float64, at0 time.Time, mode, compress, notesTmpl string, protected bool, jobDur time.Duration) []taskLine {
	kind := kindQemu
	if it.g != nil {
		kind = it.g.kind
	}
	var out []taskLine
	add := func(f float64, text string) { out = append(out, taskLine{at: f, text: "INFO: " + text}) }
	add(from, fmt.Sprintf("Starting Backup of VM %d (%s)", it.vmid, kind))
	add(from, "Backup started at "+at0.Format("2006-01-02 15:04:05"))
	if it.failed != "" {
		out = append(out, taskLine{at: from, text: fmt.Sprintf("ERROR: Backup of VM %d failed - %s", it.vmid, it.failed)})
		add(from, "Failed at "+at0.Format("2006-01-02 15:04:05"))
		return out
	}
	g := it.g
	status := "stopped"
	if g.running {
		status = "running"
	}
	add(from, "status = "+status)
	if kind.isQemu() {
		add(from, "VM Name: "+g.name())
		for _, d := range snapshotDisks(g) {
			sz := ""
			if v := c.st.findVolume(nodeName, d[1]); v != nil {
				sz = formatSize(v.size)
			}
			add(from, fmt.Sprintf("include disk '%s' '%s' %s", d[0], d[1], sz))
		}
	} else {
		add(from, "CT Name: "+g.name())
		add(from, "including mount point rootfs ('/') in backup")
	}
	add(from, "backup mode: "+mode)
	add(from, "ionice priority: 7")
	dumpDir := ns.def.path + "/dump"
	name := backupName(kind, it.vmid, at0, compress)
	it.volid = ns.def.id + ":backup/" + name
	span := to - from
	if kind.isQemu() {
		if !g.running {
			add(from+0.01*span, "starting kvm to execute backup task")
		}
		add(from+0.02*span, "creating vzdump archive '"+dumpDir+"/"+name+"'")
		add(from+0.03*span, "started backup task '"+c.st.uuid()+"'")
		if g.running && mode == "snapshot" {
			add(from+0.03*span, "resuming VM again")
		}
		secs := jobDur.Seconds() * span
		steps := 10
		for i := 0; i <= steps; i++ {
			f := float64(i) / float64(steps)
			tr := float64(it.size) * f
			out = append(out, taskLine{at: from + span*(0.05+0.85*f), text: fmt.Sprintf("INFO: %3d%% (%s of %s) in %s, read: %s/s, write: %s/s",
				int(f*100), renderBytes(tr, 1), renderBytes(float64(it.size), 1), renderDuration(time.Duration(f*secs)*time.Second),
				renderBytes(float64(it.size)/max(secs, 1), 1), renderBytes(float64(it.size)/max(secs, 1)*0.3, 1))})
		}
		add(from+0.91*span, fmt.Sprintf("backup is sparse: %s (70%%) total zero data", renderBytes(float64(it.size)*0.7, 2)))
		add(from+0.91*span, fmt.Sprintf("transferred %s in %d seconds (%s/s)", renderBytes(float64(it.size), 2), int(secs), renderBytes(float64(it.size)/max(secs, 1), 1)))
		if !g.running {
			add(from+0.92*span, "stopping kvm after backup task")
		}
	} else {
		if mode == "snapshot" {
			add(from+0.01*span, "create storage snapshot 'vzdump'")
		}
		add(from+0.02*span, "creating vzdump archive '"+dumpDir+"/"+name+"'")
		used := it.size / 4
		add(from+0.85*span, fmt.Sprintf("Total bytes written: %d (%dMiB, 82MiB/s)", used, used>>20))
		if mode == "snapshot" {
			add(from+0.86*span, "cleanup temporary 'vzdump' snapshot")
		}
	}
	add(from+0.93*span, "archive file size: "+vzdumpSize(archiveSize(it)))
	if notesTmpl != "" {
		add(from+0.94*span, "adding notes to backup")
	}
	if protected {
		add(from+0.94*span, "marking backup as protected")
	}
	add(from+0.95*span, "prune older backups with retention: keep-all=1")
	add(from+0.95*span, "pruned 0 backup(s)")
	secs := int(jobDur.Seconds() * span)
	add(to, fmt.Sprintf("Finished Backup of VM %d (%s)", it.vmid, hms(time.Duration(secs)*time.Second)))
	add(to, "Backup finished at "+at0.Add(time.Duration(secs)*time.Second).Format("2006-01-02 15:04:05"))
	return out
}

func archiveSize(it *backupItem) int64 { return it.size / 5 }

// vzdumpSize is VZDump::format_size.
func vzdumpSize(b int64) string {
	kb := float64(b) / 1024
	switch {
	case kb < 1024:
		return fmt.Sprintf("%dKB", int(kb))
	case kb < 1024*1024:
		return fmt.Sprintf("%dMB", int(kb/1024))
	case kb < 1024*1024*1024:
		return fmt.Sprintf("%.2fGB", kb/1024/1024)
	}
	return fmt.Sprintf("%.2fTB", kb/1024/1024/1024)
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
