package pveacl

import "testing"

// Has answers exactly what Privileges lists, for users, groups, tokens with
// and without privilege separation, pools, NoAccess and paths above and
// below the ACL entries: Has takes a shorter way and must not drift.
func TestHasAgreesWithPrivileges(t *testing.T) {
	s := NewStore()
	mustNoErr(t, s.AddUser("alice@pve", "pw", true))
	mustNoErr(t, s.AddUser("bob@pve", "pw", true))
	mustNoErr(t, s.AddUser("carol@pam", "pw", true))
	mustNoErr(t, s.AddToken("alice@pve!sep", "x", true))
	mustNoErr(t, s.AddToken("alice@pve!full", "y", false))
	mustNoErr(t, s.AddToken("root@pam!sep", "z", true))
	mustNoErr(t, s.AddGroup("ops", "bob@pve", "carol@pam"))
	mustNoErr(t, s.AddRole("Custom", []string{"VM.Console", "Datastore.Audit"}))
	mustNoErr(t, s.AddPool("prod"))
	mustNoErr(t, s.AddPoolMember("prod", "/vms/100"))
	mustNoErr(t, s.AddPoolMember("prod", "/storage/local"))
	for _, a := range []struct {
		path, role, ugid string
		prop             bool
	}{
		{"/", "PVEAuditor", "alice@pve", true},
		{"/vms/101", "PVEVMAdmin", "alice@pve", false},
		{"/vms", "PVEVMUser", "alice@pve!sep", true},
		{"/vms/102", "NoAccess", "alice@pve", false},
		{"/pool/prod", "PVEVMAdmin", "@ops", true},
		{"/vms/100", "Custom", "bob@pve", false},
		{"/storage", "PVEDatastoreUser", "@ops", true},
		{"/nodes", "NoAccess", "carol@pam", true},
		{"/vms", "PVEAdmin", "root@pam!sep", true},
	} {
		mustNoErr(t, s.SetACL(a.path, a.role, a.ugid, a.prop))
	}
	ids := []string{"root@pam", "alice@pve", "bob@pve", "carol@pam", "alice@pve!sep", "alice@pve!full",
		"root@pam!sep", "nobody@pve", "alice@pve!gone", "not an id"}
	paths := []string{"/", "/vms", "/vms/100", "/vms/101", "/vms/102", "/vms/103", "/pool/prod", "/storage/local",
		"/storage/other", "/nodes/pve1", "/access", "/vms/", "bad path"}
	checked := 0
	for _, id := range ids {
		for _, path := range paths {
			want := s.Privileges(id, path)
			for _, p := range AllPrivileges() {
				got := s.Has(id, path, []string{p}, false)
				if id != Root && got != want[p] {
					t.Errorf("Has(%s, %s, %s) = %v, Privileges says %v", id, path, p, got, want[p])
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}
