package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// The firewall of the cluster, a node or a guest (issue 15). Writes to the
// cluster's or a node's firewall are host-level: the request guard refuses
// them unless PVE_ALLOW_HOST_ACCESS is true, and then asks.

// fwWhere is the scope arguments every firewall tool takes.
type fwWhere struct {
	scope string
	node  NodeName
	vmid  VMID
}

// base checks the scope arguments and returns the firewall's API path and
// what to call it in messages.
func (c *call) fwBase(w fwWhere) (string, string, error) {
	switch w.scope {
	case "cluster":
		if w.node != "" || w.vmid != 0 {
			return "", "", fmt.Errorf("invalid argument \"scope\": the cluster firewall takes no node or vmid; leave them out, or use scope node, vm or lxc")
		}
		return "/cluster/firewall", "the cluster firewall", nil
	case "node":
		if w.vmid != 0 {
			return "", "", fmt.Errorf("invalid argument \"vmid\": scope node is the node's own firewall; use scope vm or lxc for a guest's")
		}
		if w.node == "" {
			return "", "", fmt.Errorf("invalid argument \"node\": scope node needs the node's name")
		}
		if err := c.node("node", w.node); err != nil {
			return "", "", err
		}
		return pve.Path("nodes", string(w.node), "firewall"), "the firewall of node " + string(w.node), nil
	}
	k, label := qemuKind, "VM"
	if w.scope == "lxc" {
		k, label = lxcKind, "CT"
	}
	if w.node == "" || w.vmid == 0 {
		return "", "", fmt.Errorf("invalid argument %q: scope %s needs node and vmid", argOr(w.node == "", "node", "vmid"), w.scope)
	}
	if err := c.guest(w.node, w.vmid); err != nil {
		return "", "", err
	}
	return k.path(w.node, w.vmid, "firewall"), fmt.Sprintf("the firewall of %s %d on %s", label, w.vmid, w.node), nil
}

type fwRulesArgs struct {
	Op      string      `json:"op" enum:"list,add,delete" jsonschema:"list the rules, add one, or delete the one at pos"`
	Scope   string      `json:"scope" enum:"cluster,node,vm,lxc" jsonschema:"whose firewall"`
	Node    NodeName    `json:"node,omitempty" jsonschema:"for scope node, vm and lxc"`
	VMID    VMID        `json:"vmid,omitempty" jsonschema:"for scope vm and lxc"`
	Type    string      `json:"type,omitempty" enum:"in,out,group" jsonschema:"add: direction, or group to insert a security group"`
	Action  FWName      `json:"action,omitempty" jsonschema:"add: ACCEPT, DROP or REJECT; with type group the group's name"`
	Macro   FWName      `json:"macro,omitempty" jsonschema:"add: a predefined service, e.g. SSH, HTTPS"`
	Proto   FWProto     `json:"proto,omitempty" jsonschema:"add: tcp, udp, icmp..."`
	Dport   FWPorts     `json:"dport,omitempty" jsonschema:"add: destination ports, e.g. 443 or 8000:8100 (needs proto)"`
	Sport   FWPorts     `json:"sport,omitempty" jsonschema:"add: source ports (needs proto)"`
	Source  FWAddr      `json:"source,omitempty" jsonschema:"add: source IP, CIDR, alias or +ipset"`
	Dest    FWAddr      `json:"dest,omitempty" jsonschema:"add: destination IP, CIDR, alias or +ipset"`
	Iface   IfaceName   `json:"iface,omitempty" jsonschema:"add: interface; for a guest net0, net1..."`
	Enable  *bool       `json:"enable,omitempty" jsonschema:"add: false adds it disabled (default true)"`
	Comment OneLine     `json:"comment,omitempty" maxLength:"512"`
	Pos     *int        `json:"pos,omitempty" minimum:"0" maximum:"10000" jsonschema:"add: position (default 0, the top); delete: the rule to delete"`
	Digest  HexChecksum `json:"digest,omitempty" jsonschema:"digest from list: refuse if the rules changed since"`
	Confirm bool        `json:"confirm,omitempty" jsonschema:"needed for delete, and for cluster or node writes"`
}

func (a fwRulesArgs) confirmedByArg() bool { return a.Confirm }

// fwRule is one rule as Proxmox lists it.
type fwRule struct {
	Pos     int    `json:"pos"`
	Type    string `json:"type"`
	Action  string `json:"action"`
	Enable  int    `json:"enable"`
	Macro   string `json:"macro,omitempty"`
	Proto   string `json:"proto,omitempty"`
	Dport   string `json:"dport,omitempty"`
	Sport   string `json:"sport,omitempty"`
	Source  string `json:"source,omitempty"`
	Dest    string `json:"dest,omitempty"`
	Iface   string `json:"iface,omitempty"`
	Log     string `json:"log,omitempty"`
	Comment string `json:"comment,omitempty"`
}

