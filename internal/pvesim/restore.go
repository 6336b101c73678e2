package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// restoreArgs are the parameters of a restore (create with archive for
// qemu, restore=1 for lxc), decoded.
type restoreArgs struct {
	kind                 guestKind
	vmid                 int
	archive              string // the backup's volume id
	storage              string // "" = each disk where it was
	force, start, unique bool
	// conf are the config options sent (not create-only, not disks): they
	// win over the backup's
	conf map[string]string
}

// restoreCall decodes a restore from the create request and runs it.
func (s *Sim) restoreCall(c *call, kind guestKind, archive string) (any, error) {
	a := restoreArgs{kind: kind, vmid: c.vmid(), archive: archive, storage: c.params["storage"],
		force: c.flag("force"), start: c.flag("start"), unique: c.flag("unique"), conf: map[string]string{}}
	for k, v := range c.params {
		if !createOnlyParams[k] && !kind.diskSlot(k) {
			a.conf[k] = v
		}
	}
	upid, err := s.restoreGuest(c.op(), a)
	if err != nil {
		return nil, err
	}
	return upid, nil
}

// restoreCheck is what a restore found before its task starts.
type restoreCheck struct {
	vol      *volume // the backup archive
	existing *guest  // the guest restored over, if any
	emsg     string  // prefix of the restore's errors
	failMsg  string  // the task fails with this ("" = it succeeds)
}

// checkRestore is the synchronous part of a restore: the archive, the
// target storage and the guest it would overwrite.
func (s *Sim) checkRestore(o op, a restoreArgs) (*restoreCheck, error) {
	nodeName, vmid, kind, archive := o.node, a.vmid, a.kind, a.archive
	rc := &restoreCheck{emsg: fmt.Sprintf("unable to restore %s %d -", kind.typeName(), vmid)}
	emsg := rc.emsg
	vol := o.st.findVolume(nodeName, archive)
	if vol == nil || vol.content != "backup" {
		return nil, failf("volume '%s' does not exist", archive)
	}
	if vol.subtype != string(kind) {
		return nil, failf("%s unknown backup archive type", emsg)
	}
	rc.vol = vol
	if sid := a.storage; sid != "" {
		ns := o.st.storageOn(nodeName, sid)
		if ns == nil {
			return nil, failf("storage '%s' does not exist", sid)
		}
		if !hasContent(ns.def, kind.volContent()) {
			return nil, failf("storage '%s' does not support %s", sid, contentWord(kind.volContent()))
		}
	}
	existing := o.st.guests[vmid]
	if existing != nil && (!a.force || existing.node != nodeName || existing.kind != kind) {
		return nil, failf("%s %s", emsg, o.st.vmidInUse(vmid))
	}
	if existing != nil {
		if err := lockError(existing); err != nil {
			return nil, failf("%s %s", emsg, err)
		}
	}
	rc.existing = existing
	if existing != nil && existing.running {
		rc.failMsg = emsg + kind.traits().restoreOverRunning
	}
	if existing != nil && existing.conf["protection"] == "1" && rc.failMsg == "" {
		rc.failMsg = fmt.Sprintf("%s protection mode enabled", emsg)
	}
	return rc, nil
}

// restoreDisk is a disk of a backup, reallocated on restore.
type restoreDisk struct {
	key, sid string
	size     int64
	prop     *propString
}

// restoreDisks splits a backup's config into the disks to reallocate (on
// storage, when given) and the rest of the config.
func restoreDisks(kind guestKind, backupConf map[string]string, storage string) ([]restoreDisk, map[string]string) {
	var disks []restoreDisk
	newconf := map[string]string{}
	for _, k := range sortedKeys(backupConf) {
		v := backupConf[k]
		if kind.diskSlot(k) && !isIndexed(k, "unused") {
			defKey := kind.diskKey()
			p := parsePropString(v, defKey)
			if p.get("media") != "cdrom" {
				sid, _, _ := strings.Cut(p.get(defKey), ":")
				if storage != "" {
					sid = storage
				}
				disks = append(disks, restoreDisk{key: k, sid: sid, size: sizeBytes(p.get("size")), prop: p})
				continue
			}
		}
		if isIndexed(k, "unused") {
			continue
		}
		newconf[k] = v
	}
	return disks, newconf
}

