package pveacl

import "testing"

func TestDeleteUserCascades(t *testing.T) {
	s := NewStore()
	if err := s.AddUser(Root, "rootpw", true); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("u@pve", UserInfo{Enable: true, Email: "u@example.com"}, "pw", true); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser("u@pve", UserInfo{}, "", false); err != ErrExists {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.CreateGroup("g", "a group"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetUserGroups("u@pve", []string{"g"}, true); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken("u@pve!tk", "sec", TokenInfo{Privsep: true, Comment: "c"}); err != nil {
		t.Fatal(err)
	}
	for _, ugid := range []string{"u@pve", "u@pve!tk", "@g"} {
		if err := s.SetACL("/vms/100", "PVEVMUser", ugid, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUser("u@pve"); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Token("u@pve!tk"); ok {
		t.Fatal("token survived its user")
	}
	if acl := s.ACL(); len(acl) != 1 || acl[0].UGID != "g" {
		t.Fatalf("ACL after delete: %v", acl)
	}
	if _, members, _ := s.Group("g"); len(members) != 0 {
		t.Fatalf("members after delete: %v", members)
	}
	// root@pam comes back enabled with its system password
	if err := s.DeleteUser(Root); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(Root, "rootpw"); err != nil {
		t.Fatalf("root login after delete: %v", err)
	}
	s.DeleteRole("PVEVMUser") // built-in: kept
	if !s.IsBuiltinRole("PVEVMUser") || len(s.ACL()) != 1 {
		t.Fatal("built-in role deleted")
	}
}
