package pveschema

import (
	"slices"
	"testing"
)

func TestSuggest(t *testing.T) {
	names := []string{"vmid", "node", "memory", "cores", "sockets", "net[n]", "scsi[n]", "with-local-disks", "target", "targetstorage", "online"}
	for _, tc := range []struct {
		bad  string
		want string // must be the first suggestion; "" = no suggestion
	}{
		{"memroy", "memory"},
		{"core", "cores"},
		{"nte3", "net3"},
		{"net", "net[n]"},
		{"with_local_disks", "with-local-disks"},
		{"tagret", "target"},
		{"scsi", "scsi[n]"},
		{"xyzzy", ""},
	} {
		got := Suggest(names, tc.bad)
		if tc.want == "" {
			if len(got) != 0 {
				t.Errorf("Suggest(%q) = %v, want none", tc.bad, got)
			}
			continue
		}
		if len(got) == 0 || got[0] != tc.want {
			t.Errorf("Suggest(%q) = %v, want first %q", tc.bad, got, tc.want)
		}
	}
	s := mustLoad(t, "9.1")
	e, _, _ := s.Lookup("POST", "/nodes/pve1/qemu/100/migrate")
	if got := Suggest(e.ParamNames(), "withlocaldisks"); !slices.Contains(got, "with-local-disks") {
		t.Errorf("Suggest(withlocaldisks) = %v", got)
	}
}
