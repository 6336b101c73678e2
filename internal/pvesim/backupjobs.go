package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Backup jobs (/cluster/backup).

var jobNumericKeys = map[string]bool{"all": true, "enabled": true, "protected": true, "remove": true, "stop": true,
	"quiet": true, "repeat-missed": true, "stdexcludes": true, "bwlimit": true, "ionice": true, "lockwait": true,
	"maxfiles": true, "pigz": true, "stopwait": true, "zstd": true}

func jobJSON(j *backupJob, now time.Time) map[string]any {
	m := map[string]any{"id": j.id, "type": "vzdump"}
	for k, v := range j.opts {
		if jobNumericKeys[k] {
			n, _ := strconv.Atoi(v)
			m[k] = n
			continue
		}
		if k == "prune-backups" || k == "fleecing" || k == "performance" {
			obj := map[string]any{}
			for _, kv := range strings.Split(v, ",") {
				a, b, _ := strings.Cut(kv, "=")
				if a == "enabled" {
					n, _ := strconv.Atoi(b)
					obj[a] = n
				} else {
					obj[a] = b
				}
			}
			m[k] = obj
			continue
		}
		m[k] = v
	}
	if _, ok := m["enabled"]; !ok {
		m["enabled"] = 1
	}
	// Proxmox computes next-run from now for every job with a schedule,
	// enabled or not (vzdump jobs are cluster-wide).
	if next, ok := nextCalendarEvent(j.opts["schedule"], now); ok {
		m["next-run"] = next.Unix()
	}
	return m
}

// nextRun approximates the next calendar event: the next top of the hour
// matching "HH:MM" when given, else tomorrow 01:00 (replication's runs).
func nextRun(schedule string, now time.Time) int64 {
	hh, mm := 1, 0
	for _, f := range strings.Fields(schedule) {
		if h, m, ok := strings.Cut(f, ":"); ok {
			if x, err := strconv.Atoi(h); err == nil {
				hh = x % 24
			}
			if x, err := strconv.Atoi(m); err == nil {
				mm = x % 60
			}
		}
	}
	t := time.Date(now.Year(), now.Month(), now.Day(), hh, mm, 0, 0, time.Local)
	if !t.After(now) {
		t = t.Add(24 * time.Hour)
	}
	return t.Unix()
}

func (s *Sim) listBackupJobs(c *call) (any, error) {
	out := []map[string]any{}
	for _, j := range c.st.jobs {
		out = append(out, jobJSON(j, c.now))
	}
	return out, nil
}

func (s *Sim) findJob(id string) (*backupJob, error) {
	for _, j := range s.st.jobs {
		if j.id == id {
			return j, nil
		}
	}
	return nil, paramErr("id", fmt.Sprintf("No such job '%s'", id))
}

func (s *Sim) getBackupJob(c *call) (any, error) {
	j, err := s.findJob(c.params["id"])
	if err != nil {
		return nil, err
	}
	return jobJSON(j, c.now), nil
}

func (s *Sim) createBackupJob(c *call) (any, error) {
	id := c.params["id"]
	if id == "" {
		id = "backup-" + strings.ReplaceAll(c.st.uuid(), "-", "")[:8] + "-" + strings.ReplaceAll(c.st.uuid(), "-", "")[:4]
	}
	for _, j := range c.st.jobs {
		if j.id == id {
			return nil, failf("Job '%s' already exists", id)
		}
	}
	opts := map[string]string{}
	for k, v := range c.params {
		if k != "id" {
			opts[k] = v
		}
	}
	if err := c.jobCreatePerm(opts); err != nil {
		return nil, err
	}
	if err := scheduleParamCheck(opts, true); err != nil {
		return nil, err
	}
	if opts["enabled"] == "" {
		opts["enabled"] = "1"
	}
	// verify_vzdump_parameters; the storage is not looked up: a job may
	// name one that exists only later, and each run fails on it
	if err := verifyJobParams(opts, true); err != nil {
		return nil, err
	}
	c.st.jobs = append(c.st.jobs, &backupJob{id: id, opts: opts})
	return nil, nil
}

