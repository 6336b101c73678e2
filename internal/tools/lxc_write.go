package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// The container's counterparts of pve_vm_set_config and pve_vm_migrate (issue 14).

type lxcSetConfigArgs struct {
	Node        NodeName       `json:"node"`
	VMID        VMID           `json:"vmid"`
	Cores       int            `json:"cores,omitempty" minimum:"1" maximum:"8192" jsonschema:"CPU cores"`
	Memory      int            `json:"memory,omitempty" minimum:"16" jsonschema:"memory in MiB"`
	Swap        *int           `json:"swap,omitempty" minimum:"0" jsonschema:"swap in MiB"`
	Hostname    DNSName        `json:"hostname,omitempty" jsonschema:"host name"`
	Description string         `json:"description,omitempty" maxLength:"8192" jsonschema:"notes shown in the web UI"`
	Delete      []string       `json:"delete,omitempty" jsonschema:"config keys to remove, e.g. mp1"`
	Extra       map[string]any `json:"extra,omitempty" jsonschema:"more Proxmox parameters"`
	Confirm     bool           `json:"confirm,omitempty" jsonschema:"needed for delete, volume changes or host-level keys"`
}

func (a lxcSetConfigArgs) confirmedByArg() bool { return a.Confirm }

// change is one config key before and after ("" when absent).
type change struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type lxcConfigOut struct {
	Action  string            `json:"action"`
	Node    string            `json:"node"`
	VMID    int               `json:"vmid"`
	Changed map[string]change `json:"changed"`
	// Pending are keys Proxmox holds for the next restart of a running
	// container (Changed shows them already, as Proxmox's config read does).
	Pending []string `json:"pending,omitempty"`
}

type lxcMigrateArgs struct {
	Node    NodeName `json:"node"`
	VMID    VMID     `json:"vmid"`
	Target  NodeName `json:"target" jsonschema:"node to move it to"`
	Restart bool     `json:"restart,omitempty" jsonschema:"shut a running container down and start it on the target"`
	Timeout int      `json:"timeout,omitempty" minimum:"1" maximum:"86400" jsonschema:"with restart: seconds to wait for the shutdown (Proxmox: 180)"`
}

// lxcConfigKeys are the body parameters pve_lxc_set_config builds, by argument.
var lxcConfigKeys = map[string]string{"cores": "cores", "memory": "memory", "swap": "swap",
	"hostname": "hostname", "description": "description", "delete": "delete"}

func lxcWriteTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_lxc_set_config", title: "Change container config", toolset: "lxc", effect: Mutating, idempotent: true,
			desc: "Change a container's cores, memory, swap, hostname, description or other keys (extra), or delete keys; reports what changed."},
			handle(func(ctx context.Context, c *call, in lxcSetConfigArgs) (lxcConfigOut, error) {
				return c.lxcSetConfig(ctx, in)
			})),
		define(d, spec{name: "pve_lxc_migrate", title: "Migrate container", toolset: "guestops", effect: Mutating,
			desc: "Move a container to another node; a running one needs restart (shut down, moved, started there)."},
			handle(func(ctx context.Context, c *call, in lxcMigrateArgs) (taskOut, error) {
				return c.lxcMigrate(ctx, in)
			})),
	}
}

func (c *call) lxcSetConfig(ctx context.Context, in lxcSetConfigArgs) (lxcConfigOut, error) {
	if err := c.guest(in.Node, in.VMID); err != nil {
		return lxcConfigOut{}, err
	}
	form := url.Values{}
	setInt(form, "cores", in.Cores)
	setInt(form, "memory", in.Memory)
	if in.Swap != nil {
		form.Set("swap", strconv.Itoa(*in.Swap))
	}
	if in.Hostname != "" {
		form.Set("hostname", string(in.Hostname))
	}
	if in.Description != "" {
		form.Set("description", in.Description)
	}
	for _, k := range in.Delete {
		if !extraKeyRe.MatchString(k) || len(k) > 64 {
			return lxcConfigOut{}, fmt.Errorf("invalid argument \"delete\": %q is not a config key (lower-case letters, digits, '-' and '_', e.g. mp1)", k)
		}
		if form.Has(k) {
			return lxcConfigOut{}, fmt.Errorf("invalid argument \"delete\": %q is also set by this call; set it or delete it", k)
		}
	}
	if len(in.Delete) > 0 {
		form.Set("delete", strings.Join(in.Delete, ","))
	}
	ep := at("/nodes/{node}/lxc/{vmid}/config", string(in.Node), strconv.Itoa(int(in.VMID)))
	if err := c.addExtra(form, in.Extra, ep, lxcConfigKeys); err != nil {
		return lxcConfigOut{}, err
	}
	if len(form) == 0 {
		return lxcConfigOut{}, fmt.Errorf("nothing to change: give at least one of cores, memory, swap, hostname, description, delete or extra")
	}
	before, err := c.configStrings(ctx, ep.path)
	if err != nil {
		return lxcConfigOut{}, fmt.Errorf("read config of CT %d on %s: %w", in.VMID, in.Node, err)
	}
	what := fmt.Sprintf("set config of CT %d on %s", in.VMID, in.Node)
	var raw json.RawMessage
	if err := c.PVE.Put(ctx, ep.path, form, &raw); err != nil {
		return lxcConfigOut{}, writeError(what, err, fmt.Sprintf("pve_lxc_config for CT %d on %s", in.VMID, in.Node))
	}
	after, err := c.configStrings(ctx, ep.path)
	if err != nil {
		return lxcConfigOut{}, fmt.Errorf("%s: Proxmox accepted the change, but the config could not be read back (%w); check pve_lxc_config", what, err)
	}
	out := lxcConfigOut{Action: "set_config", Node: string(in.Node), VMID: int(in.VMID)}
	out.Changed = configDiff(before, after, "digest")
	recordUndo(ctx, undoSet(ep.path, undoKeys(form), before, after))
	out.Pending = c.pendingKeys(ctx, in.Node, in.VMID)
	return out, nil
}

