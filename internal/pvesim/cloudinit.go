package pvesim

import (
	"fmt"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Cloud-init of qemu guests: the pending/current diff (GET .../cloudinit),
// regenerating the drive (PUT) and the generated files (GET .../dump), as
// qemu-server's Cloudinit.pm writes them for the release.
//
// qemu-server keeps the values the current image was generated from in the
// config's [special:cloudinit] section while they differ. The simulator
// keeps the same thing per guest: the cloud-init relevant keys as they were
// before the first change since the last generation; no record means the
// image is in sync with the config.
type cloudinitState struct {
	generated map[*guest]map[string]string
}

func (st *state) cloudinit() *cloudinitState {
	if st.ciS == nil {
		st.ciS = &cloudinitState{generated: map[*guest]map[string]string{}}
	}
	return st.ciS
}

// cloudinitPendingKey is cloudinit_pending_properties: the cloud-init
// options, ipconfigN, netN and name.
func cloudinitPendingKey(k string) bool {
	switch k {
	case "cicustom", "cipassword", "citype", "ciuser", "ciupgrade", "nameserver", "searchdomain", "sshkeys", "name":
		return true
	}
	return isIndexed(k, "ipconfig") || isIndexed(k, "net")
}

func cloudinitKeys(conf map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range conf {
		if cloudinitPendingKey(k) {
			out[k] = v
		}
	}
	return out
}

// cloudinitBeforeUpdate runs before a config update is written: the first
// change since the image was generated records the generated values, and
// a new cipassword is stored hashed as qemu-server does (not for Windows,
// whose cloudbase-init needs it plain).
func (st *state) cloudinitBeforeUpdate(g *guest, set map[string]string) {
	if !g.kind.hasCloudinit() {
		return
	}
	cs := st.cloudinit()
	if _, ok := cs.generated[g]; !ok {
		cs.generated[g] = cloudinitKeys(g.conf)
	}
	if pw, ok := set["cipassword"]; ok && !windowsOS(g.conf["ostype"]) && !cryptRe.MatchString(pw) {
		set["cipassword"] = encryptPW(pw, g.vmid)
	}
}

// cloudinitGenerated marks the image as generated from the current config
// (VM start, PUT .../cloudinit).
func (st *state) cloudinitGenerated(g *guest) {
	delete(st.cloudinit().generated, g)
}

var cryptRe = lazyre.New(`^\$(?:[156]|2[ay])(\$.+){2}`)

// cloudinitDrive finds the guest's cloud-init drive: its key and volid.
func cloudinitDrive(g *guest) (string, string) {
	if g == nil {
		return "", ""
	}
	for _, k := range sortedKeys(g.conf) {
		if !g.kind.diskSlot(k) || isIndexed(k, "unused") {
			continue
		}
		if file := parsePropString(g.conf[k], "file").get("file"); isCloudinitVolume(file) {
			return k, file
		}
	}
	return "", ""
}

// cloudinitOptions are the keys GET .../cloudinit lists with their value.
func (s *Sim) cloudinitOptions() []string {
	if s.major() < 8 {
		return []string{"cicustom", "cipassword", "citype", "ciuser", "nameserver", "searchdomain", "sshkeys"}
	}
	return []string{"cicustom", "cipassword", "ciupgrade", "citype", "ciuser", "nameserver", "searchdomain", "sshkeys"}
}

func (s *Sim) cloudinitPending(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	cur := cloudinitKeys(g.conf)
	gen, recorded := c.st.cloudinit().generated[g]
	if !recorded {
		gen = cur
	}
	var added, changed, deleted []string
	for _, k := range sortedKeys(cur) {
		if old, ok := gen[k]; !ok {
			added = append(added, k)
		} else if old != cur[k] {
			changed = append(changed, k)
		}
	}
	for _, k := range sortedKeys(gen) {
		if _, ok := cur[k]; !ok {
			deleted = append(deleted, k)
		}
	}
	mask := func(k, v string) string {
		if k == "cipassword" {
			return "**********"
		}
		return v
	}
	if s.major() < 8 {
		// 7.x answers an object keyed by option, {old, new}
		res := map[string]any{}
		for _, k := range added {
			res[k] = map[string]any{"new": mask(k, cur[k])}
		}
		for _, k := range changed {
			res[k] = map[string]any{"old": mask(k, gen[k]), "new": mask(k, cur[k])}
		}
		for _, k := range deleted {
			res[k] = map[string]any{"old": mask(k, gen[k])}
		}
		return res, nil
	}
	out := []map[string]any{}
	isAdded := map[string]bool{}
	for _, k := range added {
		isAdded[k] = true
		out = append(out, map[string]any{"key": k, "pending": mask(k, cur[k])})
	}
	for _, k := range s.cloudinitOptions() {
		v, ok := cur[k]
		if !ok || v == "" || v == "0" || isAdded[k] { // Perl: next if !$conf->{$opt}
			continue
		}
		item := map[string]any{"key": k, "value": mask(k, v)}
		if old := gen[k]; old != v {
			item["value"], item["pending"] = mask(k, old), mask(k, v)
		}
		out = append(out, item)
	}
	for _, k := range sortedKeys(gen) {
		// recorded keys whose value is gone (or false, as Perl tests it)
		if v := cur[k]; (v == "" || v == "0") && !isAdded[k] && gen[k] != v {
			out = append(out, map[string]any{"key": k, "delete": 1})
		}
	}
	return out, nil
}

// cloudinitUpdate regenerates the drive: without a cloud-init drive there
// is nothing to do (vmconfig_update_cloudinit_drive returns quietly).
func (s *Sim) cloudinitUpdate(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if err := lockError(g); err != nil {
		return nil, err
	}
	if _, volid := cloudinitDrive(g); volid != "" {
		c.st.ensureCloudinitVolume(g, volid, c.now)
		c.st.cloudinitGenerated(g)
	}
	return nil, nil
}

// ensureCloudinitVolume allocates the 4 MiB image when it is missing, as
// commit_cloudinit_disk does.
func (st *state) ensureCloudinitVolume(g *guest, volid string, now time.Time) {
	if st.findVolume(g.node, volid) != nil {
		return
	}
	sid, _, _ := strings.Cut(volid, ":")
	if st.storageOn(g.node, sid) == nil {
		return
	}
	format := "raw"
	if strings.HasSuffix(volid, ".qcow2") {
		format = "qcow2"
	}
	st.addVolume(g.node, &volume{volid: volid, content: "images", format: format, size: 4 << 20, vmid: g.vmid, ctime: now.Unix()})
}

// cloudinitStarted is the VM start: a cloud-init drive is regenerated.
func (st *state) cloudinitStarted(g *guest, now time.Time) {
	if _, volid := cloudinitDrive(g); volid != "" {
		st.ensureCloudinitVolume(g, volid, now)
		st.cloudinitGenerated(g)
	}
}

// newCloudinitDrive tells whether a qemu drive value asks for a new
// cloud-init drive ("local-lvm:cloudinit") and on which storage.
func newCloudinitDrive(kind guestKind, file, defStorage string) (string, bool) {
	if !kind.hasCloudinit() {
		return "", false
	}
	if file == "cloudinit" {
		return defStorage, true
	}
	sid, volname, ok := parseVolumeID(file)
	if !ok || volname != "cloudinit" {
		return "", false
	}
	return sid, true
}

// allocCloudinit creates a cloud-init drive's 4 MiB volume, vm-N-cloudinit
// (qcow2 on file storages), as create_disks does, and returns its volid,
// the drive string and the log lines.
func (st *state) allocCloudinit(nodeName string, vmid int, pl *diskPlan, now time.Time) (string, string, []string, error) {
	if g := st.guests[vmid]; g != nil {
		if k, _ := cloudinitDrive(g); k != "" && k != pl.key {
			return "", "", nil, fmt.Errorf("%s - cloud-init drive is already attached at '%s'", pl.key, k)
		}
	}
	ns := st.storageOn(nodeName, pl.cloudinit)
	if ns == nil {
		return "", "", nil, fmt.Errorf("storage '%s' does not exist", pl.cloudinit)
	}
	format := pl.prop.get("format")
	volid := fmt.Sprintf("%s:vm-%d-cloudinit", pl.cloudinit, vmid)
	line := fmt.Sprintf("  Logical volume \"vm-%d-cloudinit\" created.", vmid)
	if fileBased(ns.def.typ) {
		if format == "" {
			format = "qcow2"
		}
		volid = fmt.Sprintf("%s:%d/vm-%d-cloudinit.%s", pl.cloudinit, vmid, vmid, format)
		line = fmt.Sprintf("Formatting '%s/images/%d/vm-%d-cloudinit.%s', fmt=%s size=4194304", ns.def.path, vmid, vmid, format, format)
	} else if format == "" {
		format = "raw"
	}
	if ns.vols[volid] != nil {
		return "", "", nil, fmt.Errorf("unable to create volume '%s' - already exists", volid)
	}
	ns.vols[volid] = &volume{volid: volid, content: "images", format: format, size: 4 << 20, vmid: vmid, ctime: now.Unix()}
	pl.prop.del("format")
	pl.prop.set("file", volid)
	pl.prop.set("media", "cdrom")
	drive := pl.prop.String()
	return volid, drive, []string{line, fmt.Sprintf("%s: successfully created disk '%s'", pl.key, drive)}, nil
}

// cloneCloudinit gives a clone its own cloud-init drive, vm-NEW-cloudinit
// (on storage when the clone names one), as clone_disk does.
func (st *state) cloneCloudinit(g *guest, storage string, now time.Time) {
	k, volid := cloudinitDrive(g)
	if k == "" || st.volumeOwner(volid, 9) == g.vmid {
		return
	}
	sid, _, _ := strings.Cut(volid, ":")
	if storage != "" {
		sid = storage
	}
	p := parsePropString(g.conf[k], "file")
	pl := &diskPlan{key: k, prop: p, cloudinit: sid}
	if _, drive, _, err := st.allocCloudinit(g.node, g.vmid, pl, now); err == nil {
		g.conf[k] = drive
	}
}

// checkSSHKeys is the sshkeys check of create_vm and update_vm_api: the
// value URL-decoded as uri_unescape does, each non-blank line a key that
// `ssh-keygen -l` reads (validate_ssh_public_keys).
func checkSSHKeys(params map[string]string) error {
	v, ok := params["sshkeys"]
	if ok && pveid.CheckSSHPublicKeys(uriUnescape(v)) != nil {
		return failf("SSH public key validation error")
	}
	return nil
}

// uriUnescape is URI::Escape's uri_unescape: each %XX becomes its byte;
// anything else, '+' and a stray '%' included, stays as it is.
func uriUnescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
