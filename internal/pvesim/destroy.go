package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// destroyArgs are a destroy's parameters, decoded by the adapter.
type destroyArgs struct {
	vmid         int
	purge        bool // also drop it from backup jobs and HA
	skiplock     bool
	unreferenced bool // destroy-unreferenced-disks (its default is the kind's)
}

// destroyGuest is the adapter of DELETE /nodes/{node}/{kind}/{vmid}: the
// root-only check of the parameters as sent, then the model's destroy.
func (s *Sim) destroyGuest(c *call, kind guestKind) (any, error) {
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	a := destroyArgs{vmid: c.vmid(), purge: c.flag("purge"), skiplock: c.flag("skiplock"),
		unreferenced: c.flagOr("destroy-unreferenced-disks", kind.purgesUnreferenced())}
	upid, err := s.destroy(c.op(), kind, a)
	if err != nil {
		return nil, err
	}
	return upid, nil
}

// destroy is the Destroy operation: the check step, then the worker. It
// returns the UPID.
func (s *Sim) destroy(o op, kind guestKind, a destroyArgs) (string, error) {
	g, err := o.checkDestroy(kind, a)
	if err != nil {
		return "", err
	}
	vols, lines, failMsg := o.destroyPlan(kind, a, g)
	return s.destroyTask(o, kind, a, g, vols, lines, failMsg), nil
}

