package pvesim

import (
	"fmt"
	"strconv"
	"time"
)

// Power operations. The split between synchronous errors and task errors
// follows qemu-server and pve-container: qemu start/stop/shutdown load the
// config inside the worker, LXC checks "running" before forking, reset,
// reboot, suspend and resume check "running" synchronously.

// qemuRunning is check_running: it asserts the config is on this node.
func (c *call) qemuRunning() (*guest, bool, error) {
	vmid := c.vmid()
	g := c.st.guests[vmid]
	if g == nil || !g.kind.isQemu() || g.node != c.params["node"] {
		return nil, false, failf("unable to find configuration file for VM %d on node '%s'", vmid, c.params["node"])
	}
	return g, g.running, nil
}

// lxcRunning is LXC check_running: a missing CT is simply not running.
func (c *call) lxcRunning() (*guest, bool) {
	g := c.st.guests[c.vmid()]
	if g == nil || !g.kind.isLXC() || g.node != c.params["node"] {
		return nil, false
	}
	return g, g.running
}

// taskGuest re-loads the guest inside a worker, as load_config does there.
func (s *Sim) taskGuest(kind guestKind, nodeName string, vmid int) (*guest, error) {
	g := s.st.guests[vmid]
	if g == nil || g.kind != kind || g.node != nodeName {
		return nil, noConfig(kind, nodeName, vmid)
	}
	return g, nil
}

func (s *Sim) haTask(c *call, typ, text string) (any, error) {
	return c.startTask(taskSpec{typ: typ, id: c.params["vmid"],
		dur: 500 * time.Millisecond, lines: at(0, text), vmid: c.vmid()})
}

func (s *Sim) guestStart(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	if kind.isQemu() {
		if err := c.rootOnly("skiplock", "migratedfrom", "stateuri", "force-cpu", "migration_type", "migration_network", "targetstorage"); err != nil {
			return nil, err
		}
		if g := c.st.guests[vmid]; g != nil && g.ha && g.node == nodeName {
			g.running = true
			g.startedAt = c.now
			return s.haTask(c, "hastart", fmt.Sprintf("Requesting HA start for VM %d", vmid))
		}
		return s.startQemu(c.st.guests[vmid], nodeName, vmid, c.authid, c.boolParam("skiplock", false)).upid, nil
	}
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	if _, running := c.lxcRunning(); running {
		return nil, failf("CT %d already running", vmid)
	}
	skiplock := c.boolParam("skiplock", false)
	return c.startTask(taskSpec{typ: "vzstart", vmid: vmid,
		dur: 1500 * time.Millisecond,
		onOK: func(end time.Time) error {
			g, err := s.taskGuest(kindLXC, nodeName, vmid)
			if err != nil {
				return err
			}
			if g.isTemplate() {
				return fmt.Errorf("you can't start a CT if it's a template")
			}
			if g.lock() != "mounted" && !skiplock {
				if err := lockError(g); err != nil {
					return err
				}
			}
			if g.running {
				return fmt.Errorf("CT %d already running", vmid)
			}
			if err := s.checkBridges(g); err != nil {
				return err
			}
			g.running, g.startedAt = true, end
			return nil
		}})
}

