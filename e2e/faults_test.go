package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// Issue 11 over the built binary: each fault is injected by the proxy in
// front of the simulator (or by the simulator itself), and the tool's answer
// must say what really happened.

// VM 101 on pve1 is stopped in the simulator's seed.
const (
	faultStart = "/nodes/pve1/qemu/101/status/start"
	// checkStartRead is the read the server names for a start whose outcome
	// is unknown.
	checkStartRead = "so it may have been carried out; check pve_vm_status for VM 101 on pve1 before repeating it"
	// apiWording is the pve package's advice in API paths, which no tool
	// answer may show.
	apiWording = "GET /nodes/pve1/tasks"
)

var vm101 = map[string]any{"node": "pve1", "vmid": 101}

// wants checks that text holds every want and none of the nots.
func wants(t *testing.T, what, text string, want []string, not ...string) {
	t.Helper()
	t.Logf("%s: %.600s", what, text)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: %q lacks %q", what, text, w)
		}
	}
	for _, n := range not {
		if strings.Contains(text, n) {
			t.Errorf("%s: %q says %q", what, text, n)
		}
	}
}

func mustFail(t *testing.T, what string, r faultResult) {
	t.Helper()
	if !r.isError {
		t.Fatalf("%s: reported success, want an error: %s", what, r.text)
	}
}

func mustSucceed(t *testing.T, what string, r faultResult) {
	t.Helper()
	if r.isError {
		t.Fatalf("%s: failed: %s", what, r.text)
	}
}

// taskListReads is how many times the binary read pve1's task list.
func (g *faultRig) taskListReads() int { return g.proxy.count("GET", "/nodes/pve1/tasks") }

// TestFaultGatewayAfterWrite: a 502 or 504 from a gateway once the POST
// reached Proxmox. The start ran: the binary finds its task in the node's
// task list and reports how it ended, with the POST sent once. When the
// gateway never forwarded it, the list shows no task and the answer says
// the start may have been carried out, in the tools' words.
func TestFaultGatewayAfterWrite(t *testing.T) {
	t.Parallel()
	for _, status := range []int{502, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			g := newFaultRig(t, false)
			rule := g.proxy.arm(1, route("POST", faultStart), gatewayError(status))
			r := g.srv.call("pve_vm_start", vm101)
			mustSucceed(t, "start", r)
			wants(t, "start", r.text, []string{`"exitStatus":"OK"`, `"upid":"UPID:pve1:`})
			if g.proxy.uses(rule) != 1 || g.proxy.count("POST", faultStart) != 1 || g.simCount("POST", faultStart) != 1 {
				t.Errorf("POST start: %d rewritten, %d at the proxy, %d at the simulator; want 1 each",
					g.proxy.uses(rule), g.proxy.count("POST", faultStart), g.simCount("POST", faultStart))
			}
			if g.taskListReads() != 1 {
				t.Errorf("%d task list reads, want 1", g.taskListReads())
			}
		})
	}
	t.Run("not forwarded", func(t *testing.T) {
		t.Parallel()
		g := newFaultRig(t, false)
		g.proxy.arm(1, route("POST", faultStart), jsonAnswer(502, "", false))
		r := g.srv.call("pve_vm_start", vm101)
		mustFail(t, "start", r)
		wants(t, "start", r.text, []string{"start VM 101 on pve1: a gateway answered 502 Bad Gateway in place of Proxmox after the request was sent; " +
			"no qmstart task of guest 101 had appeared in the task list of pve1 yet, " + checkStartRead}, apiWording, "may or may not")
		if n := g.simCount("POST", faultStart); n != 0 {
			t.Errorf("POST start reached the simulator %d times, want 0", n)
		}
	})
}

