package pveacl

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// auditorStore: user audit@pve with PVEAuditor on / (propagating), and a
// privsep token audit@pve!ro with PVEAuditor on /vms.
func auditorStore(t *testing.T) *Store {
	t.Helper()
	s := NewStore()
	mustNoErr(t, s.AddUser("audit@pve", "pw", true))
	mustNoErr(t, s.AddToken("audit@pve!ro", "sec-ro", true))
	mustNoErr(t, s.SetACL("/", "PVEAuditor", "audit@pve", true))
	mustNoErr(t, s.SetACL("/vms", "PVEAuditor", "audit@pve!ro", true))
	return s
}

var (
	permAudit     = json.RawMessage(`{"check":["perm","/vms/{vmid}",["VM.Audit"]]}`)
	permPower     = json.RawMessage(`{"check":["perm","/vms/{vmid}",["VM.PowerMgmt"]]}`)
	permConfigAny = json.RawMessage(`{"check":["perm","/vms/{vmid}",["VM.Config.Disk","VM.Config.CPU"],"any",1]}`)
	permClone     = json.RawMessage(`{"check":["and",["perm","/vms/{vmid}",["VM.Clone"]],["or",["perm","/vms/{newid}",["VM.Allocate"]],["perm","/pool/{pool}",["VM.Allocate"],"require_param","pool"]]]}`)
	permAll       = json.RawMessage(`{"user":"all","description":"x"}`)
	permWorld     = json.RawMessage(`{"user":"world"}`)
)

func TestAuditorTokenReadsButCannotPowerManage(t *testing.T) {
	s := auditorStore(t)
	id, ok := s.CheckToken("PVEAPIToken=audit@pve!ro=sec-ro")
	if !ok || id != "audit@pve!ro" {
		t.Fatalf("CheckToken = %q, %v", id, ok)
	}
	params := map[string]string{"node": "pve1", "vmid": "100"}
	if ok, text := s.Check(id, permAudit, params); !ok {
		t.Errorf("VM.Audit denied: %s", text)
	}
	ok, text := s.Check(id, permPower, params)
	if ok || text != "Permission check failed (/vms/100, VM.PowerMgmt)" {
		t.Errorf("VM.PowerMgmt = %v %q", ok, text)
	}
	ok, text = s.Check(id, permConfigAny, params)
	if ok || text != "Permission check failed (/vms/100, VM.Config.Disk|VM.Config.CPU)" {
		t.Errorf("config any = %v %q", ok, text)
	}
	if !s.Has(id, "/vms/100", []string{"VM.Audit"}, false) || s.Has(id, "/nodes/pve1", []string{"Sys.Audit"}, false) {
		t.Error("token should see /vms only (privsep intersection with its own ACL)")
	}
	if !s.Has("audit@pve", "/nodes/pve1", []string{"Sys.Audit"}, false) {
		t.Error("user should have Sys.Audit via / propagate")
	}
}

func TestPrivsepIntersection(t *testing.T) {
	s := NewStore()
	mustNoErr(t, s.AddUser("ops@pve", "", true))
	mustNoErr(t, s.SetACL("/vms", "PVEVMUser", "ops@pve", true))
	mustNoErr(t, s.AddToken("ops@pve!sep", "a", true))
	mustNoErr(t, s.AddToken("ops@pve!full", "b", false))
	mustNoErr(t, s.AddToken("ops@pve!none", "c", true))
	// the token is granted more than its user has: only the overlap counts
	mustNoErr(t, s.SetACL("/", "Administrator", "ops@pve!sep", true))

	sep := s.Privileges("ops@pve!sep", "/vms/100")
	user := s.Privileges("ops@pve", "/vms/100")
	if diff := cmp.Diff(user, sep); diff != "" {
		t.Errorf("privsep token != user privileges on /vms/100 (-user +token):\n%s", diff)
	}
	if sep["VM.Allocate"] {
		t.Error("privsep token got VM.Allocate which its user lacks")
	}
	if got := s.Privileges("ops@pve!sep", "/nodes/pve1"); len(got) != 0 {
		t.Errorf("user has nothing on /nodes, token got %v", got)
	}
	if diff := cmp.Diff(user, s.Privileges("ops@pve!full", "/vms/100")); diff != "" {
		t.Errorf("privsep=0 token must equal user:\n%s", diff)
	}
	if got := s.Privileges("ops@pve!none", "/vms/100"); len(got) != 0 {
		t.Errorf("fresh privsep token without ACL has %v, want nothing", got)
	}
	if p, ok := s.TokenPrivsep("ops@pve!sep"); !ok || !p {
		t.Error("TokenPrivsep")
	}
}