// configDiff compares a config or job before and after a change, the key
// skip aside (digest, next-run: they change by themselves).
// Proxmox's config read includes what is pending.
func configDiff(before, after map[string]string, skip string) map[string]change {
	changed := map[string]change{}
	for k, v := range after {
		if k != skip && before[k] != v {
			changed[k] = change{From: before[k], To: v}
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok && k != skip {
			changed[k] = change{From: v}
		}
	}
	return changed
}

// pendingKeys lists the keys Proxmox holds pending (set or deleted at the
// next restart); nil when the list cannot be read.
func (c *call) pendingKeys(ctx context.Context, node NodeName, vmid VMID) []string {
	var list []struct {
		Key     string          `json:"key"`
		Pending json.RawMessage `json:"pending"`
		Delete  pve.Int         `json:"delete"`
	}
	if err := c.PVE.Get(ctx, lxcKind.path(node, vmid, "pending"), nil, &list); err != nil {
		return nil
	}
	var out []string
	for _, e := range list {
		if len(e.Pending) > 0 || e.Delete != 0 {
			out = append(out, e.Key)
		}
	}
	slices.Sort(out)
	return out
}

// configStrings reads a guest config with every value as text.
func (c *call) configStrings(ctx context.Context, path string) (map[string]string, error) {
	var cfg map[string]json.RawMessage
	if err := c.PVE.Get(ctx, path, nil, &cfg); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = strings.TrimSpace(string(v))
		}
		out[k] = s
	}
	return out, nil
}

func (c *call) lxcMigrate(ctx context.Context, in lxcMigrateArgs) (taskOut, error) {
	if err := c.guest(in.Node, in.VMID); err != nil {
		return taskOut{}, err
	}
	if err := c.node("target", in.Target); err != nil {
		return taskOut{}, err
	}
	if in.Target == in.Node {
		return taskOut{}, fmt.Errorf("invalid argument \"target\": CT %d is already on %s; name another node", in.VMID, in.Node)
	}
	if in.Timeout != 0 && !in.Restart {
		return taskOut{}, fmt.Errorf("invalid argument \"timeout\": it bounds the shutdown of a restart migration; set restart: true or leave it out")
	}
	form := url.Values{"target": {string(in.Target)}}
	if in.Restart {
		form.Set("restart", pve.Bool(true))
	}
	if in.Timeout != 0 {
		form.Set("timeout", strconv.Itoa(in.Timeout))
	}
	out := taskOut{Action: "migrate", Node: string(in.Node), VMID: int(in.VMID), Target: string(in.Target)}
	what := fmt.Sprintf("migrate CT %d from %s to %s", in.VMID, in.Node, in.Target)
	out, err := c.postTask(ctx, what, lxcKind.path(in.Node, in.VMID, "migrate"), form, out)
	if err != nil || c.async {
		if err != nil && strings.Contains(err.Error(), "can't migrate running container") {
			err = fmt.Errorf("%w (set restart: true to shut it down, move it and start it on %s)", err, in.Target)
		}
		return out, err
	}
	node, err := c.guestNodeOf(ctx, int(in.VMID))
	switch {
	case err != nil:
		return out, fmt.Errorf("%s: the task ended OK, but where the container is could not be read (%w); check pve_cluster_resources", what, err)
	case node != string(in.Target):
		return out, fmt.Errorf("%s: the task ended OK, but CT %d is on %s, not %s; check pve_cluster_resources and the task log", what, in.VMID, orNone(node), in.Target)
	}
	return out, nil
}

// guestNodeOf reads which node a guest is on from /cluster/resources ("" if absent).
func (c *call) guestNodeOf(ctx context.Context, vmid int) (string, error) {
	var res []struct {
		Node string `json:"node"`
		VMID int    `json:"vmid"`
	}
	if err := c.PVE.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res); err != nil {
		return "", err
	}
	for _, r := range res {
		if r.VMID == vmid {
			return r.Node, nil
		}
	}
	return "", nil
}

func orNone(node string) string {
	if node == "" {
		return "no node (not in the cluster)"
	}
	return node
}
