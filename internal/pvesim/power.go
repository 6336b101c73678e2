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

// localGuest is the guest of the path's vmid when it is of kind and its
// config is on the path's node, else nil.
func (c *call) localGuest(kind guestKind) *guest {
	g := c.st.guests[c.vmid()]
	if g == nil || g.kind != kind || g.node != c.params["node"] {
		return nil
	}
	return g
}

// qemuRunning is check_running: it asserts the config is on this node.
func (c *call) qemuRunning() (*guest, bool, error) {
	g := c.localGuest(kindQemu)
	if g == nil {
		return nil, false, failf("unable to find configuration file for VM %d on node '%s'", c.vmid(), c.params["node"])
	}
	return g, g.running, nil
}

// lxcRunning is LXC check_running: a missing CT is simply not running.
func (c *call) lxcRunning() (*guest, bool) {
	g := c.localGuest(kindLXC)
	if g == nil {
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

// startQemu forks qmstart; every check happens in the worker.
func (s *Sim) startQemu(g *guest, nodeName string, vmid int, user string, skiplock bool) *task {
	var lines []taskLine
	if g != nil && g.conf["bios"] == "ovmf" && g.conf["efidisk0"] == "" {
		lines = at(0.3, "WARN: no efidisk configured! Using temporary efivars disk.")
	}
	if _, ci := cloudinitDrive(g); g != nil && ci != "" {
		lines = append(at(0.1, "generating cloud-init ISO"), lines...)
	}
	return s.startTask(taskSpec{node: nodeName, typ: kindQemu.task("start"), id: strconv.Itoa(vmid), user: user, vmid: vmid,
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
				s.st.freeSuspendState(g)
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
		br := parsePropString(g.conf[k], g.kind.netDefaultKey()).get("bridge")
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
	skiplock := c.flag("skiplock")
	if g := c.st.guests[vmid]; g != nil && c.st.haManaged(vmid) != nil && g.node == nodeName {
		return s.haGuestRequest(c, g, "hastop", "stopped", "")
	}
	var lines []taskLine
	if typ == kindQemu.task("shutdown") {
		g, running, err := c.qemuRunning()
		if err == nil && running && g.paused {
			if !c.flag("forceStop") {
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
	if g := c.st.guests[vmid]; g != nil && c.st.haManaged(vmid) != nil && g.node == nodeName {
		return s.haGuestRequest(c, g, "hastop", "stopped", "")
	}
	if _, running := c.lxcRunning(); !running {
		return nil, failf("CT %d not running", vmid)
	}
	skiplock := c.flag("skiplock")
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

func (s *Sim) qemuReset(c *call) (any, error) {
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
	skiplock := c.flag("skiplock")
	return c.startTask(taskSpec{typ: kindQemu.task("reset"), vmid: vmid, dur: 500 * time.Millisecond,
		onOK: func(end time.Time) error {
			g, err := s.unlockedGuest(kindQemu, nodeName, vmid, skiplock)
			if err != nil {
				return err
			}
			g.startedAt, g.paused = end, false
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