func TestPropagate(t *testing.T) {
	s := NewStore()
	mustNoErr(t, s.AddUser("u@pve", "", true))
	mustNoErr(t, s.SetACL("/vms", "PVEVMAdmin", "u@pve", false))
	if !s.Has("u@pve", "/vms", []string{"VM.Allocate"}, false) {
		t.Error("non-propagating ACL must apply on its own path")
	}
	if s.Has("u@pve", "/vms/100", []string{"VM.Audit"}, false) {
		t.Error("non-propagating ACL must not apply below its path")
	}
	mustNoErr(t, s.SetACL("/vms", "PVEVMAdmin", "u@pve", true))
	if !s.Has("u@pve", "/vms/100", []string{"VM.Allocate"}, false) {
		t.Error("propagating ACL must apply below its path")
	}
	// a more specific entry replaces the inherited roles
	mustNoErr(t, s.SetACL("/vms/100", "PVEAuditor", "u@pve", false))
	got := s.Privileges("u@pve", "/vms/100")
	if got["VM.Allocate"] || !got["VM.Audit"] {
		t.Errorf("specific path must override: %v", got)
	}
	if !s.Has("u@pve", "/vms/101", []string{"VM.Allocate"}, false) {
		t.Error("sibling keeps inherited roles")
	}
}

func TestNoAccessOverrides(t *testing.T) {
	s := NewStore()
	mustNoErr(t, s.AddUser("u@pve", "", true))
	mustNoErr(t, s.AddGroup("ops", "u@pve"))
	mustNoErr(t, s.SetACL("/", "Administrator", "@ops", true))
	if !s.Has("u@pve", "/vms/100", []string{"VM.Allocate"}, false) {
		t.Fatal("group grant missing")
	}
	mustNoErr(t, s.SetACL("/vms/100", "NoAccess", "u@pve", true))
	mustNoErr(t, s.SetACL("/vms/100", "PVEVMAdmin", "u@pve", true))
	if got := s.Privileges("u@pve", "/vms/100"); len(got) != 0 {
		t.Errorf("NoAccess must win on its path, got %v", got)
	}
	if !s.Has("u@pve", "/vms/101", []string{"VM.Allocate"}, false) {
		t.Error("NoAccess must not leak to siblings")
	}
}

func TestPoolRoles(t *testing.T) {
	s := NewStore()
	mustNoErr(t, s.AddUser("u@pve", "", true))
	mustNoErr(t, s.AddPoolMember("dev", "/vms/200"))
	mustNoErr(t, s.SetACL("/pool/dev", "PVEVMUser", "u@pve", true))
	if !s.Has("u@pve", "/vms/200", []string{"VM.PowerMgmt"}, false) {
		t.Error("pool member should inherit pool roles")
	}
	if s.Has("u@pve", "/vms/201", []string{"VM.PowerMgmt"}, false) {
		t.Error("non-member got pool roles")
	}
	perms := s.Permissions("u@pve", "")
	if perms["/vms/200"]["VM.PowerMgmt"] != 0 {
		t.Errorf("pool-derived privileges never propagate: %v", perms["/vms/200"])
	}
}

