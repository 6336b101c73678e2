package tools

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// gateway502 answers the POST of a VM 100 start as a gateway would, after
// the fake carried it out.
func gateway502(r *http.Request) (int, string) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/qemu/100/status/start") {
		return 502, "<html>502 Bad Gateway</html>"
	}
	return 0, ""
}

// listedStart is a task list entry for the start of VM 100 by the tests'
// token, started at t.
func listedStart(upid, user, token string, t time.Time) string {
	return fmt.Sprintf(`[{"upid":%q,"node":"pve1","type":"qmstart","id":"100","user":%q,"tokenid":%q,"starttime":%d,"status":"RUNNING"}]`,
		upid, user, token, t.Unix())
}

// A write with an unknown outcome is worded in the tools' words, with no
// API path, whatever the write; the task list says what it can.
func TestUnknownOutcomeWording(t *testing.T) {
	t.Run("start, no task listed", func(t *testing.T) {
		e := newTaskEnv(t, &taskFake{running: 0, exit: "OK", writeFault: gateway502})
		e.fake.routes["GET /nodes/pve1/tasks"] = `[]`
		res, text, _ := e.call(t, "pve_vm_start", vm100)
		want := "start VM 100 on pve1: a gateway answered 502 Bad Gateway in place of Proxmox after the request was sent; " +
			"no qmstart task of guest 100 had appeared in the task list of pve1 yet, so it may have been carried out; " +
			"check pve_vm_status for VM 100 on pve1 before repeating it"
		if !res.IsError || text != want {
			t.Errorf("got  %s\nwant %s", text, want)
		}
		var list string
		for _, r := range e.fake.fakePVE.log() {
			if strings.HasPrefix(r, "GET /nodes/pve1/tasks?") {
				list = r
			}
		}
		q := form(list)
		if q.Get("source") != "all" || q.Get("vmid") != "100" || q.Get("typefilter") != "qmstart" || q.Get("userfilter") != "root@pam" || q.Get("since") == "" {
			t.Errorf("task list read: %q", list)
		}
	})
	t.Run("start, list unreadable", func(t *testing.T) {
		e := newTaskEnv(t, &taskFake{running: 0, exit: "OK", writeFault: gateway502})
		_, text, _ := e.call(t, "pve_vm_start", vm100) // the fake answers the list 501
		want := "start VM 100 on pve1: a gateway answered 502 Bad Gateway in place of Proxmox after the request was sent, so it may have been carried out; " +
			"check pve_vm_status for VM 100 on pve1 before repeating it"
		if text != want {
			t.Errorf("got  %s\nwant %s", text, want)
		}
	})
	t.Run("set config", func(t *testing.T) {
		e := newTaskEnv(t, &taskFake{writeFault: func(r *http.Request) (int, string) {
			if r.Method == http.MethodPut {
				return 504, ""
			}
			return 0, ""
		}})
		_, text, _ := e.call(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "cores": 2})
		want := "set config of VM 100 on pve1: a gateway answered 504 Gateway Timeout in place of Proxmox after the request was sent, so it may have been carried out; " +
			"check pve_vm_config for VM 100 on pve1 before repeating it"
		if text != want {
			t.Errorf("got  %s\nwant %s", text, want)
		}
	})
}

// After a write with an unknown outcome, the task the list shows for it is
// followed to its end; tasks of another user, or from before the request,
// are not taken for it.
func TestUnknownOutcomeTaskFound(t *testing.T) {
	e := newTaskEnv(t, &taskFake{running: 1, exit: "OK", writeFault: gateway502})
	e.fake.routes["GET /nodes/pve1/tasks"] = listedStart(testUPID, "root@pam", "mcp", time.Now())
	res, text, _ := e.call(t, "pve_vm_start", vm100)
	if res.IsError || !strings.Contains(text, `"upid":"`+testUPID+`"`) || !strings.Contains(text, `"exitStatus":"OK"`) {
		t.Fatalf("start: %v %s", res.IsError, text)
	}
	for name, list := range map[string]string{
		"another user":    listedStart(testUPID, "root@pam", "", time.Now()),
		"before the POST": listedStart(testUPID, "root@pam", "mcp", time.Now().Add(-time.Minute)),
	} {
		e := newTaskEnv(t, &taskFake{running: 0, exit: "OK", writeFault: gateway502})
		e.fake.routes["GET /nodes/pve1/tasks"] = list
		if res, text, _ := e.call(t, "pve_vm_start", vm100); !res.IsError || !strings.Contains(text, "no qmstart task of guest 100 had appeared") {
			t.Errorf("%s: %v %s", name, res.IsError, text)
		}
		if e.fake.polls != 0 {
			t.Errorf("%s: followed a task that is not the write's", name)
		}
	}
}

