package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// pruneArgs is prune-backups: how many backups of each guest to keep.
type pruneArgs struct {
	KeepLast    int  `json:"keep_last,omitempty" minimum:"0" maximum:"100000" jsonschema:"the newest N"`
	KeepHourly  int  `json:"keep_hourly,omitempty" minimum:"0" maximum:"100000" jsonschema:"one per hour, N hours"`
	KeepDaily   int  `json:"keep_daily,omitempty" minimum:"0" maximum:"100000" jsonschema:"one per day, N days"`
	KeepWeekly  int  `json:"keep_weekly,omitempty" minimum:"0" maximum:"100000" jsonschema:"one per week, N weeks"`
	KeepMonthly int  `json:"keep_monthly,omitempty" minimum:"0" maximum:"100000" jsonschema:"one per month, N months"`
	KeepYearly  int  `json:"keep_yearly,omitempty" minimum:"0" maximum:"100000" jsonschema:"one per year, N years"`
	KeepAll     bool `json:"keep_all,omitempty" jsonschema:"keep every backup (no other keep option)"`
}

type jobSetArgs struct {
	ID               JobID      `json:"id,omitempty" jsonschema:"job to change; leave out to create one"`
	Create           bool       `json:"create,omitempty" jsonschema:"create a job with this id"`
	Schedule         Calendar   `json:"schedule,omitempty" maxLength:"128" jsonschema:"calendar event, e.g. daily, sat 02:30, mon..fri 21:00"`
	Storage          StorageID  `json:"storage,omitempty" jsonschema:"storage that holds backups"`
	All              bool       `json:"all,omitempty" jsonschema:"every guest (minus exclude)"`
	VMIDs            []VMID     `json:"vmids,omitempty" jsonschema:"these guests"`
	Pool             BackupPool `json:"pool,omitempty" jsonschema:"the guests of this pool"`
	Exclude          []VMID     `json:"exclude,omitempty" jsonschema:"with all: guests to leave out"`
	Node             NodeName   `json:"node,omitempty" jsonschema:"only guests on this node"`
	Mode             string     `json:"mode,omitempty" enum:"snapshot,suspend,stop" jsonschema:"backup mode (new job: snapshot)"`
	Compress         string     `json:"compress,omitempty" enum:"0,gzip,lzo,zstd" jsonschema:"compression (new job: zstd)"`
	Retention        *pruneArgs `json:"retention,omitempty" jsonschema:"prune-backups; unset: the storage's"`
	NotesTemplate    OneLine    `json:"notes_template,omitempty" maxLength:"1024" jsonschema:"notes of each backup, e.g. {{guestname}}"`
	Mailto           OneLine    `json:"mailto,omitempty" maxLength:"1024" jsonschema:"mail addresses or users, comma-separated"`
	MailNotification string     `json:"mailnotification,omitempty" enum:"always,failure" jsonschema:"when to mail"`
	NotificationMode string     `json:"notification_mode,omitempty" enum:"auto,legacy-sendmail,notification-system" jsonschema:"PVE 8.1+: how to notify"`
	Enabled          *bool      `json:"enabled,omitempty" jsonschema:"run on schedule (new job: true)"`
	RepeatMissed     *bool      `json:"repeat_missed,omitempty" jsonschema:"run a missed run as soon as possible"`
	Comment          OneLine    `json:"comment,omitempty" maxLength:"512" jsonschema:"description"`
	Delete           []string   `json:"delete,omitempty" jsonschema:"settings to remove: node, comment, mailto, notes_template, retention, exclude, repeat_missed, notification_mode, mailnotification"`
}

type jobSetOut struct {
	Action  string            `json:"action"` // created or updated
	ID      string            `json:"id"`
	Job     jobView           `json:"job"`               // as Proxmox stores it now
	Changed map[string]change `json:"changed,omitempty"` // updates: the stored keys that changed
	// NextRuns are the schedule's next three times (UTC), as Proxmox
	// analyses it; they apply while the job is enabled.
	NextRuns []string `json:"next_runs,omitempty"`
}

// jobDeletable are the settings delete may name, by argument.
var jobDeletable = map[string]string{"node": "node", "comment": "comment", "mailto": "mailto", "notes_template": "notes-template",
	"retention": "prune-backups", "exclude": "exclude", "repeat_missed": "repeat-missed", "notification_mode": "notification-mode",
	"mailnotification": "mailnotification"}

