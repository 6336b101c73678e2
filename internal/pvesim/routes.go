package pvesim

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

type handler func(c *call) (any, error)

type route struct {
	method string
	tmpl   string // schema path template, e.g. /nodes/{node}/qemu/{vmid}/status/start
	// since is the first served release whose schema has the endpoint
	// ("" = all); older releases do not route it.
	since string
	h     handler
}

// routes is the table of implemented endpoints, keyed by the schema's path
// templates: a request is routed by the schema's own path tree, and the
// handler found by the endpoint's method and template.
func (s *Sim) routes() []route {
	r := []route{
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

		{method: "GET", tmpl: "/nodes/{node}/tasks", h: s.listTasks},
		{method: "GET", tmpl: "/nodes/{node}/tasks/{upid}", h: s.taskIndex},
		{method: "GET", tmpl: "/nodes/{node}/tasks/{upid}/status", h: s.taskStatus},
		{method: "GET", tmpl: "/nodes/{node}/tasks/{upid}/log", h: s.taskLog},
		{method: "DELETE", tmpl: "/nodes/{node}/tasks/{upid}", h: s.stopTask},

		{method: "POST", tmpl: "/nodes/{node}/vzdump", h: s.vzdump},
		{method: "GET", tmpl: "/nodes/{node}/vzdump/defaults", h: s.vzdumpDefaults},

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

		{method: "GET", tmpl: "/access", h: indexOf("subdir")},
		{method: "POST", tmpl: "/access/ticket", h: s.createTicket},
		{method: "GET", tmpl: "/access/ticket", h: func(*call) (any, error) { return nil, nil }},
		{method: "GET", tmpl: "/access/permissions", h: s.getPermissions},
	}
	r = append(r, s.guestRoutes(kindQemu)...)
	r = append(r, s.guestRoutes(kindLXC)...)
	// endpoint families, each in the file of its subject
	for _, family := range [][]route{
		s.rrdRoutes(), s.agentRoutes(), s.accessRoutes(), s.poolRoutes(),
		s.nodeSysRoutes(), s.guestToolRoutes(), s.haRoutes(), s.firewallRoutes(),
		s.sdnRoutes(), s.clusterMoreRoutes(), s.cephRoutes(),
	} {
		r = append(r, family...)
	}
	return r
}

// kindRoute binds a handler shared by qemu and lxc to one kind.
func kindRoute(kind guestKind, method, tmpl string, h func(c *call, kind guestKind) (any, error)) route {
	return route{method: method, tmpl: tmpl, h: func(c *call) (any, error) { return h(c, kind) }}
}

