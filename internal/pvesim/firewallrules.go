package pvesim

import (
	"fmt"
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// fwRule is one rule line as the parser reads it back: type, action,
// enable ("0"/"1") and the optional fields, plus the derived ipversion.
type fwRule map[string]string

// fwRuleProps are the rule properties (rule_properties): what POST/PUT copy.
var fwRuleProps = []string{"type", "action", "macro", "iface", "source", "dest", "proto",
	"dport", "sport", "log", "enable", "comment", "icmp-type"}

// fwRuleEnvTypes are the rule types each rule_env allows.
var fwRuleEnvTypes = map[string][]string{
	"vm": {"in", "out", "group"}, "ct": {"in", "out", "group"},
	"group": {"in", "out", "forward"}, "cluster": {"in", "out", "forward", "group"},
	"host": {"in", "out", "forward", "group"}, "vnet": {"forward", "group"},
}

var (
	fwNamePattern = lazyre.New(`^[A-Za-z][A-Za-z0-9\-_]+$`)
	fwIPSetRef    = lazyre.New(`^\+(guest/|dc/|sdn/)?([A-Za-z][A-Za-z0-9\-_]+)$`)
	fwAliasRef    = lazyre.New(`^(guest/|dc/)?([A-Za-z][A-Za-z0-9\-_]+)$`)
	fwGuestIface  = lazyre.New(`^net\d+$`)
)

// fwRules is the rule list of the scope: the file's [RULES] or a group's.
func (sc fwScope) rules(c *call, write bool) (*[]fwRule, error) {
	if err := c.s.fwAccess(c, sc, write); err != nil {
		return nil, err
	}
	if sc.env == "group" {
		g := c.st.fw().cluster.groups[c.params["group"]]
		if g == nil {
			return nil, failf("no such security group '%s'", c.params["group"])
		}
		return &g.rules, nil
	}
	return &sc.conf(c).rules, nil
}

// fwRuleList is copy_list_with_digest: the rules as JSON with their
// positions and the list digest.
func fwRuleList(rules []fwRule) ([]map[string]any, string) {
	entries := make([]map[string]string, len(rules))
	for i, r := range rules {
		entries[i] = r
	}
	digest := fwDigest(entries...)
	out := make([]map[string]any, len(rules))
	for i, r := range rules {
		e := map[string]any{"pos": i, "digest": digest}
		for k, v := range r {
			if k == "enable" || k == "ipversion" {
				e[k] = atoiDefault(v, 0)
			} else {
				e[k] = v
			}
		}
		out[i] = e
	}
	return out, digest
}

func (s *Sim) fwListRules(sc fwScope) handler {
	return func(c *call) (any, error) {
		rules, err := sc.rules(c, false)
		if err != nil {
			return nil, err
		}
		list, _ := fwRuleList(*rules)
		return list, nil
	}
}

func (c *call) fwPos(rules []fwRule) (int, error) {
	pos := atoiDefault(c.params["pos"], 0)
	if pos >= len(rules) {
		return 0, failf("no rule at position %d", pos)
	}
	return pos, nil
}

func (s *Sim) fwGetRule(sc fwScope) handler {
	return func(c *call) (any, error) {
		rules, err := sc.rules(c, false)
		if err != nil {
			return nil, err
		}
		pos, err := c.fwPos(*rules)
		if err != nil {
			return nil, err
		}
		list, _ := fwRuleList(*rules)
		return list[pos], nil
	}
}

// copyRuleData is copy_rule_data: "" or "-" removes a property.
func copyRuleData(r fwRule, params map[string]string) {
	for _, k := range fwRuleProps {
		v, ok := params[k]
		if !ok {
			continue
		}
		if v == "" || v == "-" {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
	if v, ok := r["enable"]; ok {
		// the file only knows enabled or disabled ('|' prefix)
		r["enable"] = strconv.Itoa(b2i(v != "0"))
	}
}

func (s *Sim) fwCreateRule(sc fwScope) handler {
	return func(c *call) (any, error) {
		rules, err := sc.rules(c, true)
		if err != nil {
			return nil, err
		}
		r := fwRule{}
		copyRuleData(r, c.params)
		if err := s.verifyRule(c, sc, r); err != nil {
			return nil, err
		}
		if _, ok := r["enable"]; !ok {
			r["enable"] = "0"
		}
		*rules = append([]fwRule{r}, *rules...)
		return nil, nil
	}
}

// fwRuleAt is the rule a write names by its pos, after the digest check
// that guards the whole list.
func (c *call) fwRuleAt(sc fwScope) (*[]fwRule, int, error) {
	rules, err := sc.rules(c, true)
	if err != nil {
		return nil, 0, err
	}
	_, digest := fwRuleList(*rules)
	if err := checkDigest(c, digest); err != nil {
		return nil, 0, err
	}
	pos, err := c.fwPos(*rules)
	if err != nil {
		return nil, 0, err
	}
	return rules, pos, nil
}

func (s *Sim) fwUpdateRule(sc fwScope) handler {
	return func(c *call) (any, error) {
		rules, pos, err := c.fwRuleAt(sc)
		if err != nil {
			return nil, err
		}
		if mv, ok := c.params["moveto"]; ok {
			if to := atoiDefault(mv, pos); to != pos {
				*rules = moveRule(*rules, pos, to)
				return nil, nil
			}
		}
		r := fwRule(copyConf((*rules)[pos]))
		copyRuleData(r, c.params)
		for _, opt := range splitList(c.params["delete"]) {
			if !contains(fwRuleProps, opt) {
				return nil, paramErr("delete", fmt.Sprintf("no such property ('%s')", opt))
			}
			if opt == "type" || opt == "action" {
				return nil, paramErr("delete", fmt.Sprintf("unable to delete required property '%s'", opt))
			}
			delete(r, opt)
		}
		delete(r, "ipversion")
		if err := s.verifyRule(c, sc, r); err != nil {
			return nil, err
		}
		(*rules)[pos] = r
		return nil, nil
	}
}

// moveRule places the rule at pos before the rule now at to (at the end
// when to is past it), as update_rule's moveto does.
func moveRule(rules []fwRule, pos, to int) []fwRule {
	r := rules[pos]
	out := make([]fwRule, 0, len(rules))
	for i, x := range rules {
		if i == pos {
			continue
		}
		if i == to {
			out = append(out, r)
		}
		out = append(out, x)
	}
	if to >= len(rules) {
		out = append(out, r)
	}
	return out
}

func (s *Sim) fwDeleteRule(sc fwScope) handler {
	return func(c *call) (any, error) {
		rules, pos, err := c.fwRuleAt(sc)
		if err != nil {
			return nil, err
		}
		*rules = append((*rules)[:pos:pos], (*rules)[pos+1:]...)
		return nil, nil
	}
}

// verifyRule is verify_rule for the API: the first problem is a parameter
// error. It sets the macro's preferred name and the rule's ipversion.
func (s *Sim) verifyRule(c *call, sc fwScope, r fwRule) error {
	typ, action := r["type"], r["action"]
	if typ == "" {
		return paramErr("type", "missing property")
	}
	if action == "" {
		return paramErr("action", "missing property")
	}
	if !contains(fwRuleEnvTypes[sc.env], typ) {
		return paramErr("type", fmt.Sprintf("invalid rule type '%s' for rule_env '%s'", typ, sc.env))
	}
	if typ == "group" {
		if !fwNamePattern.MatchString(action) {
			return paramErr("action", "invalid characters in security group name")
		}
	} else {
		if typ == "forward" && action == "REJECT" {
			return paramErr("action", "cannot define REJECT rules on forward chain")
		}
		if action != "ACCEPT" && action != "DROP" && action != "REJECT" {
			return paramErr("action", fmt.Sprintf("unknown action '%s'", action))
		}
	}
	if ifc := r["iface"]; ifc != "" {
		if sc.env == "group" || sc.env == "vnet" {
			return paramErr("type", "parameter -i not allowed for this rule type")
		}
		if sc.guest() && !fwGuestIface.MatchString(ifc) {
			return paramErr("iface", `value does not match the regex pattern 'net\d+'`)
		}
	}
	if m := r["macro"]; m != "" {
		name, ok := fwMacro(m)
		if !ok {
			return paramErr("macro", fmt.Sprintf("unknown macro '%s'", m))
		}
		r["macro"] = name
	}
	ipv := 0
	setIPv := func(v int) error {
		if v != 0 && ipv != 0 && v != ipv {
			return failf("detected mixed ipv4/ipv6 addresses in rule")
		}
		if v != 0 {
			ipv = v
		}
		return nil
	}
	proto := r["proto"]
	icmp := proto == "icmp" || proto == "icmpv6" || proto == "ipv6-icmp" || proto == "1" || proto == "58"
	if proto != "" {
		if !fwKnownProto(proto) {
			return paramErr("proto", fmt.Sprintf("unknown protocol '%s'", proto))
		}
		switch proto {
		case "icmp":
			_ = setIPv(4)
		case "icmpv6", "ipv6-icmp":
			_ = setIPv(6)
		}
	}
	for _, k := range []string{"dport", "sport"} {
		v := r[k]
		if v == "" {
			continue
		}
		if err := fwCheckPorts(v, k == "dport" && icmp); err != "" {
			return paramErr(k, err)
		}
		if proto == "" {
			return paramErr("proto", fmt.Sprintf("missing property - '%s' requires this property", k))
		}
		if !fwPortProtos[proto] && !(k == "dport" && icmp) {
			return paramErr(k, fmt.Sprintf("protocol '%s' does not support ports", proto))
		}
	}
	if it := r["icmp-type"]; it != "" {
		if !icmp {
			return paramErr("proto", "missing property - 'icmp-type' requires this property")
		}
		if r["dport"] != "" {
			return paramErr("icmp-type", "'icmp-type' cannot be specified together with 'dport'")
		}
	}
	for _, k := range []string{"source", "dest"} {
		v := r[k]
		if v == "" {
			continue
		}
		ver, msg := s.fwCheckAddr(c, sc, v)
		if msg != "" {
			return paramErr(k, msg)
		}
		if err := setIPv(ver); err != nil {
			return err
		}
	}
	if ipv != 0 {
		r["ipversion"] = strconv.Itoa(ipv)
	}
	return nil
}
