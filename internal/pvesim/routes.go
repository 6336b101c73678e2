package pvesim

import (
	"net/url"
	"strings"
)

type handler func(c *call) (any, error)

type route struct {
	method string
	tmpl   string // schema path template, e.g. /nodes/{node}/qemu/{vmid}/status/start
	segs   []string
	h      handler
}

// routes is the table of implemented endpoints, keyed by the schema's path
// templates so the schema entry (parameters, permissions) is found by the
// same key.
func (s *Sim) routes() []route {
	r := []route{
		{method: "GET", tmpl: "/", h: s.apiIndex},
		{method: "GET", tmpl: "/version", h: s.getVersion},
		{method: "GET", tmpl: "/nodes", h: s.listNodes},
		{method: "GET", tmpl: "/nodes/{node}", h: s.nodeIndex},
		{method: "GET", tmpl: "/nodes/{node}/status", h: s.nodeStatus},
		{method: "GET", tmpl: "/nodes/{node}/version", h: s.getVersion},
		{method: "GET", tmpl: "/cluster", h: s.clusterIndex},
		{method: "GET", tmpl: "/cluster/resources", h: s.clusterResources},
		{method: "GET", tmpl: "/cluster/status", h: s.clusterStatus},
		{method: "GET", tmpl: "/cluster/nextid", h: s.nextID},
		{method: "GET", tmpl: "/cluster/tasks", h: s.clusterTasks},
		{method: "GET", tmpl: "/cluster/backup", h: s.listBackupJobs},
		{method: "POST", tmpl: "/cluster/backup", h: s.createBackupJob},
		{method: "GET", tmpl: "/cluster/backup/{id}", h: s.getBackupJob},
		{method: "PUT", tmpl: "/cluster/backup/{id}", h: s.updateBackupJob},
		{method: "DELETE", tmpl: "/cluster/backup/{id}", h: s.deleteBackupJob},
		{method: "GET", tmpl: "/storage", h: s.storageConfigList},
		{method: "GET", tmpl: "/storage/{storage}", h: s.storageConfigGet},
		{method: "GET", tmpl: "/pools", h: s.listPools},

		{method: "GET", tmpl: "/nodes/{node}/tasks", h: s.listTasks},
		{method: "GET", tmpl: "/nodes/{node}/tasks/{upid}", h: s.taskIndex},
		{method: "GET", tmpl: "/nodes/{node}/tasks/{upid}/status", h: s.taskStatus},
		{method: "GET", tmpl: "/nodes/{node}/tasks/{upid}/log", h: s.taskLog},
		{method: "DELETE", tmpl: "/nodes/{node}/tasks/{upid}", h: s.stopTask},

		{method: "POST", tmpl: "/nodes/{node}/vzdump", h: s.vzdump},

		{method: "GET", tmpl: "/nodes/{node}/storage", h: s.listStorage},
		{method: "GET", tmpl: "/nodes/{node}/storage/{storage}", h: s.storageIndex},
		{method: "GET", tmpl: "/nodes/{node}/storage/{storage}/status", h: s.storageStatus},
		{method: "GET", tmpl: "/nodes/{node}/storage/{storage}/content", h: s.storageContent},
		{method: "POST", tmpl: "/nodes/{node}/storage/{storage}/content", h: s.allocVolume},
		{method: "GET", tmpl: "/nodes/{node}/storage/{storage}/content/{volume}", h: s.volumeAttrs},
		{method: "DELETE", tmpl: "/nodes/{node}/storage/{storage}/content/{volume}", h: s.deleteVolume},
		{method: "POST", tmpl: "/nodes/{node}/storage/{storage}/download-url", h: s.downloadURL},

		{method: "GET", tmpl: "/nodes/{node}/network", h: s.listNetwork},
		{method: "POST", tmpl: "/nodes/{node}/network", h: s.createIface},
		{method: "PUT", tmpl: "/nodes/{node}/network", h: s.applyNetwork},
		{method: "DELETE", tmpl: "/nodes/{node}/network", h: s.revertNetwork},
		{method: "GET", tmpl: "/nodes/{node}/network/{iface}", h: s.getIface},
		{method: "PUT", tmpl: "/nodes/{node}/network/{iface}", h: s.updateIface},
		{method: "DELETE", tmpl: "/nodes/{node}/network/{iface}", h: s.deleteIface},

		{method: "POST", tmpl: "/access/ticket", h: s.createTicket},
		{method: "GET", tmpl: "/access/ticket", h: func(*call) (any, error) { return nil, nil }},
		{method: "GET", tmpl: "/access/permissions", h: s.getPermissions},
	}
	r = append(r, s.guestRoutes("qemu")...)
	r = append(r, s.guestRoutes("lxc")...)
	for i := range r {
		r[i].segs = splitPath(r[i].tmpl)
	}
	return r
}

