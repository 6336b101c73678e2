package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Backup jobs (/cluster/backup) of issue 15: list, create or update, delete;
// running one now is in backuprun.go, the audit in backupaudit.go.

type backupJobsArgs struct {
	ID JobID `json:"id,omitempty" jsonschema:"only this job"`
}

// jobView is a backup job as stored, in the tools' words.
type jobView struct {
	ID       string `json:"id"`
	Enabled  bool   `json:"enabled"`
	Schedule string `json:"schedule,omitempty"`
	// NextRun is Proxmox's next-run (UTC); absent while the job is disabled.
	NextRun string `json:"next_run,omitempty"`
	Storage string `json:"storage,omitempty"`
	// Selection is all (minus exclude), vmids or pool; node narrows it.
	Selection        string         `json:"selection"`
	VMIDs            []int          `json:"vmids,omitempty"`
	Pool             string         `json:"pool,omitempty"`
	Exclude          []int          `json:"exclude,omitempty"`
	Node             string         `json:"node,omitempty"`
	Mode             string         `json:"mode"`
	Compress         string         `json:"compress"`
	Retention        map[string]int `json:"retention,omitempty"` // prune-backups; absent: the storage's
	NotesTemplate    string         `json:"notes_template,omitempty"`
	Mailto           string         `json:"mailto,omitempty"`
	MailNotification string         `json:"mailnotification,omitempty"`
	NotificationMode string         `json:"notification_mode,omitempty"`
	Comment          string         `json:"comment,omitempty"`
	RepeatMissed     bool           `json:"repeat_missed,omitempty"`
	// Other are further vzdump options of the job, as stored.
	Other map[string]string `json:"other,omitempty"`
}

type backupJobsOut struct {
	Jobs []jobView `json:"jobs"`
	// Hidden counts jobs left out because they reach guests outside the allowlists.
	Hidden int `json:"hidden,omitempty"`
}

// jobKeys are the job keys jobView shows in fields of their own.
var jobKeys = []string{"id", "type", "enabled", "schedule", "next-run", "storage", "all", "vmid", "pool", "exclude", "node",
	"mode", "compress", "prune-backups", "notes-template", "mailto", "mailnotification", "notification-mode", "comment", "repeat-missed"}

func backupJobTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_backup_jobs", title: "List backup jobs", toolset: "backupjobs",
			desc: "The cluster's scheduled backup jobs: schedule and next run, storage, which guests, mode, compression, retention."},
			handle(func(ctx context.Context, c *call, in backupJobsArgs) (backupJobsOut, error) {
				return c.backupJobs(ctx, in.ID)
			})),
		define(d, spec{name: "pve_backup_job_set", title: "Create or change backup job", toolset: "backupjobs", effect: Mutating,
			desc: "Create a backup job (no id, or create: true) or change one; reports the job as Proxmox stored it."},
			handle(func(ctx context.Context, c *call, in jobSetArgs) (jobSetOut, error) {
				return c.setBackupJob(ctx, in)
			})),
		define(d, spec{name: "pve_backup_job_delete", title: "Delete backup job", toolset: "backupjobs", effect: Destructive,
			desc: "Delete a backup job; its guests are no longer backed up by it (their backups stay). Needs confirm: true."},
			handle(func(ctx context.Context, c *call, in jobDeleteArgs) (jobDeleteOut, error) {
				return c.deleteBackupJob(ctx, in)
			})),
		backupJobRunTool(d),
		backupAuditTool(d),
	}
}

// rawJob is a job as Proxmox answers it: each value flattened to the text
// it has in POST and PUT (objects such as prune-backups as property strings).
type rawJob map[string]string

func flattenJob(m map[string]json.RawMessage) rawJob {
	out := rawJob{}
	for k, v := range m {
		var s string
		var obj map[string]json.RawMessage
		switch {
		case json.Unmarshal(v, &s) == nil:
			out[k] = s
		case json.Unmarshal(v, &obj) == nil:
			keys := make([]string, 0, len(obj))
			for ok := range obj {
				keys = append(keys, ok)
			}
			sort.Strings(keys)
			parts := make([]string, 0, len(keys))
			for _, ok := range keys {
				parts = append(parts, ok+"="+scalarText(obj[ok]))
			}
			out[k] = strings.Join(parts, ",")
		case string(v) != "null":
			out[k] = scalarText(v)
		}
	}
	return out
}