// startQemu forks qmstart; every check happens in the worker.
func (s *Sim) startQemu(g *guest, nodeName string, vmid int, user string, skiplock bool) *task {
	var lines []taskLine
	if g != nil && g.conf["bios"] == "ovmf" && g.conf["efidisk0"] == "" {
		lines = at(0.3, "WARN: no efidisk configured! Using temporary efivars disk.")
	}
	if _, ci := cloudinitDrive(g); g != nil && ci != "" {
		lines = append(at(0.1, "generating cloud-init ISO"), lines...)
	}
	return s.startTask(taskSpec{node: nodeName, typ: "qmstart", id: strconv.Itoa(vmid), user: user, vmid: vmid,
		dur: time.Second + time.Duration(len(lines))*200*time.Millisecond, lines: lines,
		onOK: func(end time.Time) error {
			g, err := s.taskGuest(kindQemu, nodeName, vmid)
			if err != nil {
				return err
			}
			if g.isTemplate() {
				return fmt.Errorf("you can't start a vm if it's a template")
			}
			if g.lock() == "backup" && g.running {
				g.paused = false
				return nil
			}
			if !skiplock && g.lock() != "suspended" {
				if err := lockError(g); err != nil {
					return err
				}
			}
			if g.running {
				return fmt.Errorf("VM %d already running", vmid)
			}
			if err := s.checkBridges(g); err != nil {
				return err
			}
			g.applyPending()
			s.st.cloudinitStarted(g, end)
			if g.lock() == "suspended" {
				delete(g.conf, "lock")
				delete(g.conf, "vmstate")
			}
			g.running, g.paused, g.startedAt = true, false, end
			return nil
		}})
}

// checkBridges fails like tap_plug when a NIC names a bridge the node lacks.
func (s *Sim) checkBridges(g *guest) error {
	n := s.st.node(g.node)
	for _, k := range sortedKeys(g.conf) {
		if !isIndexed(k, "net") {
			continue
		}
		defKey := "model"
		if g.kind.isLXC() {
			defKey = ""
		}
		br := parsePropString(g.conf[k], defKey).get("bridge")
		if br == "" {
			continue
		}
		if n.net.active(br) == nil {
			return fmt.Errorf("bridge '%s' does not exist", br)
		}
	}
	return nil
}

func (g *guest) applyPending() {
	for k, v := range g.pending {
		g.conf[k] = v
	}
	for _, k := range g.pendDel {
		delete(g.conf, k)
	}
	g.pending, g.pendDel = nil, nil
}

// stopLike is qmstop/qmshutdown: load and lock checks in the worker, and a
// stopped VM is a no-op that ends OK.
func (s *Sim) stopQemu(c *call, typ string, dur time.Duration) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	if err := c.rootOnly("skiplock", "keepActive", "migratedfrom"); err != nil {
		return nil, err
	}
	skiplock := c.boolParam("skiplock", false)
	if g := c.st.guests[vmid]; g != nil && g.ha && g.node == nodeName {
		g.running = false
		return s.haTask(c, "hastop", fmt.Sprintf("Requesting HA stop for VM %d", vmid))
	}
	var lines []taskLine
	if typ == "qmshutdown" {
		g, running, err := c.qemuRunning()
		if err == nil && running && g.paused {
			if !c.boolParam("forceStop", false) {
				return nil, failf("VM is paused - cannot shutdown")
			}
			lines = at(0, "VM is paused - stop instead of shutdown")
		}
	}
	return c.startTask(taskSpec{typ: typ, vmid: vmid, dur: dur, lines: lines,
		onOK: func(end time.Time) error {
			g, err := s.unlockedGuest(kindQemu, nodeName, vmid, skiplock)
			if err != nil {
				return err
			}
			g.running, g.paused = false, false
			return nil
		}})
}

func (s *Sim) stopLXC(c *call, typ string, dur time.Duration) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	if _, running := c.lxcRunning(); !running {
		return nil, failf("CT %d not running", vmid)
	}
	skiplock := c.boolParam("skiplock", false)
	return c.startTask(taskSpec{typ: typ, vmid: vmid, dur: dur,
		onOK: func(end time.Time) error {
			g, err := s.unlockedGuest(kindLXC, nodeName, vmid, skiplock)
			if err != nil {
				return err
			}
			g.running, g.paused = false, false
			return nil
		}})
}

func (s *Sim) guestStop(c *call, kind guestKind) (any, error) {
	if kind.isQemu() {
		return s.stopQemu(c, "qmstop", time.Second)
	}
	return s.stopLXC(c, "vzstop", time.Second)
}

func (s *Sim) guestShutdown(c *call, kind guestKind) (any, error) {
	if kind.isQemu() {
		return s.stopQemu(c, "qmshutdown", 4*time.Second)
	}
	return s.stopLXC(c, "vzshutdown", 3*time.Second)
}

