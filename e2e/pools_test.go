package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// poolMembers lists the ids of a pool's members as the simulator holds them.
func (c *cluster) poolMembers(t *testing.T, id string) []string {
	t.Helper()
	status, data, msg := c.api(t, "/pools/"+id, nil)
	if status != 200 {
		t.Fatalf("pool %s: %d %s", id, status, msg)
	}
	var out []string
	for _, m := range data.(map[string]any)["members"].([]any) {
		out = append(out, m.(map[string]any)["id"].(string))
	}
	slices.Sort(out)
	return out
}

type poolsResult []struct {
	PoolID  string `json:"poolid"`
	Comment string `json:"comment"`
	Members []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		VMID int    `json:"vmid"`
		Node string `json:"node"`
	} `json:"members"`
}

// TestPools calls the pool tools over MCP and checks the simulator's pools
// after each.
func TestPools(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "pools"}})

	var pools poolsResult
	c.ok("pve_pools", nil, &pools)
	if len(pools) != 1 || pools[0].PoolID != "prod" || pools[0].Comment != "Production guests" || len(pools[0].Members) != 2 {
		t.Fatalf("pools: %+v", pools)
	}
	c.ok("pve_pools", m("poolid", "prod"), &pools)
	if len(pools) != 1 || pools[0].Members[0].ID != "qemu/100" || pools[0].Members[0].Node != "pve1" {
		t.Fatalf("pool prod: %+v", pools)
	}
	c.fails("pve_pools", m("poolid", "nosuch"), "pool 'nosuch' does not exist")

	c.ok("pve_pool_create", m("poolid", "team", "comment", "the team's guests"), nil)
	if status, data, _ := cl.api(t, "/pools", url.Values{"poolid": {"team"}}); status != 200 || data.([]any)[0].(map[string]any)["comment"] != "the team's guests" {
		t.Fatalf("created pool: %d %v", status, data)
	}
	c.fails("pve_pool_create", m("poolid", "team"), "pool 'team' already exists")
	c.fails("pve_pool_create", m("poolid", "a b"), `"poolid"`)

	var w struct {
		Action  string `json:"action"`
		Members []struct{ ID string }
	}
	c.ok("pve_pool_members", m("poolid", "team", "vms", []int{101}, "storage", []string{"local"}), &w)
	if got := cl.poolMembers(t, "team"); !slices.Equal(got, []string{"qemu/101", "storage/pve1/local"}) || len(w.Members) != 2 {
		t.Fatalf("after adding: %v (tool said %+v)", got, w)
	}
	c.fails("pve_pool_members", m("poolid", "team", "vms", []int{100}), "belongs already to pool 'prod'", "allowMove")
	c.ok("pve_pool_members", m("poolid", "team", "vms", []int{100}, "allowMove", true), nil)
	if got := cl.poolMembers(t, "prod"); !slices.Equal(got, []string{"lxc/200"}) {
		t.Fatalf("prod after the move: %v", got)
	}
	c.fails("pve_pool_members", m("poolid", "team"), `"vms"`)

	c.fails("pve_pool_delete", m("poolid", "team"), "confirm: true")
	c.fails("pve_pool_delete", m("poolid", "team", "confirm", true), "is not empty", "pve_pool_members")
	w.Members = nil
	c.ok("pve_pool_members", m("poolid", "team", "vms", []int{100}, "remove", true), &w)
	if got := cl.poolMembers(t, "team"); !slices.Equal(got, []string{"qemu/101", "storage/pve1/local"}) || len(w.Members) != 2 || w.Action != "remove" {
		t.Fatalf("after removing 100: %v (tool said %+v)", got, w)
	}
	var emptied map[string]any
	c.ok("pve_pool_members", m("poolid", "team", "vms", []int{101}, "storage", []string{"local"}, "remove", true), &emptied)
	if got := cl.poolMembers(t, "team"); len(got) != 0 || emptied["action"] != "remove" {
		t.Fatalf("after removing: %v", got)
	}
	if ms, ok := emptied["members"].([]any); !ok || len(ms) != 0 {
		t.Errorf("the emptied pool's members: %v, want []", emptied)
	}
	c.fails("pve_pool_members", m("poolid", "team", "vms", []int{101}, "remove", true), "VM 101 is not a pool member")
	c.ok("pve_pool_delete", m("poolid", "team", "confirm", true), nil)
	if status, _, msg := cl.api(t, "/pools/team", nil); status != 500 || !strings.Contains(msg, "does not exist") {
		t.Fatalf("deleted pool still reads: %d %s", status, msg)
	}
}

// On PVE 7.4 the pool tools use /pools/{poolid}, and there is no moving a
// guest between pools.
func TestPoolsOn74(t *testing.T) {
	t.Parallel()
	cl := newClusterSchema(t, 0.02, "7.4")
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "pools"}})
	c.ok("pve_pool_create", m("poolid", "old"), nil)
	c.ok("pve_pool_members", m("poolid", "old", "vms", []int{101}), nil)
	if got := cl.poolMembers(t, "old"); !slices.Equal(got, []string{"qemu/101"}) {
		t.Fatalf("members: %v", got)
	}
	c.fails("pve_pool_members", m("poolid", "old", "vms", []int{100}, "allowMove", true), "before 8.1")
	var pools poolsResult
	c.ok("pve_pools", m("poolid", "old"), &pools)
	if len(pools) != 1 || len(pools[0].Members) != 1 || pools[0].Members[0].VMID != 101 {
		t.Fatalf("pools: %+v", pools)
	}
	c.ok("pve_pool_members", m("poolid", "old", "vms", []int{101}, "remove", true), nil)
	c.ok("pve_pool_delete", m("poolid", "old", "confirm", true), nil)
	w := strings.Join(cl.writes(), "\n")
	for _, want := range []string{"PUT /pools/old", "DELETE /pools/old"} {
		if !strings.Contains(w, want) {
			t.Errorf("writes lack %s: %s", want, w)
		}
	}
}

// Pool members outside PVE_VMID_ALLOWLIST are neither shown nor added.
func TestPoolsAllowlist(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_TOOLSETS": "pools", "PVE_VMID_ALLOWLIST": "101,200"}})
	var pools poolsResult
	c.ok("pve_pools", m("poolid", "prod"), &pools)
	if len(pools[0].Members) != 1 || pools[0].Members[0].VMID != 200 {
		t.Fatalf("members shown: %+v", pools[0].Members)
	}
	before := len(cl.writes())
	c.fails("pve_pool_members", m("poolid", "prod", "vms", []int{101, 100}), "PVE_VMID_ALLOWLIST")
	if w := cl.writes(); len(w) != before {
		t.Fatalf("refused change reached Proxmox: %v", w[before:])
	}
	if got := cl.poolMembers(t, "prod"); !slices.Equal(got, []string{"lxc/200", "qemu/100"}) {
		t.Fatalf("prod changed: %v", got)
	}
}
