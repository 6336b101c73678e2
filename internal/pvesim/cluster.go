package pvesim

import (
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

func (s *Sim) getVersion(c *call) (any, error) {
	return map[string]any{"version": s.schema.version, "release": s.schema.release, "repoid": s.schema.repoid}, nil
}

// nodeFingerprint is a made-up certificate fingerprint of node n, fixed
// per node, in the form Proxmox shows.
func (s *Sim) nodeFingerprint(n *node) string {
	fp := make([]byte, 32)
	for i := range fp {
		fp[i] = byte((n.id*37 + i*11) % 256)
	}
	return pve.FormatFingerprint(fp)
}

func (s *Sim) listNodes(c *call) (any, error) {
	out := []map[string]any{}
	for _, n := range c.st.nodes {
		m := map[string]any{"node": n.name, "id": "node/" + n.name, "type": "node", "status": "online",
			"level": "", "ssl_fingerprint": s.nodeFingerprint(n)}
		if n.offline {
			m["status"] = "offline"
		}
		s.addNodeStats(c, n, m)
		out = append(out, m)
	}
	return out, nil
}

func (st *state) nodeCPU(n *node) float64 {
	load := 0.01
	for _, g := range st.guests {
		if g.node == n.name && g.running {
			load += g.load * float64(g.cpus()) / float64(n.cpus)
		}
	}
	if load > 1 {
		load = 1
	}
	return load
}

func (st *state) nodeMem(n *node) int64 {
	used := int64(2 << 30)
	for _, g := range st.guests {
		if g.node == n.name && g.running {
			used += int64(float64(g.maxMem()) * (0.35 + g.load))
		}
	}
	if used > n.memory {
		used = n.memory
	}
	return used
}

func (s *Sim) nodeIndex(c *call) (any, error) {
	return c.subdirs("name"), nil
}

func (s *Sim) nodeStatus(c *call) (any, error) {
	n := c.st.node(c.params["node"])
	mem := c.st.nodeMem(n)
	kernel := s.runningKernel()
	kver := "#1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 (2025-10-10T08:04Z)"
	out := map[string]any{
		"uptime": int64(c.now.Sub(n.boot).Seconds()),
		"cpu":    c.st.nodeCPU(n),
		"wait":   0.00012,
		"idle":   0,
		"cpuinfo": map[string]any{"model": "AMD EPYC 7313P 16-Core Processor", "cores": n.cpus / 2, "cpus": n.cpus,
			"sockets": 1, "mhz": "3000.000", "hvm": "1", "user_hz": 100, "flags": "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr",
			"vendor": "AuthenticAMD", "family": "25"},
		"memory":         map[string]any{"total": n.memory, "used": mem, "free": n.memory - mem, "available": n.memory - mem},
		"swap":           map[string]any{"total": int64(8 << 30), "used": 0, "free": int64(8 << 30)},
		"rootfs":         map[string]any{"total": int64(100861726720), "used": int64(14395699200), "free": int64(86466027520), "avail": int64(81275383808)},
		"loadavg":        []string{"0.16", "0.10", "0.02"},
		"ksm":            map[string]any{"shared": 0},
		"kversion":       "Linux " + kernel + " " + kver,
		"current-kernel": map[string]any{"sysname": "Linux", "release": kernel, "version": kver, "machine": "x86_64"},
		"boot-info":      map[string]any{"mode": "efi", "secureboot": 0},
		"pveversion":     "pve-manager/" + s.schema.version + "/" + s.schema.repoid,
	}
	return out, nil
}

func (s *Sim) clusterIndex(c *call) (any, error) {
	return c.subdirs("name"), nil
}

func (s *Sim) canSeeStorage(authid, sid string) bool {
	return s.has(authid, "/storage/"+sid, "Datastore.Audit") || s.has(authid, "/storage/"+sid, "Datastore.AllocateSpace")
}

func (s *Sim) clusterStatus(c *call) (any, error) {
	online := 0
	for _, n := range c.st.nodes {
		if !n.offline {
			online++
		}
	}
	out := []map[string]any{}
	if len(c.st.nodes) > 1 {
		out = append(out, map[string]any{"type": "cluster", "id": "cluster", "name": c.st.clusterName,
			"nodes": len(c.st.nodes), "version": len(c.st.nodes) + 1, "quorate": b2i(online*2 > len(c.st.nodes))})
	}
	for _, n := range c.st.nodes {
		m := map[string]any{"type": "node", "id": "node/" + n.name, "name": n.name, "nodeid": n.id,
			"ip": n.ip, "local": b2i(n.id == 1), "online": b2i(!n.offline), "level": ""}
		if len(c.st.nodes) == 1 {
			m["nodeid"] = 0
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Sim) nextID(c *call) (any, error) {
	if v := c.params["vmid"]; v != "" {
		id, _ := strconv.Atoi(v)
		if _, ok := c.st.guests[id]; ok {
			return nil, paramErr("vmid", "VM "+v+" already exists")
		}
		return v, nil
	}
	return strconv.Itoa(c.st.nextVMID()), nil
}

func (s *Sim) listPools(c *call) (any, error) {
	out := []map[string]any{}
	for _, id := range sortedKeys(c.st.pools) {
		if s.has(c.authid, "/pool/"+id, "Pool.Audit") {
			p := c.st.pools[id]
			m := map[string]any{"poolid": id}
			if p.comment != "" {
				m["comment"] = p.comment
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// addNodeStats adds a node's figures for callers with Sys.Audit on it;
// /nodes and /cluster/resources show the same ones.
func (s *Sim) addNodeStats(c *call, n *node, m map[string]any) {
	if !s.has(c.authid, "/nodes/"+n.name, "Sys.Audit") {
		return
	}
	m["maxcpu"] = n.cpus
	m["maxmem"] = n.memory
	m["maxdisk"] = int64(100861726720)
	if !n.offline {
		m["cpu"] = c.st.nodeCPU(n)
		m["mem"] = c.st.nodeMem(n)
		m["disk"] = int64(14395699200)
		m["uptime"] = int64(c.now.Sub(n.boot).Seconds())
	}
}
