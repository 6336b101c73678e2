package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// backupJobLines is a vzdump job's log: the command, each guest's part,
// the end.
func (s *Sim) backupJobLines(st *state, j *vzdumpRun, cmdOpts []string, local, skipped []int, secs int) []taskLine {
	cmd := "vzdump " + strings.Join(intsToStrings(local), " ")
	for _, o := range cmdOpts {
		cmd += " " + o
	}
	lines := at(0, "INFO: starting new backup job: "+cmd)
	if len(skipped) > 0 {
		lines = append(lines, taskLine{at: 0, text: "INFO: skip external VMs: " + strings.Join(intsToStrings(skipped), ", ")})
	}
	pos := 0.0
	for i, it := range j.items {
		share := 1.0 / float64(len(j.items))
		if j.total > 0 {
			share = (2.0/float64(secs))*1 + float64(it.size)/float64(j.total)*(1-2.0*float64(len(j.items))/float64(secs))
		}
		from, to := pos, pos+share
		if i == len(j.items)-1 {
			to = 0.97
		}
		pos = to
		lines = append(lines, s.backupLines(st, j, it, from, to, j.start.Add(time.Duration(from*float64(j.dur))))...)
	}
	if j.failures() > 0 {
		lines = append(lines, taskLine{at: 0.98, text: "INFO: Backup job finished with errors"})
	} else {
		lines = append(lines, taskLine{at: 0.98, text: "INFO: Backup job finished successfully"})
	}
	if s.major() >= 8 {
		lines = append(lines, taskLine{at: 0.99, text: "INFO: notified via target `mail-to-root`"})
	}
	return lines
}

// backupLog is one guest's part of a vzdump log on its way.
type backupLog struct {
	st            *state
	j             *vzdumpRun
	it            *backupItem
	from, span    float64
	dumpDir, name string // the archive's directory and file name
	out           []taskLine
}

func (b *backupLog) add(f float64, text string) {
	b.out = append(b.out, taskLine{at: f, text: "INFO: " + text})
}

// backupLines is one guest's part of the log, from..to of the job.
func (s *Sim) backupLines(st *state, j *vzdumpRun, it *backupItem, from, to float64, at0 time.Time) []taskLine {
	kind := kindQemu
	if it.g != nil {
		kind = it.g.kind
	}
	b := &backupLog{st: st, j: j, it: it, from: from, span: to - from}
	add := b.add
	add(from, fmt.Sprintf("Starting Backup of VM %d (%s)", it.vmid, kind))
	add(from, "Backup started at "+at0.Format("2006-01-02 15:04:05"))
	if it.failed != "" {
		b.out = append(b.out, taskLine{at: from, text: fmt.Sprintf("ERROR: Backup of VM %d failed - %s", it.vmid, it.failed)})
		add(from, "Failed at "+at0.Format("2006-01-02 15:04:05"))
		return b.out
	}
	status := "stopped"
	if it.g.running {
		status = "running"
	}
	add(from, "status = "+status)
	kind.traits().backupGuestLog(b)
	add(from, "backup mode: "+j.mode)
	add(from, "ionice priority: 7")
	b.dumpDir = j.ns.def.path + "/dump"
	b.name = backupName(kind, it.vmid, at0, j.compress)
	it.volid = j.ns.def.id + ":backup/" + b.name
	if j.ns.def.typ == "pbs" {
		it.volid = j.ns.def.id + ":" + pbsVolname(kind, it.vmid, at0)
	}
	span := b.span
	kind.traits().backupArchiveLog(b)
	add(from+0.93*span, "archive file size: "+vzdumpSize(archiveSize(it)))
	if j.notesTmpl != "" {
		add(from+0.94*span, "adding notes to backup")
	}
	if j.protected {
		add(from+0.94*span, "marking backup as protected")
	}
	add(from+0.95*span, "prune older backups with retention: keep-all=1")
	add(from+0.95*span, "pruned 0 backup(s)")
	secs := int(j.dur.Seconds() * span)
	add(to, fmt.Sprintf("Finished Backup of VM %d (%s)", it.vmid, hms(time.Duration(secs)*time.Second)))
	add(to, "Backup finished at "+at0.Add(time.Duration(secs)*time.Second).Format("2006-01-02 15:04:05"))
	return b.out
}

