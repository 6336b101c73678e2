package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// simJob is a job as GET /cluster/backup shows it (nil: not listed).
func (cl *cluster) simJob(t *testing.T, id string) map[string]any {
	t.Helper()
	var jobs []map[string]any
	cl.simGet(t, "/cluster/backup", nil, &jobs)
	for _, j := range jobs {
		if j["id"] == id {
			return j
		}
	}
	return nil
}

// simBackups lists the backup volids of a guest on a storage as pve1 sees it.
func (cl *cluster) simBackups(t *testing.T, storage string, vmid int) []string {
	t.Helper()
	var items []struct {
		Volid string `json:"volid"`
		VMID  int    `json:"vmid"`
	}
	cl.simGet(t, "/nodes/pve1/storage/"+storage+"/content", url.Values{"content": {"backup"}}, &items)
	var out []string
	for _, it := range items {
		if it.VMID == vmid {
			out = append(out, it.Volid)
		}
	}
	return out
}

type jobOut struct {
	ID, Schedule, Storage, Selection, Mode, Compress string
	NextRun                                          string `json:"next_run"`
	Enabled                                          bool
	VMIDs                                            []int
	Exclude                                          []int
	Retention                                        map[string]int
	Comment                                          string
}

// TestBackupJobs calls the backupjobs tools over MCP and checks what the
// simulator holds after each.
func TestBackupJobs(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "backupjobs,backup"}})
	const seeded = "backup-1a2b3c4d-5e6f"

	var list struct {
		Jobs   []jobOut
		Hidden int
	}
	c.ok("pve_backup_jobs", nil, &list)
	if len(list.Jobs) != 1 || list.Jobs[0].ID != seeded || list.Jobs[0].Schedule != "sun 01:00" ||
		!slices.Equal(list.Jobs[0].VMIDs, []int{100, 200}) || list.Jobs[0].Selection != "vmids" {
		t.Fatalf("seeded jobs: %+v", list)
	}
	if next, err := time.Parse(time.RFC3339, list.Jobs[0].NextRun); err != nil || next.In(time.Local).Weekday() != time.Sunday || next.In(time.Local).Hour() != 1 {
		t.Errorf("next run of sun 01:00: %q", list.Jobs[0].NextRun)
	}

	type setOut struct {
		Action, ID string
		Job        jobOut
		Changed    map[string]struct{ From, To string }
		NextRuns   []string `json:"next_runs"`
	}
	var set setOut
	t.Run("create", func(t *testing.T) {
		c.ok("pve_backup_job_set", m("schedule", "mon..fri 21:30", "storage", "nas", "vmids", []int{101, 102},
			"retention", m("keep_daily", 7, "keep_weekly", 4), "notes_template", "{{guestname}}", "comment", "weekday nights"), &set)
		if set.Action != "created" || set.ID == "" || set.Job.Retention["keep-daily"] != 7 || set.Job.Mode != "snapshot" || set.Job.Compress != "zstd" {
			t.Fatalf("created: %+v", set)
		}
		for _, r := range set.NextRuns {
			at, err := time.Parse(time.RFC3339, r)
			if wd := at.In(time.Local).Weekday(); err != nil || wd == time.Saturday || wd == time.Sunday || at.In(time.Local).Hour() != 21 {
				t.Errorf("next runs of mon..fri 21:30: %v", set.NextRuns)
			}
		}
		if len(set.NextRuns) != 3 {
			t.Errorf("next runs: %v", set.NextRuns)
		}
		j := cl.simJob(t, set.ID)
		if j == nil || j["vmid"] != "101,102" || j["storage"] != "nas" || j["schedule"] != "mon..fri 21:30" || j["enabled"] != float64(1) {
			t.Fatalf("in the simulator: %v", j)
		}
		if p, _ := j["prune-backups"].(map[string]any); p["keep-daily"] != "7" || p["keep-weekly"] != "4" {
			t.Errorf("prune-backups: %v", j["prune-backups"])
		}
	})
	job := set.ID

	t.Run("update", func(t *testing.T) {
		set = setOut{}
		c.ok("pve_backup_job_set", m("id", job, "schedule", "sat 02:00", "enabled", false, "delete", []string{"comment"}), &set)
		if set.Action != "updated" || set.Job.Schedule != "sat 02:00" || set.Job.Enabled || set.Job.NextRun != "" || set.Changed["schedule"].To != "sat 02:00" {
			t.Fatalf("updated: %+v", set)
		}
		j := cl.simJob(t, job)
		if j["schedule"] != "sat 02:00" || j["enabled"] != float64(0) || j["comment"] != nil || j["vmid"] != "101,102" {
			t.Fatalf("in the simulator: %v", j)
		}
		c.ok("pve_backup_job_set", m("id", job, "enabled", true), &set)
		c.ok("pve_backup_job_set", m("id", "weekly-all", "create", true, "schedule", "sun 03:00", "storage", PBS, "all", true,
			"exclude", []int{9000}, "mode", "stop"), &set)
		if j := cl.simJob(t, "weekly-all"); j == nil || j["all"] != float64(1) || j["exclude"] != "9000" || j["mode"] != "stop" || j["storage"] != PBS {
			t.Fatalf("weekly-all in the simulator: %v", j)
		}
	})

	t.Run("errors", func(t *testing.T) {
		before := len(cl.writes())
		c.fails("pve_backup_job_set", m("schedule", "every night", "storage", "nas", "vmids", []int{101}), "schedule", "invalid calendar event")
		c.fails("pve_backup_job_set", m("id", "no-such-job", "enabled", false), "no-such-job", seeded)
		c.fails("pve_backup_job_set", m("schedule", "daily", "storage", "local-lvm", "vmids", []int{101}), "local-lvm", "not backups", "local, nas")
		c.fails("pve_backup_job_set", m("schedule", "daily", "storage", "nas"), "all: true, vmids or pool")
		c.fails("pve_backup_job_set", m("schedule", "daily", "vmids", []int{101}, "all", true), "one of all, vmids or pool")
		c.fails("pve_backup_job_run", m("id", "no-such-job"), "no backup job")
		c.fails("pve_backup_job_delete", m("id", job), "confirm: true")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused calls reached Proxmox: %v", w[before:])
		}
		// Proxmox's own refusal of a schedule is passed on.
		c.fails("pve_backup_job_set", m("id", job, "schedule", "mon 25:00"), "schedule")
		if j := cl.simJob(t, job); j["schedule"] != "sat 02:00" {
			t.Errorf("a refused update changed the job: %v", j)
		}
	})

	t.Run("run now", func(t *testing.T) {
		n101, n102 := len(cl.simBackups(t, "nas", 101)), len(cl.simBackups(t, "nas", 102))
		var run struct {
			ID    string
			Nodes []struct {
				Node, Status, UPID, ExitStatus string
				VMIDs                          []int
			}
		}
		c.ok("pve_backup_job_run", m("id", job), &run)
		if len(run.Nodes) != 2 || run.Nodes[0].Node != "pve1" || run.Nodes[0].Status != "ok" || !slices.Equal(run.Nodes[0].VMIDs, []int{101}) ||
			run.Nodes[1].Node != "pve2" || run.Nodes[1].Status != "ok" || !strings.Contains(run.Nodes[1].UPID, ":vzdump:102:") {
			t.Fatalf("run: %+v", run)
		}
		if len(cl.simBackups(t, "nas", 101)) != n101+1 || len(cl.simBackups(t, "nas", 102)) != n102+1 {
			t.Errorf("no new backups on nas: 101 %v, 102 %v", cl.simBackups(t, "nas", 101), cl.simBackups(t, "nas", 102))
		}
		// a job to the PBS storage stores snapshots there
		c.ok("pve_backup_job_set", m("id", "to-pbs", "create", true, "schedule", "daily", "storage", PBS, "vmids", []int{201}), &set)
		c.ok("pve_backup_job_run", m("id", "to-pbs"), &run)
		if got := cl.simBackups(t, PBS, 201); len(got) != 1 || !strings.HasPrefix(got[0], PBS+":backup/ct/201/") {
			t.Errorf("PBS backups of 201: %v", got)
		}
		c.fails("pve_backup_job_run", m("id", "to-pbs", "prune", true), "confirm: true", "delete older backups")
		// a job whose storage takes no backups (set behind the tools' back):
		// the node's task fails with Proxmox's reason
		cl.simPut(t, "/cluster/backup/to-pbs", url.Values{"storage": {"local-lvm"}})
		c.fails("pve_backup_job_run", m("id", "to-pbs"), "pve2: failed", "can't use storage 'local-lvm' for backups - wrong content type")
		cl.simPut(t, "/cluster/backup/to-pbs", url.Values{"storage": {PBS}})
	})

	t.Run("audit", func(t *testing.T) {
		type guest struct {
			VMID    int
			Backups int
			Newest  *struct{ Volid, Storage, Verification string }
		}
		var audit struct {
			NotInJob []guest `json:"not_in_any_job"`
			Stale    []guest
			Storages []struct {
				Storage, Type, Retention                 string
				Backups, Protected, Verified, Unverified int
				VerifyFailed                             int `json:"verify_failed"`
				Jobs                                     []struct{ ID, Retention string }
			}
			FailedVerification []struct{ Volid string } `json:"failed_verification"`
		}
		c.ok("pve_backup_audit", nil, &audit)
		ids := func(gs []guest) (out []int) {
			for _, g := range gs {
				out = append(out, g.VMID)
			}
			return out
		}
		// every guest is in a job now but 9000 (excluded from weekly-all)
		if got := ids(audit.NotInJob); !slices.Equal(got, []int{9000}) {
			t.Errorf("not in any job: %v", got)
		}
		// 103 has no backup; 9000 none either; 100, 101, 102, 200, 201 are recent
		if got := ids(audit.Stale); !slices.Equal(got, []int{103, 9000}) {
			t.Errorf("stale: %v (%+v)", got, audit.Stale)
		}
		var pbs, nas bool
		for _, s := range audit.Storages {
			switch s.Storage {
			case PBS:
				pbs = true
				if s.Type != "pbs" || s.Verified != 1 || s.VerifyFailed != 1 || s.Unverified != 2 || s.Protected != 1 || !strings.Contains(s.Retention, "keep-daily=7") {
					t.Errorf("pbs: %+v", s)
				}
				if len(s.Jobs) != 2 || s.Jobs[0].ID != "to-pbs" || s.Jobs[0].Retention != "storage's" {
					t.Errorf("pbs jobs: %+v", s.Jobs)
				}
			case "nas":
				nas = true
				if s.Backups < 2 || len(s.Jobs) != 1 || s.Jobs[0].Retention != "keep-daily=7,keep-weekly=4" {
					t.Errorf("nas: %+v", s)
				}
			}
		}
		if !pbs || !nas || len(audit.FailedVerification) != 1 || !strings.Contains(audit.FailedVerification[0].Volid, "/vm/101/") {
			t.Errorf("storages %+v, failed verification %+v", audit.Storages, audit.FailedVerification)
		}
		c.ok("pve_backup_audit", m("older_than", "1h"), &audit)
		if got := ids(audit.Stale); !slices.Contains(got, 100) || slices.Contains(got, 101) {
			t.Errorf("stale after 1h: %v", got)
		}
		c.fails("pve_backup_audit", m("older_than", "7 days"), "older_than", "7d")

		// a disabled job covers 9000 for Proxmox, but backs up nothing
		c.ok("pve_backup_job_set", m("id", "off-9000", "create", true, "schedule", "daily", "storage", "nas", "vmids", []int{9000}, "enabled", false), nil)
		if j := cl.simJob(t, "off-9000"); j == nil || j["enabled"] != float64(0) {
			t.Fatalf("disabled job: %v", j)
		}
		var off struct {
			NotInJob     []guest `json:"not_in_any_job"`
			OnlyDisabled []struct {
				VMID int
				Jobs []string
			} `json:"only_disabled_jobs"`
			Notes []string
		}
		text := c.ok("pve_backup_audit", nil, &off)
		if len(off.NotInJob) != 0 || len(off.OnlyDisabled) != 1 || off.OnlyDisabled[0].VMID != 9000 ||
			!slices.Equal(off.OnlyDisabled[0].Jobs, []string{"off-9000"}) || !strings.Contains(text, "guest 9000 is only in disabled backup jobs") {
			t.Errorf("audit with a disabled job: %s", text)
		}
		c.ok("pve_backup_job_delete", m("id", "off-9000", "confirm", true), nil)
	})

	t.Run("allowlist", func(t *testing.T) {
		ca := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "backupjobs", "PVE_VMID_ALLOWLIST": "100,200"}})
		ca.ok("pve_backup_jobs", nil, &list)
		if len(list.Jobs) != 1 || list.Jobs[0].ID != seeded || list.Hidden != 3 {
			t.Errorf("jobs under the allowlist: %+v", list)
		}
		before := len(cl.writes())
		ca.fails("pve_backup_job_delete", m("id", "weekly-all", "confirm", true), "PVE_VMID_ALLOWLIST")
		ca.fails("pve_backup_job_set", m("id", job, "enabled", false), "PVE_VMID_ALLOWLIST")
		ca.fails("pve_backup_job_set", m("schedule", "daily", "all", true), "PVE_VMID_ALLOWLIST")
		if w := cl.writes(); len(w) != before {
			t.Errorf("refused calls reached Proxmox: %v", w[before:])
		}
		var audit struct {
			Stale []struct{ VMID int }
		}
		ca.ok("pve_backup_audit", m("older_than", "1h"), &audit)
		for _, g := range audit.Stale {
			if g.VMID != 100 && g.VMID != 200 {
				t.Errorf("audit shows guest %d outside the allowlist", g.VMID)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		var del struct{ Action, ID string }
		c.ok("pve_backup_job_delete", m("id", job, "confirm", true), &del)
		if del.Action != "deleted" || cl.simJob(t, job) != nil {
			t.Errorf("after delete: %+v, still listed: %v", del, cl.simJob(t, job))
		}
		c.fails("pve_backup_job_delete", m("id", job, "confirm", true), "no backup job")
	})
}

