package pvesim

import (
	"strconv"
	"strings"
)

// guestResource is a guest's entry in /cluster/resources. A struct rather
// than a map: clusters of thousands of guests list them all on every
// dashboard refresh, and a struct encodes several times faster.
type guestResource struct {
	ID        string    `json:"id"`
	Type      guestKind `json:"type"`
	VMID      int       `json:"vmid"`
	Name      string    `json:"name"`
	Node      string    `json:"node"`
	Status    string    `json:"status"`
	Uptime    int64     `json:"uptime"`
	CPU       float64   `json:"cpu"`
	MaxCPU    int       `json:"maxcpu"`
	Mem       int64     `json:"mem"`
	MaxMem    int64     `json:"maxmem"`
	MemHost   *int64    `json:"memhost,omitempty"` // PVE 9
	Disk      int64     `json:"disk"`
	MaxDisk   int64     `json:"maxdisk"`
	NetIn     int64     `json:"netin"`
	NetOut    int64     `json:"netout"`
	DiskRead  int64     `json:"diskread"`
	DiskWrite int64     `json:"diskwrite"`
	Template  int       `json:"template"`
	Pool      string    `json:"pool,omitempty"`
	HAState   string    `json:"hastate,omitempty"`
	Lock      string    `json:"lock,omitempty"`
	Tags      string    `json:"tags,omitempty"`
}

func (s *Sim) clusterResources(c *call) (any, error) {
	typ := c.params["type"]
	out := []any{}
	if typ == "" {
		for _, id := range sortedKeys(c.st.pools) {
			if s.has(c.authid, "/pool/"+id, "Pool.Audit") {
				out = append(out, map[string]any{"id": "/pool/" + id, "type": "pool", "pool": id})
			}
		}
	}
	if typ == "" || typ == "vm" {
		for _, g := range c.st.sortedGuests() {
			if !s.has(c.authid, "/vms/"+strconv.Itoa(g.vmid), "VM.Audit") {
				continue
			}
			if n := c.st.node(g.node); n != nil && n.offline {
				out = append(out, map[string]any{"id": g.kind.id(g.vmid), "vmid": g.vmid, "node": g.node, "type": g.kind, "status": "unknown"})
				continue
			}
			out = append(out, s.guestResource(c, g))
		}
	}
	if typ == "" || typ == "node" {
		for _, n := range c.st.nodes {
			m := map[string]any{"id": "node/" + n.name, "type": "node", "node": n.name, "status": "online", "level": "", "cgroup-mode": 2}
			if n.offline {
				m["status"] = "offline"
			}
			s.addNodeStats(c, n, m)
			s.haNodeRow(n, m)
			out = append(out, m)
		}
	}
	if typ == "" || typ == "storage" {
		out = append(out, s.storageResources(c)...)
	}
	if typ == "" || typ == "sdn" {
		out = append(out, s.sdnResources(c, typ)...)
	}
	return out, nil
}

func (s *Sim) guestResource(c *call, g *guest) *guestResource {
	u := g.usageAt(c.now)
	r := &guestResource{
		ID: g.kind.id(g.vmid), Type: g.kind, VMID: g.vmid, Name: g.name(), Node: g.node, Status: "stopped",
		Uptime: u.uptime, CPU: u.cpu, MaxCPU: g.cpus(), Mem: u.mem, MaxMem: g.maxMem(),
		Disk: u.disk, MaxDisk: g.maxDisk(), NetIn: u.netin, NetOut: u.netout,
		DiskRead: u.diskread, DiskWrite: u.diskwrite, Lock: g.lock(), Tags: g.conf["tags"],
	}
	if g.running {
		r.Status = "running"
	}
	if g.isTemplate() {
		r.Template = 1
	}
	if s.major() >= 9 {
		hm := g.kind.hostMem(u, g.running)
		r.MemHost = &hm
	}
	if g.pool != "" && s.has(c.authid, "/pool/"+g.pool, "Pool.Audit") {
		r.Pool = g.pool
	}
	r.HAState = c.st.haClusterState(g.vmid)
	return r
}

func (s *Sim) storageResources(c *call) []any {
	var out []any
	for _, n := range c.st.nodes {
		for _, d := range c.st.storages {
			ns := n.store[d.id]
			if ns == nil || !s.has(c.authid, "/storage/"+d.id, "Datastore.Audit") {
				continue
			}
			m := map[string]any{"id": "storage/" + n.name + "/" + d.id, "type": "storage", "storage": d.id,
				"node": n.name, "plugintype": d.typ, "status": "available", "shared": b2i(d.shared),
				"content": strings.Join(d.content, ","), "maxdisk": d.total, "disk": ns.used()}
			if n.offline {
				m["status"] = "unknown"
			}
			out = append(out, m)
		}
	}
	return out
}

// sdnResources are the zones; PVE 9 lists them as type network when the
// whole list is asked for.
func (s *Sim) sdnResources(c *call, typ string) []any {
	var out []any
	for _, n := range c.st.nodes {
		if !s.has(c.authid, "/sdn/zones/localnetwork", "SDN.Audit") {
			continue
		}
		if s.major() >= 9 && typ == "" {
			out = append(out, map[string]any{"id": "network/" + n.name + "/zone/localnetwork", "type": "network",
				"network-type": "zone", "network": "localnetwork", "node": n.name, "status": "ok"})
		} else {
			out = append(out, map[string]any{"id": "sdn/" + n.name + "/localnetwork", "type": "sdn",
				"sdn": "localnetwork", "node": n.name, "status": "ok"})
		}
	}
	return out
}
