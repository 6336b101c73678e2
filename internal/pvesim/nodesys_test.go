package pvesim

import (
	"strings"
	"testing"
	"time"
)

func sysKeys(m map[string]any) []string { return sortedKeys(m) }

func sysWantKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: no %q in %v", what, k, sysKeys(m))
		}
	}
}

func TestNodeTimeAndTimezone(t *testing.T) {
	e := newEnv(t, Options{})
	tm := e.ok("GET", "/nodes/pve1/time", nil).(map[string]any)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	if tm["time"] != float64(now.Unix()) || tm["localtime"] != float64(now.Unix()+7200) || tm["timezone"] != "Europe/Berlin" {
		t.Fatalf("time: %v", tm)
	}
	r := e.do("PUT", "/nodes/pve1/time", vals("timezone", "Mars/Olympus"))
	if r.status != 400 || r.errors["timezone"] != "No such timezone" {
		t.Fatalf("bad zone: %d %v", r.status, r.raw)
	}
	if r := e.do("PUT", "/nodes/pve1/time", nil); r.status != 400 || r.errors["timezone"] == "" {
		t.Fatalf("missing zone: %d %v", r.status, r.raw)
	}
	e.ok("PUT", "/nodes/pve1/time", vals("timezone", "America/New_York"))
	e.advance(time.Hour)
	tm = e.ok("GET", "/nodes/pve1/time", nil).(map[string]any)
	if tm["timezone"] != "America/New_York" || tm["time"] != float64(now.Unix()+3600) || tm["localtime"] != float64(now.Unix()+3600-4*3600) {
		t.Fatalf("after set: %v", tm)
	}
	// the other nodes keep theirs
	if tz := e.ok("GET", "/nodes/pve2/time", nil).(map[string]any)["timezone"]; tz != "Europe/Berlin" {
		t.Fatalf("pve2: %v", tz)
	}
	// the journal records it, and prints local times in the new zone
	j := e.ok("GET", "/nodes/pve1/journal", vals("lastentries", "50")).([]any)
	found := false
	for _, l := range j {
		if strings.HasSuffix(l.(string), "Changed time zone to 'America/New_York' (EDT).") {
			found = strings.HasPrefix(l.(string), "Jun 01 08:00:00 pve1 systemd-timedated[")
		}
	}
	if !found {
		t.Fatalf("no timezone line: %v", j)
	}
}