// checkDestroy is what destroy_vm checks before it forks the worker.
func (o op) checkDestroy(kind guestKind, a destroyArgs) (*guest, error) {
	vmid := a.vmid
	g, err := o.guestHere(kind, vmid)
	if err != nil {
		return nil, err
	}
	if g.conf["protection"] == "1" {
		return nil, failf("can't remove %s %d - protection mode enabled", g.typeName(), vmid)
	}
	if o.st.haManaged(vmid) != nil && !a.purge {
		return nil, failf("unable to remove %s %d - used in HA resources and purge parameter not set.", g.typeName(), vmid)
	}
	if g.running {
		return nil, failf("%s %d is running - destroy failed", kind.typeName(), vmid)
	}
	if kind.locksBeforeWorker() && !a.skiplock {
		if err := lockError(g); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// destroyPlan lists the volumes the destroy frees (the guest's own, in the
// config, its snapshots and, when asked, unreferenced ones) with the log
// lines, and the lock failure qemu-server meets in the worker.
func (o op) destroyPlan(kind guestKind, a destroyArgs, g *guest) (vols []string, lines []taskLine, failMsg string) {
	nodeName, vmid := o.node, a.vmid
	vols = volumesOf(g)
	for _, sn := range g.snaps {
		for k, v := range sn.conf {
			if kind.diskSlot(k) {
				f := parsePropString(v, kind.diskKey()).get(kind.diskKey())
				if strings.Contains(f, ":") && !contains(vols, f) && parsePropString(v, "file").get("media") != "cdrom" {
					vols = append(vols, f)
				}
			}
		}
	}
	if a.unreferenced {
		for _, ns := range o.st.node(nodeName).store {
			for _, v := range ns.vols {
				if v.vmid == vmid && (v.content == "images" || v.content == "rootdir") && !contains(vols, v.volid) {
					vols = append(vols, v.volid)
				}
			}
		}
	}
	// only volumes the guest owns are freed (qemu-server's
	// remove_owned_drive, pve-container's delete_mountpoint_volume); others'
	// disks, ISOs, snippets and paths stay
	owned := vols[:0:0]
	for _, v := range vols {
		if o.st.volumeOwner(v, o.s.major()) == vmid {
			owned = append(owned, v)
		} else if kind.warnsForeignVolumes() && mountType(v) == "volume" {
			lines = append(lines, taskLine{at: 0.3, text: fmt.Sprintf("ignore deletion of '%s', CT %d isn't the owner!", v, vmid)})
		}
	}
	if !kind.locksBeforeWorker() && !a.skiplock && g.lock() != "" {
		failMsg = fmt.Sprintf("VM is locked (%s)", g.lock())
	}
	for _, v := range owned {
		if user := o.st.linkedUser(nodeName, v); user != 0 && failMsg == "" {
			_, name, _ := strings.Cut(v, ":")
			lines = append(lines, taskLine{at: 0.3, text: fmt.Sprintf("WARN: Could not remove disk '%s', check manually: base volume '%s' is still in use by linked cloned", v, name)})
			continue
		}
		lines = append(lines, taskLine{at: 0.3, text: freeLines(v)})
	}
	return owned, lines, failMsg
}

// destroyTask starts the destroy worker: it frees the volumes and drops the
// guest from the config, its ACLs, pools and, with purge, backup jobs.
func (s *Sim) destroyTask(o op, kind guestKind, a destroyArgs, g *guest, vols []string, lines []taskLine, failMsg string) string {
	nodeName, vmid, purge := o.node, a.vmid, a.purge
	if purge {
		lines = append(lines, taskLine{at: 0.8, text: fmt.Sprintf("purging %s %d from related configurations..", g.typeName(), vmid)})
		if o.st.haOf(vmid) != nil {
			lines = append(lines, taskLine{at: 0.9, text: fmt.Sprintf("NOTE: removed %s %d from HA resource configuration.", g.typeName(), vmid)})
		}
	}
	return o.startTask(taskSpec{typ: kind.task("destroy"), vmid: vmid,
		dur: 2*time.Second + time.Duration(len(vols))*300*time.Millisecond, lines: lines, failMsg: failMsg,
		onOK: func(end time.Time) error {
			cur := s.st.guests[vmid]
			if cur != g {
				return noConfig(kind, nodeName, vmid)
			}
			if g.running {
				return fmt.Errorf("%s %d is running - destroy failed", g.typeName(), vmid)
			}
			for _, v := range vols {
				if s.st.linkedUser(nodeName, v) == 0 {
					s.st.removeVolume(nodeName, v)
				}
			}
			delete(s.st.guests, vmid)
			s.st.dropGuestFirewall(vmid)
			s.acl.removePathACLs("/vms/" + strconv.Itoa(vmid))
			for id, p := range s.st.pools {
				delete(p.members, kind.id(vmid))
				s.acl.st.RemovePoolMember(id, "/vms/"+strconv.Itoa(vmid))
			}
			if purge {
				s.st.removeFromJobs(vmid)
				s.st.haPurge(vmid)
			}
			return nil
		}})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// linkedUser returns the vmid of a linked clone built on a base volume.
func (st *state) linkedUser(nodeName, base string) int {
	_, name, _ := strings.Cut(base, ":")
	if !isBaseVolume(base) {
		return 0
	}
	sid, _, _ := strings.Cut(base, ":")
	ns := st.storageOn(nodeName, sid)
	if ns == nil {
		return 0
	}
	for _, v := range ns.vols {
		if v.parent == name {
			return v.vmid
		}
	}
	return 0
}

// removeFromJobs drops a vmid from backup jobs (remove_vmid_from_backup_jobs).
func (st *state) removeFromJobs(vmid int) {
	id := strconv.Itoa(vmid)
	for _, j := range st.jobs {
		if j.opts["vmid"] == "" {
			continue
		}
		var keep []string
		for _, v := range splitList(j.opts["vmid"]) {
			if v != id {
				keep = append(keep, v)
			}
		}
		j.opts["vmid"] = strings.Join(keep, ",")
	}
	out := st.jobs[:0]
	for _, j := range st.jobs {
		if j.opts["vmid"] == "" && j.opts["all"] != "1" && j.opts["pool"] == "" {
			continue
		}
		out = append(out, j)
	}
	st.jobs = out
}

// templateGuest converts a guest to a template: disks become base volumes.
func (s *Sim) templateGuest(c *call, kind guestKind) (any, error) {
	vmid := c.vmid()
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	if g.isTemplate() {
		return nil, failf("you can't convert a template to a template")
	}
	if g.running {
		return nil, failf("you can't convert a %s to template if %s is running", kind.typeName(), byKind(kind, "VM", "the CT"))
	}
	if len(g.snaps) > 0 {
		return nil, failf("unable to create template, because %s contains snapshots", g.typeName())
	}
	var lines []taskLine
	renames := map[string]string{}
	for _, k := range sortedKeys(g.conf) {
		if !kind.diskSlot(k) || isIndexed(k, "unused") {
			continue
		}
		p := parsePropString(g.conf[k], kind.diskKey())
		if p.get("media") == "cdrom" {
			continue
		}
		file := p.get(kind.diskKey())
		if nv := baseVolid(file); nv != "" {
			renames[k] = nv
			_, oldName, _ := strings.Cut(file, ":")
			_, newName, _ := strings.Cut(nv, ":")
			lines = append(lines, taskLine{at: 0.5, text: fmt.Sprintf("  Renamed \"%s\" to \"%s\" in volume group \"pve\"", oldName, newName)},
				taskLine{at: 0.5, text: fmt.Sprintf("  Logical volume pve/%s changed.", newName)})
		}
	}
	apply := func(time.Time) error {
		for k, nv := range renames {
			p := parsePropString(g.conf[k], kind.diskKey())
			old := p.get(kind.diskKey())
			if v := s.st.findVolume(g.node, old); v != nil {
				s.st.removeVolume(g.node, old)
				v.volid = nv
				s.st.addVolume(g.node, v)
			}
			p.set(kind.diskKey(), nv)
			g.conf[k] = p.String()
		}
		g.conf["template"] = "1"
		return nil
	}
	upid, err := c.startTask(taskSpec{typ: kind.task("template"), vmid: vmid, dur: time.Second, lines: lines, onOK: apply})
	if !kind.templateAnswersUPID() {
		return nil, nil // pve-container discards the worker's UPID
	}
	return upid, err
}