// guestRoutes are the endpoints qemu and lxc share, plus the kind-specific ones.
func (s *Sim) guestRoutes(kind guestKind) []route {
	b := "/nodes/{node}/" + string(kind)
	g := b + "/{vmid}"
	gr := func(method, tmpl string, h func(c *call, kind guestKind) (any, error)) route {
		return kindRoute(kind, method, tmpl, h)
	}
	r := []route{
		gr("GET", b, s.listGuests),
		{method: "POST", tmpl: b, h: byKind(kind, s.createQemu, s.createLXC)},
		gr("GET", g, s.guestIndex),
		gr("DELETE", g, s.destroyGuest),
		gr("GET", g+"/status", s.guestStatusIndex),
		gr("GET", g+"/status/current", s.guestStatus),
		{method: "POST", tmpl: g + "/status/start", h: byKind(kind, s.qemuStart, s.lxcStart)},
		{method: "POST", tmpl: g + "/status/stop", h: byKind(kind, s.qemuStop, s.lxcStop)},
		{method: "POST", tmpl: g + "/status/shutdown", h: byKind(kind, s.qemuShutdown, s.lxcShutdown)},
		{method: "POST", tmpl: g + "/status/reboot", h: byKind(kind, s.qemuReboot, s.lxcReboot)},
		{method: "POST", tmpl: g + "/status/suspend", h: byKind(kind, s.qemuSuspend, s.lxcSuspend)},
		{method: "POST", tmpl: g + "/status/resume", h: byKind(kind, s.qemuResume, s.lxcResume)},
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
	return append(r, byKind(kind, s.qemuOnlyRoutes, s.lxcOnlyRoutes)(g)...)
}

// qemuOnlyRoutes are the endpoints only VMs have, below g (a VM's path).
func (s *Sim) qemuOnlyRoutes(g string) []route {
	return []route{
		kindRoute(kindQemu, "POST", g+"/config", s.postGuestConfig),
		{method: "POST", tmpl: g + "/status/reset", h: s.qemuReset},
		kindRoute(kindQemu, "POST", g+"/move_disk", s.moveDisk),
	}
}

// lxcOnlyRoutes are the endpoints only containers have, below g.
func (s *Sim) lxcOnlyRoutes(g string) []route {
	return []route{
		kindRoute(kindLXC, "POST", g+"/move_volume", s.moveDisk),
	}
}

type routeKey struct{ method, tmpl string }

// router dispatches a request through the schema of the release served.
type router struct {
	schema   *pveschema.Schema
	handlers map[routeKey]handler
	// children lists, per template, the literal next segments under which
	// something is routed, in the schema's order: what directory indexes show.
	children map[string][]string
}

// newRouter binds the handlers to the schema of release. A handler for an
// endpoint the schema lacks is an error, and so is a since mark the schema
// contradicts, so the table cannot drift from the API it claims to serve.
func newRouter(sc *pveschema.Schema, release string, table []route) (*router, error) {
	rt := &router{schema: sc, handlers: make(map[routeKey]handler, len(table))}
	for _, r := range table {
		_, inSchema := sc.Endpoint(r.method, r.tmpl)
		served := r.since == "" || !olderRelease(release, r.since)
		switch {
		case served && !inSchema:
			return nil, fmt.Errorf("pvesim: handler for %s %s, which the %s schema lacks", r.method, r.tmpl, release)
		case !served && inSchema:
			return nil, fmt.Errorf("pvesim: %s %s is marked since %s but the %s schema has it", r.method, r.tmpl, r.since, release)
		case !served:
			continue
		}
		k := routeKey{r.method, r.tmpl}
		if _, dup := rt.handlers[k]; dup {
			return nil, fmt.Errorf("pvesim: two handlers for %s %s", r.method, r.tmpl)
		}
		rt.handlers[k] = r.h
	}
	rt.children = routedChildren(sc, rt.handlers)
	return rt, nil
}

func routedChildren(sc *pveschema.Schema, handlers map[routeKey]handler) map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, ep := range sc.Endpoints() {
		if handlers[routeKey{ep.Method, ep.Path}] == nil {
			continue
		}
		segs := splitPath(ep.Path)
		for i := range segs {
			parent := "/" + strings.Join(segs[:i], "/")
			child := segs[i]
			if strings.HasPrefix(child, "{") || seen[parent+" "+child] {
				continue
			}
			seen[parent+" "+child] = true
			out[parent] = append(out[parent], child)
		}
	}
	return out
}

// olderRelease tells whether release a ("8.4") comes before b.
func olderRelease(a, b string) bool {
	amaj, amin, _, _ := pveschema.ParseVersion(a)
	bmaj, bmin, _, _ := pveschema.ParseVersion(b)
	return amaj < bmaj || (amaj == bmaj && amin < bmin)
}

// route finds the endpoint and handler for a request path as sent (still
// escaped, below /api2/json). Segments are split before they are unescaped,
// so a volid's %2F stays within its segment; an empty segment inside the
// path matches nothing. It returns nil when nothing is routed, including
// endpoints the schema has and the simulator does not implement.
func (rt *router) route(method, rawRel string) (*pveschema.Endpoint, handler, map[string]string) {
	segs := splitPath(rawRel)
	for i, seg := range segs {
		if u, err := url.PathUnescape(seg); err == nil {
			segs[i] = u
		}
	}
	ep, params, ok := rt.schema.Route(method, segs)
	if !ok {
		return nil, nil, nil
	}
	h := rt.handlers[routeKey{ep.Method, ep.Path}]
	if h == nil {
		return nil, nil, nil
	}
	return ep, h, params
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// subdirs is a directory index: the routed children of the endpoint's path,
// each as {key: name} (Proxmox's indexes use "name", "subdir" or "cmd").
func (c *call) subdirs(key string) []map[string]string {
	names := c.s.router.children[c.ep.Path]
	out := make([]map[string]string, 0, len(names))
	for _, n := range names {
		out = append(out, map[string]string{key: n})
	}
	return out
}

// indexOf is the handler of a plain directory index.
func indexOf(key string) handler {
	return func(c *call) (any, error) { return c.subdirs(key), nil }
}
