package pvesim

import (
	"sort"
	"strconv"
	"strings"
)

// clusterMoreRoutes: cluster options, log and backup audits.
func (s *Sim) clusterMoreRoutes() []route {
	return []route{
		{method: "GET", tmpl: "/cluster/log", h: s.clusterLog},
		{method: "GET", tmpl: "/cluster/options", h: s.getClusterOptions},
		{method: "PUT", tmpl: "/cluster/options", h: s.putClusterOptions},
	}
}

// clogEntry is one entry of pmxcfs's cluster log (logger.c clog_dump_json).
type clogEntry struct {
	uid, pid  int
	time      int64
	pri       int
	tag, node string
	user, msg string
}

// Syslog priorities of PVE::Cluster::log_msg.
const (
	clogErr  = 3
	clogInfo = 6
)

// clusterLogEntries derives the cluster log from the task history: every
// worker logs "starting task UPID" and, when reaped, "end task UPID STATUS"
// (RESTEnvironment fork_worker); a failed task at priority err. uids count
// per node, as each node's pmxcfs numbers the entries it creates.
func (st *state) clusterLogEntries(now int64) []clogEntry {
	var out []clogEntry
	for _, t := range st.tasks {
		n := st.node(t.node)
		if n == nil || t.start.Unix() > now {
			continue
		}
		// the task runs in a pvedaemon worker: one of three per node
		pid := 1400 + 97*n.id + int(t.pid%3)
		e := clogEntry{pid: pid, time: t.start.Unix(), pri: clogInfo, tag: "pvedaemon", node: t.node, user: t.user,
			msg: "starting task " + t.upid}
		out = append(out, e)
		if t.done && t.end.Unix() <= now {
			e.time, e.msg = t.end.Unix(), "end task "+t.upid+" "+t.exit
			if t.exit != "OK" && !strings.HasPrefix(t.exit, "WARNINGS") {
				e.pri = clogErr
			}
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].time < out[j].time })
	next := map[string]int{}
	for i := range out {
		next[out[i].node]++
		out[i].uid = next[out[i].node]
	}
	// newest first, like the ring buffer is read
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// clusterLog is GET /cluster/log: everyone may read it, but without
// Sys.Syslog on / only the entries logged for oneself.
func (s *Sim) clusterLog(c *call) (any, error) {
	limit := 50 // pmxcfs's default when max is 0
	if v, _ := strconv.Atoi(c.params["max"]); v > 0 {
		limit = v
	}
	admin := s.has(c.authid, "/", "Sys.Syslog")
	out := []map[string]any{}
	for _, e := range c.st.clusterLogEntries(c.now.Unix()) {
		if len(out) >= limit {
			break
		}
		if !admin && e.user != c.authid {
			continue
		}
		out = append(out, map[string]any{"uid": e.uid, "time": e.time, "pri": e.pri, "tag": e.tag, "pid": e.pid,
			"node": e.node, "user": e.user, "msg": e.msg, "id": strconv.Itoa(e.uid) + ":" + e.node})
	}
	return out, nil
}
