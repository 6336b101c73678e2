package e2e

import (
	"strings"
	"testing"
)

// The sim command's access control as a client library drives it: a group,
// a user in it, a token for the user that then authenticates with
// privilege separation, a custom role granted through the ACL API, a pool
// whose role reaches its guests, realms, and the cleanup.
func TestSimAPIAccess(t *testing.T) {
	t.Parallel()
	a := startSimAPI(t)
	a.ok("POST", "/access/groups", form("groupid", "devops", "comment", "DevOps team"))
	a.ok("POST", "/access/users", form("userid", "ci@pve", "password", "ci-password-1", "groups", "devops", "email", "ci@example.com"))
	if ans := a.do("POST", "/access/users", form("userid", "ci@pve")); ans.Status != 500 ||
		ans.Message != "create user failed: user 'ci@pve' already exists\n" {
		t.Fatalf("duplicate user: %d %s", ans.Status, ans.Raw)
	}
	users, _ := a.ok("GET", "/access/users", form("full", "1")).([]any)
	found := false
	for _, u := range users {
		m, _ := u.(map[string]any)
		if m["userid"] == "ci@pve" {
			found = m["groups"] == "devops" && m["email"] == "ci@example.com" && m["realm-type"] == "pve" && m["enable"] == float64(1)
		}
	}
	if !found {
		t.Fatalf("user list: %v", users)
	}
	a.ok("PUT", "/access/users/ci@pve", form("comment", "build robot"))
	if u, _ := a.ok("GET", "/access/users/ci@pve", nil).(map[string]any); u["comment"] != "build robot" {
		t.Fatalf("read user: %v", u)
	}

	gen, _ := a.ok("POST", "/access/users/ci@pve/token/deploy", form("comment", "deployments")).(map[string]any)
	secret, _ := gen["value"].(string)
	if gen["full-tokenid"] != "ci@pve!deploy" || secret == "" {
		t.Fatalf("token: %v", gen)
	}
	tok := *a
	tok.auth = "PVEAPIToken=ci@pve!deploy=" + secret
	if vms, _ := tok.ok("GET", "/cluster/resources", form("type", "vm")).([]any); len(vms) != 0 {
		t.Fatalf("privsep token without ACLs sees %d guests", len(vms))
	}

	a.ok("POST", "/access/roles", form("roleid", "Deployer", "privs", "VM.Audit,VM.PowerMgmt"))
	if ans := a.do("PUT", "/access/roles/PVEAdmin", form("privs", "VM.Audit")); ans.Status != 500 ||
		ans.Message != "auto-generated role 'PVEAdmin' cannot be modified\n" {
		t.Fatalf("built-in role: %d %s", ans.Status, ans.Raw)
	}
	a.ok("POST", "/pools", form("poolid", "staging", "comment", "Staging"))
	a.ok("PUT", "/pools/staging", form("vms", "102"))
	a.ok("PUT", "/access/acl", form("path", "/pool/staging", "roles", "Deployer", "groups", "devops", "tokens", "ci@pve!deploy"))
	vms, _ := tok.ok("GET", "/cluster/resources", form("type", "vm")).([]any)
	if len(vms) != 1 || vms[0].(map[string]any)["vmid"] != float64(102) || vms[0].(map[string]any)["pool"] != nil {
		t.Fatalf("token through the pool sees %v", vms)
	}
	upid, _ := tok.ok("POST", "/nodes/pve2/qemu/102/status/shutdown", nil).(string)
	if !strings.Contains(upid, ":qmshutdown:102:ci@pve!deploy:") {
		t.Fatalf("shutdown by token: %q", upid)
	}
	if ans := tok.do("POST", "/nodes/pve2/qemu/103/status/start", nil); ans.Status != 403 {
		t.Fatalf("guest outside the pool: %d", ans.Status)
	}
	pool, _ := a.ok("GET", "/pools/staging", nil).(map[string]any)
	if members, _ := pool["members"].([]any); len(members) != 1 || members[0].(map[string]any)["id"] != "qemu/102" {
		t.Fatalf("pool: %v", pool)
	}
	if ans := a.do("DELETE", "/pools/staging", nil); ans.Status != 500 ||
		ans.Message != "delete pool failed: pool 'staging' is not empty (contains VM 102)\n" {
		t.Fatalf("non-empty pool: %d %s", ans.Status, ans.Raw)
	}

	realms, _ := a.ok("GET", "/access/domains", nil).([]any)
	if len(realms) != 2 {
		t.Fatalf("realms: %v", realms)
	}

	// cleanup: the user goes with its token and ACL entries
	a.ok("DELETE", "/access/users/ci@pve", nil)
	if ans := tok.do("GET", "/version", nil); ans.Status != 401 {
		t.Fatalf("token of a deleted user: %d", ans.Status)
	}
	a.ok("PUT", "/pools/staging", form("vms", "102", "delete", "1"))
	a.ok("DELETE", "/pools/staging", nil)
	a.ok("DELETE", "/access/groups/devops", nil)
	a.ok("DELETE", "/access/roles/Deployer", nil)
	acl, _ := a.ok("GET", "/access/acl", nil).([]any)
	for _, e := range acl {
		if m, _ := e.(map[string]any); m["roleid"] == "Deployer" || m["path"] == "/pool/staging" {
			t.Fatalf("ACL left behind: %v", m)
		}
	}
}
