package pvesim

import (
	"fmt"
	"strconv"
	"strings"
)

type fwAlias struct{ name, cidr, comment string }

type fwIPSet struct {
	name, comment string
	entries       []fwIPEntry // sorted by cidr, as the file is written
}

type fwIPEntry struct {
	cidr, comment string
	nomatch       bool
}

func (sc fwScope) aliasBase() string { return sc.base + "/aliases" }

func (s *Sim) fwAliasRoutes(sc fwScope) []route {
	b := sc.aliasBase()
	return []route{
		{method: "GET", tmpl: b, h: func(c *call) (any, error) {
			list, _ := fwAliasList(sc.conf(c))
			return list, nil
		}},
		{method: "POST", tmpl: b, h: func(c *call) (any, error) {
			conf := sc.conf(c)
			key := strings.ToLower(c.params["name"])
			if conf.aliases[key] != nil {
				return nil, paramErr("name", fmt.Sprintf("alias '%s' already exists", c.params["name"]))
			}
			conf.aliases[key] = &fwAlias{name: c.params["name"], cidr: normCIDR(c.params["cidr"]), comment: c.params["comment"]}
			return nil, nil
		}},
		{method: "GET", tmpl: b + "/{name}", h: func(c *call) (any, error) {
			a := sc.conf(c).aliases[strings.ToLower(c.params["name"])]
			if a == nil {
				return nil, paramErr("name", "no such alias")
			}
			return fwAliasJSON(a, ""), nil
		}},
		{method: "PUT", tmpl: b + "/{name}", h: func(c *call) (any, error) {
			conf := sc.conf(c)
			_, digest := fwAliasList(conf)
			if err := checkDigest(c, digest); err != nil {
				return nil, err
			}
			key := strings.ToLower(c.params["name"])
			if conf.aliases[key] == nil {
				return nil, paramErr("name", "no such alias")
			}
			a := &fwAlias{name: c.params["name"], cidr: normCIDR(c.params["cidr"]), comment: c.params["comment"]}
			if rn := c.params["rename"]; rn != "" && strings.ToLower(rn) != key {
				if conf.aliases[strings.ToLower(rn)] != nil {
					return nil, paramErr("name", fmt.Sprintf("alias '%s' already exists", rn))
				}
				delete(conf.aliases, key)
				a.name, key = rn, strings.ToLower(rn)
			}
			conf.aliases[key] = a
			return nil, nil
		}},
		{method: "DELETE", tmpl: b + "/{name}", h: func(c *call) (any, error) {
			conf := sc.conf(c)
			_, digest := fwAliasList(conf)
			if err := checkDigest(c, digest); err != nil {
				return nil, err
			}
			delete(conf.aliases, strings.ToLower(c.params["name"]))
			return nil, nil
		}},
	}
}

func fwAliasFields(a *fwAlias) map[string]string {
	m := map[string]string{"name": a.name, "cidr": a.cidr}
	if v := ipVersionOf(a.cidr); v != 0 {
		m["ipversion"] = strconv.Itoa(v)
	}
	if a.comment != "" {
		m["comment"] = a.comment
	}
	return m
}

func fwAliasJSON(a *fwAlias, digest string) map[string]any {
	out := map[string]any{}
	for k, v := range fwAliasFields(a) {
		out[k] = v
	}
	if v := ipVersionOf(a.cidr); v != 0 {
		out["ipversion"] = v
	}
	if digest != "" {
		out["digest"] = digest
	}
	return out
}

func fwAliasList(conf *fwConf) ([]map[string]any, string) {
	keys := sortedKeys(conf.aliases)
	entries := make([]map[string]string, len(keys))
	for i, k := range keys {
		entries[i] = fwAliasFields(conf.aliases[k])
	}
	digest := fwDigest(entries...)
	out := make([]map[string]any, len(keys))
	for i, k := range keys {
		out[i] = fwAliasJSON(conf.aliases[k], digest)
	}
	return out, digest
}

