package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Node administration (issue 15): services, the journal, updates, disks.

type nodeServicesArgs struct {
	Node    NodeName    `json:"node"`
	Action  string      `json:"action,omitempty" enum:"list,start,stop,restart,reload" default:"list" jsonschema:"stop, restart and reload need confirm"`
	Service ServiceName `json:"service,omitempty" jsonschema:"the service to act on, e.g. pveproxy, chrony"`
	Confirm bool        `json:"confirm,omitempty"`
}

func (a nodeServicesArgs) confirmedByArg() bool { return a.Confirm }

type nodeServicesOut struct {
	Node     string            `json:"node"`
	Services []json.RawMessage `json:"services,omitempty" jsonschema:"service, name, desc, state (systemd SubState), active-state, unit-state"`
	Task     *taskOut          `json:"task,omitempty" jsonschema:"the start, stop, restart or reload task"`
	State    json.RawMessage   `json:"state,omitempty" jsonschema:"the service's state after the task"`
}

type journalArgs struct {
	Node  NodeName `json:"node"`
	Limit int      `json:"limit,omitempty" minimum:"1" maximum:"1000" default:"50" jsonschema:"most lines; the newest are kept"`
	Since TimeArg  `json:"since,omitempty" jsonschema:"from this time (RFC 3339, a date or unix seconds)"`
	Until TimeArg  `json:"until,omitempty" jsonschema:"up to this time"`
}

type journalOut struct {
	Node    string   `json:"node"`
	Lines   []string `json:"lines"`
	Omitted int      `json:"omitted,omitempty" jsonschema:"older lines in the range left out; narrow since and until or raise limit"`
}

func nodeAdminTools(d *Deps) []Tool {
	return []Tool{
		withReadForm(define(d, spec{name: "pve_node_services", title: "Node services", toolset: "nodeadmin", effect: Destructive,
			desc: "List a node's system services, or start, stop, restart or reload one (all but start need confirm: true)."},
			handle(func(ctx context.Context, c *call, in nodeServicesArgs) (nodeServicesOut, error) {
				return c.nodeServices(ctx, in)
			})), nodeServicesRead(d)),
		define(d, spec{name: "pve_node_journal", title: "Node journal", toolset: "nodeadmin",
			desc: "A node's system journal: the last lines, or those from since to until, at most limit."},
			handle(func(ctx context.Context, c *call, in journalArgs) (journalOut, error) {
				return c.journal(ctx, in)
			})),
		withReadForm(nodeUpdatesTool(d), nodeUpdatesRead(d)),
		nodeDisksTool(d),
	}
}

func (c *call) nodeServices(ctx context.Context, in nodeServicesArgs) (nodeServicesOut, error) {
	if err := c.node("node", in.Node); err != nil {
		return nodeServicesOut{}, err
	}
	out := nodeServicesOut{Node: string(in.Node)}
	base := pve.Path("nodes", string(in.Node), "services")
	if in.Action == "" || in.Action == "list" {
		if in.Service != "" {
			var st pve.Object
			if err := c.PVE.Get(ctx, base+"/"+string(in.Service)+"/state", nil, &st); err != nil {
				return out, fmt.Errorf("read service %s on %s: %w", in.Service, in.Node, err)
			}
			out.State = compact(json.RawMessage(st))
			return out, nil
		}
		list, err := c.list(ctx, "list services on "+string(in.Node), base, nil, func(entry) bool { return true })
		out.Services = list.Items
		return out, err
	}
	if in.Service == "" {
		return out, fmt.Errorf("invalid argument \"service\": %s needs the service, e.g. pveproxy (action list shows them)", in.Action)
	}
	what := fmt.Sprintf("%s service %s on %s", in.Action, in.Service, in.Node)
	if in.Action == "stop" || in.Action == "restart" || in.Action == "reload" {
		// Proxmox reloads with try-reload-or-restart: a unit that cannot
		// reload is restarted.
		warn := fmt.Sprintf("%s the service %s on node %s, interrupting what it serves (stopping sshd, corosync or pve-cluster can cut the node off; a service that cannot reload is restarted)",
			in.Action, in.Service, in.Node)
		if err := c.confirm(in.Confirm, warn); err != nil {
			return out, err
		}
	}
	t, err := c.postTask(ctx, what, base+"/"+string(in.Service)+"/"+in.Action, nil, taskOut{Action: in.Action, Node: string(in.Node), Target: string(in.Service)})
	out.Task = &t
	if err != nil {
		return out, err
	}
	var st pve.Object
	if err := c.PVE.Get(ctx, base+"/"+string(in.Service)+"/state", nil, &st); err == nil {
		out.State = compact(json.RawMessage(st))
	}
	return out, nil
}

// journal reads GET /nodes/{node}/journal. Without since, Proxmox's
// lastentries bounds the answer; with since, Proxmox sends the whole
// range (it refuses lastentries with since) and the newest limit lines
// are kept. The first and last strings Proxmox sends are journal cursors.
func (c *call) journal(ctx context.Context, in journalArgs) (journalOut, error) {
	if err := c.node("node", in.Node); err != nil {
		return journalOut{}, err
	}
	q := url.Values{}
	var since, until int64
	var err error
	if in.Since != "" {
		if since, err = unixOf("since", in.Since); err != nil {
			return journalOut{}, err
		}
		q.Set("since", strconv.FormatInt(since, 10))
	} else {
		q.Set("lastentries", strconv.Itoa(in.Limit))
	}
	if in.Until != "" {
		if until, err = unixOf("until", in.Until); err != nil {
			return journalOut{}, err
		}
		if since > 0 && until <= since {
			return journalOut{}, fmt.Errorf("invalid argument \"until\": %s is not after since (%s)", in.Until, in.Since)
		}
		q.Set("until", strconv.FormatInt(until, 10))
	}
	var raw []string
	if err := c.PVE.Get(ctx, pve.Path("nodes", string(in.Node), "journal"), q, &raw); err != nil {
		return journalOut{}, fmt.Errorf("read the journal of %s: %w", in.Node, err)
	}
	lines := make([]string, 0, len(raw))
	for _, l := range raw {
		if !isCursor(l) {
			lines = append(lines, l)
		}
	}
	out := journalOut{Node: string(in.Node), Lines: lines}
	if n := len(lines) - in.Limit; n > 0 {
		out.Lines, out.Omitted = lines[n:], n
	}
	return out, nil
}

// isCursor tells a journal cursor ("s=...;i=...;b=...") from a line.
func isCursor(s string) bool {
	return strings.HasPrefix(s, "s=") && strings.Contains(s, ";i=") && !strings.Contains(s, " ")
}

// unixOf reads a time argument: unix seconds, RFC 3339, or a date (UTC).
func unixOf(arg string, v TimeArg) (int64, error) {
	s := string(v)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	s = strings.Replace(s, " ", "T", 1)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), nil
		}
	}
	return 0, fmt.Errorf("invalid argument %q: got %q; expected a time such as 2026-01-02T15:04:05Z, a date 2026-01-02 (UTC) or unix seconds", arg, string(v))
}
