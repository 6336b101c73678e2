package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cloneDisk is one disk to copy or link.
type cloneDisk struct {
	key, srcVolid string
	size          int64
	newVolid      string
	prop          *propString
}

func (s *Sim) cloneGuest(c *call, kind guestKind) (any, error) {
	nodeName := c.params["node"]
	newid := atoiDefault(c.params["newid"], 0)
	target := c.params["target"]
	storage := c.params["storage"]
	snapname := c.params["snapname"]
	if storage != "" {
		if c.st.storageOn(nodeName, storage) == nil {
			return nil, failf("storage '%s' does not exist", storage)
		}
		if target != "" && target != nodeName {
			for _, d := range c.st.storages {
				if d.id == storage && !d.shared {
					return nil, failf("can't clone to non-shared storage '%s'", storage)
				}
			}
		}
	}
	if target != "" && c.st.node(target) == nil {
		return nil, failf("no such cluster node '%s'", target)
	}
	src, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := lockError(src); err != nil {
		return nil, err
	}
	conf := src.conf
	if snapname != "" {
		sn := src.snapshot(snapname)
		if sn == nil {
			return nil, failf("snapshot '%s' does not exist", snapname)
		}
		conf = sn.conf
	}
	full := c.boolParam("full", !src.isTemplate())
	if storage != "" && !full {
		return nil, failf("parameter 'storage' not allowed for linked clones")
	}
	if kind.isQemu() && c.has("format") && !full {
		return nil, failf("parameter 'format' not allowed for linked clones")
	}
	var disks []*cloneDisk
	newconf := map[string]string{}
	shared := true
	for _, k := range sortedKeys(conf) {
		v := conf[k]
		switch k {
		case "parent", "snaptime", "vmstate", "snapstate", "lock", "template":
			continue
		}
		if isIndexed(k, "unused") {
			continue
		}
		if kind.diskSlot(k) {
			defKey := kind.diskKey()
			p := parsePropString(v, defKey)
			if kind.isQemu() && p.get("media") == "cdrom" {
				newconf[k] = v
				continue
			}
			file := p.get(defKey)
			sid, _, _ := strings.Cut(file, ":")
			if storage != "" {
				sid = storage
			}
			if err := c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
				return nil, err
			}
			for _, d := range c.st.storages {
				if d.id == sid && !d.shared {
					shared = false
				}
			}
			if !full {
				vol := c.st.findVolume(nodeName, file)
				if vol == nil || !isBaseVolume(file) {
					if kind.isLXC() {
						return nil, failf("Linked clone feature for '%s' is not available", file)
					}
					return nil, failf("Linked clone feature is not supported for drive '%s'", k)
				}
			} else if kind.isLXC() && src.running && snapname == "" {
				return nil, failf("Full clone of a running container is only possible from a snapshot")
			}
			size := sizeBytes(p.get("size"))
			if vol := c.st.findVolume(nodeName, file); vol != nil {
				size = vol.size
			}
			disks = append(disks, &cloneDisk{key: k, srcVolid: file, size: size, prop: p})
			continue
		}
		if isIndexed(k, "net") {
			if kind.isQemu() {
				p := parsePropString(v, "model")
				for _, key := range p.keys {
					if netModels[key] && key != "model" {
						p.del(key)
						p.set("model", key)
					}
				}
				p.del("macaddr")
				newconf[k] = canonicalQemuNet(p.String(), c.st.macAddr)
			} else {
				p := parsePropString(v, "")
				p.del("hwaddr")
				newconf[k] = canonicalLxcNet(p.String(), c.st.macAddr)
			}
			continue
		}
		newconf[k] = v
	}
	if target != "" && target != nodeName && !shared {
		return nil, failf("can't clone %s to node '%s' (%s uses local storage)", src.typeName(), target, src.typeName())
	}
	if g := c.st.guests[newid]; g != nil && g.node == nodeName {
		if kind.isLXC() {
			return nil, failf("unable to create CT %d - CT %d already exists on node '%s'", newid, newid, g.node)
		}
		return nil, failf("unable to create VM %d: config file already exists", newid)
	}
	return s.forkClone(c, kind, src, newid, newconf, disks, full)
}

