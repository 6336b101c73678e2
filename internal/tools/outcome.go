package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// One vocabulary for "may have run": whatever the cause (a gateway's 502, a
// broken connection, an unreadable 2xx, a 401 once the write was sent, a
// task whose end could not be learnt), a tool says in one sentence what was
// asked, why the outcome is unknown, that it may have been carried out, and
// which tool tells. pve.UnknownOutcomeError words its advice in API paths
// for other callers; no tool result shows that text.

// mayHaveRun ends the sentence for a write whose outcome is unknown, after
// the fact that makes it so.
func mayHaveRun(check string) string {
	return ", so it may have been carried out; check " + check + " before repeating it"
}

// writeError words a write whose request failed; check is the tool whose
// read tells whether it ran. Other errors keep their text.
func writeError(what string, err error, check string) error {
	var uo *pve.UnknownOutcomeError
	if !errors.As(err, &uo) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return &explained{err, what + ": " + unsureFact(uo) + mayHaveRun(check)}
}

// unsureFact says, without API paths, why a write's outcome is unknown.
func unsureFact(uo *pve.UnknownOutcomeError) string {
	var api *pve.APIError
	switch {
	case uo.Reauth && uo.Relogin != nil:
		return "Proxmox refused the login ticket (401) after the request was sent; the server did not resend it, and logging in again failed (" +
			strings.TrimPrefix(uo.Relogin.Error(), "proxmox: ") + ")"
	case uo.Reauth:
		return "Proxmox refused the login ticket (401) after the request was sent; the server logged in again but did not resend the request"
	case uo.Accepted:
		return "Proxmox accepted the request, but its answer could not be read (" + causeOf(uo) + ")"
	case errors.As(uo.Err, &api) && api.Status >= 596:
		return fmt.Sprintf("the Proxmox cluster proxy lost the target node (%d %s) after the request was sent", api.Status, api.Reason)
	case errors.As(uo.Err, &api):
		return fmt.Sprintf("a gateway answered %d %s in place of Proxmox after the request was sent", api.Status, http.StatusText(api.Status))
	}
	return "the connection to Proxmox failed after the request was sent (" + causeOf(uo) + ")"
}

// causeOf is the error's text without the "proxmox: METHOD /path: " prefix.
func causeOf(uo *pve.UnknownOutcomeError) string {
	return pve.ClipLine(strings.TrimPrefix(uo.Err.Error(), "proxmox: "+uo.Method+" "+uo.Path+": "))
}

// notRun is a write that failed before any task started: the task list
// holds none since the request. It is no longer "may have run".
type notRun struct {
	err  error
	text string
}

func (e *notRun) Error() string        { return e.text }
func (e *notRun) Unwrap() error        { return e.err }
func (e *notRun) OutcomeUnknown() bool { return false }

// expected is the task a write starts, as the node's task list shows it.
type expected struct {
	node  string
	types []string // task types the write starts (VM suspend: pause or to disk)
	id    string   // the task's ID: the guest, "networking"
	vmid  int      // for the list's vmid filter; 0: none
}

// expectedTask names the task a write to path starts; ok is false for
// writes whose task the list cannot single out.
func expectedTask(method, path string, out taskOut) (expected, bool) {
	seg := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(seg) < 3 || seg[0] != "nodes" {
		return expected{}, false
	}
	e := expected{node: seg[1], id: strconv.Itoa(out.VMID), vmid: out.VMID}
	kind, rest := seg[2], seg[3:]
	switch {
	case kind == "vzdump" && out.VMID > 0:
		e.types = []string{"vzdump"}
	case kind == "network" && method == http.MethodPut:
		e.types, e.id, e.vmid = []string{"srvreload"}, "networking", 0
	case kind == "qemu" || kind == "lxc":
		e.types = guestTaskTypes(kind, method, rest, out.Action)
	}
	return e, len(e.types) > 0 && (e.vmid > 0 || e.id == "networking")
}

// guestTaskTypes are the task types Proxmox gives a guest's worker.
func guestTaskTypes(kind, method string, rest []string, action string) []string {
	p := "qm"
	if kind == "lxc" {
		p = "vz"
	}
	var op string
	switch {
	case len(rest) == 0 && method == http.MethodPost && action == "restore":
		op = "restore"
	case len(rest) == 0 && method == http.MethodPost:
		op = "create"
	case len(rest) == 1 && method == http.MethodDelete:
		op = "destroy"
	case len(rest) == 3 && rest[1] == "status" && rest[2] == "suspend" && kind == "qemu":
		return []string{"qmpause", "qmsuspend"} // to RAM, to disk
	case len(rest) == 3 && rest[1] == "status":
		op = rest[2]
	case len(rest) == 2 && rest[1] == "migrate" && kind == "qemu":
		return []string{"qmigrate"}
	case len(rest) == 2 && rest[1] == "move_disk":
		return []string{"qmmove"}
	case len(rest) == 2 && rest[1] == "move_volume":
		return []string{"move_volume"} // pve-container's type has no vz prefix
	case len(rest) == 2 && (rest[1] == "clone" || rest[1] == "migrate"):
		op = rest[1]
	case len(rest) == 2 && rest[1] == "snapshot" && method == http.MethodPost:
		op = "snapshot"
	case len(rest) == 3 && rest[1] == "snapshot" && method == http.MethodDelete:
		op = "delsnapshot"
	case len(rest) == 4 && rest[1] == "snapshot" && rest[3] == "rollback":
		op = "rollback"
	}
	if op == "" {
		return nil
	}
	return []string{p + op}
}