func (s *Sim) fwIPSetRoutes(sc fwScope) []route {
	b := sc.base + "/ipset"
	return []route{
		{method: "GET", tmpl: b, h: func(c *call) (any, error) {
			list, _ := fwIPSetList(sc.conf(c))
			return list, nil
		}},
		{method: "POST", tmpl: b, h: func(c *call) (any, error) { return nil, fwCreateIPSet(c, sc.conf(c)) }},
		{method: "GET", tmpl: b + "/{name}", h: func(c *call) (any, error) {
			set, err := fwFindIPSet(c, sc)
			if err != nil {
				return nil, err
			}
			list, _ := fwIPEntries(set)
			return list, nil
		}},
		{method: "POST", tmpl: b + "/{name}", h: func(c *call) (any, error) {
			set, err := fwFindIPSet(c, sc)
			if err != nil {
				return nil, err
			}
			cidr := c.params["cidr"]
			if m := fwAliasRef.FindStringSubmatch(cidr); m != nil {
				if _, msg := s.fwCheckAddr(c, sc, cidr); msg != "" {
					return nil, failf("no such alias '%s'", m[2])
				}
			} else {
				cidr = normCIDR(cidr)
			}
			for _, e := range set.entries {
				if e.cidr == cidr {
					return nil, paramErr("cidr", fmt.Sprintf("address '%s' already exists", cidr))
				}
			}
			if strings.HasSuffix(cidr, "/0") {
				return nil, paramErr("cidr", "a zero prefix is not allowed in ipset entries")
			}
			set.entries = append(set.entries, fwIPEntry{cidr: cidr, comment: c.params["comment"], nomatch: c.flag("nomatch")})
			sortIPEntries(set.entries)
			return nil, nil
		}},
		{method: "DELETE", tmpl: b + "/{name}", h: func(c *call) (any, error) {
			set, err := fwFindIPSet(c, sc)
			if err != nil {
				return nil, err
			}
			if len(set.entries) > 0 && !c.flag("force") {
				return nil, failf("IPSet '%s' is not empty", c.params["name"])
			}
			delete(sc.conf(c).ipsets, c.params["name"])
			return nil, nil
		}},
		{method: "GET", tmpl: b + "/{name}/{cidr}", h: func(c *call) (any, error) {
			set, err := fwFindIPSet(c, sc)
			if err != nil {
				return nil, err
			}
			list, _ := fwIPEntries(set)
			for _, e := range list {
				if e["cidr"] == c.params["cidr"] {
					return e, nil
				}
			}
			return nil, paramErr("cidr", "no such IP/Network")
		}},
		{method: "PUT", tmpl: b + "/{name}/{cidr}", h: func(c *call) (any, error) {
			set, err := fwFindIPSet(c, sc)
			if err != nil {
				return nil, err
			}
			_, digest := fwIPEntries(set)
			if err := checkDigest(c, digest); err != nil {
				return nil, err
			}
			for i, e := range set.entries {
				if e.cidr == c.params["cidr"] {
					set.entries[i].nomatch = c.flag("nomatch")
					set.entries[i].comment = c.params["comment"]
					return nil, nil
				}
			}
			return nil, paramErr("cidr", "no such IP/Network")
		}},
		{method: "DELETE", tmpl: b + "/{name}/{cidr}", h: func(c *call) (any, error) {
			set, err := fwFindIPSet(c, sc)
			if err != nil {
				return nil, err
			}
			_, digest := fwIPEntries(set)
			if err := checkDigest(c, digest); err != nil {
				return nil, err
			}
			kept := set.entries[:0:0]
			for _, e := range set.entries {
				if e.cidr != c.params["cidr"] {
					kept = append(kept, e)
				}
			}
			set.entries = kept
			return nil, nil
		}},
	}
}

func sortIPEntries(es []fwIPEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].cidr < es[j-1].cidr; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

func fwFindIPSet(c *call, sc fwScope) (*fwIPSet, error) {
	set := sc.conf(c).ipsets[c.params["name"]]
	if set == nil {
		return nil, failf("no such IPSet '%s'", c.params["name"])
	}
	return set, nil
}

func fwIPEntries(set *fwIPSet) ([]map[string]any, string) {
	entries := make([]map[string]string, len(set.entries))
	for i, e := range set.entries {
		m := map[string]string{"cidr": e.cidr}
		if e.nomatch {
			m["nomatch"] = "1"
		}
		if e.comment != "" {
			m["comment"] = e.comment
		}
		entries[i] = m
	}
	digest := fwDigest(entries...)
	out := make([]map[string]any, len(entries))
	for i, m := range entries {
		e := map[string]any{"digest": digest}
		for k, v := range m {
			e[k] = v
		}
		if m["nomatch"] != "" {
			e["nomatch"] = 1
		}
		out[i] = e
	}
	return out, digest
}

// fwNamedList is the list form of IPSets and groups: name key, comment,
// digest over both.
func fwNamedList(key string, names []string, comment func(string) string) ([]map[string]any, string) {
	entries := make([]map[string]string, len(names))
	for i, n := range names {
		entries[i] = map[string]string{key: n}
		if cm := comment(n); cm != "" {
			entries[i]["comment"] = cm
		}
	}
	digest := fwDigest(entries...)
	out := make([]map[string]any, len(names))
	for i, m := range entries {
		out[i] = map[string]any{"digest": digest}
		for k, v := range m {
			out[i][k] = v
		}
	}
	return out, digest
}

func fwIPSetList(conf *fwConf) ([]map[string]any, string) {
	return fwNamedList("name", sortedKeys(conf.ipsets), func(n string) string { return conf.ipsets[n].comment })
}

func fwCreateIPSet(c *call, conf *fwConf) error {
	name, comment := c.params["name"], c.params["comment"]
	if rn := c.params["rename"]; rn != "" {
		_, digest := fwIPSetList(conf)
		if err := checkDigest(c, digest); err != nil {
			return err
		}
		old := conf.ipsets[rn]
		if old == nil {
			return paramErr("name", fmt.Sprintf("IPSet '%s' does not exist", rn))
		}
		if conf.ipsets[name] != nil && name != rn {
			return paramErr("name", fmt.Sprintf("IPSet '%s' does already exist", name))
		}
		delete(conf.ipsets, rn)
		old.name = name
		if c.has("comment") {
			old.comment = comment
		}
		conf.ipsets[name] = old
		return nil
	}
	if conf.ipsets[name] != nil {
		return paramErr("name", fmt.Sprintf("IPSet '%s' already exists", name))
	}
	conf.ipsets[name] = &fwIPSet{name: name, comment: comment}
	return nil
}
