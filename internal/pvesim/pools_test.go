package pvesim

import (
	"testing"
)

func poolOfGuest(e *env, vmid float64) any {
	for _, it := range e.ok("GET", "/cluster/resources", vals("type", "vm")).([]any) {
		if m := it.(map[string]any); m["vmid"] == vmid {
			return m["pool"]
		}
	}
	return "missing"
}

func TestPoolsCRUD(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/pools", vals("poolid", "lab", "comment", "Test guests"))
	accWantErr(t, e.do("POST", "/pools", vals("poolid", "lab")), 500, "create pool failed: pool 'lab' already exists")
	accWantErr(t, e.do("POST", "/pools", vals("poolid", "9lab")), 500, "create pool failed: pool name must start with a letter")
	list := e.ok("GET", "/pools", nil).([]any)
	if len(list) != 2 || list[0].(map[string]any)["poolid"] != "lab" || list[0].(map[string]any)["comment"] != "Test guests" {
		t.Fatalf("pools: %v", list)
	}
	e.ok("PUT", "/pools/lab", vals("vms", "101,201", "storage", "local"))
	p := e.ok("GET", "/pools/lab", nil).(map[string]any)
	members := p["members"].([]any)
	if p["comment"] != "Test guests" || p["poolid"] != "lab" || len(members) != 3 {
		t.Fatalf("pool: %v", p)
	}
	vm := members[0].(map[string]any)
	for _, k := range []string{"id", "vmid", "node", "type", "status", "name", "uptime", "maxcpu", "cpu", "maxmem", "mem",
		"maxdisk", "disk", "netin", "netout", "diskread", "diskwrite", "template", "memhost"} {
		if _, ok := vm[k]; !ok {
			t.Errorf("guest member lacks %s: %v", k, vm)
		}
	}
	if vm["id"] != "qemu/101" || vm["vmid"] != float64(101) || vm["type"] != "qemu" || vm["pool"] != nil {
		t.Fatalf("guest member: %v", vm)
	}
	if ct := members[1].(map[string]any); ct["id"] != "lxc/201" || ct["type"] != "lxc" {
		t.Fatalf("ct member: %v", ct)
	}
	st := members[2].(map[string]any)
	if st["id"] != "storage/pve1/local" || st["type"] != "storage" || st["plugintype"] != "dir" || st["shared"] != float64(0) || st["status"] != "available" {
		t.Fatalf("storage member: %v", st)
	}
	if got := e.ok("GET", "/pools/lab", vals("type", "lxc")).(map[string]any)["members"].([]any); len(got) != 1 {
		t.Fatalf("type filter: %v", got)
	}
	// the model: /cluster/resources shows the pool
	if got := poolOfGuest(e, 101); got != "lab" {
		t.Fatalf("resources pool of 101: %v", got)
	}
	// a guest in another pool needs allow-move
	accWantErr(t, e.do("PUT", "/pools/lab", vals("vms", "100")), 500,
		"update pools failed: VM 100 belongs already to pool 'prod' and 'allow-move' is not set")
	accWantErr(t, e.do("PUT", "/pools/lab", vals("vms", "101")), 500, "update pools failed: VM 101 is already a pool member")
	e.ok("PUT", "/pools/lab", vals("vms", "100", "allow-move", "1"))
	if got := poolOfGuest(e, 100); got != "lab" {
		t.Fatalf("moved guest: %v", got)
	}
	prod := e.ok("GET", "/pools/prod", nil).(map[string]any)["members"].([]any)
	if len(prod) != 1 || prod[0].(map[string]any)["vmid"] != float64(200) {
		t.Fatalf("prod after the move: %v", prod)
	}
	accWantErr(t, e.do("DELETE", "/pools/lab", nil), 500, "delete pool failed: pool 'lab' is not empty (contains VM 100)")
	e.ok("PUT", "/pools/lab", vals("vms", "100,101,201", "storage", "local", "delete", "1"))
	accWantErr(t, e.do("PUT", "/pools/lab", vals("vms", "101", "delete", "1")), 500, "update pools failed: VM 101 is not a pool member")
	if got := poolOfGuest(e, 101); got != nil {
		t.Fatalf("removed guest still in pool: %v", got)
	}
	e.ok("DELETE", "/pools/lab", nil)
	accWantErr(t, e.do("GET", "/pools/lab", nil), 500, "pool 'lab' does not exist")
}

