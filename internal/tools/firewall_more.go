package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Firewall options, aliases and IP sets, and the warning that rules filter
// nothing while a firewall is off.

type fwOptionsArgs struct {
	Scope     string         `json:"scope" enum:"cluster,node,vm,lxc" jsonschema:"whose firewall"`
	Node      NodeName       `json:"node,omitempty" jsonschema:"for scope node, vm and lxc"`
	VMID      VMID           `json:"vmid,omitempty" jsonschema:"for scope vm and lxc"`
	Enable    *bool          `json:"enable,omitempty" jsonschema:"turn the firewall on or off (off needs confirm)"`
	PolicyIn  string         `json:"policy_in,omitempty" enum:"ACCEPT,REJECT,DROP" jsonschema:"for traffic no rule matches (ACCEPT needs confirm)"`
	PolicyOut string         `json:"policy_out,omitempty" enum:"ACCEPT,REJECT,DROP"`
	Extra     map[string]any `json:"extra,omitempty" jsonschema:"more Proxmox options, e.g. {\"log_level_in\": \"info\"}"`
	Confirm   bool           `json:"confirm,omitempty" jsonschema:"needed to turn a firewall off or accept all input"`
}

func (a fwOptionsArgs) confirmedByArg() bool { return a.Confirm }

type fwOptionsOut struct {
	Scope   string            `json:"scope"`
	Options map[string]any    `json:"options"`
	Digest  string            `json:"digest,omitempty"`
	Changed map[string]change `json:"changed,omitempty"`
	Note    string            `json:"note,omitempty"`
}

type fwScopeArgs struct {
	Scope string   `json:"scope" enum:"cluster,vm,lxc" jsonschema:"the cluster's or a guest's (nodes have none)"`
	Node  NodeName `json:"node,omitempty" jsonschema:"for scope vm and lxc"`
	VMID  VMID     `json:"vmid,omitempty" jsonschema:"for scope vm and lxc"`
}

type fwAlias struct {
	Name    string `json:"name"`
	CIDR    string `json:"cidr"`
	Comment string `json:"comment,omitempty"`
}

type fwAliasesOut struct {
	Scope   string    `json:"scope"`
	Aliases []fwAlias `json:"aliases"`
}

type fwIPEntry struct {
	CIDR    string `json:"cidr"`
	NoMatch bool   `json:"nomatch,omitempty"`
	Comment string `json:"comment,omitempty"`
}

type fwIPSet struct {
	Name    string      `json:"name"`
	Comment string      `json:"comment,omitempty"`
	Entries []fwIPEntry `json:"entries"`
}

type fwIPSetsOut struct {
	Scope  string    `json:"scope"`
	IPSets []fwIPSet `json:"ipsets"`
}

// maxIPSets bounds the sets whose entries are read (one request each).
const maxIPSets = 50

// fwOptionKeys are the body parameters pve_firewall_options builds, by argument.
var fwOptionKeys = map[string]string{"enable": "enable", "policy_in": "policy_in", "policy_out": "policy_out"}

func firewallMoreTools(d *Deps) []Tool {
	return []Tool{
		withReadForm(define(d, spec{name: "pve_firewall_options", title: "Firewall options", toolset: "firewall", effect: Mutating, idempotent: true,
			desc: "Read the firewall options of the cluster, a node or a guest, or set enable, policies or other options; turning it off needs confirm."},
			handle(func(ctx context.Context, c *call, in fwOptionsArgs) (fwOptionsOut, error) {
				return c.fwOptions(ctx, in)
			})), fwOptionsRead(d)),
		define(d, spec{name: "pve_firewall_aliases", title: "Firewall aliases", toolset: "firewall",
			desc: "Named addresses (aliases) of the cluster's or a guest's firewall, usable in rules' source and dest."},
			handle(func(ctx context.Context, c *call, in fwScopeArgs) (fwAliasesOut, error) {
				base, label, err := c.fwBase(fwWhere{in.Scope, in.Node, in.VMID})
				if err != nil {
					return fwAliasesOut{}, err
				}
				out := fwAliasesOut{Scope: label, Aliases: []fwAlias{}}
				if err := c.PVE.Get(ctx, base+"/aliases", nil, &out.Aliases); err != nil {
					return fwAliasesOut{}, fmt.Errorf("list the aliases of %s: %w", label, err)
				}
				return out, nil
			})),
		define(d, spec{name: "pve_firewall_ipsets", title: "Firewall IP sets", toolset: "firewall",
			desc: "IP sets of the cluster's or a guest's firewall with their entries; rules use them as +name."},
			handle(func(ctx context.Context, c *call, in fwScopeArgs) (fwIPSetsOut, error) {
				return c.fwIPSets(ctx, in)
			})),
	}
}

