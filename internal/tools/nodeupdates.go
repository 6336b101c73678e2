package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type nodeUpdatesArgs struct {
	Node    NodeName `json:"node"`
	Refresh bool     `json:"refresh,omitempty" jsonschema:"first refresh the package index (apt-get update, a task)"`
}

// pendingPkg is an entry of GET /nodes/{node}/apt/update.
type pendingPkg struct {
	Package    string `json:"package"`
	OldVersion string `json:"oldVersion,omitempty"`
	Version    string `json:"version"`
	Origin     string `json:"origin,omitempty"`
	Priority   string `json:"priority,omitempty"`
	Title      string `json:"title,omitempty"`
}

// installedPkg is an entry of GET /nodes/{node}/apt/versions.
type installedPkg struct {
	Package        string `json:"package"`
	Version        string `json:"version"`
	RunningKernel  string `json:"runningKernel,omitempty"`
	ManagerVersion string `json:"managerVersion,omitempty"`
}

type nodeUpdatesOut struct {
	Node      string         `json:"node"`
	Refresh   *taskOut       `json:"refresh,omitempty" jsonschema:"the apt-get update task, with refresh"`
	Pending   []pendingPkg   `json:"pending" jsonschema:"packages an upgrade would install"`
	Count     int            `json:"count"`
	Installed []installedPkg `json:"installed" jsonschema:"installed Proxmox packages (apt/versions)"`
	// IndexRefreshed is when the newest apt-get update task (aptupdate) ended.
	IndexRefreshed string `json:"index_refreshed,omitempty" jsonschema:"when apt-get update last ran (UTC), from the node's task list"`
	Note           string `json:"note,omitempty" jsonschema:"how current the package index is"`
}

func nodeUpdatesTool(d *Deps) Tool {
	return define(d, spec{name: "pve_node_updates", title: "Node updates", toolset: "nodeadmin", effect: Mutating,
		desc: "Pending package updates of a node and its installed Proxmox versions; refresh: true runs apt-get update first."},
		handle(nodeUpdates))
}

func nodeUpdates(ctx context.Context, c *call, in nodeUpdatesArgs) (nodeUpdatesOut, error) {
	if err := c.node("node", in.Node); err != nil {
		return nodeUpdatesOut{}, err
	}
	out := nodeUpdatesOut{Node: string(in.Node), Pending: []pendingPkg{}, Installed: []installedPkg{}}
	base := pve.Path("nodes", string(in.Node), "apt")
	if in.Refresh {
		what := "refresh the package index of " + string(in.Node)
		t, err := c.postTask(ctx, what, base+"/update", nil, taskOut{Action: "aptupdate", Node: string(in.Node)})
		out.Refresh = &t
		if err != nil {
			return out, err
		}
	}
	if !in.Refresh {
		c.indexAge(ctx, &out)
	}
	var pending []struct {
		Package, OldVersion, Version, Origin, Priority, Title string
	}
	if err := c.PVE.Get(ctx, base+"/update", nil, &pending); err != nil {
		return out, fmt.Errorf("list pending updates of %s: %w", in.Node, err)
	}
	for _, p := range pending {
		out.Pending = append(out.Pending, pendingPkg{Package: p.Package, OldVersion: p.OldVersion, Version: p.Version,
			Origin: p.Origin, Priority: p.Priority, Title: p.Title})
	}
	out.Count = len(out.Pending)
	var versions []struct {
		Package, Version, OldVersion, CurrentState, RunningKernel, ManagerVersion string
	}
	if err := c.PVE.Get(ctx, base+"/versions", nil, &versions); err != nil {
		return out, fmt.Errorf("list installed versions of %s: %w", in.Node, err)
	}
	for _, v := range versions {
		if v.CurrentState != "" && v.CurrentState != "Installed" {
			continue
		}
		ver := v.OldVersion // apt/versions puts the installed one here when an update is pending
		if ver == "" {
			ver = v.Version
		}
		out.Installed = append(out.Installed, installedPkg{Package: v.Package, Version: ver,
			RunningKernel: v.RunningKernel, ManagerVersion: v.ManagerVersion})
	}
	return out, nil
}