// TestFaultWriteWithoutUPID: a 2xx write answer with no task ID after the
// simulator ran the write.
func TestFaultWriteWithoutUPID(t *testing.T) {
	t.Parallel()
	const noTaskID = "Proxmox accepted the request but answered without a task ID (answer null)"
	t.Run("start", func(t *testing.T) {
		g := newFaultRig(t, false)
		g.proxy.arm(1, route("POST", faultStart), editJSON(func(env map[string]any) { env["data"] = nil }))
		r := g.srv.call("pve_vm_start", vm101)
		mustFail(t, "start", r)
		wants(t, "start", r.text, []string{noTaskID, checkStartRead}, apiWording)
		if n := g.simCount("POST", faultStart); n != 1 {
			t.Errorf("POST start reached the simulator %d times, want 1", n)
		}
	})
	t.Run("backup null", func(t *testing.T) {
		g := newFaultRig(t, false)
		g.proxy.arm(1, route("POST", "/nodes/pve1/vzdump"), editJSON(func(env map[string]any) { env["data"] = nil }))
		r := g.srv.call("pve_backup_now", map[string]any{"node": "pve1", "vmid": 101, "storage": "local"})
		mustFail(t, "backup", r)
		wants(t, "backup", r.text, []string{noTaskID, "so it may have been carried out; check pve_list_backups for local on pve1 before repeating it"},
			"is not on node", apiWording)
	})
	t.Run("backup OK", func(t *testing.T) {
		g := newFaultRig(t, false)
		g.proxy.arm(1, route("POST", "/nodes/pve1/vzdump"), editJSON(func(env map[string]any) { env["data"] = "OK" }))
		r := g.srv.call("pve_backup_now", map[string]any{"node": "pve1", "vmid": 101, "storage": "local"})
		mustFail(t, "backup", r)
		// Where guest 101 is was not checked, so the answer may not say.
		wants(t, "backup", r.text, []string{`Proxmox started no task on node pve1 (answer "OK")`, "check with pve_cluster_resources which node guest 101 is on"},
			"101 is not on node", "guest is not on node pve1", "is on node")
	})
}

var upidRE = regexp.MustCompile(`UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:[a-z]+:[^:\s]*:[^:\s]+:`)

// startedUPID is the UPID whose status the proxy saw polled.
func (g *faultRig) startedUPID(t *testing.T) string {
	t.Helper()
	for _, req := range g.proxy.requests() {
		if u := upidRE.FindString(req); u != "" && strings.HasSuffix(req, "/status") {
			return u
		}
	}
	t.Fatalf("no task status was read: %v", g.proxy.requests())
	return ""
}

// TestFaultTaskStatusGone: the UPID came back, then its status answers 404
// (from the proxy, or the simulator forgot the task). The start may have
// run: the answer says how it ended is unknown, with the UPID, and names
// the reads that still tell: the VM's state and the node's task list.
func TestFaultTaskStatusGone(t *testing.T) {
	t.Parallel()
	cases := map[string]func(g *faultRig){
		"proxy 404": func(g *faultRig) {
			g.proxy.arm(-1, taskCall("status"), jsonAnswer(404, `{"data":null,"message":"no such task\n"}`, false))
		},
		"task-vanish": func(g *faultRig) {
			if _, err := g.sim.AddFault(pvesim.Fault{Kind: pvesim.FaultTaskVanish, TaskType: "qmstart", Mode: "gone", Count: 1}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, arm := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := newFaultRig(t, false)
			arm(g)
			r := g.srv.call("pve_vm_start", vm101)
			mustFail(t, "start", r)
			upid := g.startedUPID(t)
			wants(t, "start", r.text, []string{"how task " + upid + " ended is unknown",
				"so it may have been carried out; check pve_vm_status for VM 101 on pve1 and pve_list_tasks for pve1 before repeating it"},
				"task not found", "no such VM", "does not exist", "pve_task_status")
			if n := g.simCount("POST", faultStart); n != 1 {
				t.Errorf("POST start reached the simulator %d times, want 1", n)
			}
		})
	}
}

// quoteNumbers rewrites every number of a task status and log as a string.
func quoteNumbers(env map[string]any) {
	quote := func(v any) any {
		if n, ok := v.(json.Number); ok {
			return n.String()
		}
		return v
	}
	if st, ok := env["data"].(map[string]any); ok {
		for k, v := range st {
			st[k] = quote(v)
		}
	}
	if lines, ok := env["data"].([]any); ok {
		for _, l := range lines {
			if m, ok := l.(map[string]any); ok {
				m["n"] = quote(m["n"])
			}
		}
	}
	if v, ok := env["total"]; ok {
		env["total"] = quote(v)
	}
}

// TestFaultTaskNumbersAsStrings: "pid":"123" and the like in every task
// status and log; the start reports success, and the task tools read it.
func TestFaultTaskNumbersAsStrings(t *testing.T) {
	t.Parallel()
	g := newFaultRig(t, false)
	status := g.proxy.arm(-1, taskCall("status"), editJSON(quoteNumbers))
	g.proxy.arm(-1, taskCall("log"), editJSON(quoteNumbers))
	r := g.srv.call("pve_vm_start", vm101)
	mustSucceed(t, "start", r)
	var out struct{ UPID, ExitStatus string }
	if err := json.Unmarshal([]byte(r.text), &out); err != nil || out.ExitStatus != "OK" || out.UPID == "" {
		t.Fatalf("start: %v %s", err, r.text)
	}
	if g.proxy.uses(status) == 0 {
		t.Fatal("no task status was rewritten")
	}
	st := g.srv.call("pve_task_status", map[string]any{"upid": out.UPID})
	mustSucceed(t, "task status", st)
	wants(t, "task status", st.text, []string{`"status":"stopped"`, `"exitstatus":"OK"`})
	for _, tool := range []string{"pve_task_log", "pve_task_wait"} {
		mustSucceed(t, tool, g.srv.call(tool, map[string]any{"upid": out.UPID}))
	}
}

