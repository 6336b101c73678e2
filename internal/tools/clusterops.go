package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Cluster status, the cluster log and storage replication (issue 15).

type clusterNode struct {
	Name    string `json:"name"`
	Online  bool   `json:"online"`
	Local   bool   `json:"local,omitempty" jsonschema:"the node answering the API"`
	NodeID  int    `json:"nodeid,omitempty"`
	IP      string `json:"ip,omitempty"`
	Level   string `json:"level,omitempty" jsonschema:"subscription level"`
	Version string `json:"version,omitempty" jsonschema:"pve-manager version, e.g. 9.1.3"`
	Error   string `json:"error,omitempty" jsonschema:"why the version could not be read"`
}

type clusterStatusOut struct {
	Cluster string        `json:"cluster,omitempty" jsonschema:"cluster name; absent on a single node"`
	Quorate bool          `json:"quorate"`
	Nodes   int           `json:"nodes" jsonschema:"nodes in the cluster, offline ones included"`
	Online  int           `json:"online"`
	Members []clusterNode `json:"members"`
}

type clusterLogArgs struct {
	Max int `json:"max,omitempty" minimum:"1" maximum:"500" default:"50" jsonschema:"most entries, newest first"`
}

type replicationArgs struct {
	Guest VMID `json:"guest,omitempty" jsonschema:"only this guest's jobs"`
}

type replJob struct {
	ID        string  `json:"id"`
	Guest     int     `json:"guest"`
	Source    string  `json:"source,omitempty" jsonschema:"the node the guest is on"`
	Target    string  `json:"target"`
	Schedule  string  `json:"schedule,omitempty"`
	Disabled  bool    `json:"disabled,omitempty"`
	LastSync  string  `json:"lastSync,omitempty" jsonschema:"last successful sync, RFC 3339"`
	LastTry   string  `json:"lastTry,omitempty"`
	NextSync  string  `json:"nextSync,omitempty"`
	Duration  float64 `json:"duration,omitempty" jsonschema:"seconds the last run took"`
	FailCount int     `json:"failCount"`
	Error     string  `json:"error,omitempty" jsonschema:"the last run's error"`
	State     string  `json:"state" jsonschema:"ok, failing, disabled, pending (never ran) or unknown"`
}

type replicationOut struct {
	Jobs    []replJob `json:"jobs"`
	Failing int       `json:"failing"`
}

func clusterOpsTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_cluster_status", title: "Cluster status", toolset: "cluster",
			desc: "Quorum, nodes online and each node's PVE version."},
			handle(func(ctx context.Context, c *call, _ noArgs) (clusterStatusOut, error) {
				return c.clusterStatus(ctx)
			})),
		define(d, spec{name: "pve_cluster_log", title: "Cluster log", toolset: "cluster",
			desc:   "Recent cluster log entries (tasks, logins, HA), newest first.",
			output: clusterLogSchema()},
			handle(func(ctx context.Context, c *call, in clusterLogArgs) (clusterLogOut, error) {
				return c.clusterLog(ctx, in)
			})),
		define(d, spec{name: "pve_replication", title: "Replication jobs", toolset: "replication",
			desc: "Storage replication jobs with last sync, duration, failures and errors."},
			handle(func(ctx context.Context, c *call, in replicationArgs) (replicationOut, error) {
				return c.replication(ctx, in)
			})),
	}
}

func (c *call) clusterStatus(ctx context.Context) (clusterStatusOut, error) {
	var list []struct {
		Type, Name, IP, Level string
		NodeID                pve.Int
		Nodes                 pve.Int
		Online, Local         pve.Flag
		Quorate               pve.Flag
	}
	if err := c.PVE.Get(ctx, "/cluster/status", nil, &list); err != nil {
		return clusterStatusOut{}, fmt.Errorf("read the cluster status: %w", err)
	}
	out := clusterStatusOut{Members: []clusterNode{}}
	cluster := false
	for _, e := range list {
		switch e.Type {
		case "cluster":
			cluster = true
			out.Cluster, out.Quorate, out.Nodes = e.Name, bool(e.Quorate), int(e.Nodes)
		case "node":
			if e.Online {
				out.Online++
			}
			if !c.allow.NodeAllowed(e.Name) {
				continue
			}
			n := clusterNode{Name: e.Name, Online: bool(e.Online), Local: bool(e.Local), NodeID: int(e.NodeID), IP: e.IP, Level: e.Level}
			if n.Online {
				var v pve.Version
				if err := c.PVE.Get(ctx, pve.Path("nodes", e.Name, "version"), nil, &v); err != nil {
					n.Error = pve.ClipLine(err.Error())
				} else {
					n.Version = v.Version
				}
			}
			out.Members = append(out.Members, n)
		}
	}
	if !cluster { // a single node: always quorate
		out.Quorate, out.Nodes = true, len(list)
	}
	return out, nil
}