func (s *Sim) updateBackupJob(c *call) (any, error) {
	set := map[string]string{}
	for k, v := range c.params {
		if k != "id" && k != "delete" {
			set[k] = v
		}
	}
	del := splitList(c.params["delete"])
	if err := c.jobUpdatePerm(set, del, nil); err != nil {
		return nil, err
	}
	if err := scheduleParamCheck(set, false); err != nil {
		return nil, err
	}
	if len(set) == 0 && len(del) == 0 {
		return nil, failf("no options specified")
	}
	if err := verifyJobParams(set, false); err != nil {
		return nil, err
	}
	var j *backupJob
	for _, x := range c.st.jobs {
		if x.id == c.params["id"] {
			j = x
		}
	}
	if j == nil {
		return nil, failf("no such vzdump job")
	}
	if err := c.jobUpdatePerm(set, del, j); err != nil {
		return nil, err
	}
	opts := map[string]string{}
	for k, v := range j.opts {
		opts[k] = v
	}
	for _, k := range del {
		if !vzdumpOption(k) && k != "comment" && k != "repeat-missed" {
			return nil, paramErr("delete", fmt.Sprintf("unknown option '%s'", k))
		}
		delete(opts, k)
	}
	for k, v := range set {
		opts[k] = v
	}
	// the selection keys replace one another (update_job)
	if opts["exclude"] != "" && opts["pool"] == "" {
		opts["all"] = "1"
	}
	switch {
	case set["vmid"] != "":
		delete(opts, "all")
		delete(opts, "exclude")
		delete(opts, "pool")
	case optBool(set["all"]):
		delete(opts, "vmid")
		delete(opts, "pool")
	case opts["pool"] != "":
		delete(opts, "vmid")
		delete(opts, "all")
		delete(opts, "exclude")
	}
	if err := verifyJobParams(opts, true); err != nil {
		return nil, err
	}
	j.opts = opts
	return nil, nil
}

// scheduleParamCheck is Backup.pm's: schedule, or the deprecated
// starttime and dow turned into one.
func scheduleParamCheck(opts map[string]string, required bool) error {
	switch {
	case opts["schedule"] != "" && opts["starttime"] != "":
		return paramErr("starttime", "'starttime' and 'schedule' cannot both be set")
	case opts["schedule"] == "" && opts["starttime"] == "":
		if required {
			return paramErr("schedule", "neither 'starttime' nor 'schedule' were set")
		}
	case opts["schedule"] == "":
		dow := strings.Join(splitList(opts["dow"]), ",")
		opts["schedule"] = opts["starttime"]
		if dow != "" && dow != "mon,tue,wed,thu,fri,sat,sun" {
			opts["schedule"] = dow + " " + opts["starttime"]
		}
	}
	delete(opts, "starttime")
	delete(opts, "dow")
	return nil
}

// verifyJobParams is VZDump's verify_vzdump_parameters.
func verifyJobParams(opts map[string]string, checkMissing bool) error {
	for _, k := range []string{"all", "exclude", "pool"} {
		if (k == "all" && optBool(opts[k]) || k != "all" && opts[k] != "") && opts["vmid"] != "" {
			return paramErr(k, "option conflicts with option 'vmid'")
		}
	}
	if opts["exclude"] != "" && opts["pool"] == "" {
		opts["all"] = "1"
	}
	if checkMissing && !optBool(opts["all"]) && !optBool(opts["stop"]) && opts["pool"] == "" && opts["vmid"] == "" {
		return paramErr("vmid", "property is missing")
	}
	return nil
}

// vzdumpOption tells whether k is an option of vzdump (option_exists).
func vzdumpOption(k string) bool {
	switch k {
	case "all", "bwlimit", "compress", "dumpdir", "exclude", "exclude-path", "fleecing", "ionice", "lockwait", "mailnotification",
		"mailto", "maxfiles", "mode", "node", "notes-template", "notification-mode", "pbs-change-detection-mode", "performance",
		"pigz", "pool", "protected", "prune-backups", "quiet", "remove", "script", "stdexcludes", "stop", "stopwait", "storage",
		"tmpdir", "vmid", "zstd", "notification-policy", "notification-target":
		return true
	}
	return false
}

func (s *Sim) deleteBackupJob(c *call) (any, error) {
	id := c.params["id"]
	for i, j := range c.st.jobs {
		if j.id == id {
			c.st.jobs = append(c.st.jobs[:i], c.st.jobs[i+1:]...)
			return nil, nil
		}
	}
	return nil, paramErr("id", fmt.Sprintf("No such job '%s'", id))
}
