package pvesim

import (
	"strings"
	"testing"
)

func TestSDNIndexAndListings(t *testing.T) {
	e := newEnv(t, Options{})
	var ids []string
	for _, x := range e.ok("GET", "/cluster/sdn", nil).([]any) {
		ids = append(ids, x.(map[string]any)["id"].(string))
	}
	if got := strings.Join(ids, ","); !strings.Contains(got, "zones") || !strings.Contains(got, "vnets") || !strings.Contains(got, "ipams") {
		t.Fatalf("sdn index: %s", got)
	}
	if z := e.ok("GET", "/cluster/sdn/zones", nil).([]any); len(z) != 0 {
		t.Fatalf("fresh zones: %v", z)
	}
	ipams := e.ok("GET", "/cluster/sdn/ipams", nil).([]any)
	if len(ipams) != 1 || fwKeys(ipams[0].(map[string]any)) != "digest,ipam,type" || ipams[0].(map[string]any)["type"] != "pve" {
		t.Fatalf("ipams: %v", ipams)
	}
	if l := e.ok("GET", "/cluster/sdn/controllers", nil).([]any); len(l) != 0 {
		t.Fatalf("controllers: %v", l)
	}
	if l := e.ok("GET", "/cluster/sdn/dns", nil).([]any); len(l) != 0 {
		t.Fatalf("dns: %v", l)
	}
}

func TestSDNZonesPendingAndApply(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/sdn/zones", vals("zone", "lab", "type", "vlan", "bridge", "vmbr0", "mtu", "1500", "ipam", "pve"))
	z := e.ok("GET", "/cluster/sdn/zones/lab", nil).(map[string]any)
	if fwKeys(z) != "bridge,digest,ipam,mtu,type,zone" || z["mtu"] != float64(1500) || z["type"] != "vlan" {
		t.Fatalf("zone: %v", z)
	}
	// not applied yet: pending=1 shows the new zone
	p := e.ok("GET", "/cluster/sdn/zones", vals("pending", "1")).([]any)[0].(map[string]any)
	pend, _ := p["pending"].(map[string]any)
	if p["state"] != "new" || p["type"] != "vlan" || p["bridge"] != nil || pend["bridge"] != "vmbr0" || pend["mtu"] != float64(1500) {
		t.Fatalf("pending new: %v", p)
	}
	if r := e.ok("GET", "/cluster/sdn/zones", vals("running", "1")).([]any); len(r) != 0 {
		t.Fatalf("running before apply: %v", r)
	}
	upid := e.ok("PUT", "/cluster/sdn", nil).(string)
	if !strings.Contains(upid, ":reloadnetworkall:") {
		t.Fatalf("apply upid: %s", upid)
	}
	if st := e.waitTask(upid); st != "OK" {
		t.Fatalf("apply: %s", st)
	}
	p = e.ok("GET", "/cluster/sdn/zones/lab", vals("pending", "1")).(map[string]any)
	if p["state"] != nil || p["pending"] != nil || p["bridge"] != "vmbr0" {
		t.Fatalf("after apply: %v", p)
	}
	// the nodes run it once their network was reloaded
	nz := e.ok("GET", "/nodes/pve2/sdn/zones", nil).([]any)
	if len(nz) != 1 || nz[0].(map[string]any)["zone"] != "lab" || nz[0].(map[string]any)["status"] != "available" {
		t.Fatalf("node zones: %v", nz)
	}
	e.ok("PUT", "/cluster/sdn/zones/lab", vals("mtu", "9000", "digest", z["digest"].(string)))
	p = e.ok("GET", "/cluster/sdn/zones/lab", vals("pending", "1")).(map[string]any)
	if p["state"] != "changed" || p["mtu"] != float64(1500) || p["pending"].(map[string]any)["mtu"] != float64(9000) {
		t.Fatalf("changed: %v", p)
	}
	r := e.do("PUT", "/cluster/sdn/zones/lab", vals("mtu", "1400", "digest", z["digest"].(string)))
	if r.status != 500 || r.reason != "update sdn zone object failed: error with cfs lock 'domain-sdn': detected modified configuration - file changed by other user? Try again." {
		t.Fatalf("stale digest: %d %q", r.status, r.reason)
	}
	if r := e.do("POST", "/cluster/sdn/zones", vals("zone", "lab", "type", "simple")); r.status != 500 || r.reason != "create sdn zone object failed: error with cfs lock 'domain-sdn': sdn zone object ID 'lab' already defined" {
		t.Fatalf("dup zone: %q", r.reason)
	}
	if r := e.do("POST", "/cluster/sdn/zones", vals("zone", "v2", "type", "vlan")); r.status != 500 || r.reason != "missing value for required option 'bridge'" {
		t.Fatalf("vlan without bridge: %q", r.reason)
	}
	if r := e.do("POST", "/cluster/sdn/zones", vals("zone", "s2", "type", "simple", "bridge", "vmbr0")); r.status != 500 || r.reason != "unexpected property 'bridge'" {
		t.Fatalf("simple with bridge: %q", r.reason)
	}
	if r := e.do("GET", "/cluster/sdn/zones/nope", nil); r.status != 500 || r.reason != "sdn 'nope' does not exist" {
		t.Fatalf("unknown zone: %q", r.reason)
	}
	e.ok("DELETE", "/cluster/sdn/zones/lab", nil)
	p = e.ok("GET", "/cluster/sdn/zones", vals("pending", "1")).([]any)[0].(map[string]any)
	if p["state"] != "deleted" || p["zone"] != "lab" {
		t.Fatalf("deleted: %v", p)
	}
}

