package pvesim

import (
	"strings"
	"testing"
	"time"
)

// newModel is a Sim driven without HTTP: the typed operations take an op
// and their own arguments.
func newModel(t *testing.T) *Sim {
	t.Helper()
	fc := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s, err := New(Options{Clock: fc.now, Speed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func modelOp(s *Sim, user, node string) op {
	return op{s: s, st: s.st, user: user, node: node, now: s.now()}
}

// modelTask is a finished task's exit status.
func modelTask(t *testing.T, s *Sim, upid string) *task {
	t.Helper()
	s.Advance(time.Hour)
	s.mu.Lock()
	defer s.mu.Unlock()
	tk := s.st.taskByUPID[upid]
	if tk == nil || !tk.done {
		t.Fatalf("task %q not done: %+v", upid, tk)
	}
	return tk
}

func TestModelMigrate(t *testing.T) {
	s := newModel(t)
	s.mu.Lock()
	vols := volumesOf(s.st.guests[103])
	upid, err := s.migrate(modelOp(s, "root@pam", "pve3"), kindQemu, migrateArgs{vmid: 103, target: "pve1"})
	if err == nil && s.st.guests[103].conf["lock"] != "migrate" {
		t.Errorf("lock while migrating: %q", s.st.guests[103].conf["lock"])
	}
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(upid, ":qmigrate:103:root@pam:") || !strings.HasPrefix(upid, "UPID:pve3:") {
		t.Errorf("upid %s", upid)
	}
	if tk := modelTask(t, s, upid); tk.exit != "OK" {
		t.Fatalf("exit %q, log %v", tk.exit, tk.log)
	}
	s.mu.Lock()
	g := s.st.guests[103]
	if g.node != "pve1" || g.conf["lock"] != "" {
		t.Errorf("after migrate: node %s lock %q", g.node, g.conf["lock"])
	}
	for _, v := range vols {
		if s.st.findVolume("pve3", v) != nil || (!s.sharedVolume(v) && s.st.findVolume("pve1", v) == nil) {
			t.Errorf("volume %s did not move to pve1", v)
		}
	}

	// a running container migrates with restart: stopped now, running on the target
	upid, err = s.migrate(modelOp(s, "root@pam", "pve1"), kindLXC, migrateArgs{vmid: 200, target: "pve2", restart: true})
	if err == nil && s.st.guests[200].running {
		t.Error("CT 200 still running while it migrates with restart")
	}
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if tk := modelTask(t, s, upid); tk.exit != "OK" {
		t.Fatalf("exit %q, log %v", tk.exit, tk.log)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.st.guests[200]; g.node != "pve2" || !g.running {
		t.Errorf("CT 200 after migrate: node %s running %v", g.node, g.running)
	}

	// the check step's errors, in Proxmox's order
	for _, tc := range []struct {
		user, node string
		kind       guestKind
		a          migrateArgs
		want       string
	}{
		{"root@pam", "pve1", kindQemu, migrateArgs{vmid: 100, target: "pve1"}, "target is local node."},
		{"root@pam", "pve1", kindQemu, migrateArgs{vmid: 100, target: "pve9"}, "no such cluster node 'pve9'"},
		{"alice@pve", "pve1", kindQemu, migrateArgs{vmid: 100, target: "pve2", rootOpts: []string{"force"}}, "Only root may use this option."},
		{"root@pam", "pve1", kindQemu, migrateArgs{vmid: 102, target: "pve3"}, "does not exist"},
		{"root@pam", "pve1", kindQemu, migrateArgs{vmid: 100, target: "pve2"}, "can't migrate running VM without --online"},
		{"root@pam", "pve2", kindLXC, migrateArgs{vmid: 200, target: "pve3", online: true}, "lxc live migration is currently not implemented"},
	} {
		if _, err := s.migrate(modelOp(s, tc.user, tc.node), tc.kind, tc.a); err == nil || !strings.Contains(errText(err), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.a, err, tc.want)
		}
	}
}

func TestModelDestroy(t *testing.T) {
	s := newModel(t)
	s.mu.Lock()
	vols := volumesOf(s.st.guests[103])
	_, err := s.destroy(modelOp(s, "root@pam", "pve1"), kindQemu, destroyArgs{vmid: 100})
	if err == nil || !strings.Contains(errText(err), "is running - destroy failed") {
		t.Errorf("destroying running VM 100: %v", err)
	}
	upid, err := s.destroy(modelOp(s, "root@pam", "pve3"), kindQemu, destroyArgs{vmid: 103, purge: true})
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if tk := modelTask(t, s, upid); tk.exit != "OK" || tk.typ != "qmdestroy" {
		t.Fatalf("%s exit %q, log %v", tk.typ, tk.exit, tk.log)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.guests[103] != nil {
		t.Error("VM 103 still configured after destroy")
	}
	for _, v := range vols {
		if s.st.findVolume("pve3", v) != nil {
			t.Errorf("volume %s left after destroy", v)
		}
	}
}

// errText is an error's message as the API would send it.
func errText(err error) string {
	if ae, ok := err.(*apiError); ok {
		return ae.msg + " " + ae.Error()
	}
	return err.Error()
}
