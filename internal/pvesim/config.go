package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Parameters of the config endpoints that are not config keys.
var configMetaParams = map[string]bool{
	"node": true, "vmid": true, "digest": true, "delete": true, "revert": true, "skiplock": true,
	"force": true, "background_delay": true, "skip_cloud_init": true, "import-working-storage": true,
}

// Options a running VM takes immediately (qemu-server's fast_plug_option plus
// the hotpluggable network and disk devices); the rest go to [PENDING].
var fastPlug = map[string]bool{
	"name": true, "description": true, "onboot": true, "tags": true, "protection": true, "lock": true,
	"startup": true, "hookscript": true, "vmstatestorage": true, "agent": true, "boot": true,
}

// configUpdate is a validated config change ready to apply.
type configUpdate struct {
	set     map[string]string
	del     []string
	plans   []*diskPlan
	logLine string
	// writeErr is what the update fails with while writing (the checks
	// qemu-server makes per key under the config lock, in the worker for POST)
	writeErr error
	major    int // PVE major, for parsing volume names
}

func (c *call) prepareConfig(kind guestKind, g *guest) (*configUpdate, error) {
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	u := &configUpdate{set: map[string]string{}, major: c.s.major()}
	var arr []string
	for _, k := range sortedKeys(c.params) {
		if k == "node" || k == "vmid" || k == "digest" || k == "background_delay" || k == "skip_cloud_init" {
			continue
		}
		v := c.params[k]
		if k == "cipassword" {
			v = "<hidden>"
		}
		arr = append(arr, "-"+k, v)
	}
	u.logLine = fmt.Sprintf("update VM %d: %s", g.vmid, strings.Join(arr, " "))
	for k, v := range c.params {
		if !configMetaParams[k] {
			u.set[k] = v
		}
	}
	if v, ok := u.set["cdrom"]; ok {
		delete(u.set, "cdrom")
		if !strings.Contains(v, "media=") {
			v += ",media=cdrom"
		}
		u.set["ide2"] = v
	}
	for _, k := range splitList(c.params["delete"]) {
		if k == "cdrom" {
			k = "ide2"
		}
		if _, ok := u.set[k]; ok {
			return nil, paramErr("delete", fmt.Sprintf("you can't use '-%s' and -delete %s' at the same time", k, k))
		}
		u.del = append(u.del, k)
	}
	if err := checkSSHKeys(c.params); err != nil {
		return nil, err
	}
	if len(u.set) == 0 && len(u.del) == 0 && c.params["revert"] == "" {
		return nil, failf("no options specified")
	}
	for k, v := range u.set {
		if isIndexed(k, "net") {
			u.set[k] = byKind(kind, canonicalQemuNet, canonicalLxcNet)(v, c.st.macAddr)
		}
		if k == "tags" {
			u.set[k] = normalizeTags(v)
		}
	}
	if err := byKind(kind, c.qemuConfigChecks, c.lxcConfigChecks)(g, u); err != nil {
		return nil, err
	}
	plans, err := c.planDisks(kind, u.set, "")
	if err != nil {
		return nil, err
	}
	u.plans = plans
	u.writeErr = byKind(kind, c.qemuUpdatePerm, noWriteCheck)(g, u)
	return u, nil
}

// noWriteCheck: pve-container checks every write permission up front
// (lxcConfigChecks); nothing is left to check at write time.
func noWriteCheck(*guest, *configUpdate) error { return nil }

// qemuConfigChecks are $update_vm_api's checks before it writes: hookscript,
// the permission rules of deleted and set keys, storage access, digest, lock.
func (c *call) qemuConfigChecks(g *guest, u *configUpdate) error {
	if h, ok := u.set["hookscript"]; ok {
		if err := c.checkHookscript(g.node, h); err != nil {
			return paramErr("hookscript", err.(*apiError).msg)
		}
	}
	if err := c.qemuModifyPerm(u.del, ""); err != nil {
		return err
	}
	if err := c.qemuModifyPerm(sortedKeys(u.set), ""); err != nil {
		return err
	}
	if err := c.qemuStorageAccess(u.set, ""); err != nil {
		return err
	}
	if d := c.params["digest"]; d != "" && d != g.digest() {
		return failf("checksum mismatch (file change by other user?)")
	}
	if !c.flag("skiplock") {
		return lockError(g)
	}
	return nil
}

// lxcConfigChecks follow pve-container's update_vm: lock, digest, the
// permission rules, then update_pct_config's read-only and required keys.
func (c *call) lxcConfigChecks(g *guest, u *configUpdate) error {
	if err := lockError(g); err != nil {
		return err
	}
	if d := c.params["digest"]; d != "" && d != g.digest() {
		return failf("detected modified configuration - file changed by other user? Try again.")
	}
	unpriv := g.conf["unprivileged"] == "1"
	if err := c.ctModifyPerm("", g.conf, map[string]string{}, u.del, unpriv); err != nil {
		return err
	}
	if err := c.ctModifyPerm("", g.conf, u.set, nil, unpriv); err != nil {
		return err
	}
	for _, k := range u.del {
		if _, ok := g.conf[k]; !ok {
			continue // "cannot delete '$opt' - not set in current configuration!"
		}
		switch k {
		case "memory", "rootfs", "ostype":
			return failf("unable to delete required option '%s'", k)
		case "unprivileged":
			return failf("unable to delete read-only option: '%s'", k)
		}
	}
	if _, ok := u.set["unprivileged"]; ok {
		return failf("unable to modify read-only option: 'unprivileged'")
	}
	if h, ok := u.set["hookscript"]; ok {
		return c.checkHookscript(g.node, h)
	}
	return nil
}

