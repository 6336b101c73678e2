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

// cloneArgs are a clone's parameters, decoded once by the adapter.
type cloneArgs struct {
	kind                      guestKind
	vmid, newid               int
	target, storage, snapname string
	full                      *bool // nil: Proxmox's default (linked for a template)
	format                    bool  // a format was sent (full clones only)
	pool, description         string
	name, hostname            string // the VM's name, the container's hostname
}

// cloneGuest is the adapter of POST .../clone: it decodes the parameters
// and runs the model's clone.
func (s *Sim) cloneGuest(c *call, kind guestKind) (any, error) {
	a := cloneArgs{kind: kind, vmid: c.vmid(), newid: c.num("newid"),
		target: c.params["target"], storage: c.params["storage"], snapname: c.params["snapname"],
		format: c.has("format"), pool: c.params["pool"], description: c.params["description"],
		name: c.params["name"], hostname: c.params["hostname"]}
	if c.arg("full") != "" {
		full := c.flag("full")
		a.full = &full
	}
	upid, err := s.clone(c.op(), a)
	if err != nil {
		return nil, err
	}
	return upid, nil
}

// clone is the model's clone: its check step, then its task step; it
// answers the task's UPID.
func (s *Sim) clone(o op, a cloneArgs) (string, error) {
	pl, err := checkClone(o, a)
	if err != nil {
		return "", err
	}
	return s.forkClone(o, a, pl), nil
}

// checkClone is the synchronous part of a clone: target, source (or its
// snapshot), the config to copy and its disks.
func checkClone(o op, a cloneArgs) (*clonePlan, error) {
	kind := a.kind
	if err := checkCloneTarget(o, a); err != nil {
		return nil, err
	}
	src, err := o.guestHere(kind, a.vmid)
	if err != nil {
		return nil, err
	}
	if err := lockError(src); err != nil {
		return nil, err
	}
	pl := &clonePlan{src: src, newid: a.newid, snapname: a.snapname, newconf: map[string]string{}, shared: true}
	conf := src.conf
	if pl.snapname != "" {
		sn := src.snapshot(pl.snapname)
		if sn == nil {
			return nil, failf("snapshot '%s' does not exist", pl.snapname)
		}
		conf = sn.conf
	}
	pl.full = !src.isTemplate()
	if a.full != nil {
		pl.full = *a.full
	}
	if a.storage != "" && !pl.full {
		return nil, failf("parameter 'storage' not allowed for linked clones")
	}
	if kind.traits().diskFormats && a.format && !pl.full {
		return nil, failf("parameter 'format' not allowed for linked clones")
	}
	if err := cloneConfOf(o, a, pl, conf); err != nil {
		return nil, err
	}
	if a.target != "" && a.target != o.node && !pl.shared {
		return nil, failf("can't clone %s to node '%s' (%s uses local storage)", src.typeName(), a.target, src.typeName())
	}
	if g := o.st.guests[pl.newid]; g != nil && g.node == o.node {
		return nil, kind.traits().cloneExists(pl.newid, g.node)
	}
	return pl, nil
}

// checkCloneTarget checks the target storage and node.
func checkCloneTarget(o op, a cloneArgs) error {
	target, storage := a.target, a.storage
	if storage != "" {
		if o.st.storageOn(o.node, storage) == nil {
			return failf("storage '%s' does not exist", storage)
		}
		if target != "" && target != o.node {
			for _, d := range o.st.storages {
				if d.id == storage && !d.shared {
					return failf("can't clone to non-shared storage '%s'", storage)
				}
			}
		}
	}
	if target != "" && o.st.node(target) == nil {
		return failf("no such cluster node '%s'", target)
	}
	return nil
}

// cloneConfOf splits the source config into the plan's new config (network
// devices get new MACs) and the disks to copy.
func cloneConfOf(o op, a cloneArgs, pl *clonePlan, conf map[string]string) error {
	kind := a.kind
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
			d, err := cloneDiskOf(o, a, pl, k, v)
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
			pl.newconf[k] = kind.traits().freshNet(v, o.st.macAddr)
			continue
		}
		pl.newconf[k] = v
	}
	return nil
}