func scalarText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	switch t := strings.TrimSpace(string(v)); t {
	case "true":
		return "1"
	case "false":
		return "0"
	default:
		return t
	}
}

func truthyText(s string) bool {
	switch strings.ToLower(s) {
	case "1", "yes", "on", "true":
		return true
	}
	return false
}

// ids reads a vmid list ("100,101" or with spaces or NULs, as Perl splits).
func ids(s string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == 0 }) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// retentionOf reads a prune-backups property string.
func retentionOf(s string) map[string]int {
	if s == "" {
		return nil
	}
	out := map[string]int{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		if n, err := strconv.Atoi(v); err == nil {
			out[k] = n
		}
	}
	return out
}

func (j rawJob) view() jobView {
	v := jobView{ID: j["id"], Enabled: j["enabled"] == "" || truthyText(j["enabled"]), Schedule: j["schedule"],
		Storage: j["storage"], Pool: j["pool"], Node: j["node"], Mode: j["mode"], Compress: j["compress"],
		Retention: retentionOf(j["prune-backups"]), NotesTemplate: j["notes-template"], Mailto: j["mailto"],
		MailNotification: j["mailnotification"], NotificationMode: j["notification-mode"], Comment: j["comment"],
		RepeatMissed: truthyText(j["repeat-missed"])}
	if v.Mode == "" {
		v.Mode = "snapshot" // the schema's default
	}
	if v.Compress == "" {
		v.Compress = "0"
	}
	switch {
	case v.Pool != "":
		v.Selection = "pool"
	case j["vmid"] != "":
		v.Selection, v.VMIDs = "vmids", ids(j["vmid"])
	default:
		v.Selection, v.Exclude = "all", ids(j["exclude"])
	}
	if n, err := strconv.ParseInt(j["next-run"], 10, 64); err == nil && v.Enabled {
		v.NextRun = time.Unix(n, 0).UTC().Format(time.RFC3339)
	}
	for k, val := range j {
		if !slices.Contains(jobKeys, k) {
			if v.Other == nil {
				v.Other = map[string]string{}
			}
			v.Other[k] = val
		}
	}
	return v
}

// readJobs lists the jobs as Proxmox stores them.
func (c *call) readJobs(ctx context.Context) ([]rawJob, error) {
	var list []map[string]json.RawMessage
	if err := c.PVE.Get(ctx, "/cluster/backup", nil, &list); err != nil {
		return nil, fmt.Errorf("list backup jobs: %w", err)
	}
	out := make([]rawJob, 0, len(list))
	for _, m := range list {
		out = append(out, flattenJob(m))
	}
	return out, nil
}

// readJob reads one job; the list carries next-run, the job's own read not.
func (c *call) readJob(ctx context.Context, id JobID) (rawJob, error) {
	jobs, err := c.readJobs(ctx)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		if j["id"] == string(id) {
			return j, nil
		}
	}
	known := make([]string, 0, len(jobs))
	for _, j := range jobs {
		if c.jobAllowed(ctx, j) {
			known = append(known, j["id"])
		}
	}
	if len(known) == 0 {
		known = []string{"none"}
	}
	return nil, fmt.Errorf("invalid argument \"id\": no backup job %q (jobs: %s)", id, strings.Join(known, ", "))
}

// jobAllowed: under an allowlist, a job shows only when it names its guests
// and each is allowed; one that takes all guests or a pool may reach others.
func (c *call) jobAllowed(ctx context.Context, j rawJob) bool {
	if !c.allow.Any() {
		return true
	}
	v := j.view()
	if v.Selection != "vmids" || (v.Node != "" && !c.allow.NodeAllowed(v.Node)) {
		return false
	}
	for _, id := range v.VMIDs {
		if !c.PVE.GuestAllowed(ctx, id) {
			return false
		}
	}
	return true
}

func (c *call) backupJobs(ctx context.Context, id JobID) (backupJobsOut, error) {
	jobs, err := c.readJobs(ctx)
	if err != nil {
		return backupJobsOut{}, err
	}
	out := backupJobsOut{Jobs: []jobView{}}
	for _, j := range jobs {
		switch {
		case id != "" && j["id"] != string(id):
		case !c.jobAllowed(ctx, j):
			out.Hidden++
		default:
			v := j.view()
			if v.NextRun == "" && v.Enabled && j["next-run"] == "" {
				// releases whose list lacks next-run: Proxmox's own analysis
				if next := c.nextRuns(ctx, v.Schedule, 1); len(next) == 1 {
					v.NextRun = next[0]
				}
			}
			out.Jobs = append(out.Jobs, v)
		}
	}
	if id != "" && len(out.Jobs) == 0 {
		if _, err := c.readJob(ctx, id); err != nil {
			return backupJobsOut{}, err
		}
		return backupJobsOut{}, fmt.Errorf("%w: backup job %s reaches guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST", errRefused, id)
	}
	return out, nil
}

