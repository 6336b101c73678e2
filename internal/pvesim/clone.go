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

// clonePlan is what a clone found before its task starts.
type clonePlan struct {
	src      *guest
	newid    int
	snapname string
	newconf  map[string]string // the copied config, disks left out
	disks    []*cloneDisk
	full     bool
	shared   bool // every disk is on shared storage
}

func (s *Sim) cloneGuest(c *call, kind guestKind) (any, error) {
	pl, err := c.checkClone(kind)
	if err != nil {
		return nil, err
	}
	return s.forkClone(c, kind, pl)
}

// checkClone is the synchronous part of a clone: target, source (or its
// snapshot), the config to copy and its disks.
func (c *call) checkClone(kind guestKind) (*clonePlan, error) {
	nodeName, target, storage := c.params["node"], c.params["target"], c.params["storage"]
	if err := c.checkCloneTarget(); err != nil {
		return nil, err
	}
	src, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := lockError(src); err != nil {
		return nil, err
	}
	pl := &clonePlan{src: src, newid: c.num("newid"), snapname: c.params["snapname"], newconf: map[string]string{}, shared: true}
	conf := src.conf
	if pl.snapname != "" {
		sn := src.snapshot(pl.snapname)
		if sn == nil {
			return nil, failf("snapshot '%s' does not exist", pl.snapname)
		}
		conf = sn.conf
	}
	pl.full = c.flagOr("full", !src.isTemplate())
	if storage != "" && !pl.full {
		return nil, failf("parameter 'storage' not allowed for linked clones")
	}
	if kind.traits().diskFormats && c.has("format") && !pl.full {
		return nil, failf("parameter 'format' not allowed for linked clones")
	}
	if err := c.cloneConfOf(kind, pl, conf); err != nil {
		return nil, err
	}
	if target != "" && target != nodeName && !pl.shared {
		return nil, failf("can't clone %s to node '%s' (%s uses local storage)", src.typeName(), target, src.typeName())
	}
	if g := c.st.guests[pl.newid]; g != nil && g.node == nodeName {
		return nil, kind.traits().cloneExists(pl.newid, g.node)
	}
	return pl, nil
}

// checkCloneTarget checks the target storage and node.
func (c *call) checkCloneTarget() error {
	nodeName, target, storage := c.params["node"], c.params["target"], c.params["storage"]
	if storage != "" {
		if c.st.storageOn(nodeName, storage) == nil {
			return failf("storage '%s' does not exist", storage)
		}
		if target != "" && target != nodeName {
			for _, d := range c.st.storages {
				if d.id == storage && !d.shared {
					return failf("can't clone to non-shared storage '%s'", storage)
				}
			}
		}
	}
	if target != "" && c.st.node(target) == nil {
		return failf("no such cluster node '%s'", target)
	}
	return nil
}

// cloneConfOf splits the source config into the plan's new config (network
// devices get new MACs) and the disks to copy.
func (c *call) cloneConfOf(kind guestKind, pl *clonePlan, conf map[string]string) error {
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
			d, err := c.cloneDiskOf(kind, pl, k, v)
			if err != nil {
				return err
			}
			if d == nil { // a CD-ROM is copied as it is
				pl.newconf[k] = v
				continue
			}
			pl.disks = append(pl.disks, d)
			continue
		}
		if isIndexed(k, "net") {
			pl.newconf[k] = kind.traits().freshNet(v, c.st.macAddr)
			continue
		}
		pl.newconf[k] = v
	}
	return nil
}

// cloneDiskOf is the disk of a config slot to copy (nil for a CD-ROM),
// checked: space on its storage, a base volume for a linked clone.
func (c *call) cloneDiskOf(kind guestKind, pl *clonePlan, k, v string) (*cloneDisk, error) {
	nodeName, storage := c.params["node"], c.params["storage"]
	defKey := kind.diskKey()
	p := parsePropString(v, defKey)
	if kind.isCDROM(p) {
		return nil, nil
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
			pl.shared = false
		}
	}
	if !pl.full {
		vol := c.st.findVolume(nodeName, file)
		if vol == nil || !isBaseVolume(file) {
			return nil, kind.traits().noLinkedClone(file, k)
		}
	} else if !kind.traits().mirrorsRunning && pl.src.running && pl.snapname == "" {
		return nil, failf("Full clone of a running container is only possible from a snapshot")
	}
	size := sizeBytes(p.get("size"))
	if vol := c.st.findVolume(nodeName, file); vol != nil {
		size = vol.size
	}
	return &cloneDisk{key: k, srcVolid: file, size: size, prop: p}, nil
}

