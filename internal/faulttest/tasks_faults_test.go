package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// Faults around Proxmox tasks: after a write returned its UPID (or no
// UPID), while its status is polled, in what the status and log say, and
// when the call is cancelled.

const (
	tasksPath  = "/nodes/pve1/tasks/"
	checkStart = "so it may have been carried out; check pve_vm_status for VM 101 on pve1 before repeating it"
	checkTask  = "so it may have been carried out; check pve_task_status with this UPID before repeating it"
	checkGone  = "so it may have been carried out; check pve_vm_status for VM 101 on pve1 and pve_list_tasks for pve1 before repeating it"
	followTask = "follow it with pve_task_wait or pve_task_status and this UPID"
	maxResult  = 16 << 10 // bytes a bounded task result stays under
	manyWarns  = 50000
)

func taskCases() []faultCase {
	poll := func(kind string, f pvesim.Fault) pvesim.Fault {
		f.Kind, f.Method, f.Path = kind, "GET", tasksPath
		return f
	}
	start := func(name string, f pvesim.Fault, want ...string) faultCase {
		return faultCase{name: name, faults: []pvesim.Fault{f}, tool: "pve_vm_start", args: guest, want: want, write: "POST " + startPath}
	}
	okStart := func(c faultCase) faultCase {
		c.ok = true
		return c
	}
	cases := []faultCase{
		unknown(start("404 on the task status after the UPID", poll(pvesim.FaultError, pvesim.Fault{Status: 404, Message: "Not Found"}),
			"ended is unknown", "404", checkGone)),
		unknown(start("status polls failing for good", poll(pvesim.FaultReset, pvesim.Fault{}),
			"ended is unknown", "its status could not be read", checkTask)),
		okStart(start("502 during polling, then answers", poll(pvesim.FaultHTML, pvesim.Fault{Status: 502, Count: 2}))),
		unknown(start("504 during polling for good", poll(pvesim.FaultHTML, pvesim.Fault{Status: 504}),
			"ended is unknown", "504 Gateway Timeout", checkTask)),
	}
	cases = append(cases, noUPIDCases()...)

	// Numbers as strings in every task answer.
	for _, tool := range []string{"pve_vm_start", "pve_task_status", "pve_task_log", "pve_task_wait"} {
		c := faultCase{name: "numbers as strings: " + tool, tool: tool, ok: true, hook: quoteNumbers}
		if tool == "pve_vm_start" {
			c.args, c.write = guest, "POST "+startPath
		} else {
			c.setup = seededTask
		}
		if tool == "pve_task_log" {
			c.check = func(t *testing.T, text string, _ int) {
				if !strings.Contains(text, `"total":`) || !strings.Contains(text, `"n":1,`) {
					t.Errorf("log page: %s", text)
				}
			}
		}
		cases = append(cases, c)
	}

	// A task that ends with 50 000 warnings: bounded results.
	for _, tool := range []string{"pve_vm_start", "pve_task_wait", "pve_task_status"} {
		want := fmt.Sprintf("the last 20 of %d warnings; pve_task_log with this UPID, start and limit pages through all %d log lines", manyWarns, manyWarns+1)
		if tool == "pve_task_status" {
			want = fmt.Sprintf("the last 20 log lines; pve_task_log with this UPID, start and limit pages through all %d log lines", manyWarns+1)
		}
		c := faultCase{name: "50 000 warnings: " + tool, tool: tool, ok: true, hook: manyWarnings, check: bounded(want)}
		if tool == "pve_vm_start" {
			c.args, c.write = guest, "POST "+startPath
		} else {
			c.setup = seededTask
		}
		cases = append(cases, c)
	}

	// Progress in one unit per call: percent for a clone, seconds for a start.
	cases = append(cases,
		faultCase{name: "progress unit constant: pve_vm_clone (percent)", tool: "pve_vm_clone", ok: true, fresh: true,
			args:  map[string]any{"node": "pve1", "vmid": 101, "newid": 310, "name": "progress-clone", "full": true},
			write: "POST /nodes/pve1/qemu/101/clone", run: withProgress(100)},
		faultCase{name: "progress unit constant: pve_vm_start (seconds)", tool: "pve_vm_start", ok: true, args: guest,
			write: "POST " + startPath, run: withProgress(0)},
	)

	// A cancelled call still answers, with the UPID and how to follow it.
	cases = append(cases,
		unknown(faultCase{name: "cancelled call: pve_vm_start", tool: "pve_vm_start", args: guest, write: "POST " + startPath,
			hook: runningForever, run: cancelled, want: []string{"stopped waiting for task UPID:pve1:", "still running at the last check", followTask}}),
		faultCase{name: "cancelled call: pve_task_wait", tool: "pve_task_wait", setup: seededTask,
			hook: runningForever, run: cancelled, want: []string{"stopped waiting for task UPID:pve1:", "still running at the last check", followTask}},
	)
	return cases
}