// clockSlack allows for the node's clock being behind ours when the task
// list is searched for a task started since the request.
const clockSlack = 5 * time.Second

// listedTask is an entry of GET /nodes/{node}/tasks.
type listedTask struct {
	UPID      string  `json:"upid"`
	Node      string  `json:"node"`
	Type      string  `json:"type"`
	ID        string  `json:"id"`
	User      string  `json:"user"`
	TokenID   string  `json:"tokenid"`
	StartTime pve.Int `json:"starttime"`
}

// startedSince reads the node's task list, through the guard, for the
// tasks of e started by this server's user at or after sent (less the
// clock slack).
func (c *call) startedSince(ctx context.Context, e expected, sent time.Time) ([]listedTask, error) {
	since := sent.Add(-clockSlack).Unix()
	user, _, _ := strings.Cut(c.PVE.AuthID(), "!")
	q := url.Values{"source": {"all"}, "since": {strconv.FormatInt(since, 10)}, "limit": {"20"}}
	if user != "" {
		q.Set("userfilter", user)
	}
	if len(e.types) == 1 {
		q.Set("typefilter", e.types[0])
	}
	if e.vmid > 0 {
		q.Set("vmid", strconv.Itoa(e.vmid))
	}
	var list []listedTask
	if err := c.PVE.Get(ctx, "/nodes/"+e.node+"/tasks", q, &list); err != nil {
		return nil, err
	}
	var found []listedTask
	for _, t := range list {
		who := t.User
		if t.TokenID != "" {
			who += "!" + t.TokenID
		}
		if (t.Node == "" || t.Node == e.node) && contains(e.types, t.Type) && t.ID == e.id &&
			who == c.PVE.AuthID() && int64(t.StartTime) >= since && t.UPID != "" {
			found = append(found, t)
		}
	}
	return found, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// afterUnsure handles a task-starting write whose request failed. With an
// unknown outcome it looks for the task in the node's task list: found
// once, the call follows it as if Proxmox had answered its UPID; none
// after a 401, the write did not run; otherwise the answer says what the
// list showed, and never more than was checked.
func (c *call) afterUnsure(ctx context.Context, what, method, path string, sent time.Time, err error, kind string, out *taskOut) error {
	check := checkRead(*out, kind)
	var uo *pve.UnknownOutcomeError
	if !errors.As(err, &uo) {
		return fmt.Errorf("%s: %w", what, err)
	}
	e, ok := expectedTask(method, path, *out)
	if !ok {
		return writeError(what, err, check)
	}
	found, lerr := c.startedSince(ctx, e, sent)
	if lerr != nil {
		c.logf(ctx, "task list read after an unknown outcome failed", "err", lerr)
		return writeError(what, err, check)
	}
	task := e.types[0] + " task"
	if e.vmid > 0 {
		task += fmt.Sprintf(" of guest %d", e.vmid)
	}
	switch {
	case len(found) == 1:
		c.logf(ctx, "found the task of a write whose answer was lost", "upid", found[0].UPID)
		return c.follow(ctx, what, found[0].UPID, kind, out)
	case len(found) == 0 && uo.Reauth:
		return &notRun{err, fmt.Sprintf("%s: %s; the task list of %s shows no %s since the request, so it did not run and is safe to retry",
			what, unsureFact(uo), e.node, task)}
	case len(found) == 0:
		return &explained{err, fmt.Sprintf("%s: %s; no %s had appeared in the task list of %s yet%s",
			what, unsureFact(uo), task, e.node, mayHaveRun(check))}
	}
	upids := make([]string, len(found))
	for i, t := range found {
		upids[i] = t.UPID
	}
	return &explained{err, fmt.Sprintf("%s: %s (the task list of %s shows %d such tasks since the request: %s)%s",
		what, unsureFact(uo), e.node, len(found), strings.Join(upids, ", "), mayHaveRun("pve_task_status with each UPID and "+check))}
}

// logf logs at debug level when the call has a logger.
func (c *call) logf(ctx context.Context, msg string, args ...any) {
	if c.Logger != nil {
		c.Logger.DebugContext(ctx, msg, args...)
	}
}
