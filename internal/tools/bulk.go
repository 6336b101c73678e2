package tools

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// pve_bulk_action: PVE 9.1's bulk-action/guest (issue 15). One task starts,
// shuts down or migrates the listed guests, a few at a time; its log and the
// guests' state afterwards tell each guest's outcome.

type bulkArgs struct {
	Action         string   `json:"action" enum:"start,shutdown,migrate" jsonschema:"what to do with each guest"`
	VMs            []VMID   `json:"vms" jsonschema:"guest ids (VMs and containers, any node)"`
	Target         NodeName `json:"target,omitempty" jsonschema:"migrate: node to move them to"`
	Online         bool     `json:"online,omitempty" jsonschema:"migrate: live-migrate running VMs, restart running containers"`
	WithLocalDisks bool     `json:"withLocalDisks,omitempty" jsonschema:"migrate: also move local disks"`
	Timeout        int      `json:"timeout,omitempty" minimum:"1" maximum:"86400" jsonschema:"start or shutdown: seconds per guest"`
	ForceStop      bool     `json:"forceStop,omitempty" jsonschema:"shutdown: stop guests still running after the timeout (needs confirm)"`
	MaxWorkers     int      `json:"maxWorkers,omitempty" minimum:"1" maximum:"64" jsonschema:"guests handled at once (Proxmox: 4, migrate 1)"`
	Confirm        bool     `json:"confirm,omitempty" jsonschema:"needed with forceStop"`
}

func (a bulkArgs) confirmedByArg() bool { return a.Confirm }

// maxBulkGuests bounds one call's list.
const maxBulkGuests = 100

type bulkGuest struct {
	VMID    int    `json:"vmid"`
	Type    string `json:"type,omitempty"`   // qemu or lxc
	Node    string `json:"node,omitempty"`   // where it is now
	Status  string `json:"status,omitempty"` // running or stopped, now
	Outcome string `json:"outcome"`          // started, stopped, migrated, skipped: ..., failed: ...
	Task    string `json:"task,omitempty"`   // the guest's own failed task, whose log tells why
}

type bulkOut struct {
	taskOut
	Guests []bulkGuest `json:"guests"`
}

func bulkTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_bulk_action", title: "Bulk guest action", toolset: "bulk", effect: Mutating, task: true,
			desc: "Start, shut down or migrate many guests in one Proxmox task (PVE 9.1+), reporting each guest's outcome."},
			handle(func(ctx context.Context, c *call, in bulkArgs) (bulkOut, error) {
				return c.bulk(ctx, in)
			})),
	}
}

func (c *call) bulk(ctx context.Context, in bulkArgs) (bulkOut, error) {
	out := bulkOut{taskOut: taskOut{Action: "bulk_" + in.Action, Target: string(in.Target)}}
	form, err := c.bulkForm(in)
	if err != nil {
		return out, err
	}
	v, err := c.PVE.Version(ctx)
	if err != nil {
		return out, fmt.Errorf("read the Proxmox version: %w", err)
	}
	if !releaseAtLeast(v.Version, 9, 1) {
		return out, fmt.Errorf("pve_bulk_action needs Proxmox VE 9.1 or newer (bulk-action/guest); this cluster runs %s: "+
			"use the per-guest tools instead (pve_vm_start, pve_vm_shutdown, pve_vm_migrate and their pve_lxc_ counterparts)", v.Version)
	}
	if in.ForceStop {
		if err := c.confirm(in.Confirm, fmt.Sprintf("shut down guests %s and stop those still running after the timeout (unsaved data in them is lost)", idText(in.VMs))); err != nil {
			return out, err
		}
	}
	what := fmt.Sprintf("bulk %s of guests %s", in.Action, idText(in.VMs))
	t, ferr := c.postTask(ctx, what, "/cluster/bulk-action/guest/"+in.Action, form, out.taskOut)
	out.taskOut = t
	if c.async || out.UPID == "" {
		return out, ferr
	}
	out.Guests = c.bulkOutcomes(ctx, in, out.UPID)
	if ferr != nil {
		return out, fmt.Errorf("%w\nper guest: %s", ferr, guestsText(out.Guests))
	}
	for _, g := range out.Guests {
		if strings.HasPrefix(g.Outcome, "failed") || strings.HasPrefix(g.Outcome, "unknown") {
			return out, fmt.Errorf("%s: the task ended OK, but not every guest did as asked; per guest: %s", what, guestsText(out.Guests))
		}
	}
	return out, nil
}

