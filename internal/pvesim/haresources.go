package pvesim

import (
	"sort"
	"strconv"
	"strings"
)

// HA resources (/cluster/ha/resources): pve-ha-manager's API2/HA/Resources.pm.

// haManaged is vm_is_ha_managed: configured, not ignored, and HA not
// disarmed in ignore mode.
func (st *state) haManaged(vmid int) *haResource {
	r := st.haOf(vmid)
	if r == nil || r.opts["state"] == "ignored" || st.ha().disarm == "ignore" {
		return nil
	}
	return r
}

var haResIntKeys = map[string]bool{"max_restart": true, "max_relocate": true, "failback": true}

// haResJSON is api_copy_config: the stored options, sid, type and digest.
func (s *Sim) haResJSON(r *haResource, digest string) map[string]any {
	typ, _, _ := strings.Cut(r.sid, ":")
	m := map[string]any{"sid": r.sid, "type": typ, "digest": digest}
	for k, v := range r.opts {
		if haResIntKeys[k] {
			m[k] = atoiDefault(v, 0)
		} else {
			m[k] = v
		}
	}
	if s.groupsMigrated() {
		delete(m, "group")
	}
	return m
}

func (s *Sim) haListResources(c *call) (any, error) {
	h := c.st.ha()
	digest := h.resDigest()
	out := []map[string]any{}
	for _, sid := range sortedKeys(h.res) {
		m := s.haResJSON(h.res[sid], digest)
		if t := c.params["type"]; t != "" && m["type"] != t {
			continue
		}
		if gr, ok := m["group"].(string); ok && h.groups[gr] == nil {
			m["errors"] = map[string]string{"group": "group '" + gr + "' does not exist"}
		}
		out = append(out, m)
	}
	return out, nil
}

// haResource finds the resource a path's sid names.
func (c *call) haResource() (*haResource, error) {
	sid, _, _, err := c.parseSID(c.params["sid"])
	if err != nil {
		return nil, err
	}
	r := c.st.ha().res[sid]
	if r == nil {
		return nil, failf("no such resource '%s'", sid)
	}
	return r, nil
}

func (s *Sim) haGetResource(c *call) (any, error) {
	r, err := c.haResource()
	if err != nil {
		return nil, err
	}
	return s.haResJSON(r, c.st.ha().resDigest()), nil
}

// haResOpts are the options a create or update writes.
func haResOpts(c *call) map[string]string {
	opts := map[string]string{}
	for _, k := range []string{"state", "group", "failback", "max_restart", "max_relocate", "comment"} {
		if v, ok := c.params[k]; ok {
			if k == "failback" {
				v = strconv.Itoa(b2i(c.flagOr(k, true)))
			}
			opts[k] = v
		}
	}
	return opts
}

func (s *Sim) haCreateResource(c *call) (any, error) {
	sid, typ, name, err := c.parseSID(c.params["sid"])
	if err != nil {
		return nil, err
	}
	if t := c.params["type"]; t != "" && t != typ {
		return nil, failf("types does not match")
	}
	if c.has("group") && s.groupsMigrated() {
		return nil, failf("invalid parameter 'group': ha groups have been migrated to rules")
	}
	if typ != "vm" && typ != "ct" {
		return nil, failf("unknown section type '%s'", typ)
	}
	vmid, err := strconv.Atoi(name)
	if err != nil || vmid < 1 {
		return nil, failf("invalid VMID")
	}
	g := c.st.guests[vmid]
	if g == nil {
		return nil, failf("resource '%s' does not exist in cluster", sid)
	}
	if haType(g.kind) != typ {
		what := "VM"
		if typ == "ct" {
			what = "container"
		}
		return nil, failf("resource '%s' - guest with ID %d is not a %s", sid, vmid, what)
	}
	h := c.st.ha()
	if h.res[sid] != nil {
		return nil, failf("create resource failed: resource ID '%s' already defined", sid)
	}
	r := &haResource{sid: sid, vmid: vmid, opts: haResOpts(c)}
	h.res[sid] = r
	s.haRequest(r)
	return nil, nil
}

