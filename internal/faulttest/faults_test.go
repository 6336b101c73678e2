package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// The target guest: VM 101 on pve1 is stopped in the simulator's seed, so a
// start that did not happen leaves it stopped.
const (
	statusPath = "/nodes/pve1/qemu/101/status/current"
	startPath  = "/nodes/pve1/qemu/101/status/start"
	configPath = "/nodes/pve1/qemu/101/config"
)

var guest = map[string]any{"node": "pve1", "vmid": 101}

type faultCase struct {
	name   string
	faults []pvesim.Fault
	tool   string
	args   map[string]any
	// ok: the tool must succeed (a read retried past the fault); otherwise
	// it must fail with every text in want.
	ok    bool
	want  []string
	write string // the write the tool sends, which must reach Proxmox exactly once
	// unknown: the work may have been done (the task vanished); the tool
	// must say so instead of claiming either outcome.
	unknown bool
	// hook changes the simulator's answers for faults it cannot inject.
	hook tamper
	// fresh: run on a harness of its own, as the write changes the cluster.
	fresh bool
	// setup reads what the arguments need (a UPID, a backup) first.
	setup func(t *testing.T, h *harness) map[string]any
	// run calls the tool another way (with progress, cancelled); nil: plainly.
	run func(t *testing.T, h *harness, tool string, args map[string]any) (isError bool, text string)
	// check looks further at the answer; size is text plus structured content.
	check func(t *testing.T, text string, size int)
}

func get(kind string, f pvesim.Fault) pvesim.Fault {
	f.Kind, f.Method, f.Path = kind, "GET", statusPath
	return f
}

func post(kind string, f pvesim.Fault) pvesim.Fault {
	f.Kind, f.Method, f.Path = kind, "POST", startPath
	return f
}

func faultCases() []faultCase {
	read := func(name string, ok bool, f pvesim.Fault, want ...string) faultCase {
		return faultCase{name: name, faults: []pvesim.Fault{f}, tool: "pve_vm_status", args: guest, ok: ok, want: want}
	}
	start := func(name string, f pvesim.Fault, want ...string) faultCase {
		return faultCase{name: name, faults: []pvesim.Fault{f}, tool: "pve_vm_start", args: guest, want: want, write: "POST " + startPath}
	}
	const maybe = "so it may have been carried out; check pve_vm_status for VM 101 on pve1"
	cases := []faultCase{
		read("500 on a read", false, get(pvesim.FaultError, pvesim.Fault{Status: 500, Message: "got unexpected error", Count: 1}), "500 got unexpected error"),
		start("500 on a write", post(pvesim.FaultError, pvesim.Fault{Status: 500, Message: "start failed: out of memory", Count: 1}), "500 start failed: out of memory"),
		read("595 on a read", true, get(pvesim.FaultError, pvesim.Fault{Status: 595, Message: "Connection refused", Count: 1})),
		start("595 on a write", post(pvesim.FaultError, pvesim.Fault{Status: 595, Message: "Connection refused", Count: 1}), "595 Connection refused", "the request did not run"),
		read("596 on a read", true, get(pvesim.FaultError, pvesim.Fault{Status: 596, Message: "Connection timed out", Count: 2})),
		start("596 on a write", post(pvesim.FaultError, pvesim.Fault{Status: 596, Message: "Connection timed out", Count: 1}), "596 Connection timed out", maybe),
		read("connection reset on a read", true, get(pvesim.FaultReset, pvesim.Fault{Count: 1})),
		start("connection reset on a write", post(pvesim.FaultReset, pvesim.Fault{Count: 1}), maybe),
		read("hang past the request timeout on a read", false, get(pvesim.FaultHang, pvesim.Fault{Count: 1}), "no answer within 1.5s"),
		start("hang past the request timeout on a write", post(pvesim.FaultHang, pvesim.Fault{Count: 1}), "no answer within 1.5s", maybe),
		read("non-JSON body on a read", false, get(pvesim.FaultNonJSON, pvesim.Fault{Count: 1}), "not a JSON object", "this is not JSON"),
		start("non-JSON body on a write", post(pvesim.FaultNonJSON, pvesim.Fault{Count: 1}), "not a JSON object", "may have been carried out"),
		read("HTML error page on a read", true, get(pvesim.FaultHTML, pvesim.Fault{Count: 1})),
		start("HTML error page on a write", post(pvesim.FaultHTML, pvesim.Fault{Count: 1}), "502 Bad Gateway"),
		{name: "lock timeout (config write)", faults: []pvesim.Fault{{Kind: pvesim.FaultLockTimeout, VMID: 101, Count: 1}},
			tool: "pve_vm_set_config", args: map[string]any{"node": "pve1", "vmid": 101, "description": "fault test"},
			want: []string{"500 can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout"}, write: "PUT " + configPath},
		start("lock timeout (in the task)", pvesim.Fault{Kind: pvesim.FaultLockTimeout, VMID: 101, Count: 1}, "failed: can't lock file", "got timeout"),
		start("failed task", pvesim.Fault{Kind: pvesim.FaultTaskFail, TaskType: "qmstart", Message: "start failed: QEMU exited with code 1", Count: 1},
			"failed: start failed: QEMU exited with code 1", "TASK ERROR"),
		unknown(start("task that disappears", pvesim.Fault{Kind: pvesim.FaultTaskVanish, TaskType: "qmstart", Mode: "gone", Count: 1},
			"no longer knows this task", "ended is unknown", checkGone)),
		unknown(start("task whose worker is killed", pvesim.Fault{Kind: pvesim.FaultTaskVanish, TaskType: "qmstart", Mode: "killed", Count: 1},
			"failed: unexpected status", "without reporting a result", checkStart)),
	}
	return append(cases, taskCases()...)
}

