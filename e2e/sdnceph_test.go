package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
)

// apiClient talks to the simulator directly, to set up what the read tools show.
func (c *cluster) apiClient(t *testing.T) *pve.Client {
	t.Helper()
	id, secret := c.sim.DefaultToken()
	raw, err := pve.New(pve.Options{BaseURL: c.url, TokenID: id, TokenSecret: secret, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(raw.CloseIdleConnections)
	return raw
}

type sdnItem struct {
	Zone, Vnet, Subnet, Type, State, Cidr, Gateway string
}

func (c *client) sdn(tool string, args map[string]any) []sdnItem {
	c.t.Helper()
	var out []sdnItem
	c.ok(tool, args, &out)
	return out
}

// TestSDNReads calls the SDN tools over MCP against zones, vnets and
// subnets made in the simulator, before and after they are applied.
func TestSDNReads(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "sdn"}})
	items := c.sdn("pve_sdn_zones", nil)
	if len(items) != 0 {
		t.Fatalf("a fresh cluster has zones: %+v", items)
	}
	api, ctx := cl.apiClient(t), context.Background()
	for _, w := range []struct {
		path string
		form url.Values
	}{
		{"/cluster/sdn/zones", url.Values{"zone": {"lab"}, "type": {"simple"}}},
		{"/cluster/sdn/zones", url.Values{"zone": {"office"}, "type": {"vlan"}, "bridge": {"vmbr0"}}},
		{"/cluster/sdn/vnets", url.Values{"vnet": {"labnet"}, "zone": {"lab"}}},
		{"/cluster/sdn/vnets", url.Values{"vnet": {"users"}, "zone": {"office"}, "tag": {"20"}}},
		{"/cluster/sdn/vnets/labnet/subnets", url.Values{"subnet": {"10.10.0.0/24"}, "type": {"subnet"}, "gateway": {"10.10.0.1"}}},
		{"/cluster/sdn/vnets/users/subnets", url.Values{"subnet": {"10.20.0.0/24"}, "type": {"subnet"}}},
	} {
		if err := api.Post(ctx, w.path, w.form, nil); err != nil {
			t.Fatalf("POST %s: %v", w.path, err)
		}
	}

	items = c.sdn("pve_sdn_zones", m("pending", true))
	if len(items) != 2 || items[0].Zone != "lab" || items[0].State != "new" {
		t.Errorf("pending zones: %+v", items)
	}
	items = c.sdn("pve_sdn_zones", m("type", "vlan"))
	if len(items) != 1 || items[0].Zone != "office" {
		t.Errorf("vlan zones: %+v", items)
	}
	items = c.sdn("pve_sdn_vnets", m("zone", "office"))
	if len(items) != 1 || items[0].Vnet != "users" {
		t.Errorf("vnets of office: %+v", items)
	}
	items = c.sdn("pve_sdn_subnets", nil)
	if len(items) != 2 || !strings.Contains(items[0].Cidr+items[1].Cidr, "10.10.0.0/24") {
		t.Errorf("all subnets: %+v", items)
	}
	items = c.sdn("pve_sdn_subnets", m("vnet", "labnet"))
	if len(items) != 1 || items[0].Gateway != "10.10.0.1" || items[0].Vnet != "labnet" {
		t.Errorf("subnets of labnet: %+v", items)
	}
	var upid string
	if err := api.Put(ctx, "/cluster/sdn", nil, &upid); err != nil {
		t.Fatal(err)
	}
	if _, err := api.WaitTask(ctx, upid, pve.WaitOptions{Timeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	items = c.sdn("pve_sdn_zones", m("pending", true))
	if len(items) != 2 || items[0].State != "" {
		t.Errorf("applied zones: %+v", items)
	}
	c.fails("pve_sdn_subnets", m("vnet", "nope"), "nope")
	c.fails("pve_sdn_vnets", m("zone", "Bad_Zone"), `"zone"`)
}

type cephResult struct {
	Node, Health      string
	Checks            []struct{ Name, Severity, Message string }
	Quorum            []string
	OSDsUp, OSDsTotal int
	OSDs              []struct{ Name, Host, Status string }
	Pools             []struct{ Name string }
	Errors            map[string]string
}

// TestCephStatus: a cluster without Ceph gives Proxmox's reason and what to
// do; one with Ceph its health, OSDs and pools, and a down OSD shows.
func TestCephStatus(t *testing.T) {
	t.Parallel()
	plain := newCluster(t, 0.02)
	c := plain.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "ceph"}})
	c.fails("pve_ceph_status", nil, "not installed", "binary not installed: /usr/bin/ceph-mon", "pveceph install")
	c.fails("pve_ceph_status", m("node", "pve2"), "on pve2", "binary not installed")

	cl := startCluster(t, pvesim.Options{Speed: 0.02, Ceph: true}, false)
	c = cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "ceph"}})
	var st cephResult
	c.ok("pve_ceph_status", nil, &st)
	if st.Node != "pve1" || st.Health != "HEALTH_OK" || len(st.Quorum) != 3 || st.OSDsUp != 3 || len(st.OSDs) != 3 || len(st.Pools) != 2 || st.Errors != nil {
		t.Fatalf("ceph: %+v", st)
	}
	if st.OSDs[2].Name != "osd.2" || st.OSDs[2].Host != "pve3" || st.Pools[1].Name != "ceph-vm" {
		t.Errorf("ceph details: %+v", st)
	}
	if _, err := cl.sim.AddFault(pvesim.Fault{Kind: pvesim.FaultOffline, Node: "pve3"}); err != nil {
		t.Fatal(err)
	}
	c.ok("pve_ceph_status", m("node", "pve2"), &st)
	if st.Health != "HEALTH_WARN" || st.OSDsUp != 2 || st.OSDs[2].Status != "down" || len(st.Checks) == 0 || !strings.Contains(st.Checks[1].Message, "1 osds down") {
		t.Errorf("with pve3 offline: %+v", st)
	}
	c.fails("pve_ceph_status", m("node", "pve3"), "pve3")
}
