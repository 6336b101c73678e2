package pvesim

import (
	"strings"
	"testing"
	"time"
)

// The backup operation runs from the cluster model alone: an op and typed
// arguments, no HTTP request.
func TestBackupOpWithoutHTTP(t *testing.T) {
	fc := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s, err := New(Options{Clock: fc.now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.mu.Lock()
	o := op{s: s, st: s.st, user: "root@pam", node: "pve1", now: s.now()}
	upid, err := s.backup(o, vzdumpArgs{vmids: []int{100, 101}, storage: "local", mode: "snapshot", compress: "zstd",
		notesTmpl: "{{guestname}}", cmdOpts: []string{"--compress zstd", "--mode snapshot", "--storage local"}})
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	if !strings.HasPrefix(upid, "UPID:pve1:") || !strings.Contains(upid, ":vzdump:") {
		t.Errorf("upid = %q", upid)
	}
	if l := s.st.guests[100].lock(); l != "backup" {
		t.Errorf("lock during the job = %q", l)
	}
	before := len(s.st.storageOn("pve1", "local").vols)
	// a guest elsewhere only: nothing to do here
	other := ""
	for _, g := range s.st.sortedGuests() {
		if g.node != "pve1" {
			other = g.typeName()
			if res, err := s.backup(o, vzdumpArgs{vmids: []int{g.vmid}}); err != nil || res != "OK" {
				t.Errorf("backup of %d on %s = %q, %v; want OK", g.vmid, g.node, res, err)
			}
			break
		}
	}
	if other == "" {
		t.Fatal("no guest off pve1 in the seed")
	}
	s.mu.Unlock()

	s.Advance(10 * time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	var tk *task
	for _, x := range s.st.tasks {
		if x.upid == upid {
			tk = x
		}
	}
	if tk == nil || !tk.done || tk.exit != "OK" {
		t.Fatalf("task = %+v", tk)
	}
	if l := s.st.guests[100].lock(); l != "" {
		t.Errorf("lock after the job = %q", l)
	}
	vols := s.st.storageOn("pve1", "local").vols
	if len(vols) != before+2 {
		t.Errorf("backups on local: %d, want %d", len(vols), before+2)
	}
	found := false
	for _, v := range vols {
		if v.vmid == 100 && v.content == "backup" && v.notes == s.st.guests[100].name() && strings.HasSuffix(v.volid, ".vma.zst") &&
			strings.Contains(v.volid, fc.t.Local().Format("2006_01_02-15_04")) {
			found = true
		}
	}
	if !found {
		t.Errorf("no new archive of 100 in %v", vols)
	}
	if !strings.Contains(strings.Join(taskText(tk), "\n"), "vzdump 100 101 --compress zstd --mode snapshot --storage local") {
		t.Errorf("log lacks the command line:\n%s", strings.Join(taskText(tk), "\n"))
	}
}

func taskText(t *task) []string {
	var out []string
	for _, l := range t.lines {
		out = append(out, l.text)
	}
	return out
}
