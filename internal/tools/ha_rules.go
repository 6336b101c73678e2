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

// Where HA resources may run: PVE 9's node- and resource-affinity rules
// (/cluster/ha/rules), HA groups on PVE 8 and older (/cluster/ha/groups).
// One tool serves both; the cluster's release decides, and arguments of the
// other kind are refused with what applies.

type haRulesArgs struct {
	Action     string   `json:"action" enum:"list,add,delete" jsonschema:"list, add or delete a rule (PVE 9) or group (PVE 8 and older)"`
	ID         ConfigID `json:"id,omitempty" jsonschema:"add, delete: the rule's or group's name"`
	Type       string   `json:"type,omitempty" enum:"node-affinity,resource-affinity" jsonschema:"add a rule (PVE 9): keep guests on nodes, or together or apart"`
	Resources  []VMID   `json:"resources,omitempty" jsonschema:"add a rule: the guests (already HA resources)"`
	Nodes      []HANode `json:"nodes,omitempty" jsonschema:"add a node-affinity rule or a group: nodes, optionally with priority (pve1:2)"`
	Strict     bool     `json:"strict,omitempty" jsonschema:"node-affinity: only these nodes, not just preferred"`
	Affinity   string   `json:"affinity,omitempty" enum:"positive,negative" jsonschema:"resource-affinity: together (positive) or apart (negative)"`
	Restricted bool     `json:"restricted,omitempty" jsonschema:"group (PVE 8): run only on its nodes"`
	NoFailback bool     `json:"nofailback,omitempty" jsonschema:"group (PVE 8): stay put when a higher-priority node returns"`
	Comment    OneLine  `json:"comment,omitempty" maxLength:"4096"`
}

type haRule struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"` // node-affinity, resource-affinity or group
	Resources  []string `json:"resources,omitempty"`
	Nodes      string   `json:"nodes,omitempty"`
	Strict     bool     `json:"strict,omitempty"`
	Affinity   string   `json:"affinity,omitempty"`
	Restricted bool     `json:"restricted,omitempty"`
	NoFailback bool     `json:"nofailback,omitempty"`
	Disabled   bool     `json:"disabled,omitempty"`
	Comment    string   `json:"comment,omitempty"`
	Errors     any      `json:"errors,omitempty"`
}

type haRulesOut struct {
	Action string   `json:"action"`
	Kind   string   `json:"kind"` // rules (PVE 9) or groups (PVE 8 and older)
	Rules  []haRule `json:"rules"`
	Added  *haRule  `json:"added,omitempty"`
	Delete string   `json:"deleted,omitempty"`
}

func haRuleTools(d *Deps) []Tool {
	return []Tool{
		withReadForm(define(d, spec{name: "pve_ha_rules", title: "HA rules and groups", toolset: "ha", effect: Mutating,
			desc: "Where HA guests may run: list, add or delete PVE 9's node- and resource-affinity rules, or HA groups on PVE 8 and older."},
			handle(func(ctx context.Context, c *call, in haRulesArgs) (haRulesOut, error) {
				return c.haRules(ctx, in)
			})), haRulesRead(d)),
	}
}

