package pvesim

import (
	"strconv"
	"time"
)

// op is what every typed operation of the cluster model carries: who
// asks, on which node, at what simulated time. Operations (clone, migrate,
// backup, ...) take an op and their own typed arguments, never the HTTP
// request: the adapter (routes, dispatch, parameter decoding) builds both
// from the call, so the model can be driven without HTTP.
type op struct {
	s    *Sim
	st   *state
	user string // the authenticated user or token id
	node string // the node the request addressed
	now  time.Time
}

// op is the request's operation context.
func (c *call) op() op {
	return op{s: c.s, st: c.st, user: c.authid, node: c.params["node"], now: c.now}
}

// checkPriv fails with the 403 of the first privilege the user lacks.
func (o op) checkPriv(path string, privs ...string) error {
	for _, p := range privs {
		if !o.s.acl.has(o.user, path, p) {
			return permError(path, p)
		}
	}
	return nil
}

// startTask starts a task on the op's node as its user (unless sp says
// otherwise) and returns its UPID. Callers hold s.mu.
func (o op) startTask(sp taskSpec) string {
	if sp.node == "" {
		sp.node = o.node
	}
	if sp.user == "" {
		sp.user = o.user
	}
	if sp.id == "" && sp.vmid != 0 {
		sp.id = strconv.Itoa(sp.vmid)
	}
	return o.s.startTask(sp).upid
}

// guestHere loads a guest as the op's node sees it: a guest of the other
// kind, or on another node, does not exist here (guestOnNode of the model).
func (o op) guestHere(kind guestKind, vmid int) (*guest, error) {
	g := o.st.guests[vmid]
	if g == nil || g.kind != kind || g.node != o.node {
		return nil, noConfig(kind, o.node, vmid)
	}
	return g, nil
}
