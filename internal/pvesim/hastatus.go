package pvesim

import (
	"fmt"
	"time"
)

// HA status (/cluster/ha/status): the CRM's manager status and each LRM's.

// perlTime is Perl's scalar localtime.
func perlTime(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }

// haMaster is the node the CRM runs on: the first node online.
func (st *state) haMaster() *node {
	for _, n := range st.nodes {
		if !n.offline {
			return n
		}
	}
	return st.nodes[0]
}

func haNodeState(n *node) string {
	if n.offline {
		return "unknown"
	}
	return "online"
}

// haServiceState is the manager status entry of a resource (nil when the
// CRM does not track it: ignored).
func (st *state) haServiceState(r *haResource) map[string]any {
	g := st.guests[r.vmid]
	if r.crm == "" || g == nil {
		return nil
	}
	return map[string]any{"node": g.node, "state": r.crm, "running": b2i(g.running), "uid": haDigest(r.sid, r.crm)[:22]}
}

// haVerboseState is get_verbose_service_state.
func (st *state) haVerboseState(r *haResource) string {
	req := r.reqState()
	if req == "ignored" {
		return "ignored"
	}
	g := st.guests[r.vmid]
	if g == nil {
		return "not found"
	}
	switch r.crm {
	case "":
		return "queued"
	case "stopped":
		if req == "started" {
			return "starting"
		}
		if req == "disabled" {
			return "disabled"
		}
	case "started":
		if !g.running {
			return "starting"
		}
		if req == "stopped" || req == "disabled" {
			return "stopping"
		}
	case "error":
		if req == "disabled" {
			return "clearing error flag"
		}
	}
	return r.crm
}

// lrmActive counts the services the LRM of a node runs (count_active_services).
func (st *state) lrmActive(nodeName string) int {
	n := 0
	for _, r := range st.ha().res {
		g := st.guests[r.vmid]
		if g != nil && g.node == nodeName && r.crm != "" && r.crm != "stopped" && r.crm != "freeze" && r.crm != "error" {
			n++
		}
	}
	return n
}

