package guard

import (
	"errors"
	"strings"
	"testing"
)

// TestBackupJobScope: under an allowlist, a job is changed or deleted only
// when every guest it reaches is allowed, as it is stored now.
func TestBackupJobScope(t *testing.T) {
	cases := []struct {
		name, job string
		o         Options
		refused   string // "" when let through
	}{
		{"allowed guests", `{"vmid":"100,200","storage":"local"}`, guestsSet, ""},
		{"a guest outside", `{"vmid":"100,101"}`, guestsSet, "101"},
		{"every guest", `{"all":1,"exclude":"101"}`, guestsSet, "every guest"},
		{"a pool", `{"pool":"prod"}`, nodesSet, "pool prod"},
		{"a node outside", `{"vmid":"100","node":"pve2"}`, nodesSet, "pve2"},
		{"a guest on a node outside", `{"vmid":"100,105"}`, nodesSet, "105 on node pve2"},
		{"unreadable: left to Proxmox", `null`, guestsSet, ""},
		{"no allowlist", `{"all":1}`, Options{}, ""},
	}
	for _, tc := range cases {
		for _, method := range []string{"PUT", "DELETE"} {
			t.Run(tc.name+" "+method, func(t *testing.T) {
				e := newTestEnv(t, tc.o)
				e.fake.job = tc.job
				f := form("enabled", "0")
				if method == "DELETE" {
					f = nil
				}
				out := e.send(method, "/cluster/backup/backup-1", f)
				switch {
				case tc.refused == "" && out.err != nil:
					t.Fatalf("want it let through, got %v", out.err)
				case tc.refused == "":
				case out.err == nil || !errors.Is(out.err, ErrRefused):
					t.Fatalf("want a refusal naming %q, got %v", tc.refused, out.err)
				case !strings.Contains(out.err.Error(), tc.refused):
					t.Errorf("%v lacks %q", out.err, tc.refused)
				case out.wrote(method, "/cluster/backup/backup-1"):
					t.Errorf("refused, yet sent: %v", out.sent)
				}
			})
		}
	}
}