func (s *Sim) haUpdateResource(c *call) (any, error) {
	sid, typ, _, err := c.parseSID(c.params["sid"])
	if err != nil {
		return nil, err
	}
	if t := c.params["type"]; t != "" && t != typ {
		return nil, failf("types does not match")
	}
	h := c.st.ha()
	if gr := c.params["group"]; gr != "" {
		if s.groupsMigrated() {
			return nil, failf("invalid parameter 'group': ha groups have been migrated to rules")
		}
		if h.groups[gr] == nil {
			return nil, failf("HA group '%s' does not exist", gr)
		}
	}
	r := h.res[sid]
	if r != nil && r.crm == "error" && c.params["state"] != "disabled" {
		return nil, failf("service '%s' in error state, must be disabled and fixed first", sid)
	}
	if d := c.params["digest"]; d != "" && d != h.resDigest() {
		return nil, failf("update resources config failed: detected modified configuration - file changed by other user? Try again.")
	}
	if r == nil {
		return nil, failf("update resources config failed: no such resource '%s'", sid)
	}
	del := splitList(c.params["delete"])
	for _, k := range del {
		if _, ok := map[string]bool{"state": true, "group": true, "failback": true, "max_restart": true,
			"max_relocate": true, "comment": true}[k]; !ok {
			return nil, failf("update resources config failed: no such option '%s'", k)
		}
	}
	prev := r.reqState()
	for k, v := range haResOpts(c) {
		r.opts[k] = v
	}
	for _, k := range del {
		delete(r.opts, k)
	}
	if r.reqState() != prev {
		s.haRequest(r)
	}
	return nil, nil
}

func (s *Sim) haDeleteResource(c *call) (any, error) {
	sid, _, _, err := c.parseSID(c.params["sid"])
	if err != nil {
		return nil, err
	}
	h := c.st.ha()
	if h.res[sid] == nil {
		return nil, failf("cannot delete service '%s', not HA managed!", sid)
	}
	c.st.haRemove(sid, c.flagOr("purge", true))
	return nil, nil
}

// haRemove drops a resource and, with purge (PVE 9), its place in rules:
// a rule left without resources goes too.
func (st *state) haRemove(sid string, purge bool) {
	h := st.ha()
	delete(h.res, sid)
	if !purge {
		return
	}
	for id, rule := range h.rules {
		var keep []string
		for _, x := range splitList(rule.opts["resources"]) {
			if x != sid {
				keep = append(keep, x)
			}
		}
		if len(keep) == 0 {
			delete(h.rules, id)
			continue
		}
		sort.Strings(keep)
		rule.opts["resources"] = strings.Join(keep, ",")
	}
}

func (s *Sim) haMigrateResource(c *call) (any, error) { return s.haMoveRequest(c, false) }

func (s *Sim) haRelocateResource(c *call) (any, error) { return s.haMoveRequest(c, true) }

// haMoveRequest queues a CRM migrate/relocate command. PVE 9 answers which
// resources move along (positive affinity) or block the target.
func (s *Sim) haMoveRequest(c *call, relocate bool) (any, error) {
	sid, _, _, err := c.parseSID(c.params["sid"])
	if err != nil {
		return nil, err
	}
	r := c.st.ha().res[sid]
	if r == nil || c.st.haManaged(r.vmid) == nil {
		return nil, failf("resource '%s' is not HA managed", sid)
	}
	if r.crm == "error" {
		return nil, failf("service '%s' in error state, must be disabled and fixed first", sid)
	}
	target := c.params["node"]
	co, blocking := c.st.haAffinity(sid, target)
	if len(blocking) == 0 {
		s.haMove(r, target, relocate)
		for _, o := range co {
			if x := c.st.ha().res[o]; x != nil {
				s.haMove(x, target, relocate)
			}
		}
	}
	if s.major() < 9 {
		return nil, nil
	}
	out := map[string]any{"sid": sid, "requested-node": target}
	if len(co) > 0 {
		out["comigrated-resources"] = co
	}
	if len(blocking) > 0 {
		out["blocking-resources"] = blocking
	}
	return out, nil
}