// bulkForm checks the arguments that belong to one action and builds the request.
func (c *call) bulkForm(in bulkArgs) (url.Values, error) {
	if len(in.VMs) == 0 || len(in.VMs) > maxBulkGuests {
		return nil, fmt.Errorf("invalid argument \"vms\": list 1 to %d guest ids (pve_cluster_resources lists them)", maxBulkGuests)
	}
	form := url.Values{}
	for _, id := range in.VMs {
		if err := c.vmid("vms", id); err != nil {
			return nil, err
		}
		if slices.Contains(form["vms"], strconv.Itoa(int(id))) {
			return nil, fmt.Errorf("invalid argument \"vms\": %d is listed twice", id)
		}
		form.Add("vms", strconv.Itoa(int(id)))
	}
	only := func(arg string, set bool, action string) error {
		if set && in.Action != action {
			return fmt.Errorf("invalid argument %q: it belongs to action %s, not %s; leave it out", arg, action, in.Action)
		}
		return nil
	}
	for _, err := range []error{
		only("target", in.Target != "", "migrate"), only("online", in.Online, "migrate"),
		only("withLocalDisks", in.WithLocalDisks, "migrate"), only("forceStop", in.ForceStop, "shutdown"),
	} {
		if err != nil {
			return nil, err
		}
	}
	if in.Timeout != 0 && in.Action == "migrate" {
		return nil, fmt.Errorf("invalid argument \"timeout\": it belongs to start and shutdown, not migrate; leave it out")
	}
	switch in.Action {
	case "migrate":
		if in.Target == "" {
			return nil, fmt.Errorf("invalid argument \"target\": migrate needs the node to move the guests to")
		}
		if err := c.node("target", in.Target); err != nil {
			return nil, err
		}
		form.Set("target", string(in.Target))
		if in.Online {
			form.Set("online", pve.Bool(true))
		}
		if in.WithLocalDisks {
			form.Set("with-local-disks", pve.Bool(true))
		}
	case "shutdown":
		form.Set("force-stop", pve.Bool(in.ForceStop)) // Proxmox's default is 1
	}
	if in.Timeout != 0 {
		form.Set("timeout", strconv.Itoa(in.Timeout))
	}
	if in.MaxWorkers != 0 {
		form.Set("max-workers", strconv.Itoa(in.MaxWorkers))
	}
	return form, nil
}

func releaseAtLeast(version string, major, minor int) bool {
	maj, mnr, _, ok := pveschema.ParseVersion(version)
	return ok && (maj > major || maj == major && mnr >= minor)
}

func idText(ids []VMID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ", ")
}

func guestsText(gs []bulkGuest) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = fmt.Sprintf("%d %s", g.VMID, g.Outcome)
	}
	return strings.Join(s, "; ")
}

// The bulk worker's log lines about one guest (pve-manager's
// BulkAction/Guest.pm).
var (
	bulkLaunch = lazyre.New(`^(?:Starting|Shutting down|Migrating|Suspending) (?:VM|CT) (\d+)\b`)
	bulkSkip   = lazyre.New(`^WARN: Skipping (?:VM|CT) (\d+), (.*?)\.?$`)
	bulkThere  = lazyre.New(`^WARN: (?:VM|CT) (\d+) (already on \S+), skipping\.?$`)
	bulkFailed = lazyre.New(`^WARN: (?:Starting|Stopping|Migrating) (?:VM|CT) (\d+) failed: (.*)$`)
)

// bulkLog reads each guest's outcome from the task log: skipped (why),
// failed (Proxmox's error) or launched. A bare warning right after a launch
// is the error of that guest's own request.
func bulkLog(lines []pve.LogLine) map[int]string {
	out := map[int]string{}
	last := 0
	for _, l := range lines {
		t := strings.TrimSpace(l.T)
		launched := last
		last = 0
		if m := bulkLaunch.FindStringSubmatch(t); m != nil {
			last = bulkID(m[1])
			out[last] = "launched"
		} else if m := bulkSkip.FindStringSubmatch(t); m != nil {
			out[bulkID(m[1])] = "skipped: " + m[2]
		} else if m := bulkThere.FindStringSubmatch(t); m != nil {
			out[bulkID(m[1])] = "skipped: " + m[2]
		} else if m := bulkFailed.FindStringSubmatch(t); m != nil {
			out[bulkID(m[1])] = "failed: " + pve.ClipLine(m[2])
		} else if msg, ok := strings.CutPrefix(t, "WARN: "); ok && launched != 0 {
			out[launched] = "failed: " + pve.ClipLine(msg)
		}
	}
	return out
}

