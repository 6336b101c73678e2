package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func (s *Sim) listSnapshots(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, sn := range g.snaps {
		m := map[string]any{"name": sn.name, "description": sn.description, "snaptime": sn.snaptime}
		if kind.traits().savesRAM {
			m["vmstate"] = b2i(sn.vmstate)
		}
		if sn.parent != "" {
			m["parent"] = sn.parent
		}
		if sn.state != "" {
			m["snapstate"] = sn.state
		}
		out = append(out, m)
	}
	cur := map[string]any{"name": "current", "description": "You are here!", "digest": g.digest(), "running": b2i(g.running)}
	if p := g.conf["parent"]; p != "" {
		cur["parent"] = p
	}
	return append(out, cur), nil
}

func (s *Sim) snapshotIndex(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	if g.snapshot(c.params["snapname"]) == nil {
		return nil, failf("snapshot '%s' does not exist", c.params["snapname"])
	}
	return c.subdirs("cmd"), nil
}

func (s *Sim) getSnapshotConfig(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	sn := g.snapshot(c.params["snapname"])
	if sn == nil {
		return nil, failf("snapshot '%s' does not exist", c.params["snapname"])
	}
	out := configJSON(kind, sn.conf)
	out["snaptime"] = sn.snaptime
	if sn.description != "" {
		out["description"] = sn.description
	}
	if sn.parent != "" {
		out["parent"] = sn.parent
	}
	if kind.traits().savesRAM && sn.vmstate {
		out["vmstate"] = "local-lvm:vm-" + strconv.Itoa(g.vmid) + "-state-" + sn.name
	}
	return out, nil
}

func (s *Sim) putSnapshotConfig(c *call, kind guestKind) (any, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, err
	}
	sn := g.snapshot(c.params["snapname"])
	if sn == nil {
		return nil, failf("snapshot '%s' does not exist", c.params["snapname"])
	}
	if d, ok := c.params["description"]; ok {
		sn.description = d
	}
	return nil, nil
}

// snapshotDisks lists the disks a snapshot covers (no CD-ROMs).
func snapshotDisks(g *guest) [][2]string {
	var out [][2]string
	for _, k := range sortedKeys(g.conf) {
		if !g.kind.diskSlot(k) || isIndexed(k, "unused") {
			continue
		}
		p := parsePropString(g.conf[k], g.kind.diskKey())
		if p.get("media") == "cdrom" {
			continue
		}
		if f := p.get(g.kind.diskKey()); strings.Contains(f, ":") {
			out = append(out, [2]string{k, f})
		}
	}
	return out
}

func (s *Sim) createSnapshot(c *call, kind guestKind) (any, error) {
	vmid := c.vmid()
	name := c.params["snapname"]
	if name == "current" || name == "pending" {
		return nil, failf("unable to use snapshot name '%s' (reserved name)", name)
	}
	if _, err := c.guestOnNode(kind); err != nil {
		return nil, err
	}
	g := c.st.guests[vmid]
	vmstate := kind.traits().savesRAM && c.flag("vmstate") && g.running
	failMsg := ""
	switch {
	case g.lock() != "":
		failMsg = fmt.Sprintf("%s is locked (%s)", g.typeName(), g.lock())
	case g.snapshot(name) != nil:
		failMsg = fmt.Sprintf("snapshot name '%s' already used", name)
	case g.isTemplate():
		failMsg = "you can't take a snapshot if it's a template"
	}
	if failMsg == "" {
		for _, d := range snapshotDisks(g) {
			if !c.st.supportsSnapshot(g.node, d[1]) {
				failMsg = "snapshot feature is not available"
			}
		}
	}
	var lines []taskLine
	dur := 2 * time.Second
	var sn *snapshot
	if failMsg == "" {
		sn = &snapshot{name: name, description: c.params["description"], snaptime: c.now.Unix(), vmstate: vmstate,
			parent: g.conf["parent"], state: "prepare"}
		g.snaps = append(g.snaps, sn)
		g.conf["lock"] = "snapshot"
		var extra time.Duration
		lines, extra = snapshotLines(g, name, vmstate)
		dur += extra
	}
	typ := kind.task("snapshot")
	return c.startTask(taskSpec{typ: typ, vmid: vmid,
		dur: dur, lines: lines, failMsg: failMsg,
		onOK: func(end time.Time) error {
			conf := copyConf(g.conf)
			delete(conf, "lock")
			delete(conf, "parent")
			sn.conf = conf
			sn.state = ""
			sn.snaptime = end.Unix()
			delete(g.conf, "lock")
			g.conf["parent"] = name
			return nil
		},
		onFail: func() {
			if sn != nil {
				g.removeSnap(name)
				delete(g.conf, "lock")
			}
		}})
}