func (s *Sim) haStatusCurrent(c *call) (any, error) {
	st := c.st
	h := st.ha()
	master := st.haMaster()
	local := master.name
	out := []map[string]any{{"id": "quorum", "type": "quorum", "node": local, "status": "OK", "quorate": 1}}
	crm := "active"
	if len(h.res) == 0 {
		crm = "idle"
	}
	extra := ""
	if h.disarm != "" {
		extra = " - disarmed, resource mode: " + h.disarm
	}
	out = append(out, map[string]any{"id": "master", "type": "master", "node": master.name,
		"status": fmt.Sprintf("%s (%s, %s)%s", master.name, crm, perlTime(c.now), extra), "timestamp": c.now.Unix()})
	if s.major() >= 9 {
		f := map[string]any{"id": "fencing", "type": "fencing", "node": master.name}
		switch {
		case h.disarm != "":
			f["status"] = "disarmed, resource mode: " + h.disarm + " (CRM watchdog released)"
			f["armed-state"], f["resource_mode"] = "disarmed", h.disarm
		case crm == "active":
			f["status"], f["armed-state"] = "armed (CRM watchdog active)", "armed"
		default:
			f["status"], f["armed-state"] = "standby (CRM watchdog standby)", "standby"
		}
		out = append(out, f)
	}
	for _, n := range st.nodes {
		status, ts, wd := "idle", c.now.Unix(), "watchdog standby"
		if st.lrmActive(n.name) > 0 {
			status, wd = "active", "watchdog active"
		}
		if h.disarm != "" {
			status, wd = "disarm mode", "watchdog released"
		}
		if n.offline {
			ts = c.now.Add(-5 * time.Minute).Unix()
			status, wd = "old timestamp - dead?", "watchdog standby"
		}
		text := fmt.Sprintf("%s (%s, %s)", n.name, status, perlTime(time.Unix(ts, 0).In(c.now.Location())))
		if s.major() >= 9 {
			text = fmt.Sprintf("%s (%s, %s, %s)", n.name, status, wd, perlTime(time.Unix(ts, 0).In(c.now.Location())))
		}
		out = append(out, map[string]any{"id": "lrm:" + n.name, "type": "lrm", "node": n.name, "status": text, "timestamp": ts})
	}
	for _, sid := range sortedKeys(h.res) {
		r := h.res[sid]
		m := map[string]any{"id": "service:" + sid, "type": "service", "sid": sid}
		node := "---"
		if g := st.guests[r.vmid]; g != nil {
			node = g.node
			m["node"] = node
		}
		if r.crm != "" {
			m["crm_state"] = r.crm
		}
		m["state"] = st.haVerboseState(r)
		if h.disarm == "ignore" {
			m["state"] = "ignore"
		}
		m["status"] = fmt.Sprintf("%s (%s, %s)", sid, node, m["state"])
		m["request_state"] = r.reqState()
		m["max_restart"] = atoiDefault(r.opts["max_restart"], 1)
		m["max_relocate"] = atoiDefault(r.opts["max_relocate"], 1)
		if s.major() >= 9 {
			m["failback"] = atoiDefault(r.opts["failback"], 1)
		}
		for _, k := range []string{"group", "comment"} {
			if v, ok := r.opts[k]; ok {
				m[k] = v
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Sim) haManagerStatus(c *call) (any, error) {
	st := c.st
	h := st.ha()
	master := st.haMaster()
	nodes := map[string]any{}
	lrm := map[string]any{}
	for _, n := range st.nodes {
		nodes[n.name] = haNodeState(n)
		state, ts := "wait_for_agent_lock", c.now.Unix()
		if st.lrmActive(n.name) > 0 {
			state = "active"
		}
		if n.offline {
			ts = c.now.Add(-5 * time.Minute).Unix()
		}
		mode := "active"
		if h.disarm != "" {
			mode = "disarm"
		}
		lrm[n.name] = map[string]any{"mode": mode, "state": state, "timestamp": ts, "results": map[string]any{}}
	}
	services := map[string]any{}
	for sid, r := range h.res {
		if ss := st.haServiceState(r); ss != nil {
			services[sid] = ss
		}
	}
	ms := map[string]any{"master_node": master.name, "node_status": nodes, "service_status": services, "timestamp": c.now.Unix()}
	if h.disarm != "" {
		ms["disarm"] = map[string]any{"mode": h.disarm, "state": "disarmed"}
	}
	return map[string]any{"manager_status": ms, "quorum": map[string]any{"node": master.name, "quorate": "1"}, "lrm_status": lrm}, nil
}

// haDisarm and haArm queue a CRM command; the CRM applies it at once here.
func (s *Sim) haDisarm(c *call) (any, error) {
	c.st.ha().disarm = c.params["resource-mode"]
	return nil, nil
}

func (s *Sim) haArm(c *call) (any, error) {
	c.st.ha().disarm = ""
	return nil, nil
}

// haClusterState is the hastate /cluster/resources shows for a guest: the
// manager's service state, else the configured request ("" = not HA).
func (st *state) haClusterState(vmid int) string {
	r := st.haOf(vmid)
	if r == nil {
		return ""
	}
	if r.crm != "" {
		return r.crm
	}
	return r.reqState()
}

// haGuestStatus is get_service_status, the "ha" of a guest's status/current
// (PVE 7/8 also name the group, null when there is none).
func (s *Sim) haGuestStatus(vmid int) map[string]any {
	r := s.st.haManaged(vmid)
	if r == nil {
		return map[string]any{"managed": 0}
	}
	m := map[string]any{"managed": 1, "state": nil}
	if r.crm != "" {
		m["state"] = r.crm
	}
	if s.major() < 9 {
		m["group"] = nil
		if gr, ok := r.opts["group"]; ok {
			m["group"] = gr
		}
	}
	return m
}

// haNodeRow adds a node's CRM state to its /cluster/resources row while HA
// is in use (pve-manager 8.2.9 and later).
func (s *Sim) haNodeRow(n *node, m map[string]any) {
	if s.major() >= 8 && s.st.haS != nil && len(s.st.haS.res) > 0 {
		m["hastate"] = haNodeState(n)
	}
}

// haPurge is a destroy's purge: the guest leaves the HA resources (and
// rules) and its replication jobs go.
func (st *state) haPurge(vmid int) {
	if r := st.haOf(vmid); r != nil {
		st.haRemove(r.sid, true)
	}
	if st.haS != nil && st.haS.repl != nil {
		for id, j := range st.haS.repl.jobs {
			if j.guest == vmid {
				delete(st.haS.repl.jobs, id)
			}
		}
	}
}
