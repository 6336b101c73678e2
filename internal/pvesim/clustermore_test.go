package pvesim

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestClusterLog(t *testing.T) {
	e := newEnv(t, Options{})
	log := rows(t, e.ok("GET", "/cluster/log", nil))
	// the seeded history: 5 finished tasks per node, each started and ended
	if len(log) != 30 || len(rows(t, e.ok("GET", "/cluster/log", vals("max", "4")))) != 4 {
		t.Fatalf("default max: %d entries", len(log))
	}
	want := []string{"id", "msg", "node", "pid", "pri", "tag", "time", "uid", "user"}
	for i, en := range log {
		if got := keysOf(en); !reflect.DeepEqual(got, want) {
			t.Fatalf("entry fields %v", got)
		}
		if en["id"] != fmt.Sprintf("%v:%v", en["uid"], en["node"]) {
			t.Fatalf("id %v", en["id"])
		}
		if i > 0 && en["time"].(float64) > log[i-1]["time"].(float64) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	// a failed seeded task ends at priority err with its error
	found := false
	for _, en := range rows(t, e.ok("GET", "/cluster/log", vals("max", "500"))) {
		if strings.HasSuffix(en["msg"].(string), ":qmshutdown:101:root@pam: VM quit/powerdown failed - got timeout") {
			found = en["pri"] == float64(3) && strings.HasPrefix(en["msg"].(string), "end task UPID:")
		}
	}
	if !found {
		t.Fatalf("no err entry for the failed shutdown")
	}
	// a new task logs its start, then its end
	upid := e.ok("POST", "/nodes/pve2/qemu/102/status/suspend", nil).(string)
	first := rows(t, e.ok("GET", "/cluster/log", vals("max", "1")))
	if len(first) != 1 || first[0]["msg"] != "starting task "+upid || first[0]["node"] != "pve2" || first[0]["user"] != "root@pam!mcp" || first[0]["tag"] != "pvedaemon" {
		t.Fatalf("start entry %v", first)
	}
	e.waitTask(upid)
	first = rows(t, e.ok("GET", "/cluster/log", vals("max", "2")))
	if first[0]["msg"] != "end task "+upid+" OK" || first[0]["pri"] != float64(6) || first[1]["msg"] != "starting task "+upid {
		t.Fatalf("end entries %v", first)
	}
	if first[0]["uid"].(float64) != first[1]["uid"].(float64)+1 {
		t.Fatalf("uids %v %v", first[0]["uid"], first[1]["uid"])
	}
	if r := e.do("GET", "/cluster/log", vals("max", "0")); r.status != 400 {
		t.Fatalf("max 0: %d", r.status)
	}
	// without Sys.Syslog on / one sees one's own entries only
	must(t, e.sim.AddToken("ops@pve!tk", "x", true))
	auth := "PVEAPIToken=ops@pve!tk=x"
	if own := e.okAuth("GET", "/cluster/log", nil, auth).([]any); len(own) != 0 {
		t.Fatalf("a fresh token sees %d entries", len(own))
	}
	must(t, e.sim.SetACL("/vms/102", "ops@pve", "PVEVMUser", true))
	must(t, e.sim.SetACL("/vms/102", "ops@pve!tk", "PVEVMUser", true))
	e.waitTask(e.okAuth("POST", "/nodes/pve2/qemu/102/status/resume", nil, auth).(string))
	own := rows(t, e.okAuth("GET", "/cluster/log", nil, auth))
	if len(own) != 2 || own[0]["user"] != "ops@pve!tk" || !strings.HasPrefix(own[0]["msg"].(string), "end task ") {
		t.Fatalf("own entries %v", own)
	}
}

func TestClusterOptions(t *testing.T) {
	e := newEnv(t, Options{})
	got := e.ok("GET", "/cluster/options", nil).(map[string]any)
	want := map[string]any{"keyboard": "en-us", "description": "", "mac_prefix": "BC:24:11",
		"allowed-tags": []any{"db", "dev", "prod", "web"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("seeded options %v", got)
	}
	e.ok("PUT", "/cluster/options", vals("max_workers", "8", "console", "xtermjs", "migration", "type=insecure,network=10.10.0.0/24",
		"description", "Home lab\n\n", "tag-style", "shape=dense,case-sensitive=1", "ha", "shutdown_policy=migrate",
		"registered-tags", "infra;backup", "email_from", "pve@example.com"))
	got = e.ok("GET", "/cluster/options", nil).(map[string]any)
	want = map[string]any{"keyboard": "en-us", "description": "Home lab\n", "mac_prefix": "BC:24:11", "max_workers": "8",
		"console": "xtermjs", "migration": map[string]any{"type": "insecure", "network": "10.10.0.0/24"},
		"tag-style": map[string]any{"shape": "dense", "case-sensitive": float64(1)}, "ha": map[string]any{"shutdown_policy": "migrate"},
		"registered-tags": []any{"infra", "backup"}, "email_from": "pve@example.com",
		"allowed-tags": []any{"backup", "db", "dev", "infra", "prod", "web"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after PUT %v", got)
	}
	// delete, and the default MAC prefix is not written out
	e.ok("PUT", "/cluster/options", vals("delete", "max_workers,description,ha", "mac_prefix", "bc:24:11", "migration_unsecure", "1"))
	got = e.ok("GET", "/cluster/options", nil).(map[string]any)
	if _, ok := got["max_workers"]; ok || got["description"] != "" || got["ha"] != nil || got["mac_prefix"] != "BC:24:11" {
		t.Fatalf("after delete %v", got)
	}
	if dc := e.sim.st.datacenter(); dc.vals["mac_prefix"] != "" || dc.vals["migration_unsecure"] != "1" {
		t.Fatalf("file %v", dc.vals)
	}
	for _, tc := range []struct{ k, v, err string }{
		{"keyboard", "xx", "value 'xx' does not have a value in the enumeration"},
		{"max_workers", "0", "value must have a minimum value of 1"},
		{"bogus", "1", "property is not defined in schema and the schema does not allow additional properties"},
	} {
		r := e.do("PUT", "/cluster/options", vals(tc.k, tc.v))
		if r.status != 400 || !strings.HasPrefix(r.errors[tc.k], tc.err) {
			t.Fatalf("%s=%s: %d %v", tc.k, tc.v, r.status, r.errors)
		}
	}
	r := e.do("PUT", "/cluster/options", vals("next-id", "lower=5000,upper=4000"))
	if r.status != 500 || r.message != "lower (5000) <= upper (4000) boundary rule broken\n" {
		t.Fatalf("next-id: %d %q", r.status, r.message)
	}
	e.ok("PUT", "/cluster/options", vals("next-id", "upper=9000,lower=200"))
	if e.sim.st.datacenter().vals["next-id"] != "lower=200,upper=9000" {
		t.Fatalf("next-id written %q", e.sim.st.datacenter().vals["next-id"])
	}
	// without Sys.Audit: console and tag-style only, the tags of one's guests
	must(t, e.sim.AddToken("ops@pve!tk", "x", true))
	auth := "PVEAPIToken=ops@pve!tk=x"
	must(t, e.sim.SetACL("/vms/102", "ops@pve", "PVEVMUser", true))
	must(t, e.sim.SetACL("/vms/102", "ops@pve!tk", "PVEVMUser", true))
	got = e.okAuth("GET", "/cluster/options", nil, auth).(map[string]any)
	want = map[string]any{"console": "xtermjs", "tag-style": map[string]any{"shape": "dense", "case-sensitive": float64(1)},
		"allowed-tags": []any{"dev"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("limited view %v", got)
	}
	if r := e.doAuth("PUT", "/cluster/options", vals("keyboard", "de"), auth); r.status != 403 || r.reason != "Permission check failed (/, Sys.Modify)" {
		t.Fatalf("limited PUT: %d %q", r.status, r.reason)
	}
}

// PVE 7.4 knows no default MAC prefix: nothing is filled in or left out.
func TestClusterOptions74(t *testing.T) {
	e := newEnv(t, Options{Schema: "7.4"})
	got := e.ok("GET", "/cluster/options", nil).(map[string]any)
	if _, ok := got["mac_prefix"]; ok {
		t.Fatalf("7.4 options %v", got)
	}
	e.ok("PUT", "/cluster/options", vals("mac_prefix", "BC:24:11", "console", "applet"))
	got = e.ok("GET", "/cluster/options", nil).(map[string]any)
	if got["mac_prefix"] != "BC:24:11" || got["console"] != "html5" {
		t.Fatalf("7.4 after PUT %v", got)
	}
}
