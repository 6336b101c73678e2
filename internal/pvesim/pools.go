package pvesim

import (
	"sort"
	"strconv"
	"strings"
)

// poolRoutes: resource pools (/pools), PVE::API2::Pool. The members live in
// state.pools and guest.pool; the ACL store mirrors them so roles on
// /pool/<id> reach member guests and storages.
func (s *Sim) poolRoutes() []route {
	return []route{
		{method: "GET", tmpl: "/pools", h: s.poolIndex},
		{method: "POST", tmpl: "/pools", h: s.createPool},
		{method: "PUT", tmpl: "/pools", h: s.updatePool, since: "8.4"},
		{method: "DELETE", tmpl: "/pools", h: s.deletePool, since: "8.4"},
		{method: "GET", tmpl: "/pools/{poolid}", h: s.readPool},
		{method: "PUT", tmpl: "/pools/{poolid}", h: s.updatePool},
		{method: "DELETE", tmpl: "/pools/{poolid}", h: s.deletePool},
	}
}

// poolIndex lists the pools the caller may audit; with poolid (PVE 8.4+) it
// answers that one pool with its members, as a one-element list.
func (s *Sim) poolIndex(c *call) (any, error) {
	id := c.params["poolid"]
	if id == "" {
		return s.listPools(c)
	}
	if err := c.checkPriv("/pool/"+id, "Pool.Audit"); err != nil {
		return nil, err
	}
	info, err := s.poolInfo(c, id)
	if err != nil {
		return nil, err
	}
	info["poolid"] = id
	return []map[string]any{info}, nil
}

func (s *Sim) readPool(c *call) (any, error) {
	info, err := s.poolInfo(c, c.params["poolid"])
	if err != nil {
		return nil, err
	}
	if s.major() >= 8 {
		info["poolid"] = c.params["poolid"] // read_pool answers index()'s entry
	}
	return info, nil
}

// poolInfo is {members, comment}: guests as extract_vm_stats shows them
// (by vmid in string order, like Perl's sort keys), then storages.
func (s *Sim) poolInfo(c *call, id string) (map[string]any, error) {
	p := c.st.pools[id]
	if p == nil {
		return nil, failf("pool '%s' does not exist", id)
	}
	typ := c.params["type"]
	members := []map[string]any{}
	for _, g := range c.st.poolGuests(p) {
		if typ == "" || typ == string(g.kind) {
			members = append(members, s.poolGuestEntry(c, g))
		}
	}
	if typ == "" || typ == "storage" {
		for _, sid := range poolStorages(p) {
			if e := s.poolStorageEntry(c, sid); e != nil {
				members = append(members, e)
			}
		}
	}
	out := map[string]any{"members": members}
	if p.comment != "" {
		out["comment"] = p.comment
	}
	return out, nil
}