func TestSDNVnetsSubnets(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/sdn/zones", vals("zone", "lab", "type", "vlan", "bridge", "vmbr0"))
	e.ok("POST", "/cluster/sdn/zones", vals("zone", "iso", "type", "simple"))
	r := e.do("POST", "/cluster/sdn/vnets", vals("vnet", "vnet20", "zone", "lab"))
	if r.status != 500 || r.reason != "create sdn vnet object failed: 400 Parameter verification failed." || !strings.Contains(r.message, "tag: missing vlan tag") {
		t.Fatalf("vlan vnet without tag: %d %q %q", r.status, r.reason, r.message)
	}
	if r := e.do("POST", "/cluster/sdn/vnets", vals("vnet", "vnetx", "zone", "nozone")); r.status != 500 || !strings.HasPrefix(r.reason, "create sdn vnet object failed: ") {
		t.Fatalf("unknown zone: %d %q", r.status, r.reason)
	}
	if r := e.do("POST", "/cluster/sdn/vnets", vals("vnet", "my-vnet", "zone", "lab", "tag", "20")); r.status != 400 || r.errors["vnet"] != "vnet ID 'my-vnet' contains illegal characters" {
		t.Fatalf("vnet name: %d %v", r.status, r.raw)
	}
	e.ok("POST", "/cluster/sdn/vnets", vals("vnet", "vnet20", "zone", "lab", "tag", "20", "alias", "servers"))
	if r := e.do("POST", "/cluster/sdn/vnets", vals("vnet", "vnet21", "zone", "lab", "tag", "20")); r.status != 500 || !strings.Contains(r.message, "tag: tag 20 already exist in vnet vnet20") {
		t.Fatalf("dup tag: %q", r.message)
	}
	v := e.ok("GET", "/cluster/sdn/vnets/vnet20", nil).(map[string]any)
	if fwKeys(v) != "alias,digest,tag,type,vnet,zone" || v["tag"] != float64(20) || v["type"] != "vnet" {
		t.Fatalf("vnet: %v", v)
	}
	e.ok("POST", "/cluster/sdn/vnets/vnet20/subnets", vals("subnet", "10.0.20.0/24", "type", "subnet", "gateway", "10.0.20.1", "snat", "1"))
	subs := e.ok("GET", "/cluster/sdn/vnets/vnet20/subnets", nil).([]any)
	if len(subs) != 1 {
		t.Fatalf("subnets: %v", subs)
	}
	s0 := subs[0].(map[string]any)
	if s0["subnet"] != "lab-10.0.20.0-24" || s0["cidr"] != "10.0.20.0/24" || s0["snat"] != float64(1) || s0["mask"] != "24" || s0["zone"] != "lab" {
		t.Fatalf("subnet: %v", s0)
	}
	if r := e.do("POST", "/cluster/sdn/vnets/vnet20/subnets", vals("subnet", "10.0.30.0/24", "type", "subnet", "gateway", "10.0.20.1")); r.status != 500 || !strings.Contains(r.message, "gateway: 10.0.20.1 is not in subnet 10.0.30.0/24") {
		t.Fatalf("gateway: %q", r.message)
	}
	if c := e.ok("GET", "/nodes/pve1/sdn/zones/lab/content", nil).([]any); len(c) != 0 {
		t.Fatalf("content before apply: %v", c)
	}
	e.waitTask(e.ok("PUT", "/cluster/sdn", nil).(string))
	if c := e.ok("GET", "/nodes/pve1/sdn/zones/lab/content", nil).([]any); len(c) != 1 || c[0].(map[string]any)["vnet"] != "vnet20" {
		t.Fatalf("zone content: %v", c)
	}
	e.ok("PUT", "/cluster/sdn/vnets/vnet20/subnets/lab-10.0.20.0-24", vals("delete", "snat"))
	if s := e.ok("GET", "/cluster/sdn/vnets/vnet20/subnets/lab-10.0.20.0-24", nil).(map[string]any); s["snat"] != nil {
		t.Fatalf("subnet update: %v", s)
	}
	if r := e.do("DELETE", "/cluster/sdn/vnets/vnet20", nil); r.status != 500 || !strings.Contains(r.message, "vnet: Can't delete vnet if subnets exists") {
		t.Fatalf("delete vnet with subnets: %q", r.message)
	}
	if r := e.do("DELETE", "/cluster/sdn/zones/lab", nil); r.status != 500 || !strings.Contains(r.reason, "zone lab is used by vnet vnet20") {
		t.Fatalf("delete used zone: %q", r.reason)
	}
	if r := e.do("GET", "/cluster/sdn/vnets/nope", nil); r.status != 500 || r.reason != "sdn vnet 'nope' does not exist" {
		t.Fatalf("unknown vnet: %q", r.reason)
	}
	e.ok("DELETE", "/cluster/sdn/vnets/vnet20/subnets/lab-10.0.20.0-24", nil)
	e.ok("DELETE", "/cluster/sdn/vnets/vnet20", nil)
	if l := e.ok("GET", "/cluster/sdn/vnets", nil).([]any); len(l) != 0 {
		t.Fatalf("vnets after delete: %v", l)
	}
}

func TestSDNPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/cluster/sdn/zones", vals("zone", "lab", "type", "simple"))
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	auth := "PVEAPIToken=audit@pve!ro=s3cret"
	if l := e.okAuth("GET", "/cluster/sdn/zones", nil, auth).([]any); len(l) != 1 {
		t.Fatalf("auditor list: %v", l)
	}
	r := e.doAuth("POST", "/cluster/sdn/zones", vals("zone", "z2", "type", "simple"), auth)
	if r.status != 403 || r.reason != "Permission check failed (/sdn/zones, SDN.Allocate)" {
		t.Fatalf("auditor create: %d %q", r.status, r.reason)
	}
	if r := e.doAuth("PUT", "/cluster/sdn", nil, auth); r.status != 403 {
		t.Fatalf("auditor apply: %d", r.status)
	}
	// a token with nothing sees no zones
	if err := e.sim.AddToken("ops@pve!tk", "x", true); err != nil {
		t.Fatal(err)
	}
	if r := e.doAuth("GET", "/cluster/sdn/zones", nil, "PVEAPIToken=ops@pve!tk=x"); r.status != 200 || len(r.data.([]any)) != 0 {
		t.Fatalf("unprivileged list: %d %v", r.status, r.raw)
	}
}