// checkHookscript is GuestHelpers::check_hookscript: a snippet that exists.
func (c *call) checkHookscript(nodeName, volid string) error {
	if _, _, ok := parseVolumeID(volid); !ok {
		return failf("unable to parse volume ID '%s'", volid)
	}
	vtype, _, err := c.parseVolid(volid)
	if err != nil {
		return err
	}
	if vtype != "snippets" {
		return failf("'%s' is not in the snippets directory", volid)
	}
	if c.st.findVolume(nodeName, volid) == nil {
		if c.s.major() >= 9 {
			return failf("script '%s' does not exist", volid)
		}
		return failf("script '%s' does not exists", volid)
	}
	return nil
}

// apply writes a config change: new disks are allocated, deleted disks
// become unusedN (deleting unusedN frees the volume), and a running qemu VM
// keeps non-hotpluggable changes pending. It returns the worker's lines.
func (st *state) applyConfig(g *guest, u *configUpdate, now time.Time) ([]string, error) {
	st.cloudinitBeforeUpdate(g, u.set)
	lines, drives, _, err := st.allocate(g.node, g.vmid, g.kind, u.plans, now)
	if err != nil {
		return lines, err
	}
	for k, v := range drives {
		u.set[k] = v
	}
	pendingMode := g.kind.hasPending() && g.running
	for _, k := range sortedKeys(u.set) {
		v := u.set[k]
		if pendingMode && !fastPlug[k] && !g.kind.diskSlot(k) && !isIndexed(k, "net") {
			if g.pending == nil {
				g.pending = map[string]string{}
			}
			g.pending[k] = v
			continue
		}
		if old, ok := g.conf[k]; ok && g.kind.diskSlot(k) && !isIndexed(k, "unused") {
			st.detachDisk(g, k, old, v, u.major)
		}
		g.conf[k] = v
	}
	for _, k := range u.del {
		if pendingMode && !fastPlug[k] && !g.kind.diskSlot(k) && !isIndexed(k, "net") {
			g.pendDel = append(g.pendDel, k)
			continue
		}
		old, ok := g.conf[k]
		if !ok {
			continue
		}
		delete(g.conf, k)
		switch {
		case isIndexed(k, "unused"):
			// only the guest's own volume is freed (try_deallocate_drive,
			// delete_mountpoint_volume); another's just leaves the config
			file := parsePropString(old, g.kind.diskKey()).get(g.kind.diskKey())
			switch {
			case st.volumeOwner(file, u.major) == g.vmid:
				st.removeVolume(g.node, file)
				lines = append(lines, freeLines(file))
			case g.kind.warnsForeignVolumes():
				lines = append(lines, fmt.Sprintf("ignore deletion of '%s', CT %d isn't the owner!", file, g.vmid))
			}
		case g.kind.diskSlot(k):
			st.detachDisk(g, k, old, "", u.major)
		}
	}
	return lines, nil
}

// detachDisk moves a replaced or deleted disk's volume to unusedN; qemu
// keeps only volumes the VM owns (vmconfig_register_unused_drive).
func (st *state) detachDisk(g *guest, key, old, replacement string, major int) {
	defKey := g.kind.diskKey()
	p := parsePropString(old, defKey)
	if p.get("media") == "cdrom" {
		return
	}
	file := p.get(defKey)
	if file == "" || !strings.Contains(file, ":") {
		return
	}
	if replacement != "" && parsePropString(replacement, defKey).get(defKey) == file {
		return
	}
	if g.kind.keepsOnlyOwnUnused() && st.volumeOwner(file, major) != g.vmid {
		return
	}
	for i := 0; ; i++ {
		k := "unused" + strconv.Itoa(i)
		if _, used := g.conf[k]; !used {
			g.conf[k] = file
			return
		}
	}
}

func (s *Sim) putGuestConfig(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := s.lockTimeoutFault(g); err != nil {
		return nil, err
	}
	u, err := c.prepareConfig(kind, g)
	if err != nil {
		return nil, err
	}
	if u.writeErr != nil {
		return nil, u.writeErr
	}
	if _, err := c.st.applyConfig(g, u, c.now); err != nil {
		return nil, failf("%s", err)
	}
	return nil, nil
}

// postGuestConfig is the asynchronous qemu config update (qmconfig).
func (s *Sim) postGuestConfig(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := s.lockTimeoutFault(g); err != nil {
		return nil, err
	}
	u, err := c.prepareConfig(kind, g)
	if err != nil {
		return nil, err
	}
	nodeName, vmid := g.node, g.vmid
	var extra []string
	t := s.startTask(taskSpec{node: nodeName, typ: kindQemu.task("config"), id: strconv.Itoa(vmid), user: c.authid, vmid: vmid,
		dur: 500*time.Millisecond + time.Duration(len(u.plans))*500*time.Millisecond, lines: at(0, u.logLine),
		onOK: func(end time.Time) error {
			g, err := s.taskGuest(kind, nodeName, vmid)
			if err != nil {
				return err
			}
			if u.writeErr != nil {
				return u.writeErr
			}
			extra, err = s.st.applyConfig(g, u, end)
			return err
		}})
	_ = extra
	// background_delay: the API waits that long for the task; one that
	// fits is finished before answering
	bd := c.num("background_delay")
	if bd > 0 && !t.done && t.dur <= time.Duration(bd)*time.Second {
		s.finishTask(t, t.start.Add(t.dur))
	}
	if bd > 0 && t.done {
		if t.exit == "OK" {
			return nil, nil
		}
		return nil, failf("failed to update VM %d: %s", vmid, t.exit)
	}
	return t.upid, nil
}
