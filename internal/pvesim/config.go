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

// configPriv is the privilege check_vm_modify_config_perm requires per key.
func configPriv(kind, key, value string) string {
	switch {
	case key == "cores" || key == "sockets" || key == "cpu" || key == "cpulimit" || key == "cpuunits" ||
		key == "vcpus" || key == "affinity" || key == "smp" || key == "numa" || isIndexed(key, "numa"):
		return "VM.Config.CPU"
	case key == "memory" || key == "balloon" || key == "shares" || key == "swap":
		return "VM.Config.Memory"
	case isIndexed(key, "net"):
		return "VM.Config.Network"
	case strings.HasPrefix(key, "ci") || isIndexed(key, "ipconfig") || key == "sshkeys" || key == "nameserver" || key == "searchdomain":
		return "VM.Config.Cloudinit"
	case key == "cdrom":
		return "VM.Config.CDROM"
	case isDiskKey(kind, key):
		if kind == "qemu" && parsePropString(value, "file").get("media") == "cdrom" {
			return "VM.Config.CDROM"
		}
		return "VM.Config.Disk"
	case key == "bios" || key == "machine" || key == "vga" || key == "scsihw" || key == "tablet" || key == "kvm" ||
		key == "acpi" || key == "audio0" || key == "rng0" || isIndexed(key, "usb") || isIndexed(key, "hostpci") ||
		isIndexed(key, "serial") || isIndexed(key, "parallel") || key == "arch" || key == "features":
		return "VM.Config.HWType"
	}
	return "VM.Config.Options"
}

func (c *call) checkConfigPerm(kind string, keys []string, values map[string]string) error {
	path := "/vms/" + c.params["vmid"]
	for _, k := range keys {
		if err := c.checkPriv(path, configPriv(kind, k, values[k])); err != nil {
			return err
		}
	}
	return nil
}

// configUpdate is a validated config change ready to apply.
type configUpdate struct {
	set     map[string]string
	del     []string
	plans   []*diskPlan
	logLine string
}

func (c *call) prepareConfig(kind string, g *guest) (*configUpdate, error) {
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	u := &configUpdate{set: map[string]string{}}
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
	if len(u.set) == 0 && len(u.del) == 0 && c.params["revert"] == "" {
		return nil, failf("no options specified")
	}
	for k, v := range u.set {
		if isIndexed(k, "net") {
			if kind == "qemu" {
				u.set[k] = canonicalQemuNet(v, c.st.macAddr)
			} else {
				u.set[k] = canonicalLxcNet(v, c.st.macAddr)
			}
		}
		if k == "tags" {
			u.set[k] = normalizeTags(v)
		}
		if kind == "lxc" && k == "rootfs" {
			return nil, paramErr("rootfs", "unable to modify read-only option: 'rootfs'")
		}
	}
	if kind == "lxc" {
		if _, ok := u.set["unprivileged"]; ok {
			return nil, paramErr("unprivileged", "unable to modify read-only option: 'unprivileged'")
		}
	}
	keys := append(sortedKeys(u.set), u.del...)
	if err := c.checkConfigPerm(kind, keys, u.set); err != nil {
		return nil, err
	}
	plans, err := c.planDisks(kind, u.set, "")
	if err != nil {
		return nil, err
	}
	u.plans = plans
	if d := c.params["digest"]; d != "" && d != g.digest() {
		if kind == "qemu" {
			return nil, failf("checksum mismatch (file change by other user?)")
		}
		return nil, failf("detected modified configuration - file changed by other user? Try again.")
	}
	if !c.boolParam("skiplock", false) {
		if err := lockError(g); err != nil {
			return nil, err
		}
	}
	for _, k := range u.del {
		if k == "rootfs" {
			return nil, paramErr("delete", "unable to delete required option 'rootfs'")
		}
	}
	return u, nil
}

// apply writes a config change: new disks are allocated, deleted disks
// become unusedN (deleting unusedN frees the volume), and a running qemu VM
// keeps non-hotpluggable changes pending. It returns the worker's lines.
func (st *state) applyConfig(g *guest, u *configUpdate, now time.Time) ([]string, error) {
	lines, drives, _, err := st.allocate(g.node, g.vmid, g.kind, u.plans, now)
	if err != nil {
		return lines, err
	}
	for k, v := range drives {
		u.set[k] = v
	}
	pendingMode := g.kind == "qemu" && g.running
	for _, k := range sortedKeys(u.set) {
		v := u.set[k]
		if pendingMode && !fastPlug[k] && !isDiskKey("qemu", k) && !isIndexed(k, "net") {
			if g.pending == nil {
				g.pending = map[string]string{}
			}
			g.pending[k] = v
			continue
		}
		if old, ok := g.conf[k]; ok && isDiskKey(g.kind, k) && !isIndexed(k, "unused") {
			st.detachDisk(g, k, old, v)
		}
		g.conf[k] = v
	}
	for _, k := range u.del {
		if pendingMode && !fastPlug[k] && !isDiskKey("qemu", k) && !isIndexed(k, "net") {
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
			file := parsePropString(old, diskDefaultKey(g.kind, k)).get(diskDefaultKey(g.kind, k))
			st.removeVolume(g.node, file)
			lines = append(lines, freeLines(file))
		case isDiskKey(g.kind, k):
			st.detachDisk(g, k, old, "")
		}
	}
	return lines, nil
}

// detachDisk moves a replaced or deleted disk's volume to unusedN.
func (st *state) detachDisk(g *guest, key, old, replacement string) {
	defKey := diskDefaultKey(g.kind, key)
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
	for i := 0; ; i++ {
		k := "unused" + strconv.Itoa(i)
		if _, used := g.conf[k]; !used {
			g.conf[k] = file
			return
		}
	}
}

func (s *Sim) putGuestConfig(c *call, kind string) (any, error) {
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
	if _, err := c.st.applyConfig(g, u, c.now); err != nil {
		return nil, failf("%s", err)
	}
	return nil, nil
}

// postGuestConfig is the asynchronous qemu config update (qmconfig).
func (s *Sim) postGuestConfig(c *call, kind string) (any, error) {
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
	t := s.startTask(taskSpec{node: nodeName, typ: "qmconfig", id: strconv.Itoa(vmid), user: c.authid, vmid: vmid,
		dur: 500*time.Millisecond + time.Duration(len(u.plans))*500*time.Millisecond, lines: at(0, u.logLine),
		onOK: func(end time.Time) error {
			g, err := s.taskGuest(kind, nodeName, vmid)
			if err != nil {
				return err
			}
			extra, err = s.st.applyConfig(g, u, end)
			return err
		}})
	_ = extra
	// background_delay: the API waits that long for the task; one that
	// fits is finished before answering
	bd := atoiDefault(c.params["background_delay"], 0)
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