// indexAge tells how old the package index is: Proxmox keeps no date of
// it, but every apt-get update (the daily pveupdate's too) is an aptupdate
// task in the node's task list.
func (c *call) indexAge(ctx context.Context, out *nodeUpdatesOut) {
	const refresh = "run with refresh: true to update the package index first"
	var tasks []struct {
		StartTime pve.Int `json:"starttime"`
		EndTime   pve.Int `json:"endtime"`
		Status    string  `json:"status"`
	}
	q := url.Values{"typefilter": {"aptupdate"}, "limit": {"1"}}
	if err := c.PVE.Get(ctx, pve.Path("nodes", out.Node, "tasks"), q, &tasks); err != nil || len(tasks) == 0 {
		out.Note = "the package index may be stale (when it was last refreshed is unknown): " + refresh
		return
	}
	t := tasks[0]
	at := int64(t.EndTime)
	if at == 0 {
		at = int64(t.StartTime)
	}
	out.IndexRefreshed = time.Unix(at, 0).UTC().Format(time.RFC3339)
	status := t.Status
	if status == "" {
		status = "still running"
	}
	out.Note = fmt.Sprintf("apt-get update last ran %s (%s ago, status: %s); %s", out.IndexRefreshed, since(time.Now(), at), pve.ClipLine(status), refresh)
}

type nodeDisksArgs struct {
	Node  NodeName `json:"node"`
	Smart DevPath  `json:"smart,omitempty" jsonschema:"also this disk's SMART attributes, e.g. /dev/sda"`
}

type diskOut struct {
	DevPath string `json:"devpath"`
	Model   string `json:"model,omitempty"`
	Serial  string `json:"serial,omitempty"`
	Type    string `json:"type,omitempty" jsonschema:"ssd, hdd, nvme, usb or unknown"`
	Size    int64  `json:"size" jsonschema:"bytes"`
	Health  string `json:"health,omitempty" jsonschema:"SMART overall health: PASSED, FAILED, OK or UNKNOWN"`
	Wearout string `json:"wearout,omitempty" jsonschema:"percent of rated life left (SSDs), N/A when unknown"`
	Used    string `json:"used,omitempty" jsonschema:"what uses it: LVM, ZFS, partitions, mounted..."`
}

type nodeDisksOut struct {
	Node    string          `json:"node"`
	Disks   []diskOut       `json:"disks"`
	Failing []string        `json:"failing,omitempty" jsonschema:"disks whose SMART health is not PASSED or OK, or with under 10% life left"`
	Smart   json.RawMessage `json:"smart,omitempty" jsonschema:"GET disks/smart of the disk asked: health, attributes or text"`
}

func nodeDisksTool(d *Deps) Tool {
	return define(d, spec{name: "pve_node_disks", title: "Node disks", toolset: "nodeadmin",
		desc: "A node's physical disks with SMART health and SSD wear; smart: /dev/X adds that disk's SMART attributes."},
		handle(func(ctx context.Context, c *call, in nodeDisksArgs) (nodeDisksOut, error) {
			if err := c.node("node", in.Node); err != nil {
				return nodeDisksOut{}, err
			}
			base := pve.Path("nodes", string(in.Node), "disks")
			var list []struct {
				DevPath, Model, Serial, Type, Health, Used string
				Size                                       pve.Int
				Wearout                                    json.RawMessage
			}
			if err := c.PVE.Get(ctx, base+"/list", nil, &list); err != nil {
				return nodeDisksOut{}, fmt.Errorf("list disks of %s: %w", in.Node, err)
			}
			out := nodeDisksOut{Node: string(in.Node), Disks: []diskOut{}}
			for _, d := range list {
				wear := strings.Trim(string(d.Wearout), `"`)
				out.Disks = append(out.Disks, diskOut{DevPath: d.DevPath, Model: d.Model, Serial: d.Serial, Type: d.Type,
					Size: int64(d.Size), Health: d.Health, Wearout: wear, Used: d.Used})
				if failing(d.Health, wear) {
					out.Failing = append(out.Failing, d.DevPath)
				}
			}
			if in.Smart != "" {
				var smart pve.Object
				if err := c.PVE.Get(ctx, base+"/smart", url.Values{"disk": {string(in.Smart)}}, &smart); err != nil {
					return out, fmt.Errorf("read SMART data of %s on %s: %w", in.Smart, in.Node, err)
				}
				out.Smart = compact(json.RawMessage(smart))
			}
			return out, nil
		}))
}

// failing: SMART's verdict is neither PASSED nor OK (UNKNOWN is not
// failing: smartctl could not tell), or an SSD has under 10% life left.
func failing(health, wear string) bool {
	h := strings.ToUpper(health)
	if h != "" && h != "PASSED" && h != "OK" && h != "UNKNOWN" {
		return true
	}
	var n float64
	_, err := fmt.Sscan(wear, &n)
	return err == nil && n < 10
}