// PBS is the simulator's Proxmox Backup Server storage.
const PBS = "pbs"

// TestBackupJobsOnPVE7: the same tools against a 7.4 cluster, whose
// schema the request guard checks them by.
func TestBackupJobsOnPVE7(t *testing.T) {
	t.Parallel()
	cl := newClusterSchema(t, 0.02, "7.4")
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "backupjobs"}})
	var set struct {
		ID       string
		NextRuns []string `json:"next_runs"`
	}
	c.ok("pve_backup_job_set", m("schedule", "daily", "storage", PBS, "vmids", []int{103}, "retention", m("keep_last", 2)), &set)
	if j := cl.simJob(t, set.ID); j == nil || j["vmid"] != "103" || len(set.NextRuns) != 3 {
		t.Fatalf("created %+v: %v", set, j)
	}
	var run struct {
		Nodes []struct{ Node, Status string }
	}
	c.ok("pve_backup_job_run", m("id", set.ID), &run)
	if len(run.Nodes) != 1 || run.Nodes[0].Node != "pve3" || run.Nodes[0].Status != "ok" {
		t.Fatalf("run: %+v", run)
	}
	var items []struct{ Volid string }
	cl.simGet(t, "/nodes/pve3/storage/"+PBS+"/content", url.Values{"content": {"backup"}, "vmid": {"103"}}, &items)
	if len(items) != 1 {
		t.Errorf("PBS backups of 103: %v", items)
	}
	c.fails("pve_backup_job_set", m("id", set.ID, "notification_mode", "auto"), "notification-mode")
	var del struct{ Action string }
	c.ok("pve_backup_job_delete", m("id", set.ID, "confirm", true), &del)
	if cl.simJob(t, set.ID) != nil {
		t.Error("still listed after delete")
	}
}