func (c *call) fwOptions(ctx context.Context, in fwOptionsArgs) (fwOptionsOut, error) {
	base, label, err := c.fwBase(fwWhere{in.Scope, in.Node, in.VMID})
	if err != nil {
		return fwOptionsOut{}, err
	}
	ep := base + "/options"
	form := url.Values{}
	if in.Enable != nil {
		form.Set("enable", pve.Bool(*in.Enable))
	}
	if in.PolicyIn != "" {
		form.Set("policy_in", in.PolicyIn)
	}
	if in.PolicyOut != "" {
		form.Set("policy_out", in.PolicyOut)
	}
	if err := c.addExtra(form, in.Extra, endpoint{path: ep}, fwOptionKeys, "digest"); err != nil {
		return fwOptionsOut{}, err
	}
	before, digest, err := c.fwReadOptions(ctx, ep)
	if err != nil {
		return fwOptionsOut{}, fmt.Errorf("read the options of %s: %w", label, err)
	}
	out := fwOptionsOut{Scope: label, Options: before, Digest: digest}
	offAlready := in.Enable != nil && !*in.Enable && !fwEnabled(before, in.Scope)
	if offAlready {
		// Nothing to turn off: enable is left out of the write, which needs
		// no confirm then (the guard asks for any enable: 0).
		form.Del("enable")
		out.Note = label + " was already off; enable was not sent, and no confirm is needed for it"
	}
	if len(form) == 0 {
		if in.Confirm && !offAlready {
			return fwOptionsOut{}, fmt.Errorf("invalid argument \"confirm\": nothing is being set; give enable, policy_in, policy_out or extra, or leave confirm out to read")
		}
		return out, nil
	}
	var warn []string
	if in.Enable != nil && !*in.Enable && !offAlready {
		warn = append(warn, "turn "+label+" off, so its rules stop filtering")
	}
	if in.PolicyIn == "ACCEPT" {
		warn = append(warn, "set the input policy of "+label+" to ACCEPT, letting in all traffic no rule drops")
	}
	if len(warn) > 0 {
		if err := c.confirm(in.Confirm, joinAnd(warn)); err != nil {
			return fwOptionsOut{}, err
		}
	}
	form.Set("digest", digest)
	what := "set the options of " + label
	var raw json.RawMessage
	if err := c.PVE.Put(ctx, ep, form, &raw); err != nil {
		return fwOptionsOut{}, writeError(what, err, "pve_firewall_options")
	}
	after, digest, err := c.fwReadOptions(ctx, ep)
	if err != nil {
		return fwOptionsOut{}, fmt.Errorf("%s: Proxmox accepted the change, but the options could not be read back (%w); check pve_firewall_options", what, err)
	}
	recordUndo(ctx, undoSet(ep, undoKeys(form), anyText(before, out.Digest), anyText(after, digest)))
	out.Options, out.Digest, out.Changed = after, digest, optionDiff(before, after)
	return out, nil
}

func joinAnd(parts []string) string {
	s := parts[0]
	for _, p := range parts[1:] {
		s += " and " + p
	}
	return s
}

// fwReadOptions reads a firewall's options without their digest.
func (c *call) fwReadOptions(ctx context.Context, ep string) (map[string]any, string, error) {
	var opts map[string]any
	if err := c.PVE.Get(ctx, ep, nil, &opts); err != nil {
		return nil, "", err
	}
	digest, _ := opts["digest"].(string)
	delete(opts, "digest")
	if opts == nil {
		opts = map[string]any{}
	}
	return opts, digest, nil
}

func optionDiff(before, after map[string]any) map[string]change {
	text := func(v any) string {
		if v == nil {
			return ""
		}
		b, _ := json.Marshal(v)
		if s, ok := v.(string); ok {
			return s
		}
		return string(b)
	}
	changed := map[string]change{}
	for k, v := range after {
		if text(before[k]) != text(v) {
			changed[k] = change{From: text(before[k]), To: text(v)}
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			changed[k] = change{From: text(v)}
		}
	}
	return changed
}