func TestNodeDNSAndHosts(t *testing.T) {
	e := newEnv(t, Options{})
	dns := e.ok("GET", "/nodes/pve1/dns", nil).(map[string]any)
	if dns["search"] != "lan" || dns["dns1"] != "192.168.100.1" || dns["dns2"] != "1.1.1.1" || dns["dns3"] != nil {
		t.Fatalf("dns: %v", dns)
	}
	if r := e.do("PUT", "/nodes/pve1/dns", vals("dns1", "9.9.9.9")); r.status != 400 || r.errors["search"] != "property is missing and it is not optional" {
		t.Fatalf("no search: %d %s", r.status, r.raw)
	}
	if r := e.do("PUT", "/nodes/pve1/dns", vals("search", "lan", "dns1", "nine")); r.status != 400 || r.errors["dns1"] == "" {
		t.Fatalf("bad ip: %d %s", r.status, r.raw)
	}
	e.ok("PUT", "/nodes/pve1/dns", vals("search", "home.arpa", "dns1", "9.9.9.9", "dns3", "9.9.9.9"))
	dns = e.ok("GET", "/nodes/pve1/dns", nil).(map[string]any)
	if len(dns) != 2 || dns["search"] != "home.arpa" || dns["dns1"] != "9.9.9.9" {
		t.Fatalf("dns after put (unset servers go away, duplicates too): %v", dns)
	}

	h := e.ok("GET", "/nodes/pve2/hosts", nil).(map[string]any)
	data, digest := h["data"].(string), h["digest"].(string)
	if !strings.Contains(data, "192.168.100.12 pve2.lan pve2\n") || len(digest) != 40 || digest != nodeSHA1(data) {
		t.Fatalf("hosts: %v", h)
	}
	if r := e.do("POST", "/nodes/pve2/hosts", vals("data", "300.1.1.1 x\n")); r.status != 400 || r.errors["data"] != "Invalid IP '300.1.1.1'" {
		t.Fatalf("bad ip: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/nodes/pve2/hosts", vals("data", "10.0.0.1 bad_name\n")); r.status != 400 || r.errors["data"] != "Invalid Hostname 'bad_name'" {
		t.Fatalf("bad name: %d %s", r.status, r.raw)
	}
	next := data + "192.168.100.50 nas.lan nas\n"
	e.ok("POST", "/nodes/pve2/hosts", vals("data", next, "digest", digest))
	r := e.do("POST", "/nodes/pve2/hosts", vals("data", data, "digest", digest))
	if r.status != 500 || r.message != "detected modified configuration - file changed by other user? Try again.\n" {
		t.Fatalf("stale digest: %d %s", r.status, r.raw)
	}
	if got := e.ok("GET", "/nodes/pve2/hosts", nil).(map[string]any); got["data"] != next || got["digest"] == digest {
		t.Fatalf("hosts after post: %v", got)
	}
}

func TestNodeServices(t *testing.T) {
	e := newEnv(t, Options{})
	list := e.ok("GET", "/nodes/pve1/services", nil).([]any)
	byName := map[string]map[string]any{}
	for _, x := range list {
		m := x.(map[string]any)
		sysWantKeys(t, "service", m, "service", "name", "desc", "state", "active-state", "unit-state")
		byName[m["service"].(string)] = m
	}
	if len(list) != 23 || byName["qmeventd"] == nil || byName["pveproxy"]["state"] != "running" || byName["postfix"]["state"] != "exited" ||
		byName["syslog"]["unit-state"] != "not-found" || byName["syslog"]["state"] != "dead" {
		t.Fatalf("services: %d %v %v", len(list), byName["pveproxy"], byName["syslog"])
	}
	if r := e.do("GET", "/nodes/pve1/services/nginx/state", nil); r.status != 400 || !strings.HasPrefix(r.errors["service"], "value 'nginx' does not have a value in the enumeration") {
		t.Fatalf("unknown service: %d %s", r.status, r.raw)
	}
	idx := e.ok("GET", "/nodes/pve1/services/pve-ha-lrm", nil).([]any)
	if len(idx) != 5 || idx[0].(map[string]any)["subdir"] != "state" {
		t.Fatalf("index: %v", idx)
	}

	upid := e.ok("POST", "/nodes/pve1/services/pve-ha-lrm/stop", nil).(string)
	if !strings.Contains(upid, ":srvstop:pve-ha-lrm:root@pam!mcp:") {
		t.Fatalf("upid %s", upid)
	}
	if st := e.waitTask(upid); st != "OK" {
		t.Fatalf("stop: %s", st)
	}
	s := e.ok("GET", "/nodes/pve1/services/pve-ha-lrm/state", nil).(map[string]any)
	if s["state"] != "dead" || s["active-state"] != "inactive" || s["unit-state"] != "enabled" {
		t.Fatalf("after stop: %v", s)
	}
	if s := e.ok("GET", "/nodes/pve2/services/pve-ha-lrm/state", nil).(map[string]any); s["state"] != "running" {
		t.Fatalf("pve2 changed: %v", s)
	}
	lines := e.ok("GET", "/nodes/pve1/syslog", vals("service", "pve-ha-lrm", "limit", "500")).([]any)
	text := ""
	for _, l := range lines {
		text += l.(map[string]any)["t"].(string) + "\n"
	}
	if !strings.Contains(text, "systemd[1]: Stopping pve-ha-lrm.service - PVE Local HA Resource Manager Daemon...") ||
		!strings.Contains(text, "systemd[1]: Stopped pve-ha-lrm.service - PVE Local HA Resource Manager Daemon.") {
		t.Fatalf("syslog of the unit: %s", text)
	}
	e.waitTask(e.ok("POST", "/nodes/pve1/services/pve-ha-lrm/start", nil).(string))
	if s := e.ok("GET", "/nodes/pve1/services/pve-ha-lrm/state", nil).(map[string]any); s["state"] != "running" {
		t.Fatalf("after start: %v", s)
	}
	for _, cmd := range []string{"restart", "reload"} {
		if st := e.waitTask(e.ok("POST", "/nodes/pve1/services/pvestatd/"+cmd, nil).(string)); st != "OK" {
			t.Fatalf("%s: %s", cmd, st)
		}
	}

	// essential services refuse to stop; a unit that is not installed fails in systemctl
	upid = e.ok("POST", "/nodes/pve1/services/pveproxy/stop", nil).(string)
	if st := e.waitTask(upid); st != "invalid service cmd 'pveproxy stop': refusing to stop essential service!" {
		t.Fatalf("essential: %s", st)
	}
	upid = e.ok("POST", "/nodes/pve1/services/syslog/start", nil).(string)
	if st := e.waitTask(upid); st != "command 'systemctl start syslog' failed: exit code 5" {
		t.Fatalf("not installed: %s", st)
	}
	if log := e.taskLog(upid); log[0] != "Failed to start syslog.service: Unit syslog.service not found." {
		t.Fatalf("log: %v", log)
	}
}

func TestNodeServicesReleases(t *testing.T) {
	e := newEnv(t, Options{Schema: "7.4"})
	byName := map[string]map[string]any{}
	for _, x := range e.ok("GET", "/nodes/pve1/services", nil).([]any) {
		m := x.(map[string]any)
		byName[m["service"].(string)] = m
	}
	// 7.4 has no qmeventd in the list, and bullseye still ships rsyslog
	if len(byName) != 19 || byName["qmeventd"] != nil || byName["syslog"]["state"] != "running" {
		t.Fatalf("7.4 services: %d %v", len(byName), byName["syslog"])
	}
	upid := e.ok("POST", "/nodes/pve1/services/cron/restart", nil).(string)
	e.waitTask(upid)
	lines := e.ok("GET", "/nodes/pve1/syslog", vals("service", "cron", "start", "0", "limit", "1000")).([]any)
	last := lines[len(lines)-1].(map[string]any)["t"].(string)
	if !strings.HasSuffix(last, "systemd[1]: Started Regular background program processing daemon.") {
		t.Fatalf("7.4 systemd line: %s", last)
	}
	sub := e.ok("GET", "/nodes/pve1/subscription", nil).(map[string]any)
	if sub["url"] != "https://www.proxmox.com/proxmox-ve/pricing" {
		t.Fatalf("7.4 subscription: %v", sub)
	}
	v := e.ok("GET", "/nodes/pve1/apt/versions", nil).([]any)
	if v[2].(map[string]any)["Package"] != "pve-kernel-5.15.158-2-pve" {
		t.Fatalf("7.4 kernel package: %v", v[2])
	}
}

func TestNodeSyslogAndJournal(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.do("GET", "/nodes/pve1/syslog", vals("start", "2", "limit", "3"))
	lines := r.data.([]any)
	if r.status != 200 || r.total < 100 || len(lines) != 3 || lines[0].(map[string]any)["n"] != float64(3) {
		t.Fatalf("syslog page: %d total %d %v", r.status, r.total, lines)
	}
	if t0 := lines[0].(map[string]any)["t"].(string); !strings.Contains(t0, " pve1 systemd[1]: ") {
		t.Fatalf("line: %s", t0)
	}
	// a task started now shows as pvedaemon's start and end lines
	upid := e.ok("POST", "/nodes/pve1/qemu/101/status/start", nil).(string)
	e.waitTask(upid)
	r = e.do("GET", "/nodes/pve1/syslog", vals("service", "pvedaemon", "since", "2025-06-01 13:59", "limit", "100"))
	text := ""
	for _, l := range r.data.([]any) {
		text += l.(map[string]any)["t"].(string) + "\n"
	}
	if !strings.Contains(text, "<root@pam!mcp> starting task "+upid) || !strings.Contains(text, "<root@pam!mcp> end task "+upid+" OK") ||
		!strings.Contains(text, "start VM 101: "+upid) {
		t.Fatalf("task lines: %s", text)
	}
	r = e.do("GET", "/nodes/pve1/syslog", vals("service", "nonexistent"))
	if r.total != 1 || r.data.([]any)[0].(map[string]any)["t"] != "no content" {
		t.Fatalf("empty: %v %d", r.data, r.total)
	}
	if r := e.do("GET", "/nodes/pve1/syslog", vals("since", "yesterday")); r.status != 400 {
		t.Fatalf("since pattern: %d", r.status)
	}

	j := e.ok("GET", "/nodes/pve1/journal", vals("lastentries", "3")).([]any)
	if len(j) != 5 || !strings.HasPrefix(j[0].(string), "s=") || !strings.HasPrefix(j[4].(string), "s=") ||
		!strings.Contains(j[3].(string), "end task "+upid+" OK") {
		t.Fatalf("journal: %v", j)
	}
	cur := j[4].(string)
	// polling from the last cursor: nothing new gives the cursor twice
	j = e.ok("GET", "/nodes/pve1/journal", vals("startcursor", cur)).([]any)
	if len(j) != 2 || j[0] != cur || j[1] != cur {
		t.Fatalf("poll: %v", j)
	}
	upid = e.ok("POST", "/nodes/pve1/services/cron/reload", nil).(string)
	e.waitTask(upid)
	j = e.ok("GET", "/nodes/pve1/journal", vals("startcursor", cur)).([]any)
	if len(j) < 5 || j[0] != cur || j[len(j)-1] == cur || !strings.Contains(j[1].(string), "starting task "+upid) {
		t.Fatalf("poll after task: %v", j)
	}
	if !strings.Contains(strings.Join(sysStrings(j), "\n"), "reloading service cron: "+upid) {
		t.Fatalf("worker line: %v", j)
	}
	// since/until are epochs; until is exclusive
	j = e.ok("GET", "/nodes/pve1/journal", vals("since", "1748779200", "until", "1748779201")).([]any)
	if len(j) < 3 || !strings.Contains(j[1].(string), "Jun 01 14:00:00") {
		t.Fatalf("range: %v", j)
	}
	if r := e.do("GET", "/nodes/pve1/journal", vals("lastentries", "5", "since", "1748779200")); r.status != 500 ||
		r.message != "command '/usr/bin/mini-journalreader -j -n 5 -b 1748779200' failed: exit code 1\n" {
		t.Fatalf("conflict: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/nodes/pve1/journal", vals("startcursor", "bogus")); r.status != 500 {
		t.Fatalf("bad cursor: %d", r.status)
	}
}

func sysStrings(l []any) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i], _ = x.(string)
	}
	return out
}

func TestNodeSysPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	auth := "PVEAPIToken=audit@pve!ro=s3cret"
	for _, p := range []string{"/nodes/pve1/time", "/nodes/pve1/dns", "/nodes/pve1/services", "/nodes/pve1/apt/versions",
		"/nodes/pve1/disks/list", "/nodes/pve1/report", "/nodes/pve1/hosts", "/nodes/pve1/netstat"} {
		e.okAuth("GET", p, nil, auth)
	}
	for _, c := range []struct{ method, path, want string }{
		{"PUT", "/nodes/pve1/time", "Permission check failed (/nodes/pve1, Sys.Modify)"},
		{"PUT", "/nodes/pve1/dns", "Permission check failed (/nodes/pve1, Sys.Modify)"},
		{"POST", "/nodes/pve1/services/cron/restart", "Permission check failed (/nodes/pve1, Sys.Modify)"},
		{"GET", "/nodes/pve1/apt/update", "Permission check failed (/nodes/pve1, Sys.Modify)"},
		{"POST", "/nodes/pve1/apt/update", "Permission check failed (/nodes/pve1, Sys.Modify)"},
		{"GET", "/nodes/pve1/syslog", "Permission check failed (/nodes/pve1, Sys.Syslog)"},
		{"GET", "/nodes/pve1/journal", "Permission check failed (/nodes/pve1, Sys.Syslog)"},
	} {
		if r := e.doAuth(c.method, c.path, vals("timezone", "UTC", "search", "x"), auth); r.status != 403 || r.reason != c.want {
			t.Errorf("%s %s: %d %q", c.method, c.path, r.status, r.reason)
		}
	}
	// the subscription is open to all, but the server id needs Sys.Audit
	if err := e.sim.AddToken("nobody@pve!tk", "x", true); err != nil {
		t.Fatal(err)
	}
	sub := e.okAuth("GET", "/nodes/pve1/subscription", nil, "PVEAPIToken=nobody@pve!tk=x").(map[string]any)
	if sub["status"] != "notfound" || sub["serverid"] != nil {
		t.Fatalf("subscription w/o audit: %v", sub)
	}
	if sub := e.okAuth("GET", "/nodes/pve1/subscription", nil, auth).(map[string]any); sub["serverid"] == nil {
		t.Fatalf("subscription: %v", sub)
	}
}

