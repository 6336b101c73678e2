package mcpctx

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type guestLine struct {
	VMID     int     `json:"vmid"`
	Type     string  `json:"type"`
	Name     string  `json:"name,omitempty"`
	Node     string  `json:"node"`
	Status   string  `json:"status"`
	CPU      float64 `json:"cpu,omitempty"`
	Mem      int64   `json:"mem,omitempty"`
	MaxMem   int64   `json:"maxmem,omitempty"`
	Lock     string  `json:"lock,omitempty"`
	Template bool    `json:"template,omitempty"`
}

type guestsPart struct {
	Total     int         `json:"total"`
	Running   int         `json:"running"`
	Stopped   int         `json:"stopped"`
	Templates int         `json:"templates"`
	List      []guestLine `json:"list"`
	More      string      `json:"more,omitempty"`
}

type nodeLine struct {
	Node   string  `json:"node"`
	Status string  `json:"status"`
	CPU    float64 `json:"cpu"`
	MaxCPU float64 `json:"maxcpu"`
	Mem    int64   `json:"mem"`
	MaxMem int64   `json:"maxmem"`
	Uptime int64   `json:"uptime"`
}

type storageLine struct {
	Storage string `json:"storage"`
	Node    string `json:"node"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Shared  bool   `json:"shared,omitempty"`
	Content string `json:"content"`
	Used    int64  `json:"used"`
	Total   int64  `json:"total"`
}

func guests(list []entry) guestsPart {
	p := guestsPart{Total: len(list), List: []guestLine{}}
	for _, g := range list {
		switch {
		case bool(g.Template):
			p.Templates++
		case g.Status == "running":
			p.Running++
		default:
			p.Stopped++
		}
		if len(p.List) < maxGuests {
			p.List = append(p.List, guestLine{VMID: int(g.VMID), Type: g.Type, Name: g.Name, Node: g.Node, Status: g.Status,
				CPU: float64(g.CPU), Mem: int64(g.Mem), MaxMem: int64(g.MaxMem), Lock: g.Lock, Template: bool(g.Template)})
		}
	}
	if p.Total > len(p.List) {
		p.More = fmt.Sprintf("the first %d of %d guests by id; pve_cluster_resources pages through all", len(p.List), p.Total)
	}
	return p
}

func storages(list []entry) []storageLine {
	out := []storageLine{}
	for _, s := range list[:min(len(list), maxStorages)] {
		out = append(out, storageLine{Storage: s.Storage, Node: s.Node, Type: s.PluginType, Status: s.Status,
			Shared: bool(s.Shared), Content: s.Content, Used: int64(s.Disk), Total: int64(s.MaxDisk)})
	}
	return out
}

type clusterPart struct {
	Name    string `json:"name,omitempty"`
	Quorate bool   `json:"quorate"`
	Nodes   int    `json:"nodes"`
	Online  int    `json:"online"`
}

// clusterSummary is pve://cluster.
func clusterSummary(ctx context.Context, c *guard.Call, a guard.Allowlist) (any, error) {
	var status []struct {
		Type, Name string
		Nodes      pve.Int
		Online     pve.Flag
		Quorate    pve.Flag
	}
	if err := c.Get(ctx, "/cluster/status", nil, &status); err != nil {
		return nil, fmt.Errorf("read the cluster status (GET /cluster/status): %w", err)
	}
	cp := clusterPart{Quorate: true}
	single := true
	for _, e := range status {
		switch e.Type {
		case "cluster":
			single = false
			cp.Name, cp.Quorate, cp.Nodes = e.Name, bool(e.Quorate), int(e.Nodes)
		case "node":
			if e.Online {
				cp.Online++
			}
		}
	}
	if single {
		cp.Nodes = len(status)
	}
	v, err := readView(ctx, c, a)
	if err != nil {
		return nil, err
	}
	nodes := []nodeLine{}
	for _, n := range v.nodes {
		nodes = append(nodes, nodeLine{Node: n.Node, Status: n.Status, CPU: float64(n.CPU), MaxCPU: float64(n.MaxCPU),
			Mem: int64(n.Mem), MaxMem: int64(n.MaxMem), Uptime: int64(n.Uptime)})
	}
	return map[string]any{"cluster": cp, "nodes": nodes, "guests": guests(v.guests), "storage": storages(v.storages)}, nil
}

// nodeSummary is pve://nodes/{node}.
func nodeSummary(ctx context.Context, c *guard.Call, a guard.Allowlist, node string) (any, error) {
	var st pve.Object
	if err := c.Get(ctx, pve.Path("nodes", node, "status"), nil, &st); err != nil {
		return nil, fmt.Errorf("read the node status (GET /nodes/%s/status): %w", node, err)
	}
	v, err := readView(ctx, c, a)
	if err != nil {
		return nil, err
	}
	var gs, ss []entry
	for _, g := range v.guests {
		if g.Node == node {
			gs = append(gs, g)
		}
	}
	for _, s := range v.storages {
		if s.Node == node {
			ss = append(ss, s)
		}
	}
	return map[string]any{"node": node, "status": json.RawMessage(st), "guests": guests(gs), "storage": storages(ss)}, nil
}

type taskLog struct {
	UPID       string   `json:"upid"`
	Node       string   `json:"node"`
	Type       string   `json:"type"`
	ID         string   `json:"id,omitempty"`
	User       string   `json:"user"`
	StartTime  int64    `json:"starttime"`
	Status     string   `json:"status"`
	ExitStatus string   `json:"exitstatus,omitempty"`
	LogLines   int      `json:"logLines"`
	Log        []string `json:"log"`
	More       string   `json:"more,omitempty"`
}

// readTaskLog is pve://tasks/{upid}/log: the state, then the last lines
// (the total first, so a long vzdump log is not read whole).
func readTaskLog(ctx context.Context, c *guard.Call, upid string) (taskLog, error) {
	st, err := c.TaskStatus(ctx, upid)
	if err != nil {
		return taskLog{}, fmt.Errorf("task status: %w", err)
	}
	out := taskLog{UPID: upid, Node: st.Node, Type: st.Type, ID: st.ID, User: st.User, StartTime: st.StartTime,
		Status: st.Status, ExitStatus: st.ExitStatus, Log: []string{}}
	_, total, err := c.TaskLog(ctx, upid, 0, 1)
	if err != nil {
		return taskLog{}, fmt.Errorf("task log: %w", err)
	}
	lines, total2, err := c.TaskLog(ctx, upid, max(0, total-logTail), logTail)
	if err != nil {
		return taskLog{}, fmt.Errorf("task log: %w", err)
	}
	for _, l := range lines {
		out.Log = append(out.Log, pve.ClipLine(l.T))
	}
	out.LogLines = max(total, total2)
	if out.LogLines > len(out.Log) {
		out.More = "the last " + strconv.Itoa(len(out.Log)) + " of " + strconv.Itoa(out.LogLines) + " lines; pve_task_log pages through all"
	}
	return out, nil
}