// qemuGuest names the VM and the disks it includes.
func (b *backupLog) qemuGuest() {
	g := b.it.g
	b.add(b.from, "VM Name: "+g.name())
	for _, d := range snapshotDisks(g) {
		sz := ""
		if v := b.st.findVolume(b.j.nodeName, d[1]); v != nil {
			sz = formatSize(v.size)
		}
		b.add(b.from, fmt.Sprintf("include disk '%s' '%s' %s", d[0], d[1], sz))
	}
}

// lxcGuest names the container and its mount point.
func (b *backupLog) lxcGuest() {
	b.add(b.from, "CT Name: "+b.it.g.name())
	b.add(b.from, "including mount point rootfs ('/') in backup")
}

// qemuArchive is a VM's backup through QEMU's backup job (a kvm started
// for it when the VM is stopped), with its progress.
func (b *backupLog) qemuArchive() {
	g, it, from, span, add := b.it.g, b.it, b.from, b.span, b.add
	if !g.running {
		add(from+0.01*span, "starting kvm to execute backup task")
	}
	add(from+0.02*span, "creating vzdump archive '"+b.dumpDir+"/"+b.name+"'")
	add(from+0.03*span, "started backup task '"+b.st.uuid()+"'")
	if g.running && b.j.mode == "snapshot" {
		add(from+0.03*span, "resuming VM again")
	}
	secs := b.j.dur.Seconds() * span
	steps := 10
	for i := 0; i <= steps; i++ {
		f := float64(i) / float64(steps)
		tr := float64(it.size) * f
		b.out = append(b.out, taskLine{at: from + span*(0.05+0.85*f), text: fmt.Sprintf("INFO: %3d%% (%s of %s) in %s, read: %s/s, write: %s/s",
			int(f*100), renderBytes(tr, 1), renderBytes(float64(it.size), 1), renderDuration(time.Duration(f*secs)*time.Second),
			renderBytes(float64(it.size)/max(secs, 1), 1), renderBytes(float64(it.size)/max(secs, 1)*0.3, 1))})
	}
	add(from+0.91*span, fmt.Sprintf("backup is sparse: %s (70%%) total zero data", renderBytes(float64(it.size)*0.7, 2)))
	add(from+0.91*span, fmt.Sprintf("transferred %s in %d seconds (%s/s)", renderBytes(float64(it.size), 2), int(secs), renderBytes(float64(it.size)/max(secs, 1), 1)))
	if !g.running {
		add(from+0.92*span, "stopping kvm after backup task")
	}
}

// lxcArchive is a container's tar archive, from a storage snapshot in
// snapshot mode.
func (b *backupLog) lxcArchive() {
	from, span, add := b.from, b.span, b.add
	if b.j.mode == "snapshot" {
		add(from+0.01*span, "create storage snapshot 'vzdump'")
	}
	add(from+0.02*span, "creating vzdump archive '"+b.dumpDir+"/"+b.name+"'")
	used := b.it.size / 4
	add(from+0.85*span, fmt.Sprintf("Total bytes written: %d (%dMiB, 82MiB/s)", used, used>>20))
	if b.j.mode == "snapshot" {
		add(from+0.86*span, "cleanup temporary 'vzdump' snapshot")
	}
}

// backupExt is the archive's file extension and volume format.
func backupExt(kind guestKind, compress string) (string, string) {
	base := kind.traits().archiveFormat
	switch compress {
	case "", "0":
		return base, base
	case "1", "lzo":
		return base + ".lzo", base + ".lzo"
	case "gzip":
		return base + ".gz", base + ".gz"
	}
	return base + ".zst", base + ".zst"
}

func backupName(kind guestKind, vmid int, at time.Time, compress string) string {
	ext, _ := backupExt(kind, compress)
	return fmt.Sprintf("vzdump-%s-%d-%s.%s", kind, vmid, at.Format("2006_01_02-15_04_05"), ext)
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
