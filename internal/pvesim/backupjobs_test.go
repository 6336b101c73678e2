package pvesim

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func jobByID(e *env, id string) map[string]any {
	for _, x := range e.ok("GET", "/cluster/backup", nil).([]any) {
		if m := x.(map[string]any); m["id"] == id {
			return m
		}
	}
	return nil
}

// TestBackupJobs: create, update and delete as Backup.pm does them, with
// its errors, and the selection keys replacing one another.
func TestBackupJobs(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/backup", vals("id", "nightly", "schedule", "mon..fri 21:30", "vmid", "100,101", "storage", "nas",
		"prune-backups", "keep-daily=7,keep-weekly=4"))
	j := jobByID(e, "nightly")
	if j == nil || j["enabled"] != float64(1) || j["vmid"] != "100,101" || j["type"] != "vzdump" {
		t.Fatalf("created %v", j)
	}
	if p, ok := j["prune-backups"].(map[string]any); !ok || p["keep-daily"] != "7" {
		t.Fatalf("prune-backups %v", j["prune-backups"])
	}
	next := time.Unix(int64(j["next-run"].(float64)), 0).In(time.Local)
	if wd := next.Weekday(); wd == time.Saturday || wd == time.Sunday || next.Hour() != 21 || next.Minute() != 30 {
		t.Fatalf("next-run %v", next)
	}
	for _, c := range []struct {
		method, path string
		params       []string
		status       int
		has          string
	}{
		{"POST", "/cluster/backup", []string{"id", "nightly", "schedule", "daily", "all", "1"}, 500, "Job 'nightly' already exists"},
		{"POST", "/cluster/backup", []string{"schedule", "daily"}, 400, `"vmid":"property is missing"`},
		{"POST", "/cluster/backup", []string{"vmid", "100"}, 400, "neither 'starttime' nor 'schedule' were set"},
		{"POST", "/cluster/backup", []string{"schedule", "every night", "vmid", "100"}, 400, "schedule"},
		{"POST", "/cluster/backup", []string{"schedule", "daily", "vmid", "100", "all", "1"}, 400, `"all":"option conflicts with option 'vmid'"`},
		{"PUT", "/cluster/backup/nope", []string{"enabled", "0"}, 500, "no such vzdump job"},
		{"PUT", "/cluster/backup/nightly", nil, 500, "no options specified"},
		{"PUT", "/cluster/backup/nightly", []string{"delete", "bogus"}, 400, "unknown option 'bogus'"},
		{"GET", "/cluster/backup/nope", nil, 400, "No such job 'nope'"},
		{"DELETE", "/cluster/backup/nope", nil, 400, "No such job 'nope'"},
	} {
		r := e.do(c.method, c.path, vals(c.params...))
		if r.status != c.status || !strings.Contains(r.raw+r.reason, c.has) {
			t.Errorf("%s %s %v: %d %s %s, want %d %q", c.method, c.path, c.params, r.status, r.reason, r.raw, c.status, c.has)
		}
	}
	// all replaces the vmid list; a vmid list replaces all and exclude
	e.ok("PUT", "/cluster/backup/nightly", vals("all", "1", "exclude", "101", "enabled", "0"))
	if j = jobByID(e, "nightly"); j["vmid"] != nil || j["all"] != float64(1) || j["exclude"] != "101" || j["enabled"] != float64(0) {
		t.Fatalf("all %v", j)
	}
	if j["next-run"] == nil {
		t.Fatalf("a disabled job still has next-run: %v", j)
	}
	e.ok("PUT", "/cluster/backup/nightly", vals("vmid", "102", "delete", "prune-backups"))
	if j = jobByID(e, "nightly"); j["vmid"] != "102" || j["all"] != nil || j["exclude"] != nil || j["prune-backups"] != nil {
		t.Fatalf("vmid %v", j)
	}
	e.ok("DELETE", "/cluster/backup/nightly", nil)
	if jobByID(e, "nightly") != nil {
		t.Fatal("still listed")
	}
}

func TestNextCalendarEvent(t *testing.T) {
	now := time.Date(2026, 12, 2, 10, 7, 0, 0, time.Local) // a Wednesday
	for _, c := range []struct{ spec, want string }{
		{"daily", "2026-12-03 00:00"},
		{"21:30", "2026-12-02 21:30"},
		{"sun 01:00", "2026-12-06 01:00"},
		{"mon..fri 08:00", "2026-12-03 08:00"},
		{"sat,sun 02:00", "2026-12-05 02:00"},
		{"*/15", "2026-12-02 10:15"},
		{"weekly", "2026-12-07 00:00"},
		{"monthly", "2027-01-01 00:00"},
		{"*-02-29 00:00", "2028-02-29 00:00"},
		{"8..17/3:00", "2026-12-02 11:00"},
		{"fri 22:00 UTC", "2026-12-04 22:00"},
	} {
		got, ok := nextCalendarEvent(c.spec, now)
		if !ok || got.In(loc(c.spec)).Format("2006-01-02 15:04") != c.want {
			t.Errorf("%s: %v %v, want %s", c.spec, got, ok, c.want)
		}
	}
	if _, ok := nextCalendarEvent("every night", now); ok {
		t.Error("a bad event has a next time")
	}
}

func loc(spec string) *time.Location {
	if strings.HasSuffix(spec, "UTC") {
		return time.UTC
	}
	return time.Local
}

// TestVzdumpStorageInTask: vzdump checks the target storage inside its
// task (VZDump->new), so a storage without backups fails the task.
func TestVzdumpStorageInTask(t *testing.T) {
	e := newEnv(t, Options{})
	for storage, want := range map[string]string{
		"local-lvm": "could not get storage information for 'local-lvm': can't use storage 'local-lvm' for backups - wrong content type",
		"gone":      "could not activate storage 'gone': storage 'gone' does not exist",
	} {
		upid, _ := e.ok("POST", "/nodes/pve1/vzdump", vals("vmid", "101", "storage", storage)).(string)
		if !strings.Contains(upid, ":vzdump:101:") {
			t.Fatalf("%s: %v", storage, upid)
		}
		if got := e.waitTask(upid); !strings.Contains(got, want) {
			t.Errorf("%s: exit status %q, want %q", storage, got, want)
		}
	}
	e.sim.mu.Lock()
	lock := e.sim.st.guests[101].conf["lock"]
	e.sim.mu.Unlock()
	if lock != "" {
		t.Errorf("a failed storage check left lock %q", lock)
	}
}

func TestScheduleAnalyze(t *testing.T) {
	e := newEnv(t, Options{})
	start := time.Date(2026, 12, 2, 10, 7, 0, 0, time.UTC).Unix()
	got := e.ok("GET", "/cluster/jobs/schedule-analyze", vals("schedule", "sat 02:00 UTC", "iterations", "2", "starttime", strconv.FormatInt(start, 10))).([]any)
	if len(got) != 2 || got[0].(map[string]any)["utc"] != "Sat Dec  5 02:00:00 2026" || got[1].(map[string]any)["utc"] != "Sat Dec 12 02:00:00 2026" {
		t.Fatalf("analyze %v", got)
	}
	if n := len(e.ok("GET", "/cluster/jobs/schedule-analyze", vals("schedule", "*/30")).([]any)); n != 10 {
		t.Errorf("default iterations: %d", n)
	}
	if r := e.do("GET", "/cluster/jobs/schedule-analyze", vals("schedule", "every night")); r.status != 400 || !strings.Contains(r.raw, "calendar event") {
		t.Errorf("bad schedule: %d %s", r.status, r.raw)
	}
}
