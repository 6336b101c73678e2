package pvesim

import (
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
	if j.opts["schedule"] != "" && m["enabled"] == 1 {
		m["next-run"] = nextRun(j.opts["schedule"], now)
	}
	return m
}

// nextRun approximates the next calendar event: the next top of the hour
// matching "HH:MM" when given, else tomorrow 01:00.
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
	return nil, failf("Job '%s' does not exist", id)
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
	if opts["schedule"] == "" && opts["starttime"] != "" {
		dow := opts["dow"]
		if dow == "" {
			dow = "mon,tue,wed,thu,fri,sat,sun"
		}
		opts["schedule"] = dow + " " + opts["starttime"]
		delete(opts, "starttime")
		delete(opts, "dow")
	}
	if opts["schedule"] == "" {
		return nil, paramErr("schedule", "property is missing and it is not optional")
	}
	if opts["all"] != "1" && opts["vmid"] == "" && opts["pool"] == "" {
		return nil, paramErr("vmid", "property is missing and it is not optional")
	}
	if opts["storage"] != "" {
		found := false
		for _, d := range c.st.storages {
			if d.id == opts["storage"] {
				found = true
			}
		}
		if !found {
			return nil, failf("storage '%s' does not exist", opts["storage"])
		}
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
	j, err := s.findJob(c.params["id"])
	if err != nil {
		return nil, err
	}
	if err := c.jobUpdatePerm(set, del, j); err != nil {
		return nil, err
	}
	for k, v := range c.params {
		if k != "id" && k != "delete" {
			j.opts[k] = v
		}
	}
	for _, k := range splitList(c.params["delete"]) {
		delete(j.opts, k)
	}
	return nil, nil
}

func (s *Sim) deleteBackupJob(c *call) (any, error) {
	id := c.params["id"]
	for i, j := range c.st.jobs {
		if j.id == id {
			c.st.jobs = append(c.st.jobs[:i], c.st.jobs[i+1:]...)
			return nil, nil
		}
	}
	return nil, failf("job '%s' not found", id)
}
