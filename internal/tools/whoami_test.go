package tools

import (
	"slices"
	"testing"
)

// Paths with the same privileges share one entry; a path whose set differs
// (here: one privilege that does not propagate) has its own.
func TestWhoamiGroupsPaths(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /access/permissions"] = `{
"/":{"Sys.Audit":1,"VM.Audit":1},"/vms":{"Sys.Audit":1,"VM.Audit":1},"/nodes":{"VM.Audit":1,"Sys.Audit":1},
"/vms/101":{"Sys.Audit":1,"VM.Audit":1,"VM.PowerMgmt":1},"/storage":{"Sys.Audit":1,"VM.Audit":0}}`
	var out struct {
		Permissions []struct {
			Paths, Privileges, NotInherited []string
		}
	}
	decode(t, e.ok(t, "pve_whoami", nil), &out)
	p := out.Permissions
	if len(p) != 3 || !slices.Equal(p[0].Paths, []string{"/", "/nodes", "/vms"}) || !slices.Equal(p[0].Privileges, []string{"Sys.Audit", "VM.Audit"}) ||
		!slices.Equal(p[1].Paths, []string{"/storage"}) || !slices.Equal(p[1].NotInherited, []string{"VM.Audit"}) ||
		!slices.Equal(p[2].Paths, []string{"/vms/101"}) || len(p[2].Privileges) != 3 {
		t.Fatalf("permissions: %+v", p)
	}
}