func TestRootBypass(t *testing.T) {
	s := NewStore()
	if ok, text := s.Check(Root, permPower, map[string]string{"vmid": "100"}); !ok {
		t.Errorf("root@pam denied: %s", text)
	}
	if ok, _ := s.Check(Root, nil, nil); !ok {
		t.Error("root@pam denied on endpoint without permissions")
	}
	if got := s.Privileges(Root, "/anything"); len(got) != len(AllPrivileges()) {
		t.Errorf("root has %d privileges, want %d", len(got), len(AllPrivileges()))
	}
	// root's privsep=0 token has root's privileges through the ACL evaluation
	mustNoErr(t, s.AddToken("root@pam!full", "x", false))
	if ok, text := s.Check("root@pam!full", permPower, map[string]string{"vmid": "100"}); !ok {
		t.Errorf("root@pam!full denied: %s", text)
	}
	// a privsep token of root has only its own ACLs, and no bypass
	mustNoErr(t, s.AddToken("root@pam!sep", "y", true))
	ok, text := s.Check("root@pam!sep", permPower, map[string]string{"vmid": "100"})
	if ok || text != "Permission check failed (/vms/100, VM.PowerMgmt)" {
		t.Errorf("root@pam!sep = %v %q", ok, text)
	}
	if ok, text := s.Check("root@pam!sep", nil, nil); ok || text != "Permission check failed (user != root@pam)" {
		t.Errorf("no-permission endpoint for token = %v %q", ok, text)
	}
	mustNoErr(t, s.SetACL("/vms", "PVEVMUser", "root@pam!sep", true))
	if ok, text := s.Check("root@pam!sep", permPower, map[string]string{"vmid": "100"}); !ok {
		t.Errorf("root@pam!sep with ACL denied: %s", text)
	}
}

func TestCheckExpressions(t *testing.T) {
	s := NewStore()
	mustNoErr(t, s.AddUser("u@pve", "", true))
	mustNoErr(t, s.AddToken("u@pve!tk", "s", false))
	mustNoErr(t, s.SetACL("/vms/100", "PVEVMAdmin", "u@pve", true))
	cases := []struct {
		name   string
		perm   json.RawMessage
		params map[string]string
		ok     bool
		text   string
	}{
		{"all", permAll, nil, true, ""},
		{"world", permWorld, nil, true, ""},
		{"clone ok", permClone, map[string]string{"vmid": "100", "newid": "100"}, true, ""},
		{"clone: or fails bare", permClone, map[string]string{"vmid": "100", "newid": "101"}, false, "Permission check failed"},
		{"clone: and fails first", permClone, map[string]string{"vmid": "102", "newid": "100"}, false, "Permission check failed (/vms/102, VM.Clone)"},
		{"missing param becomes -", permAudit, map[string]string{}, false, "Permission check failed (/vms/-, VM.Audit)"},
		{"perm all privs names first missing", json.RawMessage(`{"check":["perm","/vms/{vmid}",["VM.Audit","Sys.Modify"]]}`), map[string]string{"vmid": "100"}, false, "Permission check failed (/vms/100, Sys.Modify)"},
		{"userid-param self", json.RawMessage(`{"check":["userid-param","self"]}`), map[string]string{"userid": "u@pve"}, false, "Permission check failed"},
		{"no check no user", json.RawMessage(`{"description":"only root"}`), nil, false, "Permission check failed"},
	}
	for _, tc := range cases {
		ok, text := s.Check("u@pve!tk", tc.perm, tc.params)
		if ok != tc.ok || text != tc.text {
			t.Errorf("%s: Check = %v %q, want %v %q", tc.name, ok, text, tc.ok, tc.text)
		}
	}
	// the user itself passes userid-param self
	if ok, text := s.Check("u@pve", json.RawMessage(`{"check":["userid-param","self"]}`), map[string]string{"userid": "u@pve"}); !ok {
		t.Errorf("self: %s", text)
	}
	if ok, text := s.Check("", permAudit, nil); ok || text != "Permission check failed (user != null)" {
		t.Errorf("anonymous = %v %q", ok, text)
	}
	if ok, _ := s.Check("", permWorld, nil); !ok {
		t.Error("anonymous on world endpoint denied")
	}
}

