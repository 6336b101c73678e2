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
	a := moveArgs{kind: kind, vmid: c.vmid(), disk: c.params[kind.traits().moveParam], storage: c.params["storage"],
		targetVMID: c.num("target-vmid"), digest: c.params["digest"], format: c.params["format"], delete: c.flag("delete")}
	// storage and target-vmid exclude each other, and one is needed
	if a.targetVMID != 0 && a.storage != "" {
		msg := "either set 'storage' or 'target-vmid', but not both"
		return nil, paramError(map[string]string{"target-vmid": msg, "storage": msg})
	}
	if a.targetVMID == 0 && a.storage == "" {
		msg := "both 'storage' and 'target-vmid' missing, either needs to be set"
		return nil, paramError(map[string]string{"target-vmid": msg, "storage": msg})
	}
	upid, err := s.move(c.op(), a)
	if err != nil {
		return nil, err
	}
	return upid, nil
}

// moveArgs are a disk move's parameters, decoded once by the adapter.
type moveArgs struct {
	kind       guestKind
	vmid       int
	disk       string // the slot to move (disk of move_disk, volume of move_volume)
	storage    string // the target storage
	targetVMID int    // reassign to this guest instead (not simulated)
	digest     string
	format     string // qemu only: the schema of move_volume has none
	delete     bool   // drop the source instead of keeping it as unusedN
}

// move is the model's disk move: its check step, then its task step; it
// answers the task's UPID.
func (s *Sim) move(o op, a moveArgs) (string, error) {
	mv, err := checkMove(o, a)
	if err != nil {
		return "", err
	}
	return s.forkMove(o, a, mv)
}

// movePlan is what a disk move found before its task starts.
type movePlan struct {
	g            *guest
	diskKey, old string // the disk's slot and its current volume
	sid          string // the target storage
	size         int64
	format       string // the new volume's ("" = the source's where the target takes it)
}

// checkMove is the synchronous part of a move: parameters, the disk, the
// target storage.
func checkMove(o op, a moveArgs) (*movePlan, error) {
	kind, nodeName, diskKey, sid := a.kind, o.node, a.disk, a.storage
	if a.targetVMID != 0 {
		return nil, failf("reassigning disks to another guest is not simulated")
	}
	if err := o.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	g := o.st.guests[a.vmid]
	if g == nil || g.kind != kind || g.node != nodeName {
		return nil, noConfig(kind, nodeName, a.vmid)
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	if d := a.digest; d != "" && d != g.digest() {
		return nil, failf("detected modified configuration - file changed by other user? Try again.")
	}
	if err := kind.traits().moveRefusal(diskKey, false, false); err != nil {
		return nil, err // pve-container refuses unusedN before reading it
	}
	val, ok := g.conf[diskKey]
	if !ok {
		return nil, failf("disk '%s' does not exist", diskKey)
	}
	p := parsePropString(val, kind.diskKey())
	if p.get("media") == "cdrom" {
		return nil, failf("you can't move a cdrom")
	}
	old := p.get(kind.diskKey())
	oldSid, _, _ := strings.Cut(old, ":")
	format := a.format
	oldFormat := "raw"
	if v := o.st.findVolume(nodeName, old); v != nil && v.format != "" {
		oldFormat = v.format
	}
	if oldSid == sid && (format == "" || format == oldFormat) && kind.traits().sameStorageMove {
		return nil, failf("you can't move to the same storage with same format")
	}
	if g.running && !kind.traits().mirrorsRunning {
		return nil, failf("cannot move volumes of a running container")
	}
	if err := kind.traits().moveRefusal(diskKey, len(g.snaps) > 0, a.delete); err != nil {
		return nil, err
	}
	ns := o.st.storageOn(nodeName, sid)
	if ns == nil {
		return nil, failf("storage '%s' does not exist", sid)
	}
	if !hasContent(ns.def, kind.volContent()) {
		return nil, failf("storage '%s' does not support %s", sid, contentWord(kind.volContent()))
	}
	size := sizeBytes(p.get("size"))
	if v := o.st.findVolume(nodeName, old); v != nil {
		size = v.size
	}
	if format == "" && fileBased(ns.def.typ) {
		format = oldFormat // resolve_dst_disk_format keeps the source's format
	}
	return &movePlan{g: g, diskKey: diskKey, old: old, sid: sid, size: size, format: format}, nil
}

// forkMove is the task step of a move: the new volume, then the worker that
// switches the disk to it.
func (s *Sim) forkMove(o op, a moveArgs, mv *movePlan) (string, error) {
	kind, nodeName, vmid := a.kind, o.node, a.vmid
	g, diskKey, old, size := mv.g, mv.diskKey, mv.old, mv.size
	newVol, err := o.st.allocDiskFormat(nodeName, mv.sid, vmid, size, kind.volContent(), g.isTemplate(), mv.format, o.now)
	if err != nil {
		return "", failf("%s", err)
	}
	kind.lockForCopy(g.conf)
	var alloc []taskLine
	for _, l := range allocLines(o.st, nodeName, newVol, size) {
		alloc = append(alloc, taskLine{at: 0.01, text: l})
	}
	lines := kind.traits().moveLog(s, mv, alloc)
	del := a.delete
	defKey := kind.diskKey()
	dur := 2*time.Second + time.Duration(float64(size)/float64(1<<30))*time.Second
	return o.startTask(taskSpec{typ: kind.traits().moveTask, vmid: vmid, dur: dur,
		lines: lines, interruptMsg: "storage migration failed: interrupted by signal",
		onOK: func(time.Time) error {
			np := parsePropString(g.conf[diskKey], defKey)
			np.set(defKey, newVol)
			g.conf[diskKey] = np.String()
			kind.unlockAfterCopy(g.conf)
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
			kind.unlockAfterCopy(g.conf)
		}}), nil
}

// qemuMoveLog is qemu-server's log of a move: the drive's clone, a copy
// (stopped VM) or a drive mirror completed without suspending (running).
func qemuMoveLog(s *Sim, mv *movePlan, alloc []taskLine) []taskLine {
	g, diskKey := mv.g, mv.diskKey
	lines := []taskLine{{at: 0, text: fmt.Sprintf("create full clone of drive %s (%s)", diskKey, mv.old)}}
	lines = append(lines, alloc...)
	lines = append(lines, copyProgress(s, g, &cloneDisk{key: diskKey, size: mv.size}, 0.02, 0.95)...)
	if g.running {
		lines = lines[:len(lines)-4] // no suspend/resume for a move
		job := "mirror-" + diskKey
		if s.major() < 9 {
			job = "drive-" + diskKey
		}
		lines = append(lines, at(0.97, job+": Completing block job...", job+": Completed successfully.", job+": mirror-job finished")...)
	}
	return lines
}

// lxcMoveLog is pve-container's log of a move: the copy's byte count.
func lxcMoveLog(_ *Sim, mv *movePlan, alloc []taskLine) []taskLine {
	size := mv.size
	lines := append([]taskLine{}, alloc...)
	return append(lines, at(0.9, fmt.Sprintf("Total bytes written: %d (%dMiB, 120MiB/s)", size/4, size/4>>20))...)
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
