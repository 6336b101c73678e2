package e2e

import (
	"strings"
	"testing"
)

// The firewall and SDN families over HTTPS, walked as a client library
// would: indexes, list, create, read, update with the digest, delete, and
// the usual errors.
func TestSimAPIFirewall(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	for _, idx := range []string{"/cluster/firewall", "/nodes/pve1/firewall", "/nodes/pve1/qemu/100/firewall", "/nodes/pve1/lxc/200/firewall"} {
		for _, item := range a.ok("GET", idx, nil).([]any) {
			name := item.(map[string]any)["name"].(string)
			if ans := a.do("GET", idx+"/"+name, nil); ans.Status != 200 {
				t.Errorf("GET %s/%s = %d %s", idx, name, ans.Status, ans.Raw)
			}
		}
	}
	opts := a.ok("GET", "/cluster/firewall/options", nil).(map[string]any)
	if _, on := opts["enable"]; on {
		t.Fatalf("fresh cluster firewall has enable set: %v", opts)
	}
	a.ok("PUT", "/cluster/firewall/options", form("enable", "1", "digest", opts["digest"].(string)))

	rules := "/nodes/pve1/qemu/101/firewall/rules"
	a.ok("POST", "/nodes/pve1/qemu/101/firewall/ipset", form("name", "trusted"))
	a.ok("POST", "/nodes/pve1/qemu/101/firewall/ipset/trusted", form("cidr", "192.168.1.50"))
	a.ok("POST", rules, form("type", "in", "action", "ACCEPT", "source", "+trusted", "macro", "SSH", "enable", "1"))
	a.ok("POST", rules, form("type", "group", "action", "webserver", "enable", "1"))
	list := a.ok("GET", rules, nil).([]any)
	if len(list) != 2 || list[0].(map[string]any)["action"] != "webserver" {
		t.Fatalf("rules: %v", list)
	}
	digest := list[0].(map[string]any)["digest"].(string)
	a.ok("PUT", rules+"/1", form("comment", "admin ssh", "digest", digest))
	if r := a.ok("GET", rules+"/1", nil).(map[string]any); r["comment"] != "admin ssh" || r["pos"] != float64(1) {
		t.Fatalf("updated rule: %v", r)
	}
	if ans := a.do("DELETE", rules+"/0", form("digest", digest)); ans.Status != 500 || !strings.HasPrefix(ans.Message, "detected modified configuration") {
		t.Fatalf("stale digest: %d %s", ans.Status, ans.Raw)
	}
	if ans := a.do("POST", rules, form("type", "in", "action", "ACCEPT", "source", "nosuch")); ans.Status != 400 || ans.Errors["source"] != "no such alias 'nosuch'" {
		t.Fatalf("unknown alias: %d %s", ans.Status, ans.Raw)
	}
	a.ok("DELETE", rules+"/0", nil)
	if list := a.ok("GET", rules, nil).([]any); len(list) != 1 {
		t.Fatalf("after delete: %v", list)
	}

	// SDN: a VLAN zone with a vnet and a subnet, pending until applied
	a.ok("POST", "/cluster/sdn/zones", form("zone", "lab", "type", "vlan", "bridge", "vmbr0"))
	a.ok("POST", "/cluster/sdn/vnets", form("vnet", "vnet30", "zone", "lab", "tag", "30"))
	a.ok("POST", "/cluster/sdn/vnets/vnet30/subnets", form("subnet", "10.30.0.0/24", "type", "subnet", "gateway", "10.30.0.1"))
	pend := a.ok("GET", "/cluster/sdn/vnets", form("pending", "1")).([]any)
	if len(pend) != 1 || pend[0].(map[string]any)["state"] != "new" {
		t.Fatalf("pending vnets: %v", pend)
	}
	upid := a.ok("PUT", "/cluster/sdn", nil).(string)
	if exit := a.waitTask("pve1", upid); exit != "OK" {
		t.Fatalf("apply: %s", exit)
	}
	if v := a.ok("GET", "/cluster/sdn/vnets/vnet30", form("pending", "1")).(map[string]any); v["state"] != nil {
		t.Fatalf("applied vnet still pending: %v", v)
	}
	if ans := a.do("POST", "/cluster/sdn/vnets", form("vnet", "vnet31", "zone", "lab")); ans.Status != 500 || !strings.Contains(ans.Message, "missing vlan tag") {
		t.Fatalf("vnet without tag: %d %s", ans.Status, ans.Raw)
	}
	a.ok("DELETE", "/cluster/sdn/vnets/vnet30/subnets/lab-10.30.0.0-24", nil)
	a.ok("DELETE", "/cluster/sdn/vnets/vnet30", nil)
	a.ok("DELETE", "/cluster/sdn/zones/lab", nil)
}