func (p pruneArgs) text() (string, error) {
	var parts []string
	for _, k := range []struct {
		key string
		n   int
	}{{"keep-last", p.KeepLast}, {"keep-hourly", p.KeepHourly}, {"keep-daily", p.KeepDaily}, {"keep-weekly", p.KeepWeekly},
		{"keep-monthly", p.KeepMonthly}, {"keep-yearly", p.KeepYearly}} {
		if k.n > 0 {
			parts = append(parts, k.key+"="+strconv.Itoa(k.n))
		}
	}
	switch {
	case p.KeepAll && len(parts) > 0:
		return "", fmt.Errorf("invalid argument \"retention\": keep_all keeps every backup; leave it out or drop the other keep options")
	case p.KeepAll:
		return "keep-all=1", nil
	case len(parts) == 0:
		return "", fmt.Errorf("invalid argument \"retention\": give at least one keep option above 0, or keep_all: true (to use the storage's retention, delete retention)")
	}
	return strings.Join(parts, ","), nil
}

// jobForm builds the body of a create or update from the arguments.
func (c *call) jobForm(in jobSetArgs, creating bool) (url.Values, error) {
	form := url.Values{}
	picks := 0
	for _, b := range []bool{in.All, len(in.VMIDs) > 0, in.Pool != ""} {
		if b {
			picks++
		}
	}
	switch {
	case picks > 1:
		return nil, fmt.Errorf("invalid arguments: give one of all, vmids or pool, which pick the job's guests")
	case creating && picks == 0:
		return nil, fmt.Errorf("invalid arguments: a new job needs its guests: all: true, vmids or pool")
	case creating && in.Schedule == "":
		return nil, fmt.Errorf("invalid argument \"schedule\": a new job needs a schedule, e.g. daily or sat 02:30")
	case len(in.Exclude) > 0 && (len(in.VMIDs) > 0 || in.Pool != "" || creating && !in.All):
		return nil, fmt.Errorf("invalid argument \"exclude\": it leaves guests out of all: true; not with vmids or pool")
	}
	if in.All && (c.allow.HasVMIDs() || c.allow.HasNodes()) {
		return nil, fmt.Errorf("%w: all: true would back up guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST; list the guests in vmids instead", errRefused)
	}
	if in.All {
		form.Set("all", "1")
	}
	if len(in.VMIDs) > 0 {
		list := make([]string, 0, len(in.VMIDs))
		for _, id := range in.VMIDs {
			if err := c.vmid("vmids", id); err != nil {
				return nil, err
			}
			list = append(list, strconv.Itoa(int(id)))
		}
		form.Set("vmid", strings.Join(list, ","))
	}
	if len(in.Exclude) > 0 {
		list := make([]string, 0, len(in.Exclude))
		for _, id := range in.Exclude {
			list = append(list, strconv.Itoa(int(id)))
		}
		form.Set("exclude", strings.Join(list, ","))
	}
	if in.Node != "" {
		if err := c.node("node", in.Node); err != nil {
			return nil, err
		}
	}
	for k, v := range map[string]string{"schedule": string(in.Schedule), "storage": string(in.Storage), "pool": string(in.Pool),
		"node": string(in.Node), "mode": in.Mode, "compress": in.Compress, "notes-template": string(in.NotesTemplate),
		"mailto": string(in.Mailto), "mailnotification": in.MailNotification, "notification-mode": in.NotificationMode,
		"comment": string(in.Comment)} {
		if v != "" {
			form.Set(k, v)
		}
	}
	if creating {
		for k, def := range map[string]string{"mode": "snapshot", "compress": "zstd"} {
			if !form.Has(k) {
				form.Set(k, def)
			}
		}
	}
	if in.Enabled != nil {
		form.Set("enabled", pve.Bool(*in.Enabled))
	}
	if in.RepeatMissed != nil {
		form.Set("repeat-missed", pve.Bool(*in.RepeatMissed))
	}
	if in.Retention != nil {
		text, err := in.Retention.text()
		if err != nil {
			return nil, err
		}
		form.Set("prune-backups", text)
	}
	var del []string
	for _, d := range in.Delete {
		key, ok := jobDeletable[d]
		switch {
		case !ok:
			names := make([]string, 0, len(jobDeletable))
			for n := range jobDeletable {
				names = append(names, n)
			}
			slices.Sort(names)
			return nil, fmt.Errorf("invalid argument \"delete\": %q is not a setting it can remove (%s)", d, strings.Join(names, ", "))
		case creating:
			return nil, fmt.Errorf("invalid argument \"delete\": a new job has nothing to remove")
		case form.Has(key):
			return nil, fmt.Errorf("invalid argument \"delete\": %s is also set by this call; set it or delete it", d)
		}
		del = append(del, key)
	}
	if len(del) > 0 {
		form.Set("delete", strings.Join(del, ","))
	}
	// the request guard names Proxmox's keys by these arguments
	for arg, key := range map[string]string{"vmids": "vmid", "notes_template": "notes-template", "notification_mode": "notification-mode",
		"retention": "prune-backups", "repeat_missed": "repeat-missed"} {
		c.PVE.Name(key, arg)
	}
	return form, nil
}

