package pvesim

import (
	"sort"
	"strings"
)

// ruleErrors is PVE::HA::Rules->check_feasibility over the enabled rules:
// per rule and option, what makes it infeasible.
func (st *state) ruleErrors() map[string]map[string][]string {
	h := st.ha()
	errs := map[string]map[string][]string{}
	add := func(id, opt, msg string) {
		if errs[id] == nil {
			errs[id] = map[string][]string{}
		}
		errs[id][opt] = append(errs[id][opt], msg)
	}
	owner := map[string][]string{} // sid -> node affinity rules naming it
	rules := h.sortedRules()
	for _, r := range rules {
		if r.opts["disable"] == "1" {
			continue
		}
		res := splitList(r.opts["resources"])
		switch r.typ {
		case "node-affinity":
			for _, sid := range res {
				owner[sid] = append(owner[sid], r.id)
			}
		case "resource-affinity":
			if len(res) < 2 {
				add(r.id, "resources", "rule is ineffective as there are less than two resources")
			}
			if r.opts["affinity"] == "negative" && len(res) > len(st.nodes) {
				add(r.id, "resources", "rule defines more resources than available nodes")
			}
		}
	}
	sids := sortedKeys(owner)
	for _, sid := range sids {
		if ids := owner[sid]; len(ids) > 1 {
			sort.Strings(ids)
			for _, id := range ids {
				add(id, "resources", "resource '"+sid+"' is already used in another node affinity rule")
			}
		}
	}
	return errs
}

// assertFeasible is assert_feasibility: 400 "Rule 'x' is invalid." with
// the rule's errors joined per option.
func (st *state) assertFeasible(id string) error {
	e := st.ruleErrors()[id]
	if e == nil {
		return nil
	}
	out := map[string]string{}
	for k, v := range e {
		out[k] = strings.Join(v, ", ")
	}
	return &apiError{status: 400, msg: "Rule '" + id + "' is invalid.\n", errs: out}
}