// cloneDiskOf is the disk of a config slot to copy (nil for a CD-ROM),
// checked: space on its storage, a base volume for a linked clone.
func cloneDiskOf(o op, a cloneArgs, pl *clonePlan, k, v string) (*cloneDisk, error) {
	kind, nodeName, storage := a.kind, o.node, a.storage
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
	if err := o.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
		return nil, err
	}
	for _, d := range o.st.storages {
		if d.id == sid && !d.shared {
			pl.shared = false
		}
	}
	if !pl.full {
		vol := o.st.findVolume(nodeName, file)
		if vol == nil || !isBaseVolume(file) {
			return nil, kind.traits().noLinkedClone(file, k)
		}
	} else if !kind.traits().mirrorsRunning && pl.src.running && pl.snapname == "" {
		return nil, failf("Full clone of a running container is only possible from a snapshot")
	}
	size := sizeBytes(p.get("size"))
	if vol := o.st.findVolume(nodeName, file); vol != nil {
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
// then the worker that fills them in. It answers the task's UPID.
func (s *Sim) forkClone(o op, a cloneArgs, pl *clonePlan) string {
	kind, nodeName := a.kind, o.node
	src, newid, newconf := pl.src, pl.newid, pl.newconf
	cloneConf(o, a, src, newconf)
	failMsg := ""
	if other := o.st.guests[newid]; other != nil {
		failMsg = fmt.Sprintf("clone failed: unable to create VM %d: VM %d already exists on node '%s'", newid, newid, other.node)
	}
	// the target config exists (locked) from the start of the worker
	var newGuest *guest
	var vols []string
	if failMsg == "" {
		newGuest = &guest{vmid: newid, kind: kind, node: nodeName, conf: map[string]string{"lock": kind.traits().cloneLock}, load: guestLoad(newid)}
		o.st.guests[newid] = newGuest
		kind.lockForCopy(src.conf)
		vols, failMsg = allocCloneDisks(o, a, pl.disks, newid, pl.full)
	}
	lines := s.cloneLines(o, kind, src, pl.disks, pl.full)
	return o.startTask(taskSpec{typ: kind.task("clone"), vmid: src.vmid, dur: cloneDuration(pl.disks, pl.full), lines: lines,
		failMsg: failMsg, failAt: 0.3, interruptMsg: "clone failed: interrupted by signal",
		onOK: func(end time.Time) error {
			s.finishClone(o, a, pl, newGuest, vols, end)
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
func (s *Sim) finishClone(o op, a cloneArgs, pl *clonePlan, newGuest *guest, vols []string, end time.Time) {
	srcNode, target := o.node, a.target
	if target == "" {
		target = srcNode
	}
	defKey := a.kind.diskKey()
	for _, d := range pl.disks {
		d.prop.set(defKey, d.newVolid)
		if d.size > 0 {
			d.prop.set("size", formatSize(d.size))
		}
		pl.newconf[d.key] = d.prop.String()
	}
	newGuest.conf = pl.newconf
	newGuest.node = target
	s.st.cloneGuestFirewall(a.vmid, newGuest.vmid)
	s.st.cloneCloudinit(newGuest, a.storage, end)
	if target != srcNode {
		for _, v := range vols {
			if vol := s.st.findVolume(srcNode, v); vol != nil {
				s.st.removeVolume(srcNode, v)
				s.st.addVolume(target, vol)
			}
		}
	}
	if a.pool != "" {
		s.addToPool(a.pool, newGuest)
	}
	a.kind.unlockAfterCopy(pl.src.conf)
}

// cloneConf sets what a clone gets anew: name or hostname, UUIDs,
// description.
func cloneConf(o op, a cloneArgs, src *guest, newconf map[string]string) {
	a.kind.traits().cloneIdentity(o, a, src, newconf)
	if a.description != "" {
		newconf["description"] = a.description
	}
}

// qemuCloneIdentity gives a VM's clone new UUIDs and its name
// ("Copy-of-VM-<name>" unless given).
func qemuCloneIdentity(o op, a cloneArgs, src *guest, newconf map[string]string) {
	newconf["smbios1"] = "uuid=" + o.st.uuid()
	if _, ok := newconf["vmgenid"]; ok {
		newconf["vmgenid"] = o.st.uuid()
	}
	if a.name != "" {
		newconf["name"] = a.name
		return
	}
	n := src.conf["name"]
	if n == "" {
		n = strconv.Itoa(src.vmid)
	}
	newconf["name"] = "Copy-of-VM-" + n
}

// lxcCloneIdentity gives a container's clone the hostname asked for.
func lxcCloneIdentity(_ op, a cloneArgs, _ *guest, newconf map[string]string) {
	if a.hostname != "" {
		newconf["hostname"] = a.hostname
	}
}
