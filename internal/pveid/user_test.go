package pveid

import (
	"strings"
	"testing"
)

func TestUserID(t *testing.T) {
	valid := map[string][2]string{
		"root@pam":    {"root", "pam"},
		"ops@pve":     {"ops", "pve"},
		"a.b-c@ad.lo": {"a.b-c", "ad.lo"},
		"a@b@pve":     {"a@b", "pve"}, // user_regex allows '@'; the realm is after the last one
		"x=y@pve":     {"x=y", "pve"},
	}
	for id, want := range valid {
		name, realm, ok := SplitUserID(id)
		if !ok || name != want[0] || realm != want[1] {
			t.Errorf("SplitUserID(%q) = %q, %q, %v; want %q", id, name, realm, ok, want)
		}
	}
	invalid := []string{"", "root", "@pam", "root@", "root@p", "root@1pam", "a/b@pve", "a:b@pve", "a b@pve",
		"a\vb@pve", "root@pam!mcp", "root@pam\n", strings.Repeat("a", 61) + "@pve"}
	for _, id := range invalid {
		if ValidUserID(id) {
			t.Errorf("ValidUserID(%q) = true", id)
		}
	}
	if !ValidUserID(strings.Repeat("a", 60) + "@pve") {
		t.Error("a 64-character user id is refused")
	}
}

func TestTokenID(t *testing.T) {
	for id, want := range map[string][2]string{
		"mcp@pve!mcp":         {"mcp@pve", "mcp"},
		"root@pam!migracion":  {"root@pam", "migracion"},
		"backup@pve!job-1.x_": {"backup@pve", "job-1.x_"},
	} {
		user, name, ok := SplitTokenID(id)
		if !ok || user != want[0] || name != want[1] {
			t.Errorf("SplitTokenID(%q) = %q, %q, %v; want %q", id, user, name, ok, want)
		}
	}
	// a/b@pve!mcp: '/' is the API's path delimiter, so no user name holds one.
	for _, id := range []string{"a/b@pve!mcp", "mcp@pve", "mcp@pve!", "mcp@pve!m", "mcp@pve!1x", "mcp@p!mcp",
		"mcp@pve!mcp=secret", "mcp@pve!mcp ", "mcp pve@pve!mcp", "mcp@pve!mcp\n"} {
		if ValidTokenID(id) {
			t.Errorf("ValidTokenID(%q) = true", id)
		}
	}
}

func TestRealm(t *testing.T) {
	for s, want := range map[string]bool{"pam": true, "pve": true, "ad.example-1_x": true, "p": false, "1pve": false, "p ve": false} {
		if ValidRealm(s) != want {
			t.Errorf("ValidRealm(%q) = %v", s, !want)
		}
	}
}

func TestGroupRolePool(t *testing.T) {
	for s, want := range map[string]bool{"admins": true, "a.b-c_1": true, "": false, "a b": false, "a/b": false} {
		if ValidGroup(s) != want || ValidRole(s) != want {
			t.Errorf("ValidGroup/ValidRole(%q): want %v", s, want)
		}
	}
	for s, want := range map[string]bool{"dev": true, "dev/web": true, "a/b/c": true, "a/b/c/d": false, "a//b": false, "/a": false, "a b": false} {
		if ValidPoolID(s) != want {
			t.Errorf("ValidPoolID(%q): want %v", s, want)
		}
	}
}