func TestPoolPermissions(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("POST", "/access/users", vals("userid", "pia@pve", "password", "piapass123"))
	e.ok("POST", "/pools", vals("poolid", "team"))
	e.ok("PUT", "/pools/team", vals("vms", "102"))
	pia := e.accLogin("pia@pve", "piapass123")
	accWantErr(t, pia.do("POST", "/nodes/pve2/qemu/102/status/stop", nil), 403, "Permission check failed (/vms/102, VM.PowerMgmt)")
	if got := pia.do("GET", "/pools", nil).data.([]any); len(got) != 0 {
		t.Fatalf("pools without Pool.Audit: %v", got)
	}
	accWantErr(t, pia.do("GET", "/pools/team", nil), 403, "Permission check failed (/pool/team, Pool.Audit)")
	// a role on /pool/team reaches its guests, on the next request
	e.ok("PUT", "/access/acl", vals("path", "/pool/team", "roles", "PVEVMUser", "users", "pia@pve"))
	if r := pia.do("POST", "/nodes/pve2/qemu/102/status/stop", nil); r.status != 200 {
		t.Fatalf("stop through the pool: %d %s", r.status, r.raw)
	}
	if got := pia.do("GET", "/pools", nil).data.([]any); len(got) != 0 {
		t.Fatalf("pools with PVEVMUser (no Pool.Audit): %v", got)
	}
	perms := pia.do("GET", "/access/permissions", nil).data.(map[string]any)
	if _, ok := perms["/vms/102"]; !ok {
		t.Fatalf("member path in permissions: %v", perms)
	}
	// adding a guest needs the right to modify its permissions
	e.ok("PUT", "/access/acl", vals("path", "/pool/team", "roles", "PVEPoolAdmin", "users", "pia@pve"))
	if got := pia.do("GET", "/pools", nil).data.([]any); len(got) != 1 {
		t.Fatalf("pools with PVEPoolAdmin: %v", got)
	}
	accWantErr(t, pia.do("PUT", "/pools/team", vals("vms", "103")), 500,
		"update pools failed: Permission check failed (/vms/103, Permissions.Modify|VM.Allocate)")
	// deleting the pool drops its ACLs and the guests' access
	e.ok("PUT", "/pools/team", vals("vms", "102", "delete", "1"))
	e.ok("DELETE", "/pools/team", nil)
	for _, a := range e.ok("GET", "/access/acl", nil).([]any) {
		if a.(map[string]any)["path"] == "/pool/team" {
			t.Fatalf("pool ACL left behind: %v", a)
		}
	}
	e.ok("POST", "/pools", vals("poolid", "team"))
	if got := pia.do("GET", "/pools", nil).data.([]any); len(got) != 0 {
		t.Fatalf("recreated pool kept old ACLs: %v", got)
	}
}

func TestPoolsByRelease(t *testing.T) {
	e := newEnv(t, Options{})
	// 9.1: the pool as a parameter of /pools
	e.ok("POST", "/pools", vals("poolid", "dev"))
	e.ok("PUT", "/pools", vals("poolid", "dev", "vms", "103", "comment", "Dev"))
	got := e.ok("GET", "/pools", vals("poolid", "dev")).([]any)
	if p := got[0].(map[string]any); len(got) != 1 || p["poolid"] != "dev" || p["comment"] != "Dev" || len(p["members"].([]any)) != 1 {
		t.Fatalf("GET /pools?poolid: %v", got)
	}
	// nested pools
	e.ok("POST", "/pools", vals("poolid", "dev/web"))
	accWantErr(t, e.do("POST", "/pools", vals("poolid", "nope/web")), 500, "create pool failed: parent 'nope' of pool 'nope/web' does not exist")
	e.ok("PUT", "/pools", vals("poolid", "dev", "vms", "103", "delete", "1"))
	accWantErr(t, e.do("DELETE", "/pools", vals("poolid", "dev")), 500, "delete pool failed: pool 'dev' is not empty (contains pool 'dev/web')")
	e.ok("DELETE", "/pools", vals("poolid", "dev/web"))
	e.ok("DELETE", "/pools", vals("poolid", "dev"))

	// 7.4: no poolid in the answer, no allow-move, no PUT /pools
	old := newEnv(t, Options{Schema: "7.4"})
	p := old.ok("GET", "/pools/prod", nil).(map[string]any)
	if _, has := p["poolid"]; has || len(p["members"].([]any)) != 2 {
		t.Fatalf("7.4 pool: %v", p)
	}
	old.ok("POST", "/pools", vals("poolid", "lab"))
	accWantErr(t, old.do("PUT", "/pools/lab", vals("vms", "100")), 500, "update pools failed: VM 100 belongs already to pool 'prod'")
	if r := old.do("PUT", "/pools", vals("poolid", "lab")); r.status != 501 {
		t.Fatalf("7.4 PUT /pools: %d", r.status)
	}
	// a reset reseeds the pools and the ACL store follows
	e.ok("POST", "/pools", vals("poolid", "tmp"))
	e.sim.Reset()
	if got := e.ok("GET", "/pools", nil).([]any); len(got) != 1 {
		t.Fatalf("pools after reset: %v", got)
	}
}

// vzdump --pool backs up the pool's guests, not its storages.
func TestPoolBackupSkipsStorage(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("PUT", "/pools/prod", vals("storage", "local"))
	upid, _ := e.ok("POST", "/nodes/pve1/vzdump", vals("pool", "prod", "storage", "local")).(string)
	if exit := e.waitTask(upid); exit != "OK" {
		t.Fatalf("pool backup: %s %v", exit, e.taskLog(upid))
	}
}
