package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

type clusterLogOut struct {
	Items []json.RawMessage `json:"items"`
	// Hidden counts entries left out by the allowlists.
	Hidden int `json:"hidden,omitempty"`
}

func clusterLogSchema() *jsonschema.Schema {
	s := listSchema("GET /cluster/log entries", "time: unix time", "node: node", "user: who", "tag: daemon", "pri: syslog priority", "msg: message")
	s.Properties["hidden"] = &jsonschema.Schema{Type: "integer",
		Description: "entries left out: of nodes or guests outside the allowlists, or naming no guest under a guest-id allowlist"}
	return s
}

func (c *call) clusterLog(ctx context.Context, in clusterLogArgs) (clusterLogOut, error) {
	var objs []pve.Object
	if err := c.PVE.Get(ctx, "/cluster/log", url.Values{"max": {strconv.Itoa(in.Max)}}, &objs); err != nil {
		return clusterLogOut{}, fmt.Errorf("read the cluster log: %w", err)
	}
	out := clusterLogOut{Items: make([]json.RawMessage, 0, len(objs))}
	keepTask := c.allowedTask(ctx)
	for _, o := range objs {
		var e struct {
			Node string `json:"node"`
			Msg  string `json:"msg"`
		}
		if err := json.Unmarshal(o, &e); err != nil {
			return clusterLogOut{}, fmt.Errorf("read the cluster log: decode an entry: %w", err)
		}
		if c.allowedLogEntry(e.Node, e.Msg, keepTask) {
			out.Items = append(out.Items, compact(json.RawMessage(o)))
		} else {
			out.Hidden++
		}
	}
	return out, nil
}

// allowedLogEntry hides entries of nodes outside PVE_NODE_ALLOWLIST. Under a
// guest-id allowlist only task entries show whose UPID names an allowed
// guest (pvedaemon logs "starting task UPID:..." and "end task UPID:...
// STATUS"); other entries (logins, tasks of no or several guests) may be
// about anything, so they are hidden as pve_tasks hides such tasks.
func (c *call) allowedLogEntry(node, msg string, keepTask func(entry) bool) bool {
	if node != "" && !c.allow.NodeAllowed(node) {
		return false
	}
	u, ok := logUPID(msg)
	if !ok {
		return !c.allow.HasVMIDs()
	}
	if !c.allow.NodeAllowed(u.Node) {
		return false
	}
	return keepTask(entry{Node: u.Node, ID: u.ID})
}

// logUPID finds the task a cluster log message names.
func logUPID(msg string) (pveid.UPID, bool) {
	i := strings.Index(msg, "UPID:")
	if i < 0 {
		return pveid.UPID{}, false
	}
	s := msg[i:]
	if j := strings.IndexAny(s, " \t\n"); j >= 0 {
		s = s[:j]
	}
	u, err := pveid.ParseUPID(s)
	return u, err == nil
}
