package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Running a backup job now. Proxmox has no endpoint for it: the web UI's
// "Run now" (dc/Backup.js, run_backup_now) posts the job's settings, less
// those of its schedule, to /nodes/{node}/vzdump of each online node (or of
// the job's node); vzdump backs up the guests that live there.

type jobRunArgs struct {
	ID JobID `json:"id" jsonschema:"job id, as pve_backup_jobs lists it"`
	// remove=0 unless asked: the job's retention would delete older backups.
	Prune   bool `json:"prune,omitempty" jsonschema:"also prune older backups by the job's retention (needs confirm)"`
	Confirm bool `json:"confirm,omitempty" jsonschema:"with prune"`
}

func (a jobRunArgs) confirmedByArg() bool { return a.Confirm }

// nodeRun is one node's part of a run.
type nodeRun struct {
	Node string `json:"node"`
	// Status: ok, failed, nothing (no guest of the job there), offline, not started.
	Status     string   `json:"status"`
	VMIDs      []int    `json:"vmids,omitempty"`
	UPID       string   `json:"upid,omitempty"`
	ExitStatus string   `json:"exitStatus,omitempty"`
	Error      string   `json:"error,omitempty"`
	Warnings   []string `json:"warnings,omitempty"`
}

type jobRunOut struct {
	ID    string    `json:"id"`
	Nodes []nodeRun `json:"nodes"`
	// Missing are guests of the job that the cluster does not know.
	Missing []int `json:"missing,omitempty"`
}

// jobScheduleKeys are the job's settings that are not vzdump's.
var jobScheduleKeys = []string{"enabled", "starttime", "dow", "id", "schedule", "type", "node", "comment", "next-run", "repeat-missed"}

func backupJobRunTool(d *Deps) Tool {
	return define(d, spec{name: "pve_backup_job_run", title: "Run backup job now", toolset: "backupjobs", effect: Mutating,
		desc: "Run a backup job now on each node that has its guests, as the web UI's Run now; waits for each node's task."},
		handle(func(ctx context.Context, c *call, in jobRunArgs) (jobRunOut, error) {
			return c.runBackupJob(ctx, in)
		}))
}

// placed is where the cluster's guests and nodes are.
type placed struct {
	guestNode map[int]string
	online    []string
	offline   []string
}

func (c *call) placement(ctx context.Context) (placed, error) {
	var res []struct {
		Type   string  `json:"type"`
		Node   string  `json:"node"`
		VMID   pve.Int `json:"vmid"`
		Status string  `json:"status"`
	}
	if err := c.PVE.Get(ctx, "/cluster/resources", nil, &res); err != nil {
		return placed{}, fmt.Errorf("read cluster resources: %w", err)
	}
	p := placed{guestNode: map[int]string{}}
	for _, r := range res {
		switch {
		case r.Type == "qemu" || r.Type == "lxc":
			p.guestNode[int(r.VMID)] = r.Node
		case r.Type == "node" && r.Status == "online":
			p.online = append(p.online, r.Node)
		case r.Type == "node":
			p.offline = append(p.offline, r.Node)
		}
	}
	slices.Sort(p.online)
	slices.Sort(p.offline)
	return p, nil
}

