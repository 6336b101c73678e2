package pvesim

import (
	"sort"
	"strconv"
	"strings"
)

// HA groups (PVE 7/8; PVE 9 has migrated them to rules and refuses them)
// and HA rules (PVE 9): API2/HA/Groups.pm and Rules.pm.

func (h *haState) groupDigest() string {
	var secs []string
	for _, id := range sortedKeys(h.groups) {
		secs = append(secs, sectionText("group", id, h.groups[id].opts))
	}
	return haDigest(secs...)
}

func (h *haState) groupJSON(gr *haGroup) map[string]any {
	m := map[string]any{"group": gr.id, "type": "group", "digest": h.groupDigest()}
	for k, v := range gr.opts {
		if k == "restricted" || k == "nofailback" {
			m[k] = atoiDefault(v, 0)
		} else {
			m[k] = v
		}
	}
	return m
}

func (s *Sim) groupsRefused(what string) error {
	if s.groupsMigrated() {
		return failf("cannot %s: ha groups have been migrated to rules", what)
	}
	return nil
}

func (s *Sim) haListGroups(c *call) (any, error) {
	if err := s.groupsRefused("index groups"); err != nil {
		return nil, err
	}
	h := c.st.ha()
	out := []map[string]any{}
	for _, id := range sortedKeys(h.groups) {
		out = append(out, h.groupJSON(h.groups[id]))
	}
	return out, nil
}

func (s *Sim) haGetGroup(c *call) (any, error) {
	if err := s.groupsRefused("read group"); err != nil {
		return nil, err
	}
	h := c.st.ha()
	gr := h.groups[c.params["group"]]
	if gr == nil {
		return nil, failf("no such ha group '%s'", c.params["group"])
	}
	return h.groupJSON(gr), nil
}

func groupOpts(c *call) map[string]string {
	opts := map[string]string{}
	for _, k := range []string{"nodes", "restricted", "nofailback", "comment"} {
		if v, ok := c.params[k]; ok {
			if k == "restricted" || k == "nofailback" {
				v = strconv.Itoa(b2i(c.flag(k)))
			}
			opts[k] = v
		}
	}
	return opts
}

func (s *Sim) haCreateGroup(c *call) (any, error) {
	if err := s.groupsRefused("create group"); err != nil {
		return nil, err
	}
	if t := c.params["type"]; t != "" && t != "group" {
		return nil, failf("types does not match")
	}
	h := c.st.ha()
	id := c.params["group"]
	if h.groups[id] != nil {
		return nil, failf("create ha group failed: ha group ID '%s' already defined", id)
	}
	h.groups[id] = &haGroup{id: id, opts: groupOpts(c)}
	return nil, nil
}

func (s *Sim) haUpdateGroup(c *call) (any, error) {
	if err := s.groupsRefused("update group"); err != nil {
		return nil, err
	}
	h := c.st.ha()
	if d := c.params["digest"]; d != "" && d != h.groupDigest() {
		return nil, failf("update ha group failed: detected modified configuration - file changed by other user? Try again.")
	}
	gr := h.groups[c.params["group"]]
	if gr == nil {
		return nil, failf("update ha group failed: no such ha group '%s'", c.params["group"])
	}
	del := splitList(c.params["delete"])
	for _, k := range del {
		switch k {
		case "nodes":
			return nil, failf("update ha group failed: unable to delete required option '%s'", k)
		case "restricted", "nofailback", "comment":
		default:
			return nil, failf("update ha group failed: no such option '%s'", k)
		}
	}
	for k, v := range groupOpts(c) {
		gr.opts[k] = v
	}
	for _, k := range del {
		delete(gr.opts, k)
	}
	return nil, nil
}

func (s *Sim) haDeleteGroup(c *call) (any, error) {
	if err := s.groupsRefused("delete group"); err != nil {
		return nil, err
	}
	h := c.st.ha()
	id := c.params["group"]
	for _, sid := range sortedKeys(h.res) {
		if h.res[sid].opts["group"] == id {
			return nil, failf("delete ha group failed: ha group is used by service '%s'", sid)
		}
	}
	delete(h.groups, id)
	return nil, nil
}

// rules

var ruleKeys = map[string]map[string]bool{
	"node-affinity":     {"resources": true, "nodes": true, "strict": true, "disable": true, "comment": true},
	"resource-affinity": {"resources": true, "affinity": true, "disable": true, "comment": true},
}

func (h *haState) ruleDigest() string {
	var secs []string
	for _, r := range h.sortedRules() {
		secs = append(secs, sectionText(r.typ, r.id, r.opts))
	}
	return haDigest(secs...)
}