// forkClone is the task step of a clone: the new guest's config and disks,
// then the worker that fills them in.
func (s *Sim) forkClone(c *call, kind guestKind, src *guest, newid int, newconf map[string]string, disks []*cloneDisk, full bool) (any, error) {
	nodeName := c.params["node"]
	target := c.params["target"]
	if target == "" {
		target = nodeName
	}
	vmid := src.vmid
	c.cloneConf(kind, src, newconf)
	failMsg := ""
	if other := c.st.guests[newid]; other != nil {
		failMsg = fmt.Sprintf("clone failed: unable to create VM %d: VM %d already exists on node '%s'", newid, newid, other.node)
	}
	// the target config exists (locked) from the start of the worker
	tlock := "clone"
	if kind.isLXC() {
		tlock = "create"
	}
	var newGuest *guest
	var vols []string
	if failMsg == "" {
		newGuest = &guest{vmid: newid, kind: kind, node: nodeName, conf: map[string]string{"lock": tlock}, load: guestLoad(newid)}
		c.st.guests[newid] = newGuest
	}
	defKey := kind.diskKey()
	if kind.isLXC() && failMsg == "" {
		src.conf["lock"] = "disk"
	}
	if failMsg == "" {
		vols, failMsg = c.allocCloneDisks(kind, disks, newid, full)
	}
	lines := s.cloneLines(c, kind, src, disks, full)
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
	srcNode := nodeName
	return c.startTask(taskSpec{typ: kind.task("clone"), vmid: vmid, dur: dur, lines: lines, failMsg: failMsg, failAt: 0.3,
		interruptMsg: "clone failed: interrupted by signal",
		onOK: func(end time.Time) error {
			for _, d := range disks {
				d.prop.set(defKey, d.newVolid)
				if d.size > 0 {
					d.prop.set("size", formatSize(d.size))
				}
				newconf[d.key] = d.prop.String()
			}
			newGuest.conf = newconf
			newGuest.node = target
			s.st.cloneCloudinit(newGuest, c.params["storage"], end)
			if target != srcNode {
				for _, v := range vols {
					if vol := s.st.findVolume(srcNode, v); vol != nil {
						s.st.removeVolume(srcNode, v)
						s.st.addVolume(target, vol)
					}
				}
			}
			if p := c.params["pool"]; p != "" {
				s.addToPool(p, newGuest)
			}
			if kind.isLXC() && src.conf["lock"] == "disk" {
				delete(src.conf, "lock")
			}
			return nil
		},
		onFail: func() {
			for _, v := range vols {
				s.st.removeVolume(srcNode, v)
			}
			if newGuest != nil && s.st.guests[newid] == newGuest {
				delete(s.st.guests, newid)
			}
			if kind.isLXC() && src.conf["lock"] == "disk" {
				delete(src.conf, "lock")
			}
		}})
}

// cloneConf sets what a clone gets anew: name, UUIDs, description.
func (c *call) cloneConf(kind guestKind, src *guest, newconf map[string]string) {
	vmid := src.vmid
	if kind.isQemu() {
		newconf["smbios1"] = "uuid=" + c.st.uuid()
		if _, ok := newconf["vmgenid"]; ok {
			newconf["vmgenid"] = c.st.uuid()
		}
		if name := c.params["name"]; name != "" {
			newconf["name"] = name
		} else {
			n := src.conf["name"]
			if n == "" {
				n = strconv.Itoa(vmid)
			}
			newconf["name"] = "Copy-of-VM-" + n
		}
	} else if h := c.params["hostname"]; h != "" {
		newconf["hostname"] = h
	}
	if d := c.params["description"]; d != "" {
		newconf["description"] = d
	}
}

// allocCloneDisks allocates the clone's volumes (full copies or linked
// clones of base volumes, on storage when given) and returns them, or the
// task's failure text when one cannot be allocated.
func (c *call) allocCloneDisks(kind guestKind, disks []*cloneDisk, newid int, full bool) (vols []string, failMsg string) {
	nodeName, storage := c.params["node"], c.params["storage"]
	for _, d := range disks {
		sid, _, _ := strings.Cut(d.srcVolid, ":")
		if storage != "" {
			sid = storage
		}
		var err error
		if full {
			d.newVolid, err = c.st.allocDisk(nodeName, sid, newid, d.size, kind.volContent(), false, c.now)
		} else {
			d.newVolid, err = c.st.linkedClone(nodeName, d.srcVolid, newid, c.now)
		}
		if err != nil {
			return vols, "clone failed: " + err.Error()
		}
		vols = append(vols, d.newVolid)
	}
	return vols, ""
}

// cloneLines is the clone task's log, disk by disk.
func (s *Sim) cloneLines(c *call, kind guestKind, src *guest, disks []*cloneDisk, full bool) []taskLine {
	var lines []taskLine
	mode := "full"
	if !full {
		mode = "linked"
	}
	n := len(disks)
	for i, d := range disks {
		from := float64(i) / float64(max(n, 1))
		to := float64(i+1) / float64(max(n, 1))
		if kind.isQemu() {
			lines = append(lines, taskLine{at: from, text: fmt.Sprintf("create %s clone of drive %s (%s)", mode, d.key, d.srcVolid)})
		}
		if d.newVolid != "" {
			for _, l := range allocLines(c.st, c.params["node"], d.newVolid, d.size) {
				lines = append(lines, taskLine{at: from + 0.01, text: l})
			}
		}
		if full && kind.isQemu() {
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
