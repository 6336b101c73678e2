package tools

import (
	"slices"
	"testing"
)

// Every tool has its privileges in toolPrivileges, so pve_whoami can judge
// it, and the table names no tool that is gone.
func TestToolPrivilegesCoverInventory(t *testing.T) {
	known := map[string]bool{}
	for _, tl := range Inventory(&Deps{}) {
		known[tl.Def.Name] = true
		if _, ok := toolPrivileges()[tl.Def.Name]; !ok {
			t.Errorf("%s: no entry in toolPrivileges (privileges.go); add what Proxmox checks (nil for none) and the README's privileges", tl.Def.Name)
		}
	}
	for name, needs := range toolPrivileges() {
		if !known[name] {
			t.Errorf("toolPrivileges names %s, which is not a tool", name)
		}
		for _, n := range needs {
			if n.path == "" || n.path[0] != '/' || n.privs == "" {
				t.Errorf("%s: bad need %+v", name, n)
			}
		}
	}
}

func TestHolds(t *testing.T) {
	perms := map[string]map[string]int{
		"/":           {"Sys.Audit": 0},
		"/vms":        {"VM.Audit": 1},
		"/vms/101":    {"VM.Audit": 1, "VM.PowerMgmt": 1},
		"/nodes/pve1": {"Sys.Syslog": 1},
		"/access":     {"Sys.Audit": 0},
	}
	cases := []struct {
		need privNeed
		all  bool
		some []string
	}{
		{need("/", "Sys.Audit"), true, nil},
		{need("/", "Sys.Modify"), false, nil},
		{need("/vms/{vmid}", "VM.Audit"), true, nil},
		{need("/vms/{vmid}", "VM.PowerMgmt"), false, []string{"/vms/101"}},
		{need("/vms/{vmid}", "VM.Allocate|VM.PowerMgmt"), false, []string{"/vms/101"}},
		{need("/nodes/{node}", "Sys.Syslog"), false, []string{"/nodes/pve1"}},
		// "/" holds Sys.Audit without propagating: no node has it
		{need("/nodes/{node}", "Sys.Audit"), false, nil},
		{need("/pool/{poolid}", "Pool.Allocate"), false, nil},
	}
	for _, tc := range cases {
		all, some := holds(perms, tc.need)
		if all != tc.all || !slices.Equal(some, tc.some) {
			t.Errorf("%s: all=%v some=%v, want %v %v", tc.need.text(), all, some, tc.all, tc.some)
		}
	}
	// Nothing listed under /vms: a propagating grant on / reaches every guest.
	if all, _ := holds(map[string]map[string]int{"/": {"VM.Audit": 1}}, need("/vms/{vmid}", "VM.Audit")); !all {
		t.Error("a propagating grant on / does not reach /vms/{vmid}")
	}
	refused, limited := judgeTool(perms, "pve_node_services", toolPrivileges()["pve_node_services"])
	if len(refused) != 1 || refused[0].Needs != "Sys.Audit on /nodes/{node}" || len(limited) != 1 || limited[0].Needs != "Sys.Modify on /nodes/{node} (for start, stop, restart, reload)" {
		t.Errorf("pve_node_services: refused %+v limited %+v", refused, limited)
	}
}

func TestJournalArgs(t *testing.T) {
	for in, want := range map[TimeArg]int64{
		"1700000000": 1700000000, "2023-11-14T22:13:20Z": 1700000000, "2023-11-14 22:13:20Z": 1700000000,
		"2023-11-15T00:13:20+02:00": 1700000000, "2023-11-14": 1699920000, "2023-11-14T22:13:20": 1700000000,
	} {
		if got, err := unixOf("since", in); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", in, got, err, want)
		}
	}
	if _, err := unixOf("until", "2023-13-45"); err == nil {
		t.Error("a month 13 was taken")
	}
	for s, want := range map[string]bool{
		"s=0123abcd;i=1f;b=99;m=12;t=34;x=56":         true,
		"Dec 02 05:05:05 pve1 systemd[1]: Started x.": false,
		"s=not a cursor": false,
	} {
		if isCursor(s) != want {
			t.Errorf("isCursor(%q) = %v", s, !want)
		}
	}
}