func (h *haState) sortedRules() []*haRule {
	out := make([]*haRule, 0, len(h.rules))
	for _, r := range h.rules {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

func (st *state) ruleJSON(r *haRule) map[string]any {
	h := st.ha()
	m := map[string]any{"rule": r.id, "type": r.typ, "digest": h.ruleDigest(), "order": r.order}
	if e := st.ruleErrors()[r.id]; e != nil {
		m["errors"] = e
	}
	for k, v := range r.opts {
		if k == "strict" || k == "disable" {
			m[k] = atoiDefault(v, 0)
		} else {
			m[k] = v
		}
	}
	return m
}

func (s *Sim) haListRules(c *call) (any, error) {
	h := c.st.ha()
	out := []map[string]any{}
	for _, r := range h.sortedRules() {
		if t := c.params["type"]; t != "" && r.typ != t {
			continue
		}
		if sid := c.params["resource"]; sid != "" && !contains(splitList(r.opts["resources"]), sid) {
			continue
		}
		out = append(out, c.st.ruleJSON(r))
	}
	return out, nil
}

func (s *Sim) haGetRule(c *call) (any, error) {
	h := c.st.ha()
	r := h.rules[c.params["rule"]]
	if r == nil {
		return nil, failf("no such ha rule '%s'", c.params["rule"])
	}
	return c.st.ruleJSON(r), nil
}

// ruleOpts checks and normalizes the options of a rule of type typ (the
// resources and nodes lists are written sorted, as encode_value does).
func (c *call) ruleOpts(typ, errPrefix string) (map[string]string, error) {
	opts := map[string]string{}
	for _, k := range []string{"resources", "nodes", "strict", "affinity", "disable", "comment"} {
		v, ok := c.params[k]
		if !ok {
			continue
		}
		if !ruleKeys[typ][k] {
			return nil, failf("%sunexpected property '%s'", errPrefix, k)
		}
		switch k {
		case "resources":
			var sids, unmanaged []string
			for _, x := range splitList(v) {
				sid, _, _, err := c.parseSID(x)
				if err != nil {
					return nil, err
				}
				sids = append(sids, sid)
				if c.st.ha().res[sid] == nil {
					unmanaged = append(unmanaged, sid)
				}
			}
			if len(sids) == 0 {
				return nil, failf("%sno resources were specified", errPrefix)
			}
			sort.Strings(sids)
			sort.Strings(unmanaged)
			if len(unmanaged) > 0 {
				return nil, failf("%scannot use unmanaged resource(s) %s.", errPrefix, strings.Join(unmanaged, ", "))
			}
			v = strings.Join(sids, ",")
		case "nodes":
			list := splitList(v)
			sort.Strings(list)
			var missing []string
			for _, n := range list {
				name, _, _ := strings.Cut(n, ":")
				if c.st.node(name) == nil {
					missing = append(missing, name)
				}
			}
			if len(missing) > 0 {
				return nil, failf("%scannot use non-existent node(s) %s.", errPrefix, strings.Join(missing, ", "))
			}
			v = strings.Join(list, ",")
		case "strict", "disable":
			v = strconv.Itoa(b2i(c.flag(k)))
		}
		opts[k] = v
	}
	if opts["disable"] == "0" {
		delete(opts, "disable")
	}
	return opts, nil
}

func (s *Sim) haCreateRule(c *call) (any, error) {
	h := c.st.ha()
	typ, id := c.params["type"], c.params["rule"]
	const prefix = "create ha rule failed: "
	if h.rules[id] != nil {
		return nil, failf("%sHA rule '%s' already defined", prefix, id)
	}
	for _, k := range []string{"resources", map[string]string{"node-affinity": "nodes", "resource-affinity": "affinity"}[typ]} {
		if c.params[k] == "" {
			return nil, failf("missing value for required option '%s'", k)
		}
	}
	opts, err := c.ruleOpts(typ, prefix)
	if err != nil {
		return nil, err
	}
	h.order++
	h.rules[id] = &haRule{id: id, typ: typ, order: h.order, opts: opts}
	if err := c.st.assertFeasible(id); err != nil {
		delete(h.rules, id)
		h.order--
		return nil, err
	}
	return nil, nil
}

func (s *Sim) haUpdateRule(c *call) (any, error) {
	h := c.st.ha()
	const prefix = "update HA rules failed: "
	if d := c.params["digest"]; d != "" && d != h.ruleDigest() {
		return nil, failf("%sdetected modified configuration - file changed by other user? Try again.", prefix)
	}
	r := h.rules[c.params["rule"]]
	if r == nil {
		return nil, failf("%sHA rule '%s' does not exist", prefix, c.params["rule"])
	}
	if t := c.params["type"]; t != "" && t != r.typ {
		return nil, failf("%stypes does not match", prefix)
	}
	opts, err := c.ruleOpts(r.typ, prefix)
	if err != nil {
		return nil, err
	}
	del := splitList(c.params["delete"])
	for _, k := range del {
		if k == "resources" || k == "nodes" || k == "affinity" {
			return nil, failf("%sunable to delete required option '%s'", prefix, k)
		}
		if !ruleKeys[r.typ][k] {
			return nil, failf("%sno such option '%s'", prefix, k)
		}
	}
	old := copyConf(r.opts)
	for _, k := range del {
		delete(r.opts, k)
	}
	if c.has("disable") && !c.flag("disable") {
		delete(r.opts, "disable")
	}
	for k, v := range opts {
		r.opts[k] = v
	}
	if err := c.st.assertFeasible(r.id); err != nil {
		r.opts = old
		return nil, err
	}
	return nil, nil
}

func (s *Sim) haDeleteRule(c *call) (any, error) {
	delete(c.st.ha().rules, c.params["rule"])
	return nil, nil
}

// haAffinity is get_resource_motion_info for one target: the resources in
// positive affinity move along; those in negative affinity already on the
// target block the move.
func (st *state) haAffinity(sid, target string) (co []string, blocking []map[string]string) {
	h := st.ha()
	for _, r := range h.sortedRules() {
		if r.typ != "resource-affinity" || r.opts["disable"] == "1" {
			continue
		}
		list := splitList(r.opts["resources"])
		if !contains(list, sid) {
			continue
		}
		for _, other := range list {
			if other == sid {
				continue
			}
			x := h.res[other]
			if x == nil {
				continue
			}
			g := st.guests[x.vmid]
			switch r.opts["affinity"] {
			case "positive":
				if !contains(co, other) {
					co = append(co, other)
				}
			case "negative":
				if g != nil && g.node == target {
					blocking = append(blocking, map[string]string{"sid": other, "cause": "resource-affinity"})
				}
			}
		}
	}
	sort.Strings(co)
	return co, blocking
}
