package pvesim

import (
	"sort"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// splitUser splits a task user into user and token name.
func splitUser(authid string) (user, token string) {
	u, tok, _ := strings.Cut(authid, "!")
	return u, tok
}

func (t *task) statusJSON() map[string]any {
	user, tok := splitUser(t.user)
	m := map[string]any{
		"upid": t.upid, "node": t.node, "pid": t.pid, "pstart": t.pstart,
		"starttime": t.start.Unix(), "type": t.typ, "id": t.id, "user": user,
		"status": "running",
	}
	if tok != "" {
		m["tokenid"] = tok
	}
	if t.done {
		m["status"] = "stopped"
		m["exitstatus"] = t.exit
	}
	return m
}

func (t *task) listJSON() map[string]any {
	user, tok := splitUser(t.user)
	m := map[string]any{
		"upid": t.upid, "node": t.node, "pid": t.pid, "pstart": t.pstart,
		"starttime": t.start.Unix(), "type": t.typ, "id": t.id, "user": user,
	}
	if tok != "" {
		m["tokenid"] = tok
	}
	if t.done {
		m["endtime"] = t.end.Unix()
		m["status"] = t.exit
	} else {
		m["status"] = "RUNNING"
		m["saved"] = "0"
	}
	return m
}

// findTask resolves a UPID on the node in the path: a task of another node
// is "no such task", as the node looks for its own log file.
func (c *call) findTask() (*task, error) {
	upid := c.params["upid"]
	if _, err := pveid.ParseUPID(upid); err != nil {
		return nil, paramErr("upid", "unable to parse worker upid")
	}
	t := c.st.taskByUPID[upid]
	if t == nil || t.node != c.params["node"] || t.removed {
		return nil, paramErr("upid", "no such task")
	}
	return t, nil
}

// canSeeTask: own tasks, a user's tokens' tasks, or Sys.Audit on the node.
func (c *call) taskOwner(t *task) bool {
	if t.user == c.authid {
		return true
	}
	if !isToken(c.authid) {
		u, _ := splitUser(t.user)
		return u == c.authid
	}
	return false
}

func (c *call) checkTaskAccess(t *task, priv string) error {
	if c.taskOwner(t) {
		return nil
	}
	path := "/nodes/" + t.node
	if !c.s.has(c.authid, path, priv) {
		return permError(path, priv)
	}
	return nil
}

func (s *Sim) taskIndex(c *call) (any, error) {
	if _, err := c.findTask(); err != nil {
		return nil, err
	}
	return c.subdirs("name"), nil
}

func (s *Sim) taskStatus(c *call) (any, error) {
	t, err := c.findTask()
	if err != nil {
		return nil, err
	}
	if err := c.checkTaskAccess(t, "Sys.Audit"); err != nil {
		return nil, err
	}
	return t.statusJSON(), nil
}

func (s *Sim) taskLog(c *call) (any, error) {
	upid := c.params["upid"]
	t := c.st.taskByUPID[upid]
	if t == nil || t.node != c.params["node"] || t.removed {
		// the log endpoint does not check that the file exists
		c.total = 1
		return []map[string]any{{"n": 1, "t": "unable to open file - No such file or directory"}}, nil
	}
	if err := c.checkTaskAccess(t, "Sys.Audit"); err != nil {
		return nil, err
	}
	lines := t.logLines(c.now)
	if len(lines) == 0 {
		c.total = 1
		return []map[string]any{{"n": 1, "t": "no content"}}, nil
	}
	start := c.num("start")
	limit := c.num("limit")
	out := []map[string]any{}
	for i := start; i < len(lines) && (limit == 0 || i < start+limit); i++ {
		out = append(out, map[string]any{"n": i + 1, "t": lines[i]})
	}
	c.total = len(lines)
	return out, nil
}

func (s *Sim) stopTask(c *call) (any, error) {
	t, err := c.findTask()
	if err != nil {
		return nil, err
	}
	if err := c.checkTaskAccess(t, "Sys.Modify"); err != nil {
		return nil, err
	}
	s.interrupt(t, c.now)
	return nil, nil
}

func (s *Sim) listTasks(c *call) (any, error) {
	nodeName := c.params["node"]
	source := c.arg("source")
	audit := c.s.has(c.authid, "/nodes/"+nodeName, "Sys.Audit")
	vmid := c.params["vmid"]
	typ := c.params["typefilter"]
	userf := c.params["userfilter"]
	// As PVE/API2/Tasks.pm: errors drops the OK tasks only and then
	// statusfilter is ignored.
	statusf := splitList(strings.ToLower(c.params["statusfilter"]))
	if c.params["errors"] == "1" {
		statusf = []string{"warning", "error", "unknown"}
	}
	since, hasSince := c.params["since"]
	until, hasUntil := c.params["until"]
	var match []*task
	for i := len(c.st.tasks) - 1; i >= 0; i-- {
		t := c.st.tasks[i]
		if t.node != nodeName || t.removed {
			continue
		}
		if (source == "archive" && !t.done) || (source == "active" && t.done) {
			continue
		}
		if !audit && !c.taskOwner(t) {
			continue
		}
		if vmid != "" && t.id != vmid {
			continue
		}
		// typefilter is an exact type; userfilter a case-insensitive
		// substring of the task's user without its token name.
		if typ != "" && t.typ != typ {
			continue
		}
		if user, _ := splitUser(t.user); userf != "" && !strings.Contains(strings.ToLower(user), strings.ToLower(userf)) {
			continue
		}
		if hasSince && t.start.Unix() < atoi64Default(since, 0) {
			continue
		}
		if hasUntil && t.start.Unix() > atoi64Default(until, 0) {
			continue
		}
		if len(statusf) > 0 && !statusMatches(t, statusf) {
			continue
		}
		match = append(match, t)
	}
	// running tasks first, then newest first by start time
	sort.SliceStable(match, func(i, j int) bool {
		if match[i].done != match[j].done {
			return !match[i].done
		}
		return match[i].start.After(match[j].start)
	})
	start := c.num("start")
	limit := c.num("limit")
	out := []map[string]any{}
	for i := start; i < len(match) && (limit == 0 || i < start+limit); i++ {
		out = append(out, match[i].listJSON())
	}
	c.total = len(match)
	return out, nil
}

// statusMatches is PVE::Tools::upid_normalize_status_type: a running task
// (no status yet) is "unknown", like a killed one.
func statusMatches(t *task, filter []string) bool {
	kind := "unknown"
	switch {
	case !t.done:
	case t.exit == "OK":
		kind = "ok"
	case strings.HasPrefix(t.exit, "WARNINGS: "):
		kind = "warning"
	case t.exit != "unexpected status":
		kind = "error"
	}
	for _, f := range filter {
		if f == kind {
			return true
		}
	}
	return false
}

// clusterTasks is GET /cluster/tasks: recent tasks of all nodes.
func (s *Sim) clusterTasks(c *call) (any, error) {
	out := []map[string]any{}
	for i := len(c.st.tasks) - 1; i >= 0 && len(out) < 500; i-- {
		t := c.st.tasks[i]
		if t.removed {
			continue
		}
		if !c.taskOwner(t) && !c.s.has(c.authid, "/nodes/"+t.node, "Sys.Audit") {
			continue
		}
		out = append(out, t.listJSON())
	}
	return out, nil
}