func (c *call) runBackupJob(ctx context.Context, in jobRunArgs) (jobRunOut, error) {
	j, err := c.readJob(ctx, in.ID)
	if err != nil {
		return jobRunOut{}, err
	}
	if !c.jobAllowed(ctx, j) {
		return jobRunOut{}, fmt.Errorf("%w: backup job %s reaches guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST", errRefused, in.ID)
	}
	v := j.view()
	if in.Prune {
		keep := "the storage's retention"
		if j["prune-backups"] != "" {
			keep = "retention " + j["prune-backups"]
		}
		if err := c.confirm(in.Confirm, fmt.Sprintf("run backup job %s now and delete older backups of its guests beyond %s", in.ID, keep)); err != nil {
			return jobRunOut{}, err
		}
	}
	p, err := c.placement(ctx)
	if err != nil {
		return jobRunOut{}, err
	}
	out := jobRunOut{ID: string(in.ID)}
	plan, missing := runPlan(v, p)
	out.Missing = missing
	if v.Node != "" && !slices.Contains(p.online, v.Node) {
		return out, fmt.Errorf("run backup job %s: node %s of the job is not online (Proxmox's web UI refuses the same); pve_cluster_resources shows the nodes", in.ID, v.Node)
	}
	form := url.Values{}
	for k, val := range j {
		if !slices.Contains(jobScheduleKeys, k) {
			form.Set(k, val)
		}
	}
	if v.Selection == "all" {
		form.Set("all", "1")
	}
	if !in.Prune {
		form.Set("remove", "0")
	}
	c.PVE.Name("vmid", "the job's vmid")
	// Start every node's task first: the web UI runs them side by side.
	for i := range plan {
		r := &plan[i]
		if r.Status != "" {
			continue
		}
		f := cloneValues(form)
		if v.Selection == "vmids" {
			f.Set("vmid", joinInts(r.VMIDs))
		}
		var raw json.RawMessage
		err := c.PVE.Post(ctx, pve.Path("nodes", r.Node, "vzdump"), f, &raw)
		upid, ok := upidOf(raw)
		switch {
		case err != nil:
			r.Status, r.Error = "not started", writeError("vzdump on "+r.Node, err, "pve_list_tasks for "+r.Node).Error()
		case ok:
			r.UPID = upid
		case isOK(raw):
			r.Status = "nothing" // no guest of the job on this node
		default:
			r.Status, r.Error = "not started", noTask("vzdump on "+r.Node, answerText(raw), "pve_list_tasks for "+r.Node).Error()
		}
	}
	for i := range plan {
		r := &plan[i]
		if r.UPID == "" {
			continue
		}
		t := taskOut{Action: "backup", Node: r.Node, Storage: orDefault(v.Storage, "local")}
		if err := c.follow(ctx, "backup job "+string(in.ID)+" on "+r.Node, r.UPID, "", &t); err != nil {
			r.Status, r.Error = "failed", err.Error()
		} else {
			r.Status, r.ExitStatus, r.Warnings = "ok", t.ExitStatus, t.Warnings
		}
	}
	out.Nodes = plan
	return out, runOutcome(out)
}

// runPlan is run_backup_now's choice of nodes: the job's node, else every
// node; a job that names its guests runs only where they are.
func runPlan(v jobView, p placed) (plan []nodeRun, missing []int) {
	nodes := append(slices.Clone(p.online), p.offline...)
	if v.Node != "" {
		nodes = []string{v.Node}
	}
	byNode := map[string][]int{}
	if v.Selection == "vmids" {
		for _, id := range v.VMIDs {
			n, ok := p.guestNode[id]
			if !ok {
				missing = append(missing, id)
				continue
			}
			byNode[n] = append(byNode[n], id)
		}
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		r := nodeRun{Node: n}
		switch {
		case v.Selection == "vmids" && len(byNode[n]) == 0:
			continue
		case v.Selection == "vmids":
			r.VMIDs = byNode[n]
		}
		if !slices.Contains(p.online, n) {
			r.Status, r.Error = "offline", "node is not online"
		}
		plan = append(plan, r)
	}
	return plan, missing
}

// runOutcome is an error unless every node's part ended OK, telling each.
func runOutcome(out jobRunOut) error {
	var bad []string
	for _, r := range out.Nodes {
		if r.Status != "ok" && r.Status != "nothing" {
			bad = append(bad, r.Node+": "+r.Status+" ("+r.Error+")")
		}
	}
	if len(out.Missing) > 0 {
		bad = append(bad, fmt.Sprintf("guests %s of the job exist on no node and were not backed up", joinInts(out.Missing)))
	}
	if len(bad) == 0 {
		if len(out.Nodes) == 0 {
			return fmt.Errorf("run backup job %s: it selects no guest that exists; nothing was backed up", out.ID)
		}
		return nil
	}
	var good []string
	for _, r := range out.Nodes {
		if r.Status == "ok" {
			good = append(good, r.Node+" ok ("+r.UPID+")")
		}
	}
	text := fmt.Sprintf("run backup job %s: not every node's backup succeeded:\n  %s", out.ID, strings.Join(bad, "\n  "))
	if len(good) > 0 {
		text += "\nsucceeded: " + strings.Join(good, ", ")
	}
	return fmt.Errorf("%s\n(pve_list_backups shows what was stored; pve_task_log with a UPID tells why a node failed)", text)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vals := range v {
		out[k] = slices.Clone(vals)
	}
	return out
}

// since renders an age in days and hours.
func since(now time.Time, t int64) string {
	d := now.Sub(time.Unix(t, 0))
	if d < 0 {
		d = 0
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if days == 0 {
		return strconv.Itoa(hours) + "h"
	}
	return fmt.Sprintf("%dd %dh", days, hours)
}