type jobDeleteArgs struct {
	ID      JobID `json:"id" jsonschema:"job id, as pve_backup_jobs lists it"`
	Confirm bool  `json:"confirm,omitempty"`
}

func (a jobDeleteArgs) confirmedByArg() bool { return a.Confirm }

type jobDeleteOut struct {
	Action string  `json:"action"`
	ID     string  `json:"id"`
	Job    jobView `json:"job"` // as it was
}

func (c *call) deleteBackupJob(ctx context.Context, in jobDeleteArgs) (jobDeleteOut, error) {
	j, err := c.readJob(ctx, in.ID)
	if err != nil {
		return jobDeleteOut{}, err
	}
	if !c.jobAllowed(ctx, j) {
		return jobDeleteOut{}, fmt.Errorf("%w: backup job %s reaches guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST", errRefused, in.ID)
	}
	v := j.view()
	if err := c.confirm(in.Confirm, fmt.Sprintf("delete backup job %s (%s, %s to %s): its guests are no longer backed up by it; existing backups stay",
		in.ID, v.Schedule, selectionText(v), orDefault(v.Storage, "local"))); err != nil {
		return jobDeleteOut{}, err
	}
	what := "delete backup job " + string(in.ID)
	// Proxmox answers once jobs.cfg is written: the job is gone.
	var raw json.RawMessage
	if err := c.PVE.Delete(ctx, pve.Path("cluster", "backup", string(in.ID)), nil, &raw); err != nil {
		return jobDeleteOut{}, writeError(what, err, "pve_backup_jobs")
	}
	return jobDeleteOut{Action: "deleted", ID: string(in.ID), Job: v}, nil
}

func selectionText(v jobView) string {
	var s string
	switch v.Selection {
	case "pool":
		s = "pool " + v.Pool
	case "vmids":
		s = "guests " + joinInts(v.VMIDs)
	default:
		s = "all guests"
		if len(v.Exclude) > 0 {
			s += " but " + joinInts(v.Exclude)
		}
	}
	if v.Node != "" {
		s += " on " + v.Node
	}
	return s
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// storageHoldsBackups refuses a storage that does not exist or does not
// take backups, which Proxmox accepts in a job and fails at each run.
func (c *call) storageHoldsBackups(ctx context.Context, id StorageID) error {
	var list []struct {
		Storage string `json:"storage"`
		Content string `json:"content"`
	}
	if err := c.PVE.Get(ctx, "/storage", nil, &list); err != nil {
		return nil // Proxmox and the run will tell
	}
	var backup []string
	for _, s := range list {
		if strings.Contains(","+s.Content+",", ",backup,") {
			backup = append(backup, s.Storage)
		}
	}
	for _, s := range list {
		if s.Storage == string(id) && !slices.Contains(backup, s.Storage) {
			return fmt.Errorf("invalid argument \"storage\": storage %q holds %s, not backups (content backup); storages that hold backups: %s",
				id, s.Content, orDefault(strings.Join(backup, ", "), "none"))
		}
		if s.Storage == string(id) {
			return nil
		}
	}
	return fmt.Errorf("invalid argument \"storage\": no storage %q; storages that hold backups: %s", id, orDefault(strings.Join(backup, ", "), "none"))
}

// nextRuns asks Proxmox when a schedule fires next (schedule-analyze); nil
// when it cannot tell.
func (c *call) nextRuns(ctx context.Context, schedule string, n int) []string {
	if schedule == "" {
		return nil
	}
	var runs []struct {
		Timestamp pve.Int `json:"timestamp"`
	}
	q := url.Values{"schedule": {schedule}, "iterations": {strconv.Itoa(n)}}
	if err := c.PVE.Get(ctx, "/cluster/jobs/schedule-analyze", q, &runs); err != nil {
		return nil
	}
	var out []string
	for _, r := range runs {
		out = append(out, time.Unix(int64(r.Timestamp), 0).UTC().Format(time.RFC3339))
	}
	return out
}
