package pvesim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Authentication realms (domains.cfg, PVE::API2::Domains). The simulator
// stores the configuration of ldap, ad and openid realms but never talks
// to their servers; users of those realms cannot log in.

type realm struct {
	typ  string
	opts map[string]string // as written to domains.cfg; booleans 0/1
}

type domainConfig struct {
	order []string // section order in domains.cfg
	ids   map[string]*realm
}

// realmOptions are the options of each realm type (the plugins' options();
// false = optional, true = required). Built on first use: the simulator is
// linked into the server, whose start-up should not pay for it.
var realmOptions = sync.OnceValue(func() map[string]map[string]bool {
	return map[string]map[string]bool{
		"pam": {"default": false, "comment": false, "tfa": false},
		"pve": {"default": false, "comment": false, "tfa": false},
		"ldap": realmOptionSet("server1 base_dn user_attr",
			"server2 bind_dn password port secure sslversion default comment tfa verify capath cert certkey filter "+
				"sync_attributes user_classes group_dn group_name_attr group_filter group_classes sync-defaults-options mode case-sensitive"),
		"ad": realmOptionSet("server1 domain",
			"server2 port secure sslversion default comment tfa verify capath cert certkey base_dn bind_dn password user_attr "+
				"filter sync_attributes user_classes group_dn group_name_attr group_filter group_classes sync-defaults-options mode case-sensitive"),
		"openid": realmOptionSet("issuer-url client-id",
			"client-key autocreate username-claim groups-claim groups-autocreate groups-overwrite prompt scopes acr-values "+
				"audiences default comment query-userinfo"),
	}
})

func realmOptionSet(required, optional string) map[string]bool {
	m := map[string]bool{}
	for _, k := range strings.Fields(required) {
		m[k] = true
	}
	for _, k := range strings.Fields(optional) {
		m[k] = false
	}
	return m
}

// domains is the realm configuration, with PVE's two built-in realms.
func (a *accessControl) domains() *domainConfig {
	if a.dom == nil {
		a.dom = &domainConfig{order: []string{"pam", "pve"}, ids: map[string]*realm{
			"pam": {typ: "pam", opts: map[string]string{"comment": "Linux PAM standard authentication"}},
			"pve": {typ: "pve", opts: map[string]string{"comment": "Proxmox VE authentication server"}},
		}}
	}
	return a.dom
}

func (a *accessControl) realm(name string) *realm { return a.domains().ids[name] }

// checkStorePassword fails where domain_set_password would.
func (a *accessControl) checkStorePassword(name string) error {
	r := a.realm(name)
	if r == nil {
		return fmt.Errorf("auth domain '%s' does not exist", name)
	}
	if r.typ != "pam" && r.typ != "pve" {
		return fmt.Errorf("can't set password on auth type '%s'", r.typ)
	}
	return nil
}