// errors.As and IsUnknownOutcome see through the tools' wording; a write
// that the task list shows did not run is no longer "may have run".
func TestUnknownOutcomeWrapping(t *testing.T) {
	cause := &pve.UnknownOutcomeError{Method: "POST", Path: "/nodes/pve1/qemu/100/status/start",
		Err: &pve.APIError{Method: "POST", Path: "/nodes/pve1/qemu/100/status/start", Status: 502}}
	err := writeError("start VM 100 on pve1", cause, "pve_vm_status for VM 100 on pve1")
	var uo *pve.UnknownOutcomeError
	if !errors.As(err, &uo) || !pve.IsUnknownOutcome(err) || strings.Contains(err.Error(), "GET /") || strings.Contains(err.Error(), "/nodes/") {
		t.Errorf("%v", err)
	}
	gone := &notRun{cause, "did not run"}
	if !errors.As(gone, &uo) || pve.IsUnknownOutcome(gone) {
		t.Errorf("not run: %v", gone)
	}
	for _, tc := range []struct {
		uo   *pve.UnknownOutcomeError
		want string
	}{
		{&pve.UnknownOutcomeError{Method: "POST", Path: "/x", Reauth: true, Err: errors.New("proxmox: POST /x: 401")},
			"Proxmox refused the login ticket (401) after the request was sent; the server logged in again but did not resend the request"},
		{&pve.UnknownOutcomeError{Method: "POST", Path: "/x", Accepted: true, Err: errors.New("proxmox: POST /x: 200 response (text/html): bad")},
			"Proxmox accepted the request, but its answer could not be read (200 response (text/html): bad)"},
		{&pve.UnknownOutcomeError{Method: "POST", Path: "/x", Err: errors.New("proxmox: POST /x: read: connection reset by peer")},
			"the connection to Proxmox failed after the request was sent (read: connection reset by peer)"},
		{&pve.UnknownOutcomeError{Method: "POST", Path: "/x", Err: &pve.APIError{Status: 599, Reason: "Too many redirections"}},
			"the Proxmox cluster proxy lost the target node (599 Too many redirections) after the request was sent"},
	} {
		if got := unsureFact(tc.uo); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

// The task a write starts, by its path, as the task list names it.
func TestExpectedTask(t *testing.T) {
	for _, tc := range []struct {
		method, path, action string
		want                 string // types/id, "" for none
	}{
		{"POST", "/nodes/pve1/qemu/100/status/start", "start", "qmstart/100"},
		{"POST", "/nodes/pve1/lxc/100/status/shutdown", "shutdown", "vzshutdown/100"},
		{"POST", "/nodes/pve1/qemu/100/status/suspend", "suspend", "qmpause,qmsuspend/100"},
		{"POST", "/nodes/pve1/qemu", "create", "qmcreate/100"},
		{"POST", "/nodes/pve1/lxc", "restore", "vzrestore/100"},
		{"DELETE", "/nodes/pve1/qemu/100", "delete", "qmdestroy/100"},
		{"POST", "/nodes/pve1/qemu/100/migrate", "migrate", "qmigrate/100"},
		{"POST", "/nodes/pve1/lxc/100/migrate", "migrate", "vzmigrate/100"},
		{"POST", "/nodes/pve1/qemu/100/clone", "clone", "qmclone/100"},
		{"POST", "/nodes/pve1/qemu/100/move_disk", "move_disk", "qmmove/100"},
		{"POST", "/nodes/pve1/lxc/100/move_volume", "move_disk", "move_volume/100"},
		{"POST", "/nodes/pve1/lxc/100/snapshot", "snapshot_create", "vzsnapshot/100"},
		{"DELETE", "/nodes/pve1/qemu/100/snapshot/s1", "snapshot_delete", "qmdelsnapshot/100"},
		{"POST", "/nodes/pve1/qemu/100/snapshot/s1/rollback", "rollback", "qmrollback/100"},
		{"POST", "/nodes/pve1/vzdump", "backup", "vzdump/100"},
		{"PUT", "/nodes/pve1/network", "apply_network", "srvreload/networking"},
		{"POST", "/nodes/pve1/storage/local/download-url", "download", ""},
	} {
		got := ""
		if e, ok := expectedTask(tc.method, tc.path, taskOut{Action: tc.action, VMID: 100}); ok {
			got = strings.Join(e.types, ",") + "/" + e.id
		}
		if got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}