func (c *call) haRules(ctx context.Context, in haRulesArgs) (haRulesOut, error) {
	major, err := c.clusterMajor(ctx)
	if err != nil {
		return haRulesOut{}, err
	}
	out := haRulesOut{Action: in.Action, Kind: "rules"}
	path := "/cluster/ha/rules"
	if major < 9 {
		out.Kind, path = "groups", "/cluster/ha/groups"
	}
	if err := checkRuleArgs(in, major); err != nil {
		return out, err
	}
	if in.Action == "list" {
		out.Rules, err = c.haRuleList(ctx, path)
		return out, wrapErr(err, "list HA %s", out.Kind)
	}
	if in.ID == "" {
		return out, fmt.Errorf("invalid argument \"id\": action %s needs the %s's name", in.Action, strings.TrimSuffix(out.Kind, "s"))
	}
	noun := fmt.Sprintf("HA %s %s", strings.TrimSuffix(out.Kind, "s"), in.ID)
	var raw json.RawMessage
	if in.Action == "delete" {
		what := "delete " + noun
		if err := c.ruleExists(ctx, path, string(in.ID), noun); err != nil {
			return out, err
		}
		rec, err := c.undoRuleDelete(ctx, path, string(in.ID), what)
		if err != nil {
			return out, err
		}
		if err := c.PVE.Delete(ctx, path+"/"+string(in.ID), nil, &raw); err != nil {
			return out, writeError(what, err, "pve_ha_rules action list")
		}
		rec()
		out.Delete = string(in.ID)
		out.Rules, err = c.haRuleList(ctx, path)
		return out, wrapErr(err, "%s: Proxmox accepted it, but the list could not be read back; check pve_ha_rules action list", what)
	}
	form, err := c.ruleForm(ctx, in, major)
	if err != nil {
		return out, err
	}
	what := "add " + noun
	if err := c.PVE.Post(ctx, path, form, &raw); err != nil {
		if major >= 9 && strings.Contains(err.Error(), "unmanaged resource") {
			err = fmt.Errorf("%w (add the guests to HA first with pve_ha_resources action add)", err)
		}
		return out, writeError(what, err, "pve_ha_rules action list")
	}
	if out.Rules, err = c.haRuleList(ctx, path); err != nil {
		return out, fmt.Errorf("%s: Proxmox accepted it, but the list could not be read back (%w); check pve_ha_rules action list", what, err)
	}
	for i := range out.Rules {
		if out.Rules[i].ID == string(in.ID) {
			out.Added = &out.Rules[i]
			c.undoRuleCreate(ctx, path, string(in.ID))
			return out, nil
		}
	}
	return out, fmt.Errorf("%s: Proxmox accepted it, but it is not in the list read back; check pve_ha_rules action list", what)
}

// checkRuleArgs refuses arguments of the other release's kind, saying which applies.
func checkRuleArgs(in haRulesArgs, major int) error {
	if in.Action != "add" {
		if in.Type != "" || len(in.Resources) > 0 || len(in.Nodes) > 0 || in.Strict || in.Affinity != "" || in.Restricted || in.NoFailback || in.Comment != "" {
			return fmt.Errorf("invalid argument \"action\": %s takes only id (delete) or nothing (list); the other arguments describe a rule to add", in.Action)
		}
		return nil
	}
	if major >= 9 {
		switch {
		case in.Restricted || in.NoFailback:
			return fmt.Errorf("invalid argument %q: HA groups are PVE 8's; PVE %d replaced them with rules (Proxmox: ha groups have been migrated to rules): use type node-affinity with nodes and strict", argOr(in.Restricted, "restricted", "nofailback"), major)
		case in.Type == "":
			return fmt.Errorf("invalid argument \"type\": a PVE %d HA rule is node-affinity (resources on nodes) or resource-affinity (resources together or apart)", major)
		case len(in.Resources) == 0:
			return fmt.Errorf("invalid argument \"resources\": the rule needs the guests it is about")
		case in.Type == "node-affinity" && (len(in.Nodes) == 0 || in.Affinity != ""):
			return fmt.Errorf("invalid argument \"nodes\": a node-affinity rule takes nodes (and strict), not affinity")
		case in.Type == "resource-affinity" && (in.Affinity == "" || len(in.Nodes) > 0 || in.Strict):
			return fmt.Errorf("invalid argument \"affinity\": a resource-affinity rule takes affinity positive or negative, not nodes or strict")
		}
		return nil
	}
	switch {
	case in.Type != "" || len(in.Resources) > 0 || in.Strict || in.Affinity != "":
		return fmt.Errorf("invalid argument %q: HA rules are PVE 9's; this cluster runs PVE %d, where HA groups apply: give id, nodes and optionally restricted and nofailback, then add guests with pve_ha_resources group",
			argOr(in.Type != "", "type", argOr(len(in.Resources) > 0, "resources", argOr(in.Strict, "strict", "affinity"))), major)
	case len(in.Nodes) == 0:
		return fmt.Errorf("invalid argument \"nodes\": an HA group needs its nodes, optionally with priority (pve1:2)")
	}
	return nil
}

func argOr(cond bool, a, b string) string {
	if cond {
		return a
	}
	return b
}

