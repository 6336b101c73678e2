package pvesim

import "fmt"

type fwGroup struct {
	name, comment string
	rules         []fwRule
}

func (s *Sim) fwListGroups(c *call) (any, error) {
	cl := c.st.fw().cluster
	list, _ := fwNamedList("group", sortedKeys(cl.groups), func(n string) string { return cl.groups[n].comment })
	return list, nil
}

func (s *Sim) fwCreateGroup(c *call) (any, error) {
	cl := c.st.fw().cluster
	group, rn := c.params["group"], c.params["rename"]
	if rn == "" {
		if cl.groups[group] != nil {
			return nil, paramErr("group", fmt.Sprintf("Security group '%s' already exists", group))
		}
		cl.groups[group] = &fwGroup{name: group, comment: c.params["comment"]}
		return nil, nil
	}
	list, _ := s.fwListGroups(c)
	digest := ""
	if l := list.([]map[string]any); len(l) > 0 {
		digest = l[0]["digest"].(string)
	} else {
		digest = fwDigest()
	}
	if err := checkDigest(c, digest); err != nil {
		return nil, err
	}
	old := cl.groups[rn]
	if old == nil {
		return nil, paramErr("group", fmt.Sprintf("Security group '%s' does not exist", rn))
	}
	if cl.groups[group] != nil && group != rn {
		return nil, paramErr("group", fmt.Sprintf("Security group '%s' does already exist", group))
	}
	if c.has("comment") {
		old.comment = c.params["comment"]
	}
	if group == rn {
		return nil, nil
	}
	delete(cl.groups, rn)
	old.name = group
	cl.groups[group] = old
	// rules using the group follow the new name everywhere
	f := c.st.fw()
	for _, conf := range append(append([]*fwConf{f.cluster}, mapValues(f.hosts)...), mapValues(f.guests)...) {
		for _, r := range conf.rules {
			if r["type"] == "group" && r["action"] == rn {
				r["action"] = group
			}
		}
	}
	return nil, nil
}

func mapValues[K comparable, V any](m map[K]V) []V {
	out := make([]V, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (s *Sim) fwDeleteGroup(c *call) (any, error) {
	cl := c.st.fw().cluster
	g := cl.groups[c.params["group"]]
	if g == nil {
		return nil, failf("no such security group '%s'", c.params["group"])
	}
	if len(g.rules) > 0 {
		return nil, failf("Security group '%s' is not empty", c.params["group"])
	}
	delete(cl.groups, c.params["group"])
	return nil, nil
}