func (s *Sim) guestReboot(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	typ := "qmreboot"
	if kind.isQemu() {
		g, running, err := c.qemuRunning()
		if err != nil {
			return nil, err
		}
		if running && g.paused {
			return nil, failf("VM is paused - cannot shutdown")
		}
		if !running {
			return nil, failf("VM %d not running", vmid)
		}
	} else {
		typ = "vzreboot"
		if _, running := c.lxcRunning(); !running {
			return nil, failf("VM %d not running", vmid)
		}
	}
	return c.startTask(taskSpec{typ: typ, vmid: vmid, dur: 5 * time.Second,
		onOK: func(end time.Time) error {
			g, err := s.unlockedGuest(kind, nodeName, vmid, false)
			if err != nil {
				return err
			}
			g.applyPending()
			g.running, g.paused, g.startedAt = true, false, end
			return nil
		}})
}

func (s *Sim) guestReset(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	_, running, err := c.qemuRunning()
	if err != nil {
		return nil, err
	}
	if !running {
		return nil, failf("VM %d not running", vmid)
	}
	skiplock := c.boolParam("skiplock", false)
	return c.startTask(taskSpec{typ: "qmreset", vmid: vmid, dur: 500 * time.Millisecond,
		onOK: func(end time.Time) error {
			g, err := s.unlockedGuest(kind, nodeName, vmid, skiplock)
			if err != nil {
				return err
			}
			g.startedAt, g.paused = end, false
			return nil
		}})
}

func (s *Sim) guestSuspend(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	typ := "vzsuspend"
	if kind.isQemu() {
		if err := c.rootOnly("skiplock"); err != nil {
			return nil, err
		}
		_, running, err := c.qemuRunning()
		if err != nil {
			return nil, err
		}
		if !running {
			return nil, failf("VM %d not running", vmid)
		}
		typ = "qmpause"
		if c.boolParam("todisk", false) {
			typ = "qmsuspend"
		}
	} else if _, running := c.lxcRunning(); !running {
		return nil, failf("CT %d not running", vmid)
	}
	todisk := typ == "qmsuspend"
	return c.startTask(taskSpec{typ: typ, vmid: vmid, dur: time.Second,
		onOK: func(end time.Time) error {
			g, err := s.unlockedGuest(kind, nodeName, vmid, false)
			if err != nil {
				return err
			}
			if todisk {
				g.running, g.paused = false, false
				g.conf["lock"] = "suspended"
				return nil
			}
			g.paused = true
			return nil
		}})
}

func (s *Sim) guestResume(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	typ := "vzresume"
	if kind.isQemu() {
		typ = "qmresume"
		if err := c.rootOnly("skiplock", "nocheck"); err != nil {
			return nil, err
		}
		g, running, err := c.qemuRunning()
		if err != nil {
			return nil, err
		}
		if !running && g.lock() != "suspended" {
			return nil, failf("VM %d not running", vmid)
		}
		if g.lock() == "suspended" {
			return s.startQemu(g, nodeName, vmid, c.authid, false).upid, nil
		}
	} else if _, running := c.lxcRunning(); !running {
		return nil, failf("CT %d not running", vmid)
	}
	return c.startTask(taskSpec{typ: typ, vmid: vmid, dur: 500 * time.Millisecond,
		onOK: func(end time.Time) error {
			g, err := s.taskGuest(kind, nodeName, vmid)
			if err != nil {
				return err
			}
			g.paused = false
			return nil
		}})
}

// unlockedGuest finds a task's guest when the task ends and refuses it while
// a config lock is held, unless skiplock was given.
func (s *Sim) unlockedGuest(kind guestKind, node string, vmid int, skiplock bool) (*guest, error) {
	g, err := s.taskGuest(kind, node, vmid)
	if err != nil {
		return nil, err
	}
	if !skiplock {
		if err := lockError(g); err != nil {
			return nil, err
		}
	}
	return g, nil
}