func (c *call) replication(ctx context.Context, in replicationArgs) (replicationOut, error) {
	if in.Guest != 0 {
		if err := c.vmid("guest", in.Guest); err != nil {
			return replicationOut{}, err
		}
	}
	var jobs []struct {
		ID       string   `json:"id"`
		Guest    pve.Int  `json:"guest"`
		Target   string   `json:"target"`
		Schedule string   `json:"schedule"`
		Disable  pve.Flag `json:"disable"`
		Source   string   `json:"source"`
	}
	if err := c.PVE.Get(ctx, "/cluster/replication", nil, &jobs); err != nil {
		return replicationOut{}, fmt.Errorf("list replication jobs: %w", err)
	}
	where, err := c.guestNodes(ctx)
	if err != nil {
		return replicationOut{}, err
	}
	out := replicationOut{Jobs: []replJob{}}
	status := map[string]map[string]json.RawMessage{} // node -> job id -> status
	for _, j := range jobs {
		g := int(j.Guest)
		node := where[g]
		if in.Guest != 0 && g != int(in.Guest) || !c.allow.VMIDAllowed(g) || node != "" && !c.allow.NodeAllowed(node) ||
			node == "" && c.allow.HasNodes() {
			continue
		}
		r := replJob{ID: j.ID, Guest: g, Source: node, Target: j.Target, Schedule: j.Schedule, Disabled: bool(j.Disable), State: "unknown"}
		if node != "" {
			if _, read := status[node]; !read {
				status[node] = c.replStatus(ctx, node)
			}
			if raw, ok := status[node][j.ID]; ok {
				r.fill(raw)
			}
		}
		if r.Disabled {
			r.State = "disabled"
		}
		if r.State == "failing" {
			out.Failing++
		}
		out.Jobs = append(out.Jobs, r)
	}
	return out, nil
}

// replStatus reads the status of the jobs whose guest is on node; a node
// that cannot be read leaves its jobs' state unknown.
func (c *call) replStatus(ctx context.Context, node string) map[string]json.RawMessage {
	var list []json.RawMessage
	out := map[string]json.RawMessage{}
	if err := c.PVE.Get(ctx, pve.Path("nodes", node, "replication"), nil, &list); err != nil {
		return out
	}
	for _, raw := range list {
		var e struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &e) == nil {
			out[e.ID] = raw
		}
	}
	return out
}

func (r *replJob) fill(raw json.RawMessage) {
	var s struct {
		LastSync  pve.Int   `json:"last_sync"`
		LastTry   pve.Int   `json:"last_try"`
		NextSync  pve.Int   `json:"next_sync"`
		Duration  pve.Float `json:"duration"`
		FailCount pve.Int   `json:"fail_count"`
		Error     string    `json:"error"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return
	}
	r.LastSync, r.LastTry, r.NextSync = unixText(int64(s.LastSync)), unixText(int64(s.LastTry)), unixText(int64(s.NextSync))
	r.Duration, r.FailCount, r.Error = float64(s.Duration), int(s.FailCount), s.Error
	switch {
	case s.FailCount > 0 || s.Error != "":
		r.State = "failing"
	case s.LastSync == 0:
		r.State = "pending"
	default:
		r.State = "ok"
	}
}

func unixText(t int64) string {
	if t <= 0 {
		return ""
	}
	return time.Unix(t, 0).UTC().Format(time.RFC3339)
}

// guestNodes maps each guest id to its node, from /cluster/resources.
func (c *call) guestNodes(ctx context.Context) (map[int]string, error) {
	var res []entry
	if err := c.PVE.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res); err != nil {
		return nil, fmt.Errorf("read which node each guest is on: %w", err)
	}
	out := map[int]string{}
	for _, e := range res {
		if pveid.ValidVMID(int(e.VMID)) && slices.Contains([]string{"qemu", "lxc"}, e.Type) {
			out[int(e.VMID)] = e.Node
		}
	}
	return out, nil
}
