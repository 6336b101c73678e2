package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// moveDisk is qemu move_disk and LXC move_volume to another storage: a
// drive mirror (running VM) or qemu-img convert (stopped) with progress
// lines; the old volume becomes unusedN unless delete=1.
func (s *Sim) moveDisk(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	diskKey, sid := c.params["disk"], c.params["storage"]
	if kind.isLXC() {
		diskKey = c.params["volume"]
	}
	if c.params["target-vmid"] != "" {
		if sid != "" {
			msg := "either set 'storage' or 'target-vmid', but not both"
			return nil, paramError(map[string]string{"target-vmid": msg, "storage": msg})
		}
		return nil, failf("reassigning disks to another guest is not simulated")
	}
	if sid == "" {
		msg := "both 'storage' and 'target-vmid' missing, either needs to be set"
		return nil, paramError(map[string]string{"target-vmid": msg, "storage": msg})
	}
	if err := c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	if d := c.params["digest"]; d != "" && d != g.digest() {
		return nil, failf("detected modified configuration - file changed by other user? Try again.")
	}
	val, ok := g.conf[diskKey]
	if !ok {
		return nil, failf("disk '%s' does not exist", diskKey)
	}
	defKey := kind.diskKey()
	p := parsePropString(val, defKey)
	if p.get("media") == "cdrom" {
		return nil, failf("you can't move a cdrom")
	}
	old := p.get(defKey)
	oldSid, _, _ := strings.Cut(old, ":")
	if oldSid == sid {
		return nil, failf("you can't move to the same storage with same format")
	}
	if kind.isLXC() && g.running {
		return nil, failf("cannot move volumes of a running container")
	}
	ns := c.st.storageOn(nodeName, sid)
	if ns == nil {
		return nil, failf("storage '%s' does not exist", sid)
	}
	if !hasContent(ns.def, kind.volContent()) {
		return nil, failf("storage '%s' does not support %s", sid, contentWord(kind.volContent()))
	}
	if len(g.snaps) > 0 && c.flag("delete") {
		return nil, failf("you can't move a disk with snapshots and delete the source")
	}
	size := sizeBytes(p.get("size"))
	if v := c.st.findVolume(nodeName, old); v != nil {
		size = v.size
	}
	newVol, err := c.st.allocDisk(nodeName, sid, vmid, size, kind.volContent(), g.isTemplate(), c.now)
	if err != nil {
		return nil, failf("%s", err)
	}
	g.conf["lock"] = "disk"
	if kind.isQemu() {
		delete(g.conf, "lock") // qemu holds only the flock during a move
	}
	lines := []taskLine{}
	if kind.isQemu() {
		lines = append(lines, taskLine{at: 0, text: fmt.Sprintf("create full clone of drive %s (%s)", diskKey, old)})
	}
	for _, l := range allocLines(c.st, nodeName, newVol, size) {
		lines = append(lines, taskLine{at: 0.01, text: l})
	}
	if kind.isQemu() {
		lines = append(lines, copyProgress(s, g, &cloneDisk{key: diskKey, size: size}, 0.02, 0.95)...)
		if g.running {
			lines = lines[:len(lines)-4] // no suspend/resume for a move
			job := "mirror-" + diskKey
			if s.major() < 9 {
				job = "drive-" + diskKey
			}
			lines = append(lines, at(0.97, job+": Completing block job...", job+": Completed successfully.", job+": mirror-job finished")...)
		}
	} else {
		lines = append(lines, at(0.9, fmt.Sprintf("Total bytes written: %d (%dMiB, 120MiB/s)", size/4, size/4>>20))...)
	}
	del := c.flag("delete")
	typ := "qmmove"
	if kind.isLXC() {
		typ = "move_volume"
	}
	dur := 2*time.Second + time.Duration(float64(size)/float64(1<<30))*time.Second
	return c.startTask(taskSpec{typ: typ, vmid: vmid, dur: dur,
		lines: lines, interruptMsg: "storage migration failed: interrupted by signal",
		onOK: func(time.Time) error {
			np := parsePropString(g.conf[diskKey], defKey)
			np.set(defKey, newVol)
			g.conf[diskKey] = np.String()
			if kind.isLXC() && g.conf["lock"] == "disk" {
				delete(g.conf, "lock")
			}
			if del {
				s.st.removeVolume(nodeName, old)
				return nil
			}
			for i := 0; ; i++ {
				k := "unused" + strconv.Itoa(i)
				if _, used := g.conf[k]; !used {
					g.conf[k] = old
					return nil
				}
			}
		},
		onFail: func() {
			s.st.removeVolume(nodeName, newVol)
			if kind.isLXC() && g.conf["lock"] == "disk" {
				delete(g.conf, "lock")
			}
		}})
}

// AddStorage defines another storage on every node (e.g. a second "lvmthin"
// or a shared "nfs" one, to move disks or migrate with shared disks).
func (s *Sim) AddStorage(id, typ string, content []string, shared bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.st.storages {
		if d.id == id {
			return fmt.Errorf("storage ID '%s' already defined", id)
		}
	}
	d := &storageDef{id: id, typ: typ, content: content, shared: shared, total: 1 << 40}
	switch typ {
	case "dir", "nfs", "cifs":
		d.path = "/mnt/pve/" + id
	default:
		d.vgname = id
		d.thinpool = "data"
	}
	s.st.storages = append(s.st.storages, d)
	var sharedStore *nodeStorage
	for _, n := range s.st.nodes {
		if shared {
			if sharedStore == nil {
				sharedStore = &nodeStorage{def: d, vols: map[string]*volume{}}
			}
			n.store[id] = sharedStore
			continue
		}
		n.store[id] = &nodeStorage{def: d, vols: map[string]*volume{}}
	}
	return nil
}