// guestRoutes are the endpoints qemu and lxc share, plus the kind-specific ones.
func (s *Sim) guestRoutes(kind string) []route {
	b := "/nodes/{node}/" + kind
	g := b + "/{vmid}"
	gr := func(method, tmpl string, h func(c *call, kind string) (any, error)) route {
		return route{method: method, tmpl: tmpl, h: func(c *call) (any, error) { return h(c, kind) }}
	}
	r := []route{
		gr("GET", b, s.listGuests),
		gr("POST", b, s.createGuest),
		gr("GET", g, s.guestIndex),
		gr("DELETE", g, s.destroyGuest),
		gr("GET", g+"/status", s.guestStatusIndex),
		gr("GET", g+"/status/current", s.guestStatus),
		gr("POST", g+"/status/start", s.guestStart),
		gr("POST", g+"/status/stop", s.guestStop),
		gr("POST", g+"/status/shutdown", s.guestShutdown),
		gr("POST", g+"/status/reboot", s.guestReboot),
		gr("POST", g+"/status/suspend", s.guestSuspend),
		gr("POST", g+"/status/resume", s.guestResume),
		gr("GET", g+"/config", s.getGuestConfig),
		gr("PUT", g+"/config", s.putGuestConfig),
		gr("GET", g+"/pending", s.guestPending),
		gr("POST", g+"/clone", s.cloneGuest),
		gr("POST", g+"/migrate", s.migrateGuest),
		gr("POST", g+"/template", s.templateGuest),
		gr("PUT", g+"/resize", s.resizeGuest),
		gr("GET", g+"/snapshot", s.listSnapshots),
		gr("POST", g+"/snapshot", s.createSnapshot),
		gr("GET", g+"/snapshot/{snapname}", s.snapshotIndex),
		gr("DELETE", g+"/snapshot/{snapname}", s.deleteSnapshot),
		gr("GET", g+"/snapshot/{snapname}/config", s.getSnapshotConfig),
		gr("PUT", g+"/snapshot/{snapname}/config", s.putSnapshotConfig),
		gr("POST", g+"/snapshot/{snapname}/rollback", s.rollbackSnapshot),
	}
	if kind == "qemu" {
		r = append(r,
			gr("POST", g+"/config", s.postGuestConfig),
			gr("POST", g+"/status/reset", s.guestReset),
			gr("POST", g+"/move_disk", s.moveDisk),
			gr("GET", g+"/agent/network-get-interfaces", s.agentInterfaces),
		)
	} else {
		r = append(r, gr("GET", g+"/interfaces", s.lxcInterfaces), gr("POST", g+"/move_volume", s.moveDisk))
	}
	return r
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// greedy tells whether a route's last parameter takes the rest of the path,
// slashes included: pve-storage registers content/{volume} with an empty
// fragmentDelimiter, so local:vztmpl/x.tar.xz may come unescaped.
func greedy(segs []string) bool {
	return len(segs) >= 2 && segs[len(segs)-2] == "content" && segs[len(segs)-1] == "{volume}"
}

// match finds the route for a request path. Literal segments win over
// parameters. It returns the route and the path parameters.
func (s *Sim) match(method, rawRel string) (*route, map[string]string) {
	segs := splitPath(rawRel)
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	var best *route
	bestScore := -1
	var bestParams map[string]string
	for i := range s.table {
		rt := &s.table[i]
		if rt.method != method || len(rt.segs) > len(segs) || (len(rt.segs) < len(segs) && !greedy(rt.segs)) {
			continue
		}
		params := map[string]string{}
		score := 0
		ok := true
		for j, seg := range rt.segs {
			if strings.HasPrefix(seg, "{") {
				if segs[j] == "" {
					ok = false
					break
				}
				params[strings.Trim(seg, "{}")] = segs[j]
				if j == len(rt.segs)-1 && len(segs) > len(rt.segs) {
					params[strings.Trim(seg, "{}")] = strings.Join(segs[j:], "/")
				}
				continue
			}
			if seg != segs[j] {
				ok = false
				break
			}
			score++
		}
		if ok && score > bestScore {
			best, bestScore, bestParams = rt, score, params
		}
	}
	return best, bestParams
}