func TestPermissionsShape(t *testing.T) {
	s := auditorStore(t)
	mustNoErr(t, s.SetACL("/storage/local", "PVEDatastoreUser", "audit@pve", false))
	got := s.Permissions("audit@pve", "")
	for _, p := range []string{"/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms", "/storage/local"} {
		if _, ok := got[p]; !ok {
			t.Errorf("Permissions lacks %s: %v", p, keys(got))
		}
	}
	if got["/"]["Sys.Audit"] != 1 || got["/vms"]["VM.Audit"] != 1 {
		t.Errorf("propagated privileges must be 1: %v", got["/"])
	}
	if got["/storage/local"]["Datastore.AllocateSpace"] != 0 {
		t.Errorf("non-propagating ACL privilege must be 0: %v", got["/storage/local"])
	}
	tok := s.Permissions("audit@pve!ro", "")
	if _, ok := tok["/nodes"]; ok {
		t.Errorf("token has no privileges on /nodes, must be left out: %v", keys(tok))
	}
	if _, ok := tok["/vms"]; !ok {
		t.Errorf("token must list /vms: %v", keys(tok))
	}
	one := s.Permissions("audit@pve!ro", "/nodes/pve1")
	if diff := cmp.Diff(map[string]map[string]int{"/nodes/pve1": {}}, one); diff != "" {
		t.Errorf("single path form:\n%s", diff)
	}
	root := s.Permissions(Root, "/vms/100")
	if root["/vms/100"]["VM.Allocate"] != 1 || len(root["/vms/100"]) != len(AllPrivileges()) {
		t.Errorf("root single path = %v", root)
	}
}