func (c *call) setBackupJob(ctx context.Context, in jobSetArgs) (jobSetOut, error) {
	creating := in.ID == "" || in.Create
	form, err := c.jobForm(in, creating)
	if err != nil {
		return jobSetOut{}, err
	}
	if in.Storage != "" {
		if err := c.storageHoldsBackups(ctx, in.Storage); err != nil {
			return jobSetOut{}, err
		}
	}
	if creating {
		return c.createJob(ctx, in.ID, form)
	}
	before, err := c.readJob(ctx, in.ID)
	if err != nil {
		return jobSetOut{}, err
	}
	if !c.jobAllowed(ctx, before) {
		return jobSetOut{}, fmt.Errorf("%w: backup job %s reaches guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST", errRefused, in.ID)
	}
	if len(form) == 0 {
		return jobSetOut{}, fmt.Errorf("nothing to change: give at least one setting of job %s (schedule, storage, vmids, enabled...)", in.ID)
	}
	what := "update backup job " + string(in.ID)
	var raw json.RawMessage
	if err := c.PVE.Put(ctx, pve.Path("cluster", "backup", string(in.ID)), form, &raw); err != nil {
		return jobSetOut{}, writeError(what, err, "pve_backup_jobs")
	}
	after, err := c.readJob(ctx, in.ID)
	if err != nil {
		return jobSetOut{}, fmt.Errorf("%s: Proxmox accepted the change, but the job could not be read back (%w); check pve_backup_jobs", what, err)
	}
	return jobSetOut{Action: "updated", ID: string(in.ID), Job: after.view(), Changed: configDiff(before, after, "next-run"),
		NextRuns: c.nextRuns(ctx, after["schedule"], 3)}, nil
}

func (c *call) createJob(ctx context.Context, id JobID, form url.Values) (jobSetOut, error) {
	before, err := c.readJobs(ctx)
	if err != nil {
		return jobSetOut{}, err
	}
	if id != "" {
		for _, j := range before {
			if j["id"] == string(id) {
				return jobSetOut{}, fmt.Errorf("invalid argument \"id\": backup job %s already exists; leave out create to change it", id)
			}
		}
		form.Set("id", string(id))
	}
	what := "create backup job"
	if id != "" {
		what += " " + string(id)
	}
	var raw json.RawMessage
	if err := c.PVE.Post(ctx, "/cluster/backup", form, &raw); err != nil {
		return jobSetOut{}, writeError(what, err, "pve_backup_jobs")
	}
	after, err := c.readJobs(ctx)
	if err != nil {
		return jobSetOut{}, fmt.Errorf("%s: Proxmox accepted it, but the jobs could not be read back (%w); check pve_backup_jobs", what, err)
	}
	old := map[string]bool{}
	for _, j := range before {
		old[j["id"]] = true
	}
	var found []rawJob
	for _, j := range after {
		if j["id"] == string(id) || id == "" && !old[j["id"]] {
			found = append(found, j)
		}
	}
	if len(found) != 1 {
		return jobSetOut{}, fmt.Errorf("%s: Proxmox accepted it, but %d new jobs are listed since; check pve_backup_jobs", what, len(found))
	}
	return jobSetOut{Action: "created", ID: found[0]["id"], Job: found[0].view(), NextRuns: c.nextRuns(ctx, found[0]["schedule"], 3)}, nil
}
