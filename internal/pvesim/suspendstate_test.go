package pvesim

import (
	"strings"
	"testing"
)

// TestSuspendToDiskState: a hibernation stores the RAM in a state volume
// named in vmstate, with lock suspended; the resume frees both.
func TestSuspendToDiskState(t *testing.T) {
	e := newEnv(t, Options{})
	const vm = "/nodes/pve1/qemu/100"
	upid := e.ok("POST", vm+"/status/suspend", vals("todisk", "1", "statestorage", "local-lvm")).(string)
	if got := e.waitTask(upid); got != "OK" {
		t.Fatalf("suspend: %s %v", got, e.taskLog(upid))
	}
	conf := e.ok("GET", vm+"/config", nil).(map[string]any)
	state, _ := conf["vmstate"].(string)
	if conf["lock"] != "suspended" || !strings.HasPrefix(state, "local-lvm:vm-100-state-suspend-") {
		t.Fatalf("config after suspend to disk: %v", conf)
	}
	if !e.hasVolume("local-lvm", state) {
		t.Fatalf("state volume %s not on local-lvm", state)
	}
	upid = e.ok("POST", vm+"/status/resume", nil).(string)
	if got := e.waitTask(upid); got != "OK" {
		t.Fatalf("resume: %s %v", got, e.taskLog(upid))
	}
	conf = e.ok("GET", vm+"/config", nil).(map[string]any)
	if conf["lock"] != nil || conf["vmstate"] != nil || e.hasVolume("local-lvm", state) {
		t.Fatalf("after resume: %v (state volume kept: %v)", conf, e.hasVolume("local-lvm", state))
	}

	upid = e.ok("POST", vm+"/status/suspend", vals("todisk", "1", "statestorage", "nosuch")).(string)
	if got := e.waitTask(upid); !strings.Contains(got, "storage 'nosuch' does not exist") {
		t.Fatalf("suspend to a missing storage: %s", got)
	}
}

func (e *env) hasVolume(sid, volid string) bool {
	for _, v := range e.ok("GET", "/nodes/pve1/storage/"+sid+"/content", nil).([]any) {
		if v.(map[string]any)["volid"] == volid {
			return true
		}
	}
	return false
}
