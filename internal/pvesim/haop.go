package pvesim

import (
	"fmt"
	"time"
)

// haGuestRequestOp is haGuestRequest for a typed operation of the model:
// the ha-manager request task (hastart, hastop, hamigrate) that sets the
// resource's state or moves it when it ends. It returns the UPID.
func (s *Sim) haGuestRequestOp(o op, g *guest, typ, state, target string) string {
	r := o.st.haOf(g.vmid)
	text := fmt.Sprintf("Requesting HA start for %s %d", g.typeName(), g.vmid)
	switch typ {
	case "hastop":
		text = fmt.Sprintf("Requesting HA stop for %s %d", g.typeName(), g.vmid)
	case "hamigrate":
		text = fmt.Sprintf("Requesting HA migration for %s %d to node %s", g.typeName(), g.vmid, target)
	}
	return o.startTask(taskSpec{typ: typ, vmid: g.vmid, dur: 500 * time.Millisecond, lines: at(0, text),
		onOK: func(time.Time) error {
			if s.st.haOf(g.vmid) != r {
				return nil // no longer HA managed: ha-manager has nothing to set
			}
			if target != "" {
				s.haMove(r, target, false)
				return nil
			}
			r.opts["state"] = state
			s.haRequest(r)
			return nil
		}})
}
