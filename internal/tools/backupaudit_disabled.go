package tools

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// disabledGuest is a guest that only disabled backup jobs select.
type disabledGuest struct {
	VMID int    `json:"vmid"`
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
	Node string `json:"node,omitempty"`
	// Jobs are the disabled jobs that select it; OtherJobs counts those
	// left out because they reach guests outside the allowlists.
	Jobs      []string `json:"jobs"`
	OtherJobs int      `json:"other_jobs,omitempty"`
}

// onlyDisabledJobs finds the guests that only disabled jobs select. Each
// job's guests come from Proxmox's included_volumes (pool, vmid list or all
// minus exclude, on the job's node), read only when a job is disabled.
func (c *call) onlyDisabledJobs(ctx context.Context, out *auditOut, jobs []rawJob, guests map[int]guestRes) {
	if !slices.ContainsFunc(jobs, func(j rawJob) bool { return !j.view().Enabled }) {
		return
	}
	enabled := map[int]bool{}
	disabled := map[int][]rawJob{}
	for _, j := range jobs {
		var inc struct {
			Children []struct {
				ID pve.Int `json:"id"`
			} `json:"children"`
		}
		if err := c.PVE.Get(ctx, pve.Path("cluster", "backup", j["id"], "included_volumes"), nil, &inc); err != nil {
			out.Notes = append(out.Notes, fmt.Sprintf("guests of backup job %s could not be read, so guests only in disabled jobs may be missing: %v", j["id"], err))
			return
		}
		on := j.view().Enabled
		for _, g := range inc.Children {
			if on {
				enabled[int(g.ID)] = true
			} else {
				disabled[int(g.ID)] = append(disabled[int(g.ID)], j)
			}
		}
	}
	ids := make([]int, 0, len(disabled))
	for id := range disabled {
		if _, ok := guests[id]; ok && !enabled[id] {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	for _, id := range ids {
		g := guests[id]
		dg := disabledGuest{VMID: id, Name: g.Name, Type: g.Type, Node: g.Node, Jobs: []string{}}
		for _, j := range disabled[id] {
			if c.jobAllowed(ctx, j) {
				dg.Jobs = append(dg.Jobs, j["id"])
			} else {
				dg.OtherJobs++
			}
		}
		sort.Strings(dg.Jobs)
		out.OnlyDisabled = append(out.OnlyDisabled, dg)
	}
	if len(ids) > 0 {
		names := make([]string, len(ids))
		for i, id := range ids {
			names[i] = strconv.Itoa(id)
		}
		which := "guests " + strings.Join(names, ", ") + " are"
		if len(ids) == 1 {
			which = "guest " + names[0] + " is"
		}
		out.Notes = append(out.Notes, which+" only in disabled backup jobs: no job backs them up, though Proxmox (and not_in_any_job) counts them covered; see only_disabled_jobs")
	}
}