// noUPIDCases: every task-starting tool, its write answered 2xx without a
// UPID after the simulator ran it.
func noUPIDCases() []faultCase {
	vm := func(id int, kv ...any) map[string]any {
		a := map[string]any{"node": "pve1", "vmid": id}
		for i := 0; i+1 < len(kv); i += 2 {
			a[kv[i].(string)] = kv[i+1]
		}
		return a
	}
	ct2 := func(kv ...any) map[string]any {
		a := vm(201, kv...)
		a["node"] = "pve2"
		return a
	}
	rows := []struct {
		tool, write, check string
		args               map[string]any
		setup              func(t *testing.T, h *harness) map[string]any
	}{
		{"pve_vm_start", "POST /nodes/pve1/qemu/101/status/start", "pve_vm_status for VM 101 on pve1", vm(101), nil},
		{"pve_vm_shutdown", "POST /nodes/pve1/qemu/100/status/shutdown", "pve_vm_status for VM 100 on pve1", vm(100), nil},
		{"pve_vm_reboot", "POST /nodes/pve1/qemu/100/status/reboot", "pve_vm_status for VM 100 on pve1", vm(100), nil},
		{"pve_vm_stop", "POST /nodes/pve1/qemu/100/status/stop", "pve_vm_status for VM 100 on pve1", vm(100, "confirm", true), nil},
		{"pve_vm_reset", "POST /nodes/pve1/qemu/100/status/reset", "pve_vm_status for VM 100 on pve1", vm(100, "confirm", true), nil},
		{"pve_vm_create", "POST /nodes/pve1/qemu", "pve_vm_config for VM 300 on pve1", vm(300, "name", "nouPID"), nil},
		{"pve_vm_clone", "POST /nodes/pve1/qemu/101/clone", "pve_cluster_resources for whether guest 301 exists", vm(101, "newid", 301, "name", "noupid-clone"), nil},
		{"pve_vm_migrate", "POST /nodes/pve1/qemu/101/migrate", "pve_cluster_resources for the node VM 101 is on", vm(101, "target", "pve2"), nil},
		{"pve_vm_delete", "DELETE /nodes/pve1/qemu/101", "pve_cluster_resources for whether VM 101 still exists", vm(101, "confirm", true, "confirmVmid", 101), nil},
		{"pve_lxc_start", "POST /nodes/pve2/lxc/201/status/start", "pve_lxc_status for CT 201 on pve2", ct2(), nil},
		{"pve_lxc_shutdown", "POST /nodes/pve1/lxc/200/status/shutdown", "pve_lxc_status for CT 200 on pve1", vm(200), nil},
		{"pve_lxc_reboot", "POST /nodes/pve1/lxc/200/status/reboot", "pve_lxc_status for CT 200 on pve1", vm(200), nil},
		{"pve_lxc_stop", "POST /nodes/pve1/lxc/200/status/stop", "pve_lxc_status for CT 200 on pve1", vm(200, "confirm", true), nil},
		{"pve_lxc_create", "POST /nodes/pve1/lxc", "pve_lxc_config for CT 250 on pve1",
			vm(250, "ostemplate", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "rootfs", map[string]any{"storage": "local-lvm", "sizeGb": 1}, "confirm", true), nil},
		{"pve_lxc_clone", "POST /nodes/pve2/lxc/201/clone", "pve_cluster_resources for whether guest 251 exists", ct2("newid", 251), nil},
		{"pve_lxc_delete", "DELETE /nodes/pve2/lxc/201", "pve_cluster_resources for whether CT 201 still exists", ct2("confirm", true, "confirmVmid", 201), nil},
		{"pve_snapshot_create", "POST /nodes/pve1/qemu/101/snapshot", "pve_list_snapshots for VM 101 on pve1", vm(101, "type", "qemu", "snapname", "noupid"), nil},
		{"pve_snapshot_rollback", "POST /nodes/pve1/qemu/100/snapshot/before-upgrade/rollback", "pve_list_tasks for pve1",
			vm(100, "type", "qemu", "snapname", "before-upgrade", "confirm", true, "confirmName", "before-upgrade"), nil},
		{"pve_snapshot_delete", "DELETE /nodes/pve1/qemu/100/snapshot/before-upgrade", "pve_list_snapshots for VM 100 on pve1",
			vm(100, "type", "qemu", "snapname", "before-upgrade", "confirm", true, "confirmName", "before-upgrade"), nil},
		{"pve_vm_suspend", "POST /nodes/pve1/qemu/100/status/suspend", "pve_vm_status for VM 100 on pve1", vm(100), nil},
		{"pve_vm_resume", "POST /nodes/pve1/qemu/100/status/resume", "pve_vm_status for VM 100 on pve1", vm(100), nil},
		{"pve_lxc_suspend", "POST /nodes/pve1/lxc/200/status/suspend", "pve_lxc_status for CT 200 on pve1", vm(200), nil},
		{"pve_lxc_resume", "POST /nodes/pve1/lxc/200/status/resume", "pve_lxc_status for CT 200 on pve1", vm(200), nil},
		{"pve_vm_resize_disk", "PUT /nodes/pve1/qemu/101/resize", "pve_vm_config for the size of scsi0", vm(101, "disk", "scsi0", "size", "+1G"), nil},
		{"pve_lxc_resize_disk", "PUT /nodes/pve2/lxc/201/resize", "pve_lxc_config for the size of rootfs", ct2("disk", "rootfs", "size", "+1G"), nil},
		{"pve_backup_now", "POST /nodes/pve1/vzdump", "pve_list_backups for local on pve1", vm(101, "storage", "local"), nil},
		{"pve_restore", "POST /nodes/pve1/qemu", "pve_vm_config for VM 150 on pve1", nil, func(t *testing.T, h *harness) map[string]any {
			return vm(150, "type", "qemu", "archive", backupOf(t, h, 100), "storage", "local-lvm", "confirm", true, "confirmVmid", 150)
		}},
		{"pve_download_iso", "POST /nodes/pve1/storage/local/download-url", "pve_storage_content for local on pve1",
			map[string]any{"node": "pve1", "storage": "local", "url": "https://93.184.216.34/noupid.iso", "filename": "noupid.iso"}, nil},
		{"pve_apply_network", "PUT /nodes/pve1/network", "pve_list_tasks for pve1", nil, func(t *testing.T, h *harness) map[string]any {
			form := map[string][]string{"type": {"bridge"}, "iface": {"vmbr9"}}
			if err := h.client.Post(context.Background(), "/nodes/pve1/network", form, nil); err != nil {
				t.Fatalf("stage a bridge: %v", err)
			}
			return map[string]any{"node": "pve1", "confirm": true}
		}},
	}
	var out []faultCase
	for _, r := range rows {
		method, path, _ := strings.Cut(r.write, " ")
		out = append(out, unknown(faultCase{name: "2xx without a UPID: " + r.tool, tool: r.tool, args: r.args, setup: r.setup,
			fresh: true, write: r.write, hook: noUPID(method, path),
			want: []string{"Proxmox accepted the request but answered without a task ID (answer null", "so it may have been carried out; check " + r.check + " before repeating it"}}))
	}
	return out
}