// ruleForm builds the rule or group to add; a rule names its guests by
// resource id, so each guest's type is looked up.
func (c *call) ruleForm(ctx context.Context, in haRulesArgs, major int) (url.Values, error) {
	var nodes []string
	for _, n := range in.Nodes {
		name, _, _ := strings.Cut(string(n), ":")
		if err := c.node("nodes", NodeName(name)); err != nil {
			return nil, err
		}
		nodes = append(nodes, string(n))
	}
	form := url.Values{}
	if len(nodes) > 0 {
		form.Set("nodes", strings.Join(nodes, ","))
	}
	if in.Comment != "" {
		form.Set("comment", string(in.Comment))
	}
	if major < 9 {
		form.Set("group", string(in.ID))
		if in.Restricted {
			form.Set("restricted", "1")
		}
		if in.NoFailback {
			form.Set("nofailback", "1")
		}
		return form, nil
	}
	form.Set("rule", string(in.ID))
	form.Set("type", in.Type)
	if in.Strict {
		form.Set("strict", "1")
	}
	if in.Affinity != "" {
		form.Set("affinity", in.Affinity)
	}
	kinds, err := c.guestTypes(ctx)
	if err != nil {
		return nil, err
	}
	var sids []string
	for _, id := range in.Resources {
		if err := c.vmid("resources", id); err != nil {
			return nil, err
		}
		typ, ok := kinds[int(id)]
		if !ok {
			return nil, fmt.Errorf("invalid argument \"resources\": guest %d is not in the cluster (pve_cluster_resources lists the guests)", id)
		}
		sids = append(sids, typ+":"+strconv.Itoa(int(id)))
	}
	form.Set("resources", strings.Join(sids, ","))
	return form, nil
}

// guestTypes maps each guest id to its HA resource type (vm or ct).
func (c *call) guestTypes(ctx context.Context) (map[int]string, error) {
	var res []struct {
		Type string  `json:"type"`
		VMID pve.Int `json:"vmid"`
	}
	if err := c.PVE.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res); err != nil {
		return nil, fmt.Errorf("read the cluster's guests: %w", err)
	}
	out := map[int]string{}
	for _, r := range res {
		out[int(r.VMID)] = map[string]string{"qemu": "vm", "lxc": "ct"}[r.Type]
	}
	return out, nil
}

// haRuleList reads the rules or groups. A rule naming a guest outside
// PVE_VMID_ALLOWLIST is hidden, as its guests are.
func (c *call) haRuleList(ctx context.Context, path string) ([]haRule, error) {
	var raw []struct {
		Rule       string  `json:"rule"`
		Group      string  `json:"group"`
		Type       string  `json:"type"`
		Resources  string  `json:"resources"`
		Nodes      string  `json:"nodes"`
		Strict     pve.Int `json:"strict"`
		Affinity   string  `json:"affinity"`
		Restricted pve.Int `json:"restricted"`
		NoFailback pve.Int `json:"nofailback"`
		Disable    pve.Int `json:"disable"`
		Comment    string  `json:"comment"`
		Errors     any     `json:"errors"`
	}
	if err := c.PVE.Get(ctx, path, nil, &raw); err != nil {
		return nil, err
	}
	out := []haRule{}
next:
	for _, r := range raw {
		e := haRule{ID: r.Rule + r.Group, Type: r.Type, Nodes: r.Nodes, Strict: r.Strict != 0, Affinity: r.Affinity,
			Restricted: r.Restricted != 0, NoFailback: r.NoFailback != 0, Disabled: r.Disable != 0, Comment: r.Comment, Errors: r.Errors}
		for _, sid := range strings.FieldsFunc(r.Resources, func(r rune) bool { return r == ',' }) {
			if !c.allow.VMIDAllowed(sidVMID(sid)) {
				continue next
			}
			e.Resources = append(e.Resources, sid)
		}
		out = append(out, e)
	}
	return out, nil
}

// ruleExists refuses to delete a rule or group that is not there (Proxmox
// deletes nothing and answers OK) or that names guests outside
// PVE_VMID_ALLOWLIST, which the list hides.
func (c *call) ruleExists(ctx context.Context, path, id, noun string) error {
	var raw []struct {
		Rule      string `json:"rule"`
		Group     string `json:"group"`
		Resources string `json:"resources"`
	}
	if err := c.PVE.Get(ctx, path, nil, &raw); err != nil {
		return fmt.Errorf("read %s: %w", noun, err)
	}
	for _, r := range raw {
		if r.Rule+r.Group != id {
			continue
		}
		for _, sid := range strings.Split(r.Resources, ",") {
			if n := sidVMID(sid); n != 0 && !c.allow.VMIDAllowed(n) {
				return fmt.Errorf("%w: %s names guest %d, which is not in PVE_VMID_ALLOWLIST", errRefused, noun, n)
			}
		}
		return nil
	}
	return fmt.Errorf("invalid argument \"id\": there is no %s (pve_ha_rules action list shows them)", noun)
}
