package pvesim

import (
	"strings"
	"testing"
	"time"
)

// cloneModelSim is a seeded simulator on a fixed clock, without HTTP.
func cloneModelSim(t *testing.T) *Sim {
	t.Helper()
	fc := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s, err := New(Options{Speed: 1, Clock: fc.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// cloneModelOp is root's operation context on node pve1 now.
func cloneModelOp(s *Sim) op {
	return op{s: s, st: s.st, user: "root@pam", node: "pve1", now: s.now()}
}

// TestCloneModel drives clones through the model, no HTTP: a linked clone
// of template 9000 into a pool and a full clone of stopped VM 101.
func TestCloneModel(t *testing.T) {
	s := cloneModelSim(t)
	s.mu.Lock()
	upid, err := s.clone(cloneModelOp(s), cloneArgs{kind: kindQemu, vmid: 9000, newid: 150, name: "web-linked", pool: "prod"})
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	full := true
	upid2, err := s.clone(cloneModelOp(s), cloneArgs{kind: kindQemu, vmid: 101, newid: 151, full: &full, description: "copy"})
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	if g := s.st.guests[150]; g == nil || g.conf["lock"] != "clone" {
		t.Errorf("clone 150 during its task: %+v", g)
	}
	// a vmid taken on the node is refused in the check step
	_, err = s.clone(cloneModelOp(s), cloneArgs{kind: kindQemu, vmid: 101, newid: 100})
	s.mu.Unlock()
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("clone onto VM 100: %v", err)
	}

	s.Advance(10 * time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range []string{upid, upid2} {
		if tk := s.st.taskByUPID[u]; tk == nil || !tk.done || tk.exit != "OK" {
			t.Fatalf("task %s: %+v", u, tk)
		}
	}
	g := s.st.guests[150]
	if g.conf["name"] != "web-linked" || g.conf["lock"] != "" || g.node != "pve1" {
		t.Errorf("linked clone: node %s conf %v", g.node, g.conf)
	}
	if d := g.conf["scsi0"]; !strings.HasPrefix(d, "local-lvm:vm-150-disk-0") {
		t.Errorf("linked clone's disk: %q", d)
	}
	if !s.st.pools["prod"].members["qemu/150"] {
		t.Errorf("clone 150 not in pool prod")
	}
	g = s.st.guests[151]
	if g.conf["name"] != "Copy-of-VM-"+s.st.guests[101].conf["name"] || g.conf["description"] != "copy" {
		t.Errorf("full clone: %v", g.conf)
	}
	if s.st.findVolume("pve1", "local-lvm:vm-151-disk-0") == nil {
		t.Errorf("full clone's volume missing")
	}
}
