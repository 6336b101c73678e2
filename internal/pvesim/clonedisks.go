package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// allocCloneDisks allocates the clone's volumes (full copies or linked
// clones of base volumes, on storage when given) and returns them, or the
// task's failure text when one cannot be allocated.
func allocCloneDisks(o op, a cloneArgs, disks []*cloneDisk, newid int, full bool) (vols []string, failMsg string) {
	kind, nodeName, storage := a.kind, o.node, a.storage
	for _, d := range disks {
		sid, _, _ := strings.Cut(d.srcVolid, ":")
		if storage != "" {
			sid = storage
		}
		var err error
		if full {
			d.newVolid, err = o.st.allocDisk(nodeName, sid, newid, d.size, kind.volContent(), false, o.now)
		} else {
			d.newVolid, err = o.st.linkedClone(nodeName, d.srcVolid, newid, o.now)
		}
		if err != nil {
			return vols, "clone failed: " + err.Error()
		}
		vols = append(vols, d.newVolid)
	}
	return vols, ""
}

// cloneLines is the clone task's log, disk by disk.
func (s *Sim) cloneLines(o op, kind guestKind, src *guest, disks []*cloneDisk, full bool) []taskLine {
	var lines []taskLine
	mode := "full"
	if !full {
		mode = "linked"
	}
	n := len(disks)
	for i, d := range disks {
		from := float64(i) / float64(max(n, 1))
		to := float64(i+1) / float64(max(n, 1))
		if kind.traits().logsDrives {
			lines = append(lines, taskLine{at: from, text: fmt.Sprintf("create %s clone of drive %s (%s)", mode, d.key, d.srcVolid)})
		}
		if d.newVolid != "" {
			for _, l := range allocLines(o.st, o.node, d.newVolid, d.size) {
				lines = append(lines, taskLine{at: from + 0.01, text: l})
			}
		}
		if full && kind.traits().logsDrives {
			lines = append(lines, copyProgress(s, src, d, from+0.02, to)...)
		}
	}
	return lines
}

// linkedClone creates a clone of a base volume named as the storage names
// it: "base-X-disk-N/vm-Y-disk-M" (zfs, rbd), "X/base-X-disk-N.raw/Y/vm-Y-disk-M.raw"
// (file storages), plain "vm-Y-disk-M" on lvmthin, which does not record the base.
func (st *state) linkedClone(nodeName, base string, newid int, now time.Time) (string, error) {
	sid, baseName, _ := strings.Cut(base, ":")
	ns := st.storageOn(nodeName, sid)
	bv := ns.vols[base]
	for i := 0; ; i++ {
		if st.diskNameUsed(ns, newid, i) {
			continue
		}
		name := fmt.Sprintf("vm-%d-disk-%d", newid, i)
		volid := fmt.Sprintf("%s:%s/%s", sid, baseName, name)
		switch {
		case ns.def.typ == "lvmthin":
			volid = sid + ":" + name
		case fileBased(ns.def.typ):
			ext := "raw"
			if j := strings.LastIndex(baseName, "."); j >= 0 {
				ext = baseName[j+1:]
			}
			volid = fmt.Sprintf("%s:%s/%d/%s.%s", sid, baseName, newid, name, ext)
		}
		ns.vols[volid] = &volume{volid: volid, content: bv.content, format: bv.format, size: bv.size, vmid: newid, ctime: now.Unix(), parent: baseName}
		return volid, nil
	}
}

// copyProgress prints a disk copy as qemu-img convert (stopped source) or a
// drive mirror (running source) does.
func copyProgress(s *Sim, src *guest, d *cloneDisk, from, to float64) []taskLine {
	total := renderBytes(float64(d.size), 1)
	steps := 20
	if !src.running {
		return progressLines(from, to, steps, func(i int, f float64) string {
			return fmt.Sprintf("transferred %s of %s (%.2f%%)", renderBytes(float64(d.size)*f, 1), total, f*100)
		})
	}
	job := "drive-" + d.key
	if s.major() >= 9 {
		job = "mirror-" + d.key
	}
	secs := float64(d.size) / float64(1<<30)
	out := []taskLine{{at: from, text: "drive mirror is starting for drive-" + d.key}}
	out = append(out, progressLines(from, to-0.02, steps, func(i int, f float64) string {
		line := fmt.Sprintf("%s: transferred %s of %s (%.2f%%) in %s", job, renderBytes(float64(d.size)*f, 1), total, f*100,
			renderDuration(time.Duration(f*secs)*time.Second))
		if i == steps {
			line += ", ready"
		}
		return line
	})...)
	out = append(out, at(to-0.01, "all 'mirror' jobs are ready", "suspend vm", job+": Cancelling block job", job+": Done.", "resume vm")...)
	return out
}

// cloneDuration is a clone's time: 2s, plus ~1 GiB/s of full copies, at
// least 3s for a full clone.
func cloneDuration(disks []*cloneDisk, full bool) time.Duration {
	var total time.Duration
	if full {
		for _, d := range disks {
			total += time.Duration(float64(d.size)/float64(1<<30)) * time.Second
		}
	}
	dur := 2*time.Second + total
	if dur < 3*time.Second && full {
		dur = 3 * time.Second
	}
	return dur
}