func unknown(c faultCase) faultCase {
	c.unknown = true
	return c
}

type outcome struct {
	auth, name, result, writes, state, serving, detail string
	seq                                                int // the case's place in faultCases
}

func TestFaults(t *testing.T) {
	var mu sync.Mutex
	var table []outcome
	// Cleanup runs once every subtest, parallel ones too, has ended.
	t.Cleanup(func() { logTable(t, table) })
	for _, auth := range []string{"token", "ticket"} {
		t.Run(auth, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, auth == "ticket")
			for i, tc := range faultCases() {
				t.Run(tc.name, func(t *testing.T) {
					on := h
					if tc.fresh {
						t.Parallel() // on a harness of its own
						on = newHarness(t, auth == "ticket")
						defer scanForSecrets(t, on)
					}
					row := runCase(t, on, tc)
					row.auth, row.seq = auth, i
					mu.Lock()
					table = append(table, row)
					mu.Unlock()
				})
			}
			scanForSecrets(t, h)
		})
	}
}

func runCase(t *testing.T, h *harness, tc faultCase) outcome {
	h.sim.ClearFaults()
	h.hook.Store(nil)
	args := tc.args
	if tc.setup != nil {
		args = tc.setup(t, h)
	}
	h.sim.ResetRequests()
	for _, f := range tc.faults {
		if _, err := h.sim.AddFault(f); err != nil {
			t.Fatalf("add fault: %v", err)
		}
	}
	if tc.hook != nil {
		h.hook.Store(&tc.hook)
	}
	run := tc.run
	if run == nil {
		run = func(t *testing.T, h *harness, tool string, args map[string]any) (bool, string) {
			return h.call(t, tool, args)
		}
	}
	isError, text := run(t, h, tc.tool, args)
	size := h.lastSize
	// A request the client gave up on is logged when the simulator lets
	// go of it, which may be just after the tool returned.
	reqs := h.sim.Requests()
	for deadline := time.Now().Add(10 * time.Second); tc.write != "" && time.Now().Before(deadline); {
		if count(reqs, tc.write[:strings.IndexByte(tc.write, ' ')], tc.write[strings.IndexByte(tc.write, ' ')+1:]) > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
		reqs = h.sim.Requests()
	}
	h.sim.ClearFaults()
	h.hook.Store(nil)
	row := outcome{name: tc.name, detail: oneLine(text)}
	if tc.check != nil {
		tc.check(t, text, size)
	}

	switch {
	case tc.ok && isError:
		t.Errorf("failed, want success after a retry: %s", text)
	case tc.ok:
		row.result = "ok"
		if n := count(reqs, "GET", statusPath); n > 1 && tc.tool == "pve_vm_status" {
			row.result = fmt.Sprintf("ok after %d tries", n)
		}
	case !isError:
		t.Errorf("reported success for work that was not done: %s", text)
		row.result = "WRONG: success"
	default:
		row.result = "error"
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("error lacks %q:\n%s", w, text)
			}
		}
	}

	// Every write reached Proxmox at most once (a 401 refused before
	// anything ran does not count); the tool's own write exactly once.
	writes := map[string]int{}
	for _, r := range reqs {
		if r.Method != "GET" && r.Path != "/access/ticket" && r.Status != 401 {
			writes[r.Method+" "+r.Path]++
		}
	}
	for w, n := range writes {
		if n != 1 {
			t.Errorf("%s sent %d times", w, n)
		}
	}
	if tc.write != "" && writes[tc.write] != 1 {
		t.Errorf("%s sent %d times, want once", tc.write, writes[tc.write])
	}
	row.writes = "-"
	if tc.write != "" {
		row.writes = fmt.Sprintf("%s x%d", tc.write[:strings.IndexByte(tc.write, ' ')], writes[tc.write])
	}

	// Work not done stays not done: the guest is still stopped.
	row.state = "-"
	if tc.tool == "pve_vm_start" && !tc.fresh {
		if tc.unknown {
			settle(t, h) // the task may still run in the simulator
		}
		row.state = guestState(t, h)
		switch {
		case tc.ok:
			if row.state != "running" {
				t.Errorf("after a start that succeeded VM 101 is %s", row.state)
			}
			stopGuest(t, h)
		case tc.unknown && row.state == "running":
			row.state += " (outcome unknown, said so)"
			stopGuest(t, h)
		case row.state != "stopped":
			t.Errorf("after a failed start VM 101 is %s", row.state)
		}
	}

	// The server goes on serving (a read no case changes: pve_vm_delete
	// may have removed VM 101 by now).
	row.serving = "yes"
	if isErr, text := h.call(t, "pve_list_nodes", nil); isErr {
		t.Errorf("server stopped serving: %s", text)
		row.serving = "NO"
	}
	return row
}