// snapshotLines is the log of a snapshot (RAM, disks, agent freeze) and
// the time saving the RAM adds.
func snapshotLines(g *guest, name string, vmstate bool) ([]taskLine, time.Duration) {
	var lines []taskLine
	var dur time.Duration
	if vmstate {
		mem := float64(g.maxMem()) * 0.4
		secs := int(mem / float64(100<<20))
		dur = time.Duration(secs) * time.Second
		lines = append(lines, taskLine{at: 0.02, text: "saving VM state and RAM using storage 'local-lvm'"})
		lines = append(lines, progressLines(0.05, 0.7, min(secs, 20), func(i int, f float64) string {
			return fmt.Sprintf("%s in %s", renderBytes(mem*f, 2), renderDuration(time.Duration(f*float64(secs))*time.Second))
		})...)
		lines = append(lines, at(0.72, fmt.Sprintf("completed saving the VM state in %ds, saved %s", secs, renderBytes(mem, 2)),
			"waiting for QEMU to finish the 'savevm-end' command...")...)
	}
	for _, d := range snapshotDisks(g) {
		_, vname, _ := strings.Cut(d[1], ":")
		if g.kind.traits().logsDrives {
			lines = append(lines, taskLine{at: 0.8, text: fmt.Sprintf("snapshotting 'drive-%s' (%s)", d[0], d[1])})
		}
		lines = append(lines, taskLine{at: 0.9, text: fmt.Sprintf("  Logical volume \"snap_%s_%s\" created.", lastSeg(vname), name)})
	}
	if g.running && g.conf["agent"] != "" && parsePropString(g.conf["agent"], "enabled").get("enabled") == "1" {
		lines = append(at(0.75, "issuing guest-agent 'fs-freeze' command"), lines...)
		lines = append(lines, taskLine{at: 0.95, text: "issuing guest-agent 'fs-thaw' command"})
	}
	return lines, dur
}

func lastSeg(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	return strings.TrimSuffix(s, ".raw")
}

func (st *state) supportsSnapshot(nodeName, volid string) bool {
	return st.volumeHasFeature(nodeName, "snapshot", volid, "", false) // preflight.go
}

func (g *guest) removeSnap(name string) {
	var parent string
	out := g.snaps[:0]
	for _, sn := range g.snaps {
		if sn.name == name {
			parent = sn.parent
			continue
		}
		out = append(out, sn)
	}
	g.snaps = out
	for _, sn := range g.snaps {
		if sn.parent == name {
			sn.parent = parent
		}
	}
	if g.conf["parent"] == name {
		if parent == "" {
			delete(g.conf, "parent")
		} else {
			g.conf["parent"] = parent
		}
	}
}

func (s *Sim) deleteSnapshot(c *call, kind guestKind) (any, error) {
	vmid := c.vmid()
	name := c.params["snapname"]
	g, sn, err := c.snapshotOf(kind, name)
	if err != nil {
		return nil, err
	}
	failMsg := ""
	force := c.flag("force")
	if l := g.lock(); l != "" && !force {
		failMsg = fmt.Sprintf("%s is locked (%s)", g.typeName(), l)
	}
	var lines []taskLine
	if failMsg == "" {
		g.conf["lock"] = "snapshot-delete"
		sn.state = "delete"
		for _, d := range snapshotDisks(g) {
			_, vname, _ := strings.Cut(d[1], ":")
			lines = append(lines, taskLine{at: 0.5, text: fmt.Sprintf("  Logical volume \"snap_%s_%s\" successfully removed.", lastSeg(vname), name)})
		}
	}
	typ := kind.task("delsnapshot")
	return c.startTask(taskSpec{typ: typ, vmid: vmid,
		dur: 1500 * time.Millisecond, lines: lines, failMsg: failMsg,
		onOK: func(time.Time) error {
			g.removeSnap(name)
			delete(g.conf, "lock")
			return nil
		},
		onFail: func() {
			if failMsg == "" {
				delete(g.conf, "lock")
				sn.state = ""
			}
		}})
}

func (s *Sim) rollbackSnapshot(c *call, kind guestKind) (any, error) {
	vmid := c.vmid()
	name := c.params["snapname"]
	g, sn, err := c.snapshotOf(kind, name)
	if err != nil {
		return nil, err
	}
	failMsg := ""
	if l := g.lock(); l != "" {
		failMsg = fmt.Sprintf("%s is locked (%s)", g.typeName(), l)
	}
	var lines []taskLine
	if failMsg == "" {
		g.conf["lock"] = "rollback"
		for _, d := range snapshotDisks(g) {
			_, vname, _ := strings.Cut(d[1], ":")
			lines = append(lines, taskLine{at: 0.5, text: fmt.Sprintf("  Logical volume \"%s\" successfully removed.", lastSeg(vname))},
				taskLine{at: 0.6, text: fmt.Sprintf("  Logical volume \"%s\" created.", lastSeg(vname))})
		}
	}
	start := c.flag("start")
	typ := kind.task("rollback")
	return c.startTask(taskSpec{typ: typ, vmid: vmid,
		dur: 2 * time.Second, lines: lines, failMsg: failMsg,
		onOK: func(end time.Time) error {
			conf := copyConf(sn.conf)
			conf["parent"] = name
			g.conf = conf
			g.pending, g.pendDel = nil, nil
			if sn.vmstate {
				g.running, g.startedAt = true, end
			} else {
				g.running = false
				if start {
					g.running, g.startedAt = true, end
				}
			}
			return nil
		},
		onFail: func() {
			if failMsg == "" {
				delete(g.conf, "lock")
			}
		}})
}

// snapshotOf finds the guest of the request and its snapshot name.
func (c *call) snapshotOf(kind guestKind, name string) (*guest, *snapshot, error) {
	g, err := c.guestOnNode(kind)
	if err != nil {
		return nil, nil, err
	}
	sn := g.snapshot(name)
	if sn == nil {
		return nil, nil, failf("snapshot '%s' does not exist", name)
	}
	return g, sn, nil
}