func (c *call) fwIPSets(ctx context.Context, in fwScopeArgs) (fwIPSetsOut, error) {
	base, label, err := c.fwBase(fwWhere{in.Scope, in.Node, in.VMID})
	if err != nil {
		return fwIPSetsOut{}, err
	}
	var sets []struct {
		Name    string `json:"name"`
		Comment string `json:"comment"`
	}
	if err := c.PVE.Get(ctx, base+"/ipset", nil, &sets); err != nil {
		return fwIPSetsOut{}, fmt.Errorf("list the IP sets of %s: %w", label, err)
	}
	if len(sets) > maxIPSets {
		return fwIPSetsOut{}, fmt.Errorf("%s has %d IP sets, more than the %d this tool reads the entries of", label, len(sets), maxIPSets)
	}
	out := fwIPSetsOut{Scope: label, IPSets: []fwIPSet{}}
	for _, s := range sets {
		var entries []struct {
			CIDR    string  `json:"cidr"`
			NoMatch pve.Int `json:"nomatch"`
			Comment string  `json:"comment"`
		}
		if err := c.PVE.Get(ctx, base+"/ipset/"+url.PathEscape(s.Name), nil, &entries); err != nil {
			return fwIPSetsOut{}, fmt.Errorf("read IP set %s of %s: %w", s.Name, label, err)
		}
		set := fwIPSet{Name: s.Name, Comment: s.Comment, Entries: make([]fwIPEntry, len(entries))}
		for i, e := range entries {
			set.Entries[i] = fwIPEntry{CIDR: e.CIDR, NoMatch: e.NoMatch != 0, Comment: e.Comment}
		}
		out.IPSets = append(out.IPSets, set)
	}
	return out, nil
}

// fwOffWarning says when the rules of a scope filter nothing: the cluster
// firewall is off (every scope), or the scope's own is. Unreadable options
// give no warning.
func (c *call) fwOffWarning(ctx context.Context, scope, base, label string) string {
	on := func(ep, scope string) (bool, bool) {
		opts, _, err := c.fwReadOptions(ctx, ep)
		if err != nil {
			return false, false
		}
		return fwEnabled(opts, scope), true
	}
	if cl, ok := on("/cluster/firewall/options", "cluster"); ok && !cl {
		return "the cluster firewall is off (its options do not set enable: 1), so no rule of any scope filters until " +
			c.fwTurnOn("cluster", "the cluster firewall", "Datacenter > Firewall > Options")
	}
	if scope == "cluster" {
		return ""
	}
	if own, ok := on(base+"/options", scope); ok && !own {
		where := "the guest's Firewall > Options"
		if scope == "node" {
			where = "the node's Firewall > Options"
		}
		return label + " is off (enable 0 in its options), so its rules do not filter until " + c.fwTurnOn(scope, label, where)
	}
	if scope == "node" {
		return ""
	}
	// A guest's rules filter only the network devices marked firewall=1.
	cfg, err := c.configStrings(ctx, strings.TrimSuffix(base, "/firewall")+"/config")
	if err != nil {
		return ""
	}
	nets := 0
	for k, v := range cfg {
		if netKeyRE.MatchString(k) {
			nets++
			if strings.Contains(","+v+",", ",firewall=1,") {
				return ""
			}
		}
	}
	if nets == 0 {
		return ""
	}
	return "no network device of the guest has firewall=1, so " + label + " filters none of its traffic; set firewall=1 on its net0 (pve_vm_set_config or pve_lxc_set_config)"
}

var netKeyRE = lazyre.New(`^net[0-9]+$`)

// fwEnabled reads enable from a firewall's options: a node's firewall is on
// unless turned off, the cluster's and a guest's are off unless turned on.
func fwEnabled(opts map[string]any, scope string) bool {
	v, ok := opts["enable"]
	if !ok {
		return scope == "node"
	}
	n, _ := strconv.ParseFloat(fmt.Sprint(v), 64)
	return n != 0
}

// fwTurnOn says how a firewall that is off gets turned on. The cluster's and
// a node's are host-level: without PVE_ALLOW_HOST_ACCESS the guard refuses
// pve_firewall_options for them, so the advice names who can (where: the
// web UI's place for it).
func (c *call) fwTurnOn(scope, label, where string) string {
	call := "pve_firewall_options scope " + scope + " sets enable: true"
	if scope == "cluster" || scope == "node" {
		if !c.Guard.HostAccess() {
			return "an admin turns it on: in the web UI (" + where + ": Firewall yes), or by setting PVE_ALLOW_HOST_ACCESS=true for this server, " +
				"then pve_firewall_options scope " + scope + " enable: true (changes to " + label + " are host-level, refused without it)"
		}
		return call + " (host-level: it asks first)"
	}
	return call
}