// TestFaultVersionNotCached: one garbage /version answer, then good ones:
// a later pve_version gives the real version.
func TestFaultVersionNotCached(t *testing.T) {
	t.Parallel()
	g := newFaultRig(t, false)
	rule := g.proxy.arm(1, route("GET", "/version"), jsonAnswer(200, `{"data":"garbage"}`, false))
	first := g.srv.call("pve_version", nil)
	t.Logf("first version: error %v: %s", first.isError, first.text)
	if first.isError {
		wants(t, "first version", first.text, []string{"GET /version answered", "garbage"})
	}
	if g.proxy.uses(rule) != 1 {
		t.Fatalf("the garbage answer was not served: %v", g.proxy.requests())
	}
	for i := range 2 {
		r := g.srv.call("pve_version", nil)
		mustSucceed(t, fmt.Sprintf("version %d", i+2), r)
		var v struct{ Version string }
		if err := json.Unmarshal([]byte(r.text), &v); err != nil || v.Version != g.sim.Version() {
			t.Errorf("version %d: %v %s, want %s", i+2, err, r.text, g.sim.Version())
		}
	}
}

const manyWarnings = 50000

// manyWarningsLog answers every task log with 50 000 warnings and a
// "TASK WARNINGS" line, paged as Proxmox pages it.
func manyWarningsLog(r *http.Request, _ func() proxyAnswer) proxyAnswer {
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	lines := []map[string]any{}
	for i := start; i <= manyWarnings && (limit == 0 || i < start+limit); i++ {
		t := fmt.Sprintf("WARN: unused volume local-lvm:vm-101-disk-%d is not referenced in the config", i)
		if i == manyWarnings {
			t = "TASK WARNINGS: " + strconv.Itoa(manyWarnings)
		}
		lines = append(lines, map[string]any{"n": i + 1, "t": t})
	}
	body, _ := json.Marshal(map[string]any{"data": lines, "total": manyWarnings + 1})
	return proxyAnswer{status: 200, header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}}, body: body}
}

// TestFaultManyWarnings: a task ending "WARNINGS: 50000" with a log to
// match. The answer is bounded, gives the count, the last warnings and how
// to page the log.
func TestFaultManyWarnings(t *testing.T) {
	t.Parallel()
	g := newFaultRig(t, false)
	g.proxy.arm(-1, taskCall("log"), manyWarningsLog)
	g.proxy.arm(-1, taskCall("status"), editJSON(func(env map[string]any) {
		if st, ok := env["data"].(map[string]any); ok && st["status"] == "stopped" {
			st["exitstatus"] = "WARNINGS: " + strconv.Itoa(manyWarnings)
		}
	}))
	const bound = 32 << 10
	r := g.srv.call("pve_vm_start", vm101)
	mustSucceed(t, "start", r)
	var out struct {
		UPID, ExitStatus string
		WarningCount     int
		Warnings         []string
	}
	if err := json.Unmarshal([]byte(r.text), &out); err != nil {
		t.Fatalf("start: %v: %.300s", err, r.text)
	}
	if r.line > bound || out.WarningCount != manyWarnings || len(out.Warnings) == 0 || len(out.Warnings) > 100 ||
		!strings.Contains(out.Warnings[len(out.Warnings)-1], "disk-49999 ") || out.ExitStatus != "WARNINGS: 50000" {
		t.Errorf("start: %d bytes (at most %d), %d warnings listed of %d, exit %q: %.300s",
			r.line, bound, len(out.Warnings), out.WarningCount, out.ExitStatus, r.text)
	}
	page := fmt.Sprintf("pve_task_log with this UPID, start and limit pages through all %d log lines", manyWarnings+1)
	wants(t, "start", r.text, []string{fmt.Sprintf("the last %d of %d warnings; ", len(out.Warnings), manyWarnings) + page})
	w := g.srv.call("pve_task_wait", map[string]any{"upid": out.UPID})
	mustSucceed(t, "task wait", w)
	if w.line > bound || !strings.Contains(w.text, page) {
		t.Errorf("task wait: %d bytes (at most %d): %.300s", w.line, bound, w.text)
	}
}