type fwRulesOut struct {
	Op      string   `json:"op"`
	Scope   string   `json:"scope"`
	Rules   []fwRule `json:"rules"`
	Digest  string   `json:"digest,omitempty"`
	Added   *fwRule  `json:"added,omitempty"`
	Deleted *fwRule  `json:"deleted,omitempty"`
	// Warning says when the rules filter nothing: the firewall is off.
	Warning string `json:"warning,omitempty"`
}

func firewallTools(d *Deps) []Tool {
	tools := []Tool{
		withReadForm(define(d, spec{name: "pve_firewall_rules", title: "Firewall rules", toolset: "firewall", effect: Destructive,
			desc: "List, add or delete (confirm) firewall rules of the cluster, a node or a guest; add puts the rule at pos (default the top)."},
			handle(func(ctx context.Context, c *call, in fwRulesArgs) (fwRulesOut, error) {
				return c.fwRules(ctx, in)
			})), fwRulesRead(d)),
	}
	return append(tools, firewallMoreTools(d)...)
}

func (c *call) fwRules(ctx context.Context, in fwRulesArgs) (fwRulesOut, error) {
	base, label, err := c.fwBase(fwWhere{in.Scope, in.Node, in.VMID})
	if err != nil {
		return fwRulesOut{}, err
	}
	out := fwRulesOut{Op: in.Op, Scope: label}
	switch in.Op {
	case "add":
		err = c.fwAdd(ctx, base, label, in, &out)
	case "delete":
		err = c.fwDelete(ctx, base, label, in, &out)
	default:
		if err = noRuleFields(in, "list"); err == nil {
			out.Rules, out.Digest, err = c.fwList(ctx, base)
			err = wrapErr(err, "list the rules of %s", label)
		}
	}
	if err == nil && in.Op != "delete" {
		out.Warning = c.fwOffWarning(ctx, in.Scope, base, label)
	}
	return out, err
}

// noRuleFields refuses rule fields on list and delete, which would ignore them.
func noRuleFields(in fwRulesArgs, op string) error {
	set := map[string]bool{"type": in.Type != "", "action": in.Action != "", "macro": in.Macro != "", "proto": in.Proto != "",
		"dport": in.Dport != "", "sport": in.Sport != "", "source": in.Source != "", "dest": in.Dest != "", "iface": in.Iface != "",
		"enable": in.Enable != nil, "comment": in.Comment != ""}
	for _, k := range []string{"type", "action", "macro", "proto", "dport", "sport", "source", "dest", "iface", "enable", "comment"} {
		if set[k] {
			return fmt.Errorf("invalid argument %q: it describes a rule to add; op %s takes none (use op add)", k, op)
		}
	}
	if op == "list" && (in.Pos != nil || in.Confirm) {
		return fmt.Errorf("invalid argument \"pos\": op list lists every rule; leave pos and confirm out")
	}
	return nil
}

func wrapErr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// fwList reads the rules and the digest Proxmox gives the list.
func (c *call) fwList(ctx context.Context, base string) ([]fwRule, string, error) {
	var raw []struct {
		fwRule
		Enable pve.Int `json:"enable"`
		Digest string  `json:"digest"`
	}
	if err := c.PVE.Get(ctx, base+"/rules", nil, &raw); err != nil {
		return nil, "", err
	}
	rules := make([]fwRule, len(raw))
	digest := ""
	for i, r := range raw {
		rules[i] = r.fwRule
		rules[i].Enable = int(r.Enable)
		digest = r.Digest
	}
	return rules, digest, nil
}

// ruleForm is the rule an add sends; enable is on unless asked otherwise
// (Proxmox would add it disabled).
func ruleForm(in fwRulesArgs) (url.Values, error) {
	switch {
	case in.Type == "" || in.Action == "":
		return nil, fmt.Errorf("invalid argument %q: op add needs type (in, out or group) and action (ACCEPT, DROP, REJECT or a security group)",
			argOr(in.Type == "", "type", "action"))
	case in.Type == "group" && (in.Macro != "" || in.Proto != "" || in.Dport != "" || in.Sport != "" || in.Source != "" || in.Dest != ""):
		return nil, fmt.Errorf("invalid argument \"type\": a group rule inserts the security group named by action; its own rules say what they match, so leave macro, proto, ports and addresses out")
	case in.Type != "group" && in.Action != "ACCEPT" && in.Action != "DROP" && in.Action != "REJECT":
		return nil, fmt.Errorf("invalid argument \"action\": %q is not ACCEPT, DROP or REJECT; to use a security group set type: group", in.Action)
	}
	f := url.Values{"type": {in.Type}, "action": {string(in.Action)}, "enable": {"1"}}
	if in.Enable != nil && !*in.Enable {
		f.Set("enable", "0")
	}
	for k, v := range map[string]string{"macro": string(in.Macro), "proto": string(in.Proto), "dport": string(in.Dport), "sport": string(in.Sport),
		"source": string(in.Source), "dest": string(in.Dest), "iface": string(in.Iface), "comment": string(in.Comment)} {
		if v != "" {
			f.Set(k, v)
		}
	}
	return f, nil
}

