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
	if err := c.rootOnly("tmpdir", "dumpdir", "script", "job-id"); err != nil {
		return nil, err
	}
	for _, k := range []string{"bwlimit", "ionice", "performance"} {
		if c.has(k) {
			if err := c.checkPriv("/", "Sys.Modify"); err != nil {
				return nil, err
			}
		}
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
			for m := range pl.members {
				_, id, _ := strings.Cut(m, "/")
				n, _ := strconv.Atoi(id)
				ids = append(ids, n)
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
			if it.g.kind == "qemu" {
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

func backupExt(kind, compress string) (string, string) {
	base := "vma"
	if kind == "lxc" {
		base = "tar"
	}
	switch compress {
	case "", "0":
		return base, base
	case "1", "lzo":
		return base + ".lzo", base + ".lzo"
	case "gzip":
		if kind == "lxc" {
			return "tar.gz", "tar.gz"
		}
		return "vma.gz", "vma.gz"
	}
	return base + ".zst", base + ".zst"
}

func backupName(kind string, vmid int, at time.Time, compress string) string {
	ext, _ := backupExt(kind, compress)
	return fmt.Sprintf("vzdump-%s-%d-%s.%s", kind, vmid, at.Format("2006_01_02-15_04_05"), ext)
}

func (s *Sim) backupLines(c *call, nodeName string, ns *nodeStorage, it *backupItem, from, to float64, at0 time.Time, mode, compress, notesTmpl string, protected bool, jobDur time.Duration) []taskLine {
	kind := "qemu"
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
	if kind == "qemu" {
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
	if kind == "qemu" {
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
		ctime: end.Unix(), notes: notes, protected: protected, subtype: g.kind, backupConf: conf}
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

// restoreGuest is create with archive (qemu) or restore=1 (lxc).
func (s *Sim) restoreGuest(c *call, kind, archive string) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	tname := "VM"
	if kind == "lxc" {
		tname = "CT"
	}
	emsg := fmt.Sprintf("unable to restore %s %d -", tname, vmid)
	vol := c.st.findVolume(nodeName, archive)
	if vol == nil || vol.content != "backup" {
		return nil, failf("volume '%s' does not exist", archive)
	}
	if vol.subtype != kind {
		return nil, failf("%s unknown backup archive type", emsg)
	}
	if sid := c.params["storage"]; sid != "" {
		ns := c.st.storageOn(nodeName, sid)
		if ns == nil {
			return nil, failf("storage '%s' does not exist", sid)
		}
		if !hasContent(ns.def, volContent(kind)) {
			return nil, failf("storage '%s' does not support %s", sid, contentWord(volContent(kind)))
		}
	}
	existing := c.st.guests[vmid]
	force := c.boolParam("force", false)
	if existing != nil && (!force || existing.node != nodeName || existing.kind != kind) {
		return nil, failf("%s %s", emsg, c.st.vmidInUse(vmid))
	}
	if existing != nil {
		if err := lockError(existing); err != nil {
			return nil, failf("%s %s", emsg, err)
		}
	}
	failMsg := ""
	if existing != nil && existing.running {
		failMsg = emsg + " vm is running"
		if kind == "lxc" {
			failMsg = emsg + " can't overwrite running container"
		}
	}
	if existing != nil && existing.conf["protection"] == "1" && failMsg == "" {
		failMsg = fmt.Sprintf("%s protection mode enabled", emsg)
	}
	g := existing
	var oldConf map[string]string
	if g == nil {
		g = &guest{vmid: vmid, kind: kind, node: nodeName, conf: map[string]string{}, load: guestLoad(vmid)}
		c.st.guests[vmid] = g
	} else {
		oldConf = copyConf(g.conf)
	}
	g.conf["lock"] = "create"
	storage := c.params["storage"]
	// disks of the backup, reallocated on restore
	type rdisk struct {
		key, sid string
		size     int64
		prop     *propString
	}
	var disks []rdisk
	newconf := map[string]string{}
	for _, k := range sortedKeys(vol.backupConf) {
		v := vol.backupConf[k]
		if isDiskKey(kind, k) && !isIndexed(k, "unused") {
			defKey := diskDefaultKey(kind, k)
			p := parsePropString(v, defKey)
			if p.get("media") != "cdrom" {
				sid, _, _ := strings.Cut(p.get(defKey), ":")
				if storage != "" {
					sid = storage
				}
				disks = append(disks, rdisk{key: k, sid: sid, size: sizeBytes(p.get("size")), prop: p})
				continue
			}
		}
		if isIndexed(k, "unused") {
			continue
		}
		newconf[k] = v
	}
	path := volumePath(c.st.storageOn(nodeName, strings.SplitN(archive, ":", 2)[0]).def, vol)
	var lines []taskLine
	var vols []string
	var totalSize int64
	tmp := fmt.Sprintf("/var/tmp/vzdumptmp%d", c.st.nextPID+1)
	if kind == "qemu" {
		lines = append(lines, taskLine{at: 0, text: fmt.Sprintf("restore vma archive: zstd -q -d -c %s | vma extract -v -r %s.fifo - %s", path, tmp, tmp)},
			taskLine{at: 0.01, text: "CFG: size: 637 name: qemu-server.conf"})
		for i, d := range disks {
			lines = append(lines, taskLine{at: 0.01, text: fmt.Sprintf("DEV: dev_id=%d size: %d devname: drive-%s", i+1, d.size, d.key)})
		}
		lines = append(lines, taskLine{at: 0.01, text: "CTIME: " + time.Unix(vol.ctime, 0).Format("Mon Jan _2 15:04:05 2006")})
	} else {
		lines = append(lines, taskLine{at: 0, text: "recovering backed-up configuration from '" + archive + "'"})
	}
	failAt := 0.5
	if failMsg == "" {
		for _, d := range disks {
			volid, err := c.st.allocDisk(nodeName, d.sid, vmid, d.size, volContent(kind), false, c.now)
			if err != nil {
				failMsg = fmt.Sprintf("%s %s", emsg, err)
				failAt = 0.05
				break
			}
			vols = append(vols, volid)
			totalSize += d.size
			for _, l := range allocLines(c.st, nodeName, volid, d.size) {
				lines = append(lines, taskLine{at: 0.03, text: l})
			}
			if kind == "qemu" {
				_, vname, _ := strings.Cut(volid, ":")
				lines = append(lines, taskLine{at: 0.03, text: fmt.Sprintf("new volume ID is '%s'", volid)},
					taskLine{at: 0.04, text: fmt.Sprintf("map 'drive-%s' to '/dev/pve/%s' (write zeros = 0)", d.key, lastSeg(vname))})
			}
			d.prop.set(diskDefaultKey(kind, d.key), volid)
			newconf[d.key] = d.prop.String()
		}
	}
	secs := 5 + int(totalSize/(1<<30))
	if kind == "qemu" {
		for p := 0; p <= 100; p += 5 {
			read := int64(float64(totalSize) * float64(p) / 100)
			lines = append(lines, taskLine{at: 0.05 + 0.85*float64(p)/100,
				text: fmt.Sprintf("progress %d%% (read %d bytes, duration %d sec)", p, read, int(float64(secs)*float64(p)/100))})
		}
		lines = append(lines, taskLine{at: 0.92, text: fmt.Sprintf("total bytes read %d, sparse bytes %d (70%%)", totalSize, totalSize*7/10)},
			taskLine{at: 0.92, text: "space reduction due to 4K zero blocks 0.41%"},
			taskLine{at: 0.95, text: "rescan volumes..."})
	} else {
		lines = append(lines, taskLine{at: 0.1, text: "restoring '" + archive + "' now.."},
			taskLine{at: 0.85, text: fmt.Sprintf("Total bytes read: %d (%dMiB, 91MiB/s)", totalSize/4, totalSize/4>>20)},
			taskLine{at: 0.9, text: "merging backed-up and given configuration.."})
	}
	if newconf["template"] == "1" {
		lines = append(lines, taskLine{at: 0.97, text: "Convert to template."})
	}
	start := c.boolParam("start", false)
	if start {
		lines = append(lines, taskLine{at: 1, text: "Execute autostart"})
	}
	for k, v := range c.params {
		if !createOnlyParams[k] && !isDiskKey(kind, k) {
			newconf[k] = v
		}
	}
	if kind == "qemu" && c.boolParam("unique", false) {
		for k, v := range newconf {
			if isIndexed(k, "net") {
				p := parsePropString(v, "model")
				for _, key := range p.keys {
					if netModels[key] && key != "model" {
						p.del(key)
						p.set("model", key)
					}
				}
				newconf[k] = canonicalQemuNet(p.String(), c.st.macAddr)
			}
		}
	}
	typ := map[string]string{"qemu": "qmrestore", "lxc": "vzrestore"}[kind]
	user := c.authid
	var oldVols []string
	if existing != nil {
		oldVols = volumesOf(existing)
	}
	t := s.startTask(taskSpec{node: nodeName, typ: typ, id: strconv.Itoa(vmid), user: user, vmid: vmid,
		dur: time.Duration(secs) * time.Second, lines: lines, failMsg: failMsg, failAt: failAt,
		onOK: func(end time.Time) error {
			for _, v := range oldVols {
				if !contains(vols, v) {
					s.st.removeVolume(nodeName, v)
				}
			}
			g.conf = newconf
			g.snaps = nil
			if start {
				if kind == "qemu" {
					s.startQemu(g, nodeName, vmid, user, false)
				} else {
					g.running, g.startedAt = true, end
				}
			}
			return nil
		},
		onFail: func() {
			for _, v := range vols {
				s.st.removeVolume(nodeName, v)
			}
			if existing == nil {
				if s.st.guests[vmid] == g {
					delete(s.st.guests, vmid)
				}
			} else {
				g.conf = oldConf
			}
		}})
	return t.upid, nil
}

// --- backup jobs (/cluster/backup) -------------------------------------------

var jobNumericKeys = map[string]bool{"all": true, "enabled": true, "protected": true, "remove": true, "stop": true,
	"quiet": true, "repeat-missed": true, "stdexcludes": true, "bwlimit": true, "ionice": true, "lockwait": true,
	"maxfiles": true, "pigz": true, "stopwait": true, "zstd": true}

func jobJSON(j *backupJob, now time.Time) map[string]any {
	m := map[string]any{"id": j.id, "type": "vzdump"}
	for k, v := range j.opts {
		if jobNumericKeys[k] {
			n, _ := strconv.Atoi(v)
			m[k] = n
			continue
		}
		if k == "prune-backups" || k == "fleecing" || k == "performance" {
			obj := map[string]any{}
			for _, kv := range strings.Split(v, ",") {
				a, b, _ := strings.Cut(kv, "=")
				if a == "enabled" {
					n, _ := strconv.Atoi(b)
					obj[a] = n
				} else {
					obj[a] = b
				}
			}
			m[k] = obj
			continue
		}
		m[k] = v
	}
	if _, ok := m["enabled"]; !ok {
		m["enabled"] = 1
	}
	if j.opts["schedule"] != "" && m["enabled"] == 1 {
		m["next-run"] = nextRun(j.opts["schedule"], now)
	}
	return m
}

// nextRun approximates the next calendar event: the next top of the hour
// matching "HH:MM" when given, else tomorrow 01:00.
func nextRun(schedule string, now time.Time) int64 {
	hh, mm := 1, 0
	for _, f := range strings.Fields(schedule) {
		if h, m, ok := strings.Cut(f, ":"); ok {
			if x, err := strconv.Atoi(h); err == nil {
				hh = x % 24
			}
			if x, err := strconv.Atoi(m); err == nil {
				mm = x % 60
			}
		}
	}
	t := time.Date(now.Year(), now.Month(), now.Day(), hh, mm, 0, 0, time.Local)
	if !t.After(now) {
		t = t.Add(24 * time.Hour)
	}
	return t.Unix()
}

func (s *Sim) listBackupJobs(c *call) (any, error) {
	out := []map[string]any{}
	for _, j := range c.st.jobs {
		out = append(out, jobJSON(j, c.now))
	}
	return out, nil
}

func (s *Sim) findJob(id string) (*backupJob, error) {
	for _, j := range s.st.jobs {
		if j.id == id {
			return j, nil
		}
	}
	return nil, failf("Job '%s' does not exist", id)
}

func (s *Sim) getBackupJob(c *call) (any, error) {
	j, err := s.findJob(c.params["id"])
	if err != nil {
		return nil, err
	}
	return jobJSON(j, c.now), nil
}

func (s *Sim) createBackupJob(c *call) (any, error) {
	if err := c.rootOnly("tmpdir", "dumpdir", "script"); err != nil {
		return nil, err
	}
	id := c.params["id"]
	if id == "" {
		id = "backup-" + strings.ReplaceAll(c.st.uuid(), "-", "")[:8] + "-" + strings.ReplaceAll(c.st.uuid(), "-", "")[:4]
	}
	for _, j := range c.st.jobs {
		if j.id == id {
			return nil, failf("Job '%s' already exists", id)
		}
	}
	opts := map[string]string{}
	for k, v := range c.params {
		if k != "id" {
			opts[k] = v
		}
	}
	if opts["schedule"] == "" && opts["starttime"] != "" {
		dow := opts["dow"]
		if dow == "" {
			dow = "mon,tue,wed,thu,fri,sat,sun"
		}
		opts["schedule"] = dow + " " + opts["starttime"]
		delete(opts, "starttime")
		delete(opts, "dow")
	}
	if opts["schedule"] == "" {
		return nil, paramErr("schedule", "property is missing and it is not optional")
	}
	if opts["all"] != "1" && opts["vmid"] == "" && opts["pool"] == "" {
		return nil, paramErr("vmid", "property is missing and it is not optional")
	}
	if opts["storage"] != "" {
		found := false
		for _, d := range c.st.storages {
			if d.id == opts["storage"] {
				found = true
			}
		}
		if !found {
			return nil, failf("storage '%s' does not exist", opts["storage"])
		}
	}
	c.st.jobs = append(c.st.jobs, &backupJob{id: id, opts: opts})
	return nil, nil
}

func (s *Sim) updateBackupJob(c *call) (any, error) {
	j, err := s.findJob(c.params["id"])
	if err != nil {
		return nil, err
	}
	for k, v := range c.params {
		if k != "id" && k != "delete" {
			j.opts[k] = v
		}
	}
	for _, k := range splitList(c.params["delete"]) {
		delete(j.opts, k)
	}
	return nil, nil
}

func (s *Sim) deleteBackupJob(c *call) (any, error) {
	id := c.params["id"]
	for i, j := range c.st.jobs {
		if j.id == id {
			c.st.jobs = append(c.st.jobs[:i], c.st.jobs[i+1:]...)
			return nil, nil
		}
	}
	return nil, failf("job '%s' not found", id)
}
