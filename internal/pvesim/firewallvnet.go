package pvesim

// The firewall of an SDN vnet (8.x on): forward rules and options only,
// with the vnet's zone permissions checked in the handler.
func (s *Sim) fwVnetRoutes() []route {
	sc := fwScope{env: "vnet", base: "/cluster/sdn/vnets/{vnet}/firewall"}
	b := sc.base
	r := []route{
		{method: "GET", tmpl: b, h: indexOf("name")},
		{method: "GET", tmpl: b + "/rules", h: s.fwListRules(sc)},
		{method: "POST", tmpl: b + "/rules", h: s.fwCreateRule(sc)},
		{method: "GET", tmpl: b + "/rules/{pos}", h: s.fwGetRule(sc)},
		{method: "PUT", tmpl: b + "/rules/{pos}", h: s.fwUpdateRule(sc)},
		{method: "DELETE", tmpl: b + "/rules/{pos}", h: s.fwDeleteRule(sc)},
		{method: "GET", tmpl: b + "/options", h: s.fwGetOptions(sc)},
		{method: "PUT", tmpl: b + "/options", h: s.fwSetOptions(sc)},
	}
	for i := range r {
		r[i].since = "8.4"
	}
	return r
}

// fwAccess is check_vnet_access for the vnet scope: the vnet must be in the
// running SDN configuration, and the caller needs SDN.Audit or
// SDN.Allocate (SDN.Allocate to write) on its zone path.
func (s *Sim) fwAccess(c *call, sc fwScope, write bool) error {
	if sc.env != "vnet" {
		return nil
	}
	id := c.params["vnet"]
	vn := c.st.sdn().running["vnets"][id]
	if vn == nil {
		return failf("invalid vnet specified at /usr/share/perl5/PVE/API2/Firewall/Helpers.pm line 55.")
	}
	privs := []string{"SDN.Audit", "SDN.Allocate"}
	if write {
		privs = []string{"SDN.Allocate"}
	}
	path := "/sdn/zones/" + vn["zone"] + "/" + id
	for _, p := range privs {
		if s.has(c.authid, path, p) {
			return nil
		}
	}
	return permError(path, privs...)
}