// digest is the SHA1 of domains.cfg as PVE writes it.
func (d *domainConfig) digest() string {
	var b strings.Builder
	for _, id := range d.order {
		r := d.ids[id]
		fmt.Fprintf(&b, "%s: %s\n", r.typ, id)
		for _, k := range sortedKeys(r.opts) {
			fmt.Fprintf(&b, "\t%s %s\n", k, r.opts[k])
		}
		b.WriteString("\n")
	}
	sum := sha1.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

func (s *Sim) listDomains(c *call) (any, error) {
	d := s.acl.domains()
	ids := append([]string(nil), d.order...)
	sort.Strings(ids)
	out := []map[string]any{}
	for _, id := range ids {
		r := d.ids[id]
		e := map[string]any{"realm": id, "type": r.typ}
		if v := r.opts["comment"]; v != "" {
			e["comment"] = v
		}
		if r.opts["default"] == "1" {
			e["default"] = 1
		}
		if t := r.opts["tfa"]; t != "" {
			typ, _, _ := strings.Cut(strings.TrimPrefix(t, "type="), ",")
			e["tfa"] = typ
		}
		out = append(out, e)
	}
	return out, nil
}

func (s *Sim) readDomain(c *call) (any, error) {
	d := s.acl.domains()
	name := c.params["realm"]
	r := d.ids[name]
	if r == nil {
		return nil, failf("domain '%s' does not exist", name)
	}
	out := map[string]any{"type": r.typ, "digest": d.digest()}
	for k, v := range r.opts {
		if k == "password" {
			continue // kept in priv/, never in domains.cfg
		}
		out[k] = realmValue(c, k, v)
	}
	return out, nil
}

// realmValue gives integers and booleans as numbers, like the parsed file.
func realmValue(c *call, k, v string) any {
	if t := c.s.realmParamType(k); t == "boolean" || t == "integer" {
		return atoiDefault(v, 0)
	}
	return v
}

func (s *Sim) realmParamType(k string) string {
	ep, ok := s.schema.schema.Endpoint("POST", "/access/domains")
	if !ok {
		return ""
	}
	p, ok := ep.Param(k)
	if !ok {
		return ""
	}
	return p.Type
}

// realmSettings is check_config: every option must belong to the type, and
// on create the required ones must be there.
func (s *Sim) realmSettings(c *call, typ string, create bool) (map[string]string, error) {
	opts := realmOptions()[typ]
	skip := map[string]bool{"realm": true, "type": true, "check-connection": true, "delete": true, "digest": true}
	out := map[string]string{}
	for _, k := range sortedKeys(c.params) {
		v := c.params[k]
		if skip[k] {
			continue
		}
		if _, ok := opts[k]; !ok {
			return nil, fmt.Errorf("unexpected property '%s'", k)
		}
		if !create && typ == "openid" && k == "username-claim" {
			return nil, fmt.Errorf("can't change value of fixed parameter '%s'", k)
		}
		if s.realmParamType(k) == "boolean" {
			v = fmt.Sprint(b2i(c.flag(k)))
		}
		out[k] = v
	}
	if create {
		for _, k := range sortedKeys(opts) {
			if _, ok := out[k]; opts[k] && !ok {
				return nil, fmt.Errorf("missing value for required option '%s'", k)
			}
		}
	}
	return out, nil
}

func (s *Sim) createDomain(c *call) (any, error) {
	d := s.acl.domains()
	name, typ := c.params["realm"], c.params["type"]
	fail := func(format string, args ...any) error {
		return failf("add auth server failed: "+format, args...)
	}
	switch {
	case d.ids[name] != nil:
		return nil, fail("domain '%s' already exists", name)
	case name == "pam" || name == "pve":
		return nil, fail("unable to use reserved name '%s'", name)
	case typ == "pam" || typ == "pve":
		return nil, fail("unable to create builtin type '%s'", typ)
	case c.has("check-connection") && typ != "ldap" && typ != "ad":
		return nil, fail("'check-connection' parameter can only be set for realms of type 'ldap' or 'ad'")
	}
	opts, err := s.realmSettings(c, typ, true)
	if err != nil {
		return nil, fail("%s", err)
	}
	if opts["default"] == "1" {
		for _, r := range d.ids {
			delete(r.opts, "default")
		}
	}
	d.ids[name] = &realm{typ: typ, opts: opts}
	d.order = append(d.order, name)
	return nil, nil
}

func (s *Sim) updateDomain(c *call) (any, error) {
	d := s.acl.domains()
	fail := func(format string, args ...any) error {
		return failf("update auth server failed: "+format, args...)
	}
	if dg := c.params["digest"]; dg != "" && dg != d.digest() {
		return nil, fail("detected modified configuration - file changed by other user? Try again.")
	}
	name := c.params["realm"]
	r := d.ids[name]
	if r == nil {
		return nil, fail("domain '%s' does not exist", name)
	}
	if c.has("check-connection") && r.typ != "ldap" && r.typ != "ad" {
		return nil, fail("'check-connection' parameter can only be set for realms of type 'ldap' or 'ad'")
	}
	opts, err := s.realmSettings(c, r.typ, false)
	if err != nil {
		return nil, fail("%s", err)
	}
	del := splitList(c.params["delete"])
	if len(del) == 0 && len(opts) == 0 {
		return nil, fail("no options specified")
	}
	for _, k := range del {
		delete(r.opts, k)
	}
	if opts["default"] == "1" {
		for _, o := range d.ids {
			delete(o.opts, "default")
		}
	}
	for k, v := range opts {
		r.opts[k] = v
	}
	return nil, nil
}

func (s *Sim) deleteDomain(c *call) (any, error) {
	d := s.acl.domains()
	name := c.params["realm"]
	if d.ids[name] == nil {
		return nil, failf("delete auth server failed: authentication domain '%s' does not exist", name)
	}
	delete(d.ids, name)
	for i, id := range d.order {
		if id == name {
			d.order = append(d.order[:i], d.order[i+1:]...)
			break
		}
	}
	return nil, nil
}
