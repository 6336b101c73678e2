package e2e

import (
	"strings"
	"testing"
)

// TestSimAPINodeSys walks a node's system endpoints over HTTPS as a client
// library would: read time, DNS and hosts and change them, restart a
// service and see it in the service list and the log, run apt update and
// list what it found, list disks and their SMART data, fetch the report.
func TestSimAPINodeSys(t *testing.T) {
	a := startSimAPI(t)

	tm := a.ok("GET", "/nodes/pve1/time", nil).(map[string]any)
	if tm["timezone"] != "Europe/Berlin" || tm["time"].(float64) <= 0 {
		t.Fatalf("time: %v", tm)
	}
	a.ok("PUT", "/nodes/pve1/time", form("timezone", "Europe/Vienna"))
	if tz := a.ok("GET", "/nodes/pve1/time", nil).(map[string]any)["timezone"]; tz != "Europe/Vienna" {
		t.Fatalf("timezone: %v", tz)
	}
	if ans := a.do("PUT", "/nodes/pve1/time", form("timezone", "Nowhere/Town")); ans.Status != 400 || ans.Errors["timezone"] != "No such timezone" {
		t.Fatalf("bad timezone: %d %s", ans.Status, ans.Raw)
	}

	a.ok("PUT", "/nodes/pve1/dns", form("search", "home.arpa", "dns1", "192.168.100.1"))
	if dns := a.ok("GET", "/nodes/pve1/dns", nil).(map[string]any); dns["search"] != "home.arpa" || dns["dns2"] != nil {
		t.Fatalf("dns: %v", dns)
	}
	hosts := a.ok("GET", "/nodes/pve1/hosts", nil).(map[string]any)
	a.ok("POST", "/nodes/pve1/hosts", form("data", hosts["data"].(string)+"192.168.100.50 nas.lan nas\n", "digest", hosts["digest"].(string)))
	if ans := a.do("POST", "/nodes/pve1/hosts", form("data", "x", "digest", hosts["digest"].(string))); ans.Status != 500 {
		t.Fatalf("stale digest: %d %s", ans.Status, ans.Raw)
	}

	upid := a.ok("POST", "/nodes/pve1/services/pvestatd/restart", nil).(string)
	if !strings.Contains(upid, ":srvrestart:pvestatd:") {
		t.Fatalf("upid %s", upid)
	}
	if st := a.waitTask("pve1", upid); st != "OK" {
		t.Fatalf("restart: %s", st)
	}
	upid = a.ok("POST", "/nodes/pve1/services/ksmtuned/stop", nil).(string)
	a.waitTask("pve1", upid)
	for _, x := range a.ok("GET", "/nodes/pve1/services", nil).([]any) {
		m := x.(map[string]any)
		if m["service"] == "ksmtuned" && (m["state"] != "dead" || m["active-state"] != "inactive") {
			t.Fatalf("ksmtuned: %v", m)
		}
	}
	logText := ""
	for _, l := range a.ok("GET", "/nodes/pve1/syslog", form("service", "ksmtuned", "limit", "100")).([]any) {
		logText += l.(map[string]any)["t"].(string) + "\n"
	}
	if !strings.Contains(logText, "Stopped ksmtuned.service") {
		t.Fatalf("syslog: %s", logText)
	}
	j := a.ok("GET", "/nodes/pve1/journal", form("lastentries", "20")).([]any)
	if !strings.HasPrefix(j[0].(string), "s=") || !strings.Contains(strings.Join(nodeSysStrings(j), "\n"), "end task "+upid+" OK") {
		t.Fatalf("journal: %v", j)
	}

	upid = a.ok("POST", "/nodes/pve1/apt/update", nil).(string)
	if st := a.waitTask("pve1", upid); st != "OK" {
		t.Fatalf("aptupdate: %s", st)
	}
	if ups := a.ok("GET", "/nodes/pve1/apt/update", nil).([]any); len(ups) == 0 {
		t.Fatal("no updates listed")
	}
	ver := a.ok("GET", "/version", nil).(map[string]any)["version"]
	if pm := a.ok("GET", "/nodes/pve1/apt/versions", nil).([]any)[1].(map[string]any); pm["Package"] != "pve-manager" || pm["OldVersion"] != ver {
		t.Fatalf("versions: %v", pm)
	}

	repos := a.ok("GET", "/nodes/pve1/apt/repositories", nil).(map[string]any)
	a.ok("PUT", "/nodes/pve1/apt/repositories", form("handle", "test", "digest", repos["digest"].(string)))
	if ans := a.do("PUT", "/nodes/pve1/apt/repositories", form("handle", "test", "digest", repos["digest"].(string))); ans.Status != 500 {
		t.Fatalf("stale repositories digest: %d %s", ans.Status, ans.Raw)
	}

	disks := a.ok("GET", "/nodes/pve1/disks/list", nil).([]any)
	if len(disks) == 0 {
		t.Fatal("no disks")
	}
	dev := disks[0].(map[string]any)["devpath"].(string)
	if sm := a.ok("GET", "/nodes/pve1/disks/smart", form("disk", dev)).(map[string]any); sm["health"] != "PASSED" {
		t.Fatalf("smart: %v", sm)
	}
	if ans := a.do("GET", "/nodes/pve1/disks/smart", form("disk", "/dev/sdq")); ans.Status != 500 || ans.Message != "not a valid block device\n" {
		t.Fatalf("unknown disk: %d %s", ans.Status, ans.Raw)
	}
	upid = a.ok("POST", "/nodes/pve1/disks/initgpt", form("disk", "/dev/sdb")).(string)
	if st := a.waitTask("pve1", upid); st != "OK" {
		t.Fatalf("initgpt: %s", st)
	}
	if thin := a.ok("GET", "/nodes/pve1/disks/lvmthin", nil).([]any); len(thin) != 1 || thin[0].(map[string]any)["lv"] != "data" {
		t.Fatalf("lvmthin: %v", thin)
	}
	if rep := a.ok("GET", "/nodes/pve1/report", nil).(string); !strings.Contains(rep, "==== general system info ====") ||
		!strings.Contains(rep, "192.168.100.50 nas.lan nas") {
		t.Fatalf("report: %.300s", rep)
	}
}

func nodeSysStrings(l []any) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i], _ = x.(string)
	}
	return out
}