func guestState(t *testing.T, h *harness) string {
	t.Helper()
	var st struct {
		Status string `json:"status"`
	}
	if err := h.client.Get(context.Background(), statusPath, nil, &st); err != nil {
		t.Errorf("read VM 101 status: %v", err)
	}
	return st.Status
}

// settle waits until no task runs on pve1 any more.
func settle(t *testing.T, h *harness) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var active []json.RawMessage
		if err := h.client.Get(context.Background(), "/nodes/pve1/tasks", url.Values{"source": {"active"}}, &active); err != nil {
			t.Fatalf("list running tasks: %v", err)
		}
		if len(active) == 0 {
			return
		}
	}
	t.Error("tasks still running on pve1 after 10s")
}

// stopGuest puts VM 101 back into its seeded state for the next case.
func stopGuest(t *testing.T, h *harness) {
	t.Helper()
	var upid string
	ctx := context.Background()
	if err := h.client.Post(ctx, "/nodes/pve1/qemu/101/status/stop", nil, &upid); err != nil {
		t.Fatalf("stop VM 101: %v", err)
	}
	if _, err := h.client.WaitTask(ctx, upid, pve.WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatalf("stop VM 101: %v", err)
	}
}

func count(reqs []pvesim.Request, method, path string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// scanForSecrets: no token secret, password or ticket in any log line or
// tool result of the whole run.
func scanForSecrets(t *testing.T, h *harness) {
	t.Helper()
	all := h.logs.String() + "\n" + strings.Join(h.texts, "\n")
	for _, s := range []string{tokenSecret, password, "PVE:root@pam:", "PVEAuthCookie", "PVEAPIToken"} {
		if strings.Contains(all, s) {
			t.Errorf("%q found in logs or tool results", s)
		}
	}
	if len(h.texts) == 0 || !strings.Contains(h.logs.String(), "proxmox request") {
		t.Error("nothing was scanned")
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 150 {
		s = s[:150] + "..."
	}
	return s
}

func logTable(t *testing.T, rows []outcome) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].auth != rows[j].auth {
			return rows[i].auth > rows[j].auth
		}
		return rows[i].seq < rows[j].seq
	})
	var b strings.Builder
	fmt.Fprintf(&b, "\n| auth | fault | outcome | write sent | VM 101 after | still serving | what the tool said |\n|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", r.auth, r.name, r.result, r.writes, r.state, r.serving, strings.ReplaceAll(r.detail, "|", "\\|"))
	}
	t.Log(b.String())
}