// rewrite lets the simulator answer and edits the JSON envelope.
func rewrite(match func(r *http.Request) bool, edit func(r *http.Request, env map[string]any)) tamper {
	return func(w http.ResponseWriter, r *http.Request, sim http.Handler) bool {
		if !match(r) {
			return false
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var env map[string]any
		if rec.Code == http.StatusOK && json.Unmarshal(body, &env) == nil {
			edit(r, env)
			body, _ = json.Marshal(env)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
		return true
	}
}

func isTask(r *http.Request, sub string) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/tasks/UPID") && strings.HasSuffix(r.URL.Path, "/"+sub)
}

func noUPID(method, path string) tamper {
	return rewrite(func(r *http.Request) bool { return r.Method == method && r.URL.Path == "/api2/json"+path },
		func(_ *http.Request, env map[string]any) { env["data"] = nil })
}

// quoteNumbers sends every number of task status and log as a string.
var quoteNumbers = rewrite(func(r *http.Request) bool { return isTask(r, "status") || isTask(r, "log") },
	func(r *http.Request, env map[string]any) {
		quote := func(v any) any {
			if f, ok := v.(float64); ok {
				return strconv.FormatFloat(f, 'f', -1, 64)
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
		env["total"] = quote(env["total"])
	})

// manyWarnings makes every finished task end with 50 000 warnings.
var manyWarnings tamper = func(w http.ResponseWriter, r *http.Request, sim http.Handler) bool {
	if isTask(r, "log") {
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		lines := []map[string]any{}
		for i := start; i <= manyWarns && (limit == 0 || i < start+limit); i++ {
			t := fmt.Sprintf("WARN: unused volume local-lvm:vm-101-disk-%d is not referenced in the config", i)
			if i == manyWarns {
				t = "TASK WARNINGS: " + strconv.Itoa(manyWarns)
			}
			lines = append(lines, map[string]any{"n": i + 1, "t": t})
		}
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": lines, "total": manyWarns + 1})
		return true
	}
	return rewrite(func(r *http.Request) bool { return isTask(r, "status") }, func(_ *http.Request, env map[string]any) {
		if st, ok := env["data"].(map[string]any); ok && st["status"] == "stopped" {
			st["exitstatus"] = "WARNINGS: " + strconv.Itoa(manyWarns)
		}
	})(w, r, sim)
}

// runningForever: the task never stops, as far as the status tells.
var runningForever = rewrite(func(r *http.Request) bool { return isTask(r, "status") }, func(_ *http.Request, env map[string]any) {
	if st, ok := env["data"].(map[string]any); ok {
		st["status"] = "running"
		delete(st, "exitstatus")
	}
})

// seededTask returns the UPID of a finished task of the simulator's history.
func seededTask(t *testing.T, h *harness) map[string]any {
	t.Helper()
	var tasks []struct {
		UPID string `json:"upid"`
	}
	if err := h.client.Get(context.Background(), "/nodes/pve1/tasks", map[string][]string{"limit": {"1"}}, &tasks); err != nil || len(tasks) == 0 {
		t.Fatalf("list tasks: %v %v", tasks, err)
	}
	return map[string]any{"upid": tasks[0].UPID}
}

func backupOf(t *testing.T, h *harness, vmid int) string {
	t.Helper()
	var vols []struct {
		Volid string `json:"volid"`
		VMID  int    `json:"vmid"`
	}
	if err := h.client.Get(context.Background(), "/nodes/pve1/storage/local/content", map[string][]string{"content": {"backup"}}, &vols); err != nil {
		t.Fatalf("list backups: %v", err)
	}
	for _, v := range vols {
		if v.VMID == vmid {
			return v.Volid
		}
	}
	t.Fatalf("no backup of %d", vmid)
	return ""
}

func bounded(want string) func(t *testing.T, text string, size int) {
	return func(t *testing.T, text string, size int) {
		if size > maxResult || !strings.Contains(text, want) {
			t.Errorf("%d bytes (at most %d), want %q: %.400s", size, maxResult, want, text)
		}
	}
}

// withProgress calls with a progress token; every notification must have
// this total (100: percent, 0: seconds), rise, and stay within it.
func withProgress(total float64) func(t *testing.T, h *harness, name string, args map[string]any) (bool, string) {
	return func(t *testing.T, h *harness, name string, args map[string]any) (bool, string) {
		isErr, text, got := h.callWithProgress(t, name, args)
		if len(got) == 0 {
			t.Errorf("no progress notification")
		}
		for i, p := range got {
			if p.Total != total || (i > 0 && p.Progress <= got[i-1].Progress) || (p.Total > 0 && p.Progress > p.Total) {
				t.Errorf("notification %d: %v of %v (want total %v) in %s", i, p.Progress, p.Total, total, progressText(got))
			}
		}
		return isErr, text
	}
}

func progressText(ps []*mcp.ProgressNotificationParams) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "[%v/%v] ", p.Progress, p.Total)
	}
	return b.String()
}

// cancelled cancels the call once the server has seen the task running:
// a second status read starts only after the first answer was read (the
// simulator logs a read before its answer reaches the client).
func cancelled(t *testing.T, h *harness, name string, args map[string]any) (bool, string) {
	return h.callCancelled(t, name, args, func() bool {
		n := 0
		for _, r := range h.sim.Requests() {
			if r.Method == "GET" && strings.Contains(r.Path, "/tasks/UPID") && strings.HasSuffix(r.Path, "/status") {
				n++
			}
		}
		return n >= 2
	})
}
