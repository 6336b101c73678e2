package pvesim

import (
	"fmt"
	"strings"
	"time"
)

// The RAM of a VM suspended to disk (qemu-server's vm_suspend with
// includestate): a state volume vm-<vmid>-state-suspend-<date>, named in
// the config's vmstate until the VM starts again and frees it.

// suspendStateStorage picks the state's storage as qemu-server does:
// statestorage, else vmstatestorage, else a disk's storage (a shared one
// first), else local.
func suspendStateStorage(st *state, g *guest, statestorage string) string {
	if statestorage != "" {
		return statestorage
	}
	if s := g.conf["vmstatestorage"]; s != "" {
		return s
	}
	first := ""
	for _, k := range sortedKeys(g.conf) {
		if !g.kind.diskSlot(k) || isIndexed(k, "unused") {
			continue
		}
		ps := parsePropString(g.conf[k], "file")
		sid, _, ok := strings.Cut(ps.get("file"), ":")
		if !ok || ps.get("media") == "cdrom" {
			continue
		}
		if ns := st.storageOn(g.node, sid); ns != nil && ns.def.shared {
			return sid
		}
		if first == "" {
			first = sid
		}
	}
	if first != "" {
		return first
	}
	return "local"
}

// saveSuspendState allocates the state volume, about twice the RAM, and
// records it as vmstate.
func (st *state) saveSuspendState(g *guest, sid string, now time.Time) error {
	ns := st.storageOn(g.node, sid)
	if ns == nil {
		return fmt.Errorf("storage '%s' does not exist", sid)
	}
	name := fmt.Sprintf("vm-%d-state-suspend-%s", g.vmid, now.Format("2006-01-02"))
	volid := sid + ":" + name
	if fileBased(ns.def.typ) {
		volid = fmt.Sprintf("%s:%d/%s.raw", sid, g.vmid, name)
	}
	ns.vols[volid] = &volume{volid: volid, content: "images", format: "raw", size: 2*g.maxMem() + 512<<20, vmid: g.vmid, ctime: now.Unix()}
	g.conf["vmstate"] = volid
	return nil
}

// freeSuspendState frees the state volume of a VM that starts again.
func (st *state) freeSuspendState(g *guest) {
	if v := g.conf["vmstate"]; v != "" {
		st.removeVolume(g.node, v)
	}
	delete(g.conf, "vmstate")
}