func TestNodeReport(t *testing.T) {
	e := newEnv(t, Options{Schema: "8.4"})
	rep := e.ok("GET", "/nodes/pve2/report", nil).(string)
	for _, want := range []string{"\n==== general system info ====\n", "\n# hostname\npve2\n",
		"pve-manager: 8.4.14 (running version: 8.4.14/", "proxmox-ve: 8.4.0 (running kernel: 6.8.12-15-pve)",
		"192.168.100.12 pve2.lan pve2", "\n# cat /etc/apt/sources.list\n", "bookworm pve-no-subscription",
		"\nlvmthin: local-lvm\n\tcontent images,rootdir\n", "dev01", "dns", "\n# cat /etc/network/interfaces\n",
		"iface vmbr0 inet static", "         2          1 pve2 (local)", "\n# vgs\n"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestNodeNetstatAndIndexes(t *testing.T) {
	e := newEnv(t, Options{})
	ns := e.ok("GET", "/nodes/pve1/netstat", nil).([]any)
	if len(ns) != 2 || ns[0].(map[string]any)["vmid"] != "100" || ns[0].(map[string]any)["dev"] != "net0" {
		t.Fatalf("netstat: %v", ns)
	}
	if _, ok := ns[0].(map[string]any)["in"].(string); !ok {
		t.Fatalf("counters are strings: %v", ns[0])
	}
	names := func(path, key string) string {
		var out []string
		for _, x := range e.ok("GET", path, nil).([]any) {
			out = append(out, x.(map[string]any)[key].(string))
		}
		return strings.Join(out, ",")
	}
	if got := names("/nodes/pve1/apt", "id"); got != "update,changelog,repositories,versions" {
		t.Fatalf("apt index: %s", got)
	}
	if got := names("/nodes/pve1/disks", "name"); !strings.Contains(got, "list") || !strings.Contains(got, "smart") || !strings.Contains(got, "lvmthin") {
		t.Fatalf("disks index: %s", got)
	}
	if got := names("/nodes/pve1", "name"); !strings.Contains(got, "syslog") || !strings.Contains(got, "journal") || !strings.Contains(got, "apt") {
		t.Fatalf("node index: %s", got)
	}
}