// restoreGuest is create with archive (qemu) or restore=1 (lxc): a check
// step, then the task that reallocates the disks and writes the config.
func (s *Sim) restoreGuest(o op, a restoreArgs) (string, error) {
	rc, err := s.checkRestore(o, a)
	if err != nil {
		return "", err
	}
	return s.forkRestore(o, a, rc), nil
}

// restoreRun is a restore on its way to its task: the log, the new
// volumes and config.
type restoreRun struct {
	archive   string
	path, tmp string // the archive's file, the extraction's directory
	vol       *volume
	disks     []restoreDisk
	newconf   map[string]string
	lines     []taskLine
	vols      []string // allocated
	totalSize int64
	failMsg   string
	failAt    float64
}

// forkRestore is the task step of a restore: the guest (new or
// overwritten, locked), its new volumes, then the worker that writes the
// config.
func (s *Sim) forkRestore(o op, a restoreArgs, rc *restoreCheck) string {
	nodeName, vmid, kind, archive := o.node, a.vmid, a.kind, a.archive
	existing := rc.existing
	g, oldConf := o.restoreTarget(a, existing)
	r := &restoreRun{archive: archive, vol: rc.vol, failMsg: rc.failMsg, failAt: 0.5}
	r.disks, r.newconf = restoreDisks(kind, rc.vol.backupConf, a.storage)
	r.path = volumePath(o.st.storageOn(nodeName, strings.SplitN(archive, ":", 2)[0]).def, rc.vol)
	r.tmp = fmt.Sprintf("/var/tmp/vzdumptmp%d", o.st.nextPID+1)
	r.lines = kind.traits().restoreHeader(r)
	if r.failMsg == "" {
		o.allocRestoreDisks(a, r, rc.emsg)
	}
	secs := 5 + int(r.totalSize/(1<<30))
	r.lines = append(r.lines, kind.traits().restoreProgress(archive, r.totalSize, secs)...)
	if r.newconf["template"] == "1" {
		r.lines = append(r.lines, taskLine{at: 0.97, text: "Convert to template."})
	}
	start := a.start
	if start {
		r.lines = append(r.lines, taskLine{at: 1, text: "Execute autostart"})
	}
	for k, v := range a.conf {
		r.newconf[k] = v
	}
	if kind.traits().uniqueRestore && a.unique {
		uniqueNets(r.newconf, o.st.macAddr)
	}
	user := o.user
	var oldVols []string
	if existing != nil {
		oldVols = volumesOf(existing)
	}
	return o.startTask(taskSpec{typ: kind.task("restore"), vmid: vmid,
		dur: time.Duration(secs) * time.Second, lines: r.lines, failMsg: r.failMsg, failAt: r.failAt,
		onOK: func(end time.Time) error {
			for _, v := range oldVols {
				if !contains(r.vols, v) {
					s.st.removeVolume(nodeName, v)
				}
			}
			g.conf = r.newconf
			g.snaps = nil
			if start {
				kind.traits().startRestored(s, g, nodeName, user, end)
			}
			return nil
		},
		onFail: func() {
			for _, v := range r.vols {
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
}

// restoreTarget is the guest a restore writes, locked: the existing one
// (with its config to put back if the restore fails) or a new one.
func (o op) restoreTarget(a restoreArgs, existing *guest) (*guest, map[string]string) {
	g := existing
	var oldConf map[string]string
	if g == nil {
		g = &guest{vmid: a.vmid, kind: a.kind, node: o.node, conf: map[string]string{}, load: guestLoad(a.vmid)}
		o.st.guests[a.vmid] = g
	} else {
		oldConf = copyConf(g.conf)
	}
	g.conf["lock"] = "create"
	return g, oldConf
}

// allocRestoreDisks allocates the restore's volumes, logs them and puts
// them in the new config; a failure fails the task early.
func (o op) allocRestoreDisks(a restoreArgs, r *restoreRun, emsg string) {
	nodeName, vmid, kind := o.node, a.vmid, a.kind
	for _, d := range r.disks {
		volid, err := o.st.allocDisk(nodeName, d.sid, vmid, d.size, kind.volContent(), false, o.now)
		if err != nil {
			r.failMsg = fmt.Sprintf("%s %s", emsg, err)
			r.failAt = 0.05
			return
		}
		r.vols = append(r.vols, volid)
		r.totalSize += d.size
		for _, l := range allocLines(o.st, nodeName, volid, d.size) {
			r.lines = append(r.lines, taskLine{at: 0.03, text: l})
		}
		if kind.traits().logsDrives {
			_, vname, _ := strings.Cut(volid, ":")
			r.lines = append(r.lines, taskLine{at: 0.03, text: fmt.Sprintf("new volume ID is '%s'", volid)},
				taskLine{at: 0.04, text: fmt.Sprintf("map 'drive-%s' to '/dev/pve/%s' (write zeros = 0)", d.key, lastSeg(vname))})
		}
		d.prop.set(kind.diskKey(), volid)
		r.newconf[d.key] = d.prop.String()
	}
}

// qemuRestoreHeader is the start of qmrestore's log: the vma extraction and
// the archive's devices.
func qemuRestoreHeader(r *restoreRun) []taskLine {
	lines := []taskLine{{at: 0, text: fmt.Sprintf("restore vma archive: zstd -q -d -c %s | vma extract -v -r %s.fifo - %s", r.path, r.tmp, r.tmp)},
		{at: 0.01, text: "CFG: size: 637 name: qemu-server.conf"}}
	for i, d := range r.disks {
		lines = append(lines, taskLine{at: 0.01, text: fmt.Sprintf("DEV: dev_id=%d size: %d devname: drive-%s", i+1, d.size, d.key)})
	}
	return append(lines, taskLine{at: 0.01, text: "CTIME: " + time.Unix(r.vol.ctime, 0).Format("Mon Jan _2 15:04:05 2006")})
}

// lxcRestoreHeader is the start of a container restore's log.
func lxcRestoreHeader(r *restoreRun) []taskLine {
	return []taskLine{{at: 0, text: "recovering backed-up configuration from '" + r.archive + "'"}}
}

// qemuRestoreProgress is vma extract's progress.
func qemuRestoreProgress(_ string, totalSize int64, secs int) []taskLine {
	var out []taskLine
	for p := 0; p <= 100; p += 5 {
		read := int64(float64(totalSize) * float64(p) / 100)
		out = append(out, taskLine{at: 0.05 + 0.85*float64(p)/100,
			text: fmt.Sprintf("progress %d%% (read %d bytes, duration %d sec)", p, read, int(float64(secs)*float64(p)/100))})
	}
	return append(out, taskLine{at: 0.92, text: fmt.Sprintf("total bytes read %d, sparse bytes %d (70%%)", totalSize, totalSize*7/10)},
		taskLine{at: 0.92, text: "space reduction due to 4K zero blocks 0.41%"},
		taskLine{at: 0.95, text: "rescan volumes..."})
}

// lxcRestoreProgress is the tar extraction of a container restore.
func lxcRestoreProgress(archive string, totalSize int64, _ int) []taskLine {
	return []taskLine{{at: 0.1, text: "restoring '" + archive + "' now.."},
		{at: 0.85, text: fmt.Sprintf("Total bytes read: %d (%dMiB, 91MiB/s)", totalSize/4, totalSize/4>>20)},
		{at: 0.9, text: "merging backed-up and given configuration.."}}
}

// qemuStartRestored forks qmstart for a VM restored with start=1.
func qemuStartRestored(s *Sim, g *guest, nodeName, user string, _ time.Time) {
	s.startQemu(g, nodeName, g.vmid, user, false)
}

// lxcStartRestored starts a container restored with start=1.
func lxcStartRestored(_ *Sim, g *guest, _, _ string, end time.Time) {
	g.running, g.startedAt = true, end
}

// uniqueNets gives each qemu network device a new MAC (restore unique=1).
func uniqueNets(conf map[string]string, macAddr func() string) {
	for k, v := range conf {
		if isIndexed(k, "net") {
			p := parsePropString(v, "model")
			for _, key := range p.keys {
				if netModels[key] && key != "model" {
					p.del(key)
					p.set("model", key)
				}
			}
			conf[k] = canonicalQemuNet(p.String(), macAddr)
		}
	}
}