// sameRule tells whether a listed rule is the one form added (Proxmox may
// respell a macro's name).
func sameRule(r fwRule, f url.Values) bool {
	got := map[string]string{"type": r.Type, "action": r.Action, "proto": r.Proto, "dport": r.Dport, "sport": r.Sport,
		"source": r.Source, "dest": r.Dest, "iface": r.Iface, "comment": r.Comment, "enable": strconv.Itoa(r.Enable)}
	for k, want := range got {
		if f.Get(k) != want {
			return false
		}
	}
	return strings.EqualFold(r.Macro, f.Get("macro"))
}

func (c *call) fwAdd(ctx context.Context, base, label string, in fwRulesArgs, out *fwRulesOut) error {
	form, err := ruleForm(in)
	if err != nil {
		return err
	}
	if in.Digest != "" {
		return fmt.Errorf("invalid argument \"digest\": Proxmox adds a rule at the top whatever changed; digest guards delete only")
	}
	what := "add a rule to " + label
	var raw json.RawMessage
	if err := c.PVE.Post(ctx, base+"/rules", form, &raw); err != nil {
		return writeError(what, err, "pve_firewall_rules op list")
	}
	rules, digest, err := c.fwList(ctx, base)
	if err != nil {
		return fmt.Errorf("%s: Proxmox accepted the rule, but the rules could not be read back (%w); check pve_firewall_rules op list", what, err)
	}
	if len(rules) == 0 || !sameRule(rules[0], form) {
		return fmt.Errorf("%s: Proxmox accepted the rule, but it is not at the top of the list read back (another edit?); check pve_firewall_rules op list", what)
	}
	at := 0
	if in.Pos != nil && *in.Pos > 0 && len(rules) > 1 {
		// Proxmox always adds at the top; moveto places the rule before the
		// rule now at that position, so one past the wanted position.
		at = min(*in.Pos, len(rules)-1)
		move := url.Values{"moveto": {strconv.Itoa(at + 1)}, "digest": {digest}}
		if err := c.PVE.Put(ctx, base+"/rules/0", move, &raw); err != nil {
			return fmt.Errorf("%s: the rule was added at position 0, but moving it to %d failed (%w); move or delete it with pve_firewall_rules", what, at, err)
		}
		if rules, digest, err = c.fwList(ctx, base); err != nil {
			return fmt.Errorf("%s: the rule was added and moved, but the rules could not be read back (%w); check pve_firewall_rules op list", what, err)
		}
		if at >= len(rules) || !sameRule(rules[at], form) {
			return fmt.Errorf("%s: the rule was added, but it is not at position %d of the list read back; check pve_firewall_rules op list", what, at)
		}
	}
	out.Rules, out.Digest = rules, digest
	added := rules[at]
	out.Added = &added
	return nil
}

func (c *call) fwDelete(ctx context.Context, base, label string, in fwRulesArgs, out *fwRulesOut) error {
	if err := noRuleFields(in, "delete"); err != nil {
		return err
	}
	if in.Pos == nil {
		return fmt.Errorf("invalid argument \"pos\": op delete needs the position of the rule (see op list)")
	}
	rules, digest, err := c.fwList(ctx, base)
	if err != nil {
		return fmt.Errorf("read the rules of %s: %w", label, err)
	}
	pos := *in.Pos
	if pos >= len(rules) {
		return fmt.Errorf("invalid argument \"pos\": %s has no rule at position %d (it has %d; see op list)", label, pos, len(rules))
	}
	if in.Digest != "" && string(in.Digest) != digest {
		return fmt.Errorf("invalid argument \"digest\": the rules of %s changed since that list (Proxmox's digest is now %s); list them again and check the position", label, digest)
	}
	r := rules[pos]
	if err := c.confirm(in.Confirm, fmt.Sprintf("delete rule %d of %s (%s)", pos, label, describeRule(r))); err != nil {
		return err
	}
	what := fmt.Sprintf("delete rule %d of %s", pos, label)
	var raw json.RawMessage
	if err := c.PVE.Delete(ctx, base+"/rules/"+strconv.Itoa(pos), url.Values{"digest": {digest}}, &raw); err != nil {
		return writeError(what, err, "pve_firewall_rules op list")
	}
	out.Deleted = &r
	if out.Rules, out.Digest, err = c.fwList(ctx, base); err != nil {
		return fmt.Errorf("%s: Proxmox deleted it, but the rules could not be read back (%w); check pve_firewall_rules op list", what, err)
	}
	return nil
}

// describeRule is a rule in a few words, for questions.
func describeRule(r fwRule) string {
	parts := []string{r.Type, r.Action}
	for _, kv := range [][2]string{{"macro", r.Macro}, {"proto", r.Proto}, {"dport", r.Dport}, {"sport", r.Sport},
		{"source", r.Source}, {"dest", r.Dest}, {"iface", r.Iface}, {"comment", r.Comment}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	if r.Enable == 0 {
		parts = append(parts, "disabled")
	}
	return strings.Join(parts, " ")
}
