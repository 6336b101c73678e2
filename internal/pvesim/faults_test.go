package pvesim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	e := newEnv(t, Options{})
	add := func(f Fault) int {
		t.Helper()
		id, err := e.sim.AddFault(f)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}

	t.Run("error once", func(t *testing.T) {
		add(Fault{Kind: FaultError, Path: "/nodes/pve1/qemu", Status: 500, Message: "boom", Count: 1})
		r := e.do("GET", "/nodes/pve1/qemu", nil)
		if r.status != 500 || r.reason != "boom" || r.message != "boom\n" {
			t.Fatalf("%d %q %q", r.status, r.reason, r.raw)
		}
		if r := e.do("GET", "/nodes/pve1/qemu", nil); r.status != 200 {
			t.Fatalf("count not honoured: %d", r.status)
		}
	})
	t.Run("offline node", func(t *testing.T) {
		id := add(Fault{Kind: FaultOffline, Node: "pve3"})
		r := e.do("GET", "/nodes/pve3/qemu", nil)
		if r.status != 595 || r.reason != "Connection refused" || r.raw != "" {
			t.Fatalf("%d %q %q", r.status, r.reason, r.raw)
		}
		nodes := e.ok("GET", "/nodes", nil).([]any)
		if nodes[2].(map[string]any)["status"] != "offline" {
			t.Fatalf("nodes: %v", nodes)
		}
		st := e.ok("GET", "/cluster/status", nil).([]any)
		if st[3].(map[string]any)["online"] != float64(0) {
			t.Fatalf("cluster status: %v", st)
		}
		e.sim.RemoveFault(id)
		add(Fault{Kind: FaultOffline, Node: "pve3", Status: 596, Count: 0})
		if r := e.do("GET", "/nodes/pve3/status", nil); r.status != 596 || r.reason != "Connection timed out" {
			t.Fatalf("596: %d %q", r.status, r.reason)
		}
		e.sim.ClearFaults()
		if r := e.do("GET", "/nodes/pve3/status", nil); r.status != 200 {
			t.Fatalf("back online: %d", r.status)
		}
	})
	t.Run("non-json and html", func(t *testing.T) {
		add(Fault{Kind: FaultNonJSON, Path: "/version", Count: 1})
		r := e.do("GET", "/version", nil)
		if r.status != 200 || r.raw != "this is not JSON" {
			t.Fatalf("%d %q", r.status, r.raw)
		}
		add(Fault{Kind: FaultHTML, Path: "/version", Count: 1})
		r = e.do("GET", "/version", nil)
		if r.status != 502 || !strings.HasPrefix(r.raw, "<html>") {
			t.Fatalf("%d %q", r.status, r.raw)
		}
	})
	t.Run("connection reset", func(t *testing.T) {
		add(Fault{Kind: FaultReset, Path: "/version", Count: 1})
		req, _ := http.NewRequest("GET", e.srv.URL+"/api2/json/version", nil)
		req.Header.Set("Authorization", e.token)
		res, err := e.srv.Client().Do(req)
		if err == nil {
			res.Body.Close()
			t.Fatal("no error on reset")
		}
	})
	t.Run("hang until the client gives up", func(t *testing.T) {
		add(Fault{Kind: FaultHang, Path: "/version", Count: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api2/json/version", nil)
		req.Header.Set("Authorization", e.token)
		res, err := e.srv.Client().Do(req)
		if err == nil {
			res.Body.Close()
			t.Fatal("hang answered")
		}
	})
	t.Run("latency", func(t *testing.T) {
		add(Fault{Kind: FaultLatency, Path: "/version", Delay: 30 * time.Millisecond, Count: 1})
		start := time.Now()
		e.ok("GET", "/version", nil)
		if time.Since(start) < 30*time.Millisecond {
			t.Fatal("no latency")
		}
	})
	t.Run("task fails with a text", func(t *testing.T) {
		add(Fault{Kind: FaultTaskFail, TaskType: "qmclone", Message: "clone failed: storage full", Count: 1})
		upid := e.ok("POST", "/nodes/pve1/qemu/9000/clone", vals("newid", "650")).(string)
		if got := e.waitTask(upid); got != "clone failed: storage full" {
			t.Fatalf("exit %q", got)
		}
		if r := e.do("GET", "/nodes/pve1/qemu/650/config", nil); r.status != 500 {
			t.Fatalf("failed clone left a guest: %d", r.status)
		}
	})
	t.Run("lock timeout", func(t *testing.T) {
		add(Fault{Kind: FaultLockTimeout, VMID: 101, Count: 1})
		r := e.do("PUT", "/nodes/pve1/qemu/101/config", vals("cores", "2"))
		if r.status != 500 || r.reason != "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout" {
			t.Fatalf("sync: %d %q", r.status, r.reason)
		}
		add(Fault{Kind: FaultLockTimeout, VMID: 101, Count: 1})
		upid := e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
		if got := e.waitTask(upid); got != "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout" {
			t.Fatalf("task: %q", got)
		}
		if log := e.taskLog(upid); log[0] != "trying to acquire lock..." {
			t.Fatalf("log %q", log)
		}
	})
	t.Run("tasks that vanish", func(t *testing.T) {
		add(Fault{Kind: FaultTaskVanish, TaskType: "qmstart", Count: 1})
		upid := e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
		if got := e.waitTask(upid); got != "unexpected status" {
			t.Fatalf("killed: %q", got)
		}
		add(Fault{Kind: FaultTaskVanish, TaskType: "qmstart", Mode: "gone", Count: 1})
		upid = e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
		r := e.do("GET", "/nodes/pve1/tasks/"+url.PathEscape(upid)+"/status", nil)
		if r.status != 400 || r.errors["upid"] != "no such task" {
			t.Fatalf("gone: %d %v", r.status, r.errors)
		}
	})
}

func TestRequestLogAndAdminAPI(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.ResetRequests()
	e.do("PUT", "/nodes/pve1/qemu/101/config", vals("cores", "3"))
	e.do("GET", "/nodes/pve1/qemu/4242/config", nil)
	reqs := e.sim.Requests()
	if len(reqs) != 2 || reqs[0].Method != "PUT" || reqs[0].Path != "/nodes/pve1/qemu/101/config" ||
		reqs[0].Params.Get("cores") != "3" || reqs[0].Status != 200 || reqs[1].Status != 500 {
		t.Fatalf("log: %+v", reqs)
	}

	admin := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, e.srv.URL+"/_sim"+path, strings.NewReader(body))
		req.Header.Set("Authorization", e.token)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	if st, out := admin("GET", "/requests", ""); st != 200 || len(out["data"].([]any)) != 2 {
		t.Fatalf("admin requests: %d %v", st, out)
	}
	if st, _ := admin("POST", "/faults", `{"kind":"offline","node":"pve2"}`); st != 200 {
		t.Fatalf("add fault: %d", st)
	}
	if r := e.do("GET", "/nodes/pve2/qemu", nil); r.status != 595 {
		t.Fatalf("offline via admin: %d", r.status)
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
	}{
		{"DELETE", "/faults/999", "", 404},
		{"POST", "/advance", `{"duration":"soon"}`, 400},
		{"POST", "/faults", `{"kind":"nonsense"}`, 400},
		{"POST", "/acl", `{"path":"/","ugid":"root@pam","role":"NoSuchRole"}`, 400},
		{"GET", "/nope", "", 404},
		{"POST", "/faults", `not json`, 400},
	} {
		if st, out := admin(tc.method, tc.path, tc.body); st != tc.status || out["error"] == "" {
			t.Errorf("%s %s %s = %d %v, want %d with an error", tc.method, tc.path, tc.body, st, out, tc.status)
		}
	}
	if st, out := admin("POST", "/faults", `{"kind":"error","path":"/version","status":500,"message":"x"}`); st != 200 {
		t.Fatalf("add fault: %d %v", st, out)
	} else {
		id := out["data"].(map[string]any)["id"].(float64)
		if st, _ := admin("DELETE", fmt.Sprintf("/faults/%d", int(id)), ""); st != 200 {
			t.Errorf("delete fault %v: %d", id, st)
		}
	}
	admin("DELETE", "/faults", "")
	if st, _ := admin("POST", "/tokens", `{"tokenid":"viewer@pve!ro","secret":"v","role":"PVEAuditor"}`); st != 200 {
		t.Fatalf("add token: %d", st)
	}
	if r := e.doAuth("POST", "/nodes/pve1/qemu/101/status/start", nil, "PVEAPIToken=viewer@pve!ro=v"); r.status != 403 {
		t.Fatalf("viewer write: %d", r.status)
	}
	upid := e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
	if st, _ := admin("POST", "/advance", `{"duration":"10s"}`); st != 200 {
		t.Fatal("advance")
	}
	if st := e.ok("GET", "/nodes/pve1/tasks/"+url.PathEscape(upid)+"/status", nil).(map[string]any); st["status"] != "stopped" {
		t.Fatalf("advance did not finish the task: %v", st)
	}
	// the admin API needs a full-privilege token
	req, _ := http.NewRequest("GET", e.srv.URL+"/_sim/requests", nil)
	req.Header.Set("Authorization", "PVEAPIToken=viewer@pve!ro=v")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("viewer on admin API: %d", res.StatusCode)
	}
	admin("POST", "/reset", "")
	if c := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any); c["cores"] != float64(4) {
		t.Fatalf("reset: %v", c)
	}
}
