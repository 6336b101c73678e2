package pvesim

import (
	"fmt"
	"time"
)

// The power endpoints of each kind. qemu-server and pve-container check
// different things before forking the worker, so each kind has its own
// handler; the route table picks the kind's (guestRoutes), and what both
// share (the reboot, suspend and resume workers) is below.

func (s *Sim) qemuStart(c *call) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	if err := c.rootOnly("skiplock", "migratedfrom", "stateuri", "force-cpu", "migration_type", "migration_network", "targetstorage"); err != nil {
		return nil, err
	}
	if g := c.localGuest(kindQemu); g != nil && c.st.haManaged(vmid) != nil {
		return s.haGuestRequest(c, g, "hastart", "started", "")
	}
	return s.startQemu(c.st.guests[vmid], nodeName, vmid, c.authid, c.flag("skiplock")).upid, nil
}

func (s *Sim) lxcStart(c *call) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	if g := c.localGuest(kindLXC); g != nil && c.st.haManaged(vmid) != nil {
		return s.haGuestRequest(c, g, "hastart", "started", "")
	}
	if _, running := c.lxcRunning(); running {
		return nil, failf("CT %d already running", vmid)
	}
	skiplock := c.flag("skiplock")
	return c.startTask(taskSpec{typ: kindLXC.task("start"), vmid: vmid,
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

func (s *Sim) qemuStop(c *call) (any, error) {
	return s.stopQemu(c, kindQemu.task("stop"), time.Second)
}

func (s *Sim) qemuShutdown(c *call) (any, error) {
	return s.stopQemu(c, kindQemu.task("shutdown"), 4*time.Second)
}

func (s *Sim) lxcStop(c *call) (any, error) {
	return s.stopLXC(c, kindLXC.task("stop"), time.Second)
}

func (s *Sim) lxcShutdown(c *call) (any, error) {
	return s.stopLXC(c, kindLXC.task("shutdown"), 3*time.Second)
}

func (s *Sim) qemuReboot(c *call) (any, error) {
	g, running, err := c.qemuRunning()
	if err != nil {
		return nil, err
	}
	if running && g.paused {
		return nil, failf("VM is paused - cannot shutdown")
	}
	if !running {
		return nil, failf("VM %d not running", c.vmid())
	}
	return s.rebootTask(c, kindQemu)
}

func (s *Sim) lxcReboot(c *call) (any, error) {
	if _, running := c.lxcRunning(); !running {
		return nil, failf("VM %d not running", c.vmid())
	}
	return s.rebootTask(c, kindLXC)
}

func (s *Sim) rebootTask(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	return c.startTask(taskSpec{typ: kind.task("reboot"), vmid: vmid, dur: 5 * time.Second,
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

// qemuSuspend pauses the VM, or with todisk hibernates it (qmsuspend).
func (s *Sim) qemuSuspend(c *call) (any, error) {
	if err := c.rootOnly("skiplock"); err != nil {
		return nil, err
	}
	_, running, err := c.qemuRunning()
	if err != nil {
		return nil, err
	}
	if !running {
		return nil, failf("VM %d not running", c.vmid())
	}
	if c.flag("todisk") {
		return s.suspendTask(c, kindQemu, kindQemu.task("suspend"), true)
	}
	return s.suspendTask(c, kindQemu, kindQemu.task("pause"), false)
}

func (s *Sim) lxcSuspend(c *call) (any, error) {
	if _, running := c.lxcRunning(); !running {
		return nil, failf("CT %d not running", c.vmid())
	}
	return s.suspendTask(c, kindLXC, kindLXC.task("suspend"), false)
}

func (s *Sim) suspendTask(c *call, kind guestKind, typ string, todisk bool) (any, error) {
	nodeName, vmid, statestorage := c.params["node"], c.vmid(), c.params["statestorage"]
	return c.startTask(taskSpec{typ: typ, vmid: vmid, dur: time.Second,
		onOK: func(end time.Time) error {
			g, err := s.unlockedGuest(kind, nodeName, vmid, false)
			if err != nil {
				return err
			}
			if todisk {
				if err := s.st.saveSuspendState(g, suspendStateStorage(s.st, g, statestorage), end); err != nil {
					return err
				}
				g.running, g.paused = false, false
				g.conf["lock"] = "suspended"
				return nil
			}
			g.paused = true
			return nil
		}})
}

// qemuResume resumes a paused VM; a VM suspended to disk starts again.
func (s *Sim) qemuResume(c *call) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
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
	return s.resumeTask(c, kindQemu)
}

func (s *Sim) lxcResume(c *call) (any, error) {
	if _, running := c.lxcRunning(); !running {
		return nil, failf("CT %d not running", c.vmid())
	}
	return s.resumeTask(c, kindLXC)
}

func (s *Sim) resumeTask(c *call, kind guestKind) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	return c.startTask(taskSpec{typ: kind.task("resume"), vmid: vmid, dur: 500 * time.Millisecond,
		onOK: func(end time.Time) error {
			g, err := s.taskGuest(kind, nodeName, vmid)
			if err != nil {
				return err
			}
			g.paused = false
			return nil
		}})
}