// TestFaultWrongShape: a read answered null, a string or a list where an
// object is due (an object where a list is due) is an error naming the
// endpoint, not an empty success.
func TestFaultWrongShape(t *testing.T) {
	t.Parallel()
	g := newFaultRig(t, false)
	for _, c := range []struct{ tool, path, data, got, want string }{
		{"pve_node_status", "/nodes/pve1/status", `null`, "null", "an object"},
		{"pve_node_status", "/nodes/pve1/status", `"str"`, `a string "str"`, "an object"},
		{"pve_node_status", "/nodes/pve1/status", `[]`, "a list []", "an object"},
		{"pve_list_nodes", "/nodes", `{}`, "an object {}", "a list"},
	} {
		rule := g.proxy.arm(-1, route("GET", c.path), jsonAnswer(200, `{"data":`+c.data+`}`, false))
		var args map[string]any
		if c.tool == "pve_node_status" {
			args = map[string]any{"node": "pve1"}
		}
		r := g.srv.call(c.tool, args)
		g.proxy.disarm(rule) // the next case's rule answers
		mustFail(t, c.tool+" "+c.data, r)
		wants(t, c.tool+" "+c.data, r.text, []string{"GET " + c.path + " answered " + c.got + " where " + c.want + " was expected"})
	}
	mustSucceed(t, "node status after the faults", g.srv.call("pve_node_status", map[string]any{"node": "pve1"}))
}

// TestFaultTicket401AfterWrite: with ticket login, the proxy answers the
// start with 401. The binary logs in again and does not resend the start.
// When the proxy forwarded it, the task list shows its task and the answer
// is how it ended; when not, the list shows none: the start did not run.
func TestFaultTicket401AfterWrite(t *testing.T) {
	t.Parallel()
	for _, forwarded := range []bool{true, false} {
		t.Run(fmt.Sprintf("forwarded %v", forwarded), func(t *testing.T) {
			t.Parallel()
			g := newFaultRig(t, true)
			mustSucceed(t, "status before", g.srv.call("pve_vm_status", vm101))
			logins := g.simCount("POST", "/access/ticket")
			g.proxy.arm(1, route("POST", faultStart), jsonAnswer(401, `{"data":null}`, forwarded))
			r := g.srv.call("pve_vm_start", vm101)
			sent := 0
			if forwarded {
				sent = 1
				mustSucceed(t, "start", r)
				wants(t, "start", r.text, []string{`"exitStatus":"OK"`, `"upid":"UPID:pve1:`})
			} else {
				mustFail(t, "start", r)
				wants(t, "start", r.text, []string{"start VM 101 on pve1: Proxmox refused the login ticket (401) after the request was sent; " +
					"the server logged in again but did not resend the request; the task list of pve1 shows no qmstart task of guest 101 since the request, " +
					"so it did not run and is safe to retry"}, apiWording, "may have been carried out")
			}
			if n, p := g.simCount("POST", faultStart), g.proxy.count("POST", faultStart); n != sent || p != 1 {
				t.Errorf("POST start: %d at the simulator, %d at the proxy; want %d and 1", n, p, sent)
			}
			if n := g.simCount("POST", "/access/ticket"); n != logins+1 {
				t.Errorf("%d logins after the 401, want 1", n-logins)
			}
			if g.taskListReads() != 1 {
				t.Errorf("%d task list reads, want 1", g.taskListReads())
			}
			mustSucceed(t, "status after", g.srv.call("pve_vm_status", vm101))
		})
	}
}

// TestFaultProgressOneUnit: a clone reports percent (total 100) from its
// first notification to its last; a start reports seconds, with no total.
func TestFaultProgressOneUnit(t *testing.T) {
	t.Parallel()
	g := newFaultRig(t, false)
	check := func(what string, r faultResult, total float64) {
		t.Helper()
		mustSucceed(t, what, r)
		t.Logf("%s: progress %+v", what, r.progress)
		if len(r.progress) == 0 {
			t.Fatalf("%s: no progress notification", what)
		}
		for i, p := range r.progress {
			if p.Total != total || (i > 0 && p.Progress <= r.progress[i-1].Progress) || (total > 0 && p.Progress > total) {
				t.Errorf("%s: notification %d of %d: %v/%v, want total %v and rising: %+v", what, i+1, len(r.progress), p.Progress, p.Total, total, r.progress)
				break
			}
		}
	}
	clone := g.srv.call("pve_vm_clone", map[string]any{"node": "pve1", "vmid": 101, "newid": 310, "name": "progress-clone", "full": true})
	check("clone", clone, 100)
	if last := clone.progress[len(clone.progress)-1]; last.Progress != 100 {
		t.Errorf("clone: last notification at %v%%, want 100", last.Progress)
	}
	check("start", g.srv.call("pve_vm_start", vm101), 0)
}