func bulkID(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// bulkOutcomes joins the log with where each guest is and how it runs now.
func (c *call) bulkOutcomes(ctx context.Context, in bulkArgs, upid string) []bulkGuest {
	var logged map[int]string
	if lines, _, err := c.PVE.TaskLog(ctx, upid, 0, 1000); err == nil {
		logged = bulkLog(lines)
	}
	var res []struct {
		VMID     int     `json:"vmid"`
		Type     string  `json:"type"`
		Node     string  `json:"node"`
		Status   string  `json:"status"`
		Template pve.Int `json:"template"`
	}
	resErr := c.PVE.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res)
	out := make([]bulkGuest, 0, len(in.VMs))
	reads := 0
	for _, id := range in.VMs {
		g := bulkGuest{VMID: int(id), Outcome: logged[int(id)]}
		found, template := false, false
		for _, r := range res {
			if r.VMID == int(id) {
				g.Type, g.Node, g.Status, found, template = r.Type, r.Node, r.Status, true, r.Template == 1
			}
		}
		switch {
		case strings.HasPrefix(g.Outcome, "skipped") || strings.HasPrefix(g.Outcome, "failed"):
		case resErr != nil:
			g.Outcome = "unknown: the guests' state could not be read (" + resErr.Error() + ")"
		case found && template && in.Action != "migrate" && g.Outcome == "":
			// Proxmox leaves templates out of start and shutdown.
			g.Outcome = "skipped: a template (Proxmox leaves templates out)"
		case !found:
			g.Outcome = "failed: not in the cluster"
		case in.Action == "start" && g.Status == "running", in.Action == "shutdown" && g.Status == "stopped":
			g.Outcome = map[string]string{"start": "started", "shutdown": "stopped"}[in.Action]
		case in.Action == "migrate" && g.Node == string(in.Target):
			g.Outcome = "migrated to " + g.Node
		case g.Outcome == "":
			g.Outcome = "unknown: the task log does not name it and it is " + g.Status + " on " + g.Node
		default:
			g.Outcome = "failed: it is " + g.Status + " on " + g.Node + " after the task"
		}
		if strings.HasPrefix(logged[int(id)], "failed: ") && found && reads < maxReasonReads {
			reads++
			c.guestTaskReason(ctx, in.Action, upid, &g)
		}
		out = append(out, g)
	}
	return out
}

// maxReasonReads bounds the failed guests whose own task log is read.
const maxReasonReads = 10

// The guest's own tasks a bulk action starts, by action.
var bulkTaskTypes = map[string][]string{
	"start":    {"qmstart", "qmresume", "vzstart", "vzresume"},
	"shutdown": {"qmshutdown", "vzshutdown"},
	"migrate":  {"qmigrate", "vzmigrate"},
}

// guestTaskReason adds why a guest's own task failed: pve-manager's bulk
// log gives only that task's exit status ("migration aborted"), its log
// the reason. The task is the guest's failed one started since the bulk
// task, on the node the guest is on.
func (c *call) guestTaskReason(ctx context.Context, action, bulkUPID string, g *bulkGuest) {
	bu, err := pveid.ParseUPID(bulkUPID)
	if err != nil || g.Node == "" {
		return
	}
	q := url.Values{"source": {"all"}, "vmid": {strconv.Itoa(g.VMID)}, "errors": {"1"}, "limit": {"20"},
		"since": {strconv.FormatUint(bu.StartTime, 10)}}
	var list []listedTask
	if c.PVE.Get(ctx, "/nodes/"+g.Node+"/tasks", q, &list) != nil {
		return
	}
	for _, t := range list {
		if t.UPID == "" || !slices.Contains(bulkTaskTypes[action], t.Type) {
			continue
		}
		lines, _, err := c.PVE.TaskLog(ctx, t.UPID, 0, 1000)
		if err != nil {
			return
		}
		g.Task = t.UPID
		for _, l := range lines {
			if _, msg, ok := strings.Cut(l.T, "ERROR: "); ok {
				g.Outcome += ": " + pve.ClipLine(strings.TrimSpace(msg))
				break
			}
		}
		if strings.Contains(g.Outcome, "with-local-disks") {
			g.Outcome += "; to move local disks with the guest, repeat with withLocalDisks: true"
		}
		return
	}
}