func keys(m map[string]map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestBuiltinRoles(t *testing.T) {
	r := BuiltinRoles()
	for _, name := range []string{"Administrator", "PVEAdmin", "PVEAuditor", "PVEVMAdmin", "PVEVMUser",
		"PVEDatastoreAdmin", "PVEDatastoreUser", "PVEPoolAdmin", "PVEPoolUser", "PVESysAdmin", "PVETemplateUser",
		"PVEUserAdmin", "PVESDNAdmin", "PVESDNUser", "PVEMappingAdmin", "PVEMappingUser", "NoAccess"} {
		if _, ok := r[name]; !ok {
			t.Errorf("missing built-in role %s", name)
		}
	}
	has := func(role, priv string) bool { return slices.Contains(r[role], priv) }
	for _, tc := range []struct {
		role, priv string
		want       bool
	}{
		{"PVEAuditor", "VM.Audit", true}, {"PVEAuditor", "Sys.Audit", true}, {"PVEAuditor", "Datastore.Audit", true},
		{"PVEAuditor", "VM.PowerMgmt", false}, {"PVEVMUser", "VM.PowerMgmt", true}, {"PVEVMUser", "VM.Allocate", false},
		{"PVEAdmin", "Sys.Modify", false}, {"PVEAdmin", "Mapping.Modify", false}, {"PVEAdmin", "VM.Allocate", true},
		{"Administrator", "Sys.Modify", true}, {"Administrator", "Permissions.Modify", true},
		{"PVESysAdmin", "Sys.Console", true}, {"PVESysAdmin", "Sys.PowerMgmt", false},
		{"PVETemplateUser", "VM.Clone", true}, {"PVEDatastoreUser", "Datastore.AllocateSpace", true},
		{"PVEUserAdmin", "User.Modify", true}, {"PVEPoolAdmin", "Pool.Allocate", true},
	} {
		if got := has(tc.role, tc.priv); got != tc.want {
			t.Errorf("%s has %s = %v, want %v", tc.role, tc.priv, got, tc.want)
		}
	}
	if len(r["NoAccess"]) != 0 {
		t.Error("NoAccess has privileges")
	}
	s := NewStore()
	if err := s.AddRole("Custom", []string{"VM.Audit", "Nope.Priv"}); err == nil {
		t.Error("AddRole accepted an invalid privilege")
	}
	if err := s.AddRole("PVEAuditor", []string{"VM.Audit"}); err == nil {
		t.Error("AddRole replaced a built-in role")
	}
	mustNoErr(t, s.AddRole("Custom", []string{"VM.Audit", "VM.PowerMgmt"}))
	mustNoErr(t, s.AddUser("c@pve", "", true))
	mustNoErr(t, s.SetACL("/vms", "Custom", "c@pve", true))
	if !s.Has("c@pve", "/vms/5", []string{"VM.PowerMgmt"}, false) {
		t.Error("custom role not applied")
	}
}

func TestCheckToken(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewStore()
	s.SetClock(func() time.Time { return now })
	mustNoErr(t, s.AddUser("u@pve", "", true))
	mustNoErr(t, s.AddToken("u@pve!tk", "secret-1", true))
	for _, h := range []string{"PVEAPIToken=u@pve!tk=secret-1", "u@pve!tk=secret-1", "PVEAPIToken u@pve!tk=secret-1", "PVEAPIToken=u%40pve%21tk=secret-1"} {
		if id, ok := s.CheckToken(h); !ok || id != "u@pve!tk" {
			t.Errorf("CheckToken(%q) = %q %v", h, id, ok)
		}
	}
	for _, h := range []string{"PVEAPIToken=u@pve!tk=wrong", "PVEAPIToken=u@pve!x=secret-1", "", "PVEAPIToken=u@pve!tk", "PVEAPIToken=u@pve=secret-1"} {
		if id, ok := s.CheckToken(h); ok {
			t.Errorf("CheckToken(%q) accepted as %q", h, id)
		}
	}
	mustNoErr(t, s.SetTokenExpire("u@pve!tk", now.Add(-time.Second)))
	if _, ok := s.CheckToken("PVEAPIToken=u@pve!tk=secret-1"); ok {
		t.Error("expired token accepted")
	}
	mustNoErr(t, s.SetTokenExpire("u@pve!tk", time.Time{}))
	mustNoErr(t, s.SetUserEnabled("u@pve", false))
	if _, ok := s.CheckToken("PVEAPIToken=u@pve!tk=secret-1"); ok {
		t.Error("token of disabled user accepted")
	}
}

func TestTicketsAndCSRF(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := NewStore()
	s.SetClock(func() time.Time { return now })
	mustNoErr(t, s.AddUser("alice@pve", "pw", true))
	if _, _, err := s.Login("alice@pve", "bad"); err != ErrAuthFailed {
		t.Fatalf("bad password: %v", err)
	}
	if _, _, err := s.Login("bob@pve", "pw"); err != ErrAuthFailed {
		t.Fatalf("unknown user: %v", err)
	}
	ticket, csrf, err := s.Login("alice@pve", "pw")
	mustNoErr(t, err)
	if want := "PVE:alice@pve:6553F100::"; len(ticket) <= len(want) || ticket[:len(want)] != want {
		t.Errorf("ticket = %q, want prefix %q", ticket, want)
	}
	if u, ok := s.VerifyTicket(ticket); !ok || u != "alice@pve" {
		t.Errorf("VerifyTicket = %q %v", u, ok)
	}
	if !s.VerifyCSRF("alice@pve", csrf) {
		t.Error("VerifyCSRF rejected a fresh token")
	}
	if s.VerifyCSRF("root@pam", csrf) {
		t.Error("CSRF token valid for another user")
	}
	if _, ok := s.VerifyTicket(ticket[:len(ticket)-2] + "xx"); ok {
		t.Error("tampered ticket accepted")
	}
	if _, ok := NewStore().VerifyTicket(ticket); ok {
		t.Error("ticket valid under another store's key")
	}
	// renewal with the ticket as password
	now = now.Add(time.Hour)
	t2, _, err := s.Login("alice@pve", ticket)
	mustNoErr(t, err)
	now = now.Add(time.Hour + time.Second) // first ticket now 2h+1s old
	if _, ok := s.VerifyTicket(ticket); ok {
		t.Error("expired ticket accepted")
	}
	if s.VerifyCSRF("alice@pve", csrf) {
		t.Error("expired CSRF token accepted")
	}
	if _, ok := s.VerifyTicket(t2); !ok {
		t.Error("renewed ticket rejected")
	}
	now = now.Add(-3 * time.Hour) // clock went back: ticket from the future beyond 5 min
	if _, ok := s.VerifyTicket(t2); ok {
		t.Error("ticket from the future accepted")
	}
}