// poolGuests are the pool's guests that exist, by vmid as a string.
func (st *state) poolGuests(p *pool) []*guest {
	var out []*guest
	for m := range p.members {
		kind, id, _ := strings.Cut(m, "/")
		if kind == "storage" {
			continue
		}
		if g := st.guests[atoiDefault(id, 0)]; g != nil {
			out = append(out, g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strconv.Itoa(out[i].vmid) < strconv.Itoa(out[j].vmid) })
	return out
}

func poolStorages(p *pool) []string {
	var out []string
	for m := range p.members {
		if sid, ok := strings.CutPrefix(m, "storage/"); ok {
			out = append(out, sid)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Sim) poolGuestEntry(c *call, g *guest) map[string]any {
	base := map[string]any{"id": g.kind.id(g.vmid), "vmid": g.vmid, "node": g.node, "type": string(g.kind), "status": "unknown"}
	if n := c.st.node(g.node); n != nil && n.offline {
		return base // no RRD data from an offline node
	}
	m := s.guestStats(g, c.now, false)
	for _, k := range []string{"pid", "serial", "swap", "maxswap", "lock", "tags"} {
		delete(m, k)
	}
	for k := range m {
		if strings.HasPrefix(k, "pressure") {
			delete(m, k)
		}
	}
	m["maxcpu"] = m["cpus"]
	delete(m, "cpus")
	if _, ok := m["template"]; !ok {
		m["template"] = 0
	}
	for _, k := range []string{"diskread", "diskwrite"} {
		if _, ok := m[k]; !ok {
			m[k] = 0
		}
	}
	if s.major() >= 9 {
		if _, ok := m["memhost"]; !ok {
			m["memhost"] = 0
		}
	}
	for k, v := range base {
		if k != "status" {
			m[k] = v
		}
	}
	return m
}

// poolStorageEntry is extract_storage_stats on the first node (the one
// answering), or the first node that has the storage.
func (s *Sim) poolStorageEntry(c *call, sid string) map[string]any {
	for _, n := range c.st.nodes {
		ns := n.store[sid]
		if ns == nil {
			continue
		}
		content := append([]string(nil), ns.def.content...)
		sort.Strings(content)
		m := map[string]any{"id": "storage/" + n.name + "/" + sid, "storage": sid, "node": n.name, "type": "storage",
			"plugintype": ns.def.typ, "status": "unknown", "shared": b2i(ns.def.shared), "content": strings.Join(content, ",")}
		if !n.offline {
			m["maxdisk"], m["disk"], m["status"] = ns.def.total, ns.used(), "available"
		}
		return m
	}
	return nil
}

func (s *Sim) createPool(c *call) (any, error) {
	id := c.params["poolid"]
	if c.st.pools[id] != nil {
		return nil, failf("create pool failed: pool '%s' already exists", id)
	}
	leaf := id
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		parent := id[:i]
		if c.st.pools[parent] == nil {
			return nil, failf("create pool failed: parent '%s' of pool '%s' does not exist", parent, id)
		}
		leaf = id[i+1:]
	}
	if s.major() >= 9 && (leaf == "" || !poolLeadLetter(leaf[0])) {
		return nil, failf("create pool failed: pool name must start with a letter")
	}
	c.st.pools[id] = &pool{id: id, comment: c.params["comment"], members: map[string]bool{}}
	_ = s.acl.st.AddPool(id)
	return nil, nil
}

func poolLeadLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// updatePool adds or (delete=1) removes guests and storages. Every change
// is checked before any is made: Perl dies before it writes user.cfg.
func (s *Sim) updatePool(c *call) (any, error) {
	id := c.params["poolid"]
	fail := func(format string, args ...any) error { return failf("update pools failed: "+format, args...) }
	p := c.st.pools[id]
	if p == nil {
		return nil, fail("pool '%s' does not exist", id)
	}
	del := c.flag("delete")
	var moves []*guest
	seen := map[int]bool{}
	for _, v := range splitList(c.params["vms"]) {
		vmid := atoiDefault(v, 0)
		path := "/vms/" + strconv.Itoa(vmid)
		if !s.canModifyPerms(c.authid, path) {
			return nil, fail("Permission check failed (%s, %s)", path, strings.Join(s.permModifyPrivs(path), "|"))
		}
		g := c.st.guests[vmid]
		member := g != nil && g.pool == id || seen[vmid]
		switch {
		case del && !member:
			return nil, fail("VM %d is not a pool member", vmid)
		case !del && member:
			return nil, fail("VM %d is already a pool member", vmid)
		case !del && g != nil && g.pool != "":
			if s.major() < 8 {
				return nil, fail("VM %d belongs already to pool '%s'", vmid, g.pool)
			}
			if !c.flag("allow-move") {
				return nil, fail("VM %d belongs already to pool '%s' and 'allow-move' is not set", vmid, g.pool)
			}
			if !s.has(c.authid, "/pool/"+g.pool, "Pool.Allocate") {
				return nil, fail("Permission check failed (/pool/%s, Pool.Allocate)", g.pool)
			}
		}
		seen[vmid] = true
		if g != nil { // user.cfg takes any vmid; only guests that exist matter here
			moves = append(moves, g)
		}
	}
	var stores []string
	for _, sid := range splitList(c.params["storage"]) {
		path := "/storage/" + sid
		if !s.canModifyPerms(c.authid, path) {
			return nil, fail("Permission check failed (%s, %s)", path, strings.Join(s.permModifyPrivs(path), "|"))
		}
		member := p.members["storage/"+sid]
		if del && !member {
			return nil, fail("Storage '%s' is not a pool member", sid)
		}
		if !del && member {
			return nil, fail("Storage '%s' is already a pool member", sid)
		}
		stores = append(stores, sid)
	}
	if v, ok := c.params["comment"]; ok {
		p.comment = v
	}
	for _, g := range moves {
		if del {
			s.setGuestPool(g, "")
		} else {
			s.setGuestPool(g, id)
		}
	}
	for _, sid := range stores {
		if del {
			delete(p.members, "storage/"+sid)
			s.acl.st.RemovePoolMember(id, "/storage/"+sid)
		} else if s.poolStorageDef(sid) != nil {
			p.members["storage/"+sid] = true
			_ = s.acl.st.AddPoolMember(id, "/storage/"+sid)
		}
	}
	return nil, nil
}

func (s *Sim) poolStorageDef(sid string) *storageDef {
	for _, d := range s.st.storages {
		if d.id == sid {
			return d
		}
	}
	return nil
}

// setGuestPool moves a guest to pool id ("" = out of any pool), in the
// model and in the ACL store.
func (s *Sim) setGuestPool(g *guest, id string) {
	key, path := g.kind.id(g.vmid), "/vms/"+strconv.Itoa(g.vmid)
	if old := s.st.pools[g.pool]; old != nil {
		delete(old.members, key)
		s.acl.st.RemovePoolMember(old.id, path)
	}
	g.pool = ""
	if p := s.st.pools[id]; p != nil {
		p.members[key] = true
		g.pool = id
		_ = s.acl.st.AddPoolMember(id, path)
	}
}

// deletePool removes an empty pool and the ACLs on /pool/<id>; guests and
// storages that no longer exist do not count as members.
func (s *Sim) deletePool(c *call) (any, error) {
	id := c.params["poolid"]
	fail := func(format string, args ...any) error { return failf("delete pool failed: "+format, args...) }
	p := c.st.pools[id]
	if p == nil {
		return nil, fail("pool '%s' does not exist", id)
	}
	for _, sub := range sortedKeys(c.st.pools) {
		if rest, ok := strings.CutPrefix(sub, id+"/"); ok && !strings.Contains(rest, "/") {
			return nil, fail("pool '%s' is not empty (contains pool '%s')", id, sub)
		}
	}
	if gs := c.st.poolGuests(p); len(gs) > 0 {
		return nil, fail("pool '%s' is not empty (contains VM %d)", id, gs[0].vmid)
	}
	for _, sid := range poolStorages(p) {
		if s.poolStorageDef(sid) != nil {
			return nil, fail("pool '%s' is not empty (contains storage '%s')", id, sid)
		}
	}
	delete(c.st.pools, id)
	s.acl.st.DeletePool(id)
	s.acl.st.DeletePoolACL(id)
	return nil, nil
}