// qemuFreshNet is a VM's network device for a clone: the model as key,
// a new MAC.
func qemuFreshNet(v string, macAddr func() string) string {
	p := parsePropString(v, "model")
	for _, key := range p.keys {
		if netModels[key] && key != "model" {
			p.del(key)
			p.set("model", key)
		}
	}
	p.del("macaddr")
	return canonicalQemuNet(p.String(), macAddr)
}

// lxcFreshNet is a container's network device for a clone: a new hwaddr.
func lxcFreshNet(v string, macAddr func() string) string {
	p := parsePropString(v, "")
	p.del("hwaddr")
	return canonicalLxcNet(p.String(), macAddr)
}

// forkClone is the task step of a clone: the new guest's config and disks,
// then the worker that fills them in.
func (s *Sim) forkClone(c *call, kind guestKind, pl *clonePlan) (any, error) {
	nodeName := c.params["node"]
	src, newid, newconf := pl.src, pl.newid, pl.newconf
	c.cloneConf(kind, src, newconf)
	failMsg := ""
	if other := c.st.guests[newid]; other != nil {
		failMsg = fmt.Sprintf("clone failed: unable to create VM %d: VM %d already exists on node '%s'", newid, newid, other.node)
	}
	// the target config exists (locked) from the start of the worker
	var newGuest *guest
	var vols []string
	if failMsg == "" {
		newGuest = &guest{vmid: newid, kind: kind, node: nodeName, conf: map[string]string{"lock": kind.traits().cloneLock}, load: guestLoad(newid)}
		c.st.guests[newid] = newGuest
		kind.lockForCopy(src.conf)
		vols, failMsg = c.allocCloneDisks(kind, pl.disks, newid, pl.full)
	}
	lines := s.cloneLines(c, kind, src, pl.disks, pl.full)
	return c.startTask(taskSpec{typ: kind.task("clone"), vmid: src.vmid, dur: cloneDuration(pl.disks, pl.full), lines: lines,
		failMsg: failMsg, failAt: 0.3, interruptMsg: "clone failed: interrupted by signal",
		onOK: func(end time.Time) error {
			s.finishClone(c, kind, pl, newGuest, vols, end)
			return nil
		},
		onFail: func() {
			for _, v := range vols {
				s.st.removeVolume(nodeName, v)
			}
			if newGuest != nil && s.st.guests[newid] == newGuest {
				delete(s.st.guests, newid)
			}
			kind.unlockAfterCopy(src.conf)
		}})
}

// finishClone is the end of a clone's worker: the new guest's config with
// its new disks, on the target node, in the pool.
func (s *Sim) finishClone(c *call, kind guestKind, pl *clonePlan, newGuest *guest, vols []string, end time.Time) {
	srcNode, target := c.params["node"], c.params["target"]
	if target == "" {
		target = srcNode
	}
	defKey := kind.diskKey()
	for _, d := range pl.disks {
		d.prop.set(defKey, d.newVolid)
		if d.size > 0 {
			d.prop.set("size", formatSize(d.size))
		}
		pl.newconf[d.key] = d.prop.String()
	}
	newGuest.conf = pl.newconf
	newGuest.node = target
	s.st.cloneGuestFirewall(c.vmid(), newGuest.vmid)
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
	kind.unlockAfterCopy(pl.src.conf)
}

// cloneConf sets what a clone gets anew: name or hostname, UUIDs,
// description.
func (c *call) cloneConf(kind guestKind, src *guest, newconf map[string]string) {
	kind.traits().cloneIdentity(c, src, newconf)
	if d := c.params["description"]; d != "" {
		newconf["description"] = d
	}
}

// qemuCloneIdentity gives a VM's clone new UUIDs and its name
// ("Copy-of-VM-<name>" unless given).
func qemuCloneIdentity(c *call, src *guest, newconf map[string]string) {
	newconf["smbios1"] = "uuid=" + c.st.uuid()
	if _, ok := newconf["vmgenid"]; ok {
		newconf["vmgenid"] = c.st.uuid()
	}
	if name := c.params["name"]; name != "" {
		newconf["name"] = name
		return
	}
	n := src.conf["name"]
	if n == "" {
		n = strconv.Itoa(src.vmid)
	}
	newconf["name"] = "Copy-of-VM-" + n
}

// lxcCloneIdentity gives a container's clone the hostname asked for.
func lxcCloneIdentity(c *call, _ *guest, newconf map[string]string) {
	if h := c.params["hostname"]; h != "" {
		newconf["hostname"] = h
	}
}
