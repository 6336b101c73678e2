package pvesim

import (
	"strings"
	"testing"
	"time"
)

// A restore runs from the cluster model alone: an op and typed arguments.
func TestRestoreOpWithoutHTTP(t *testing.T) {
	fc := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s, err := New(Options{Clock: fc.now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.mu.Lock()
	archive := ""
	for _, v := range s.st.storageOn("pve1", "local").vols {
		if v.vmid == 100 && v.content == "backup" && (archive == "" || v.volid < archive) {
			archive = v.volid
		}
	}
	if archive == "" {
		s.mu.Unlock()
		t.Fatal("no seeded backup of 100")
	}
	o := op{s: s, st: s.st, user: "root@pam", node: "pve1", now: s.now()}
	if _, err := s.restoreGuest(o, restoreArgs{kind: kindQemu, vmid: 150, archive: "local:backup/none.vma.zst"}); err == nil ||
		!strings.Contains(err.Error(), "volume 'local:backup/none.vma.zst' does not exist") {
		t.Errorf("missing archive: %v", err)
	}
	if _, err := s.restoreGuest(o, restoreArgs{kind: kindQemu, vmid: 101, archive: archive}); err == nil ||
		!strings.Contains(err.Error(), "unable to restore VM 101 -") {
		t.Errorf("over 101 without force: %v", err)
	}
	upid, err := s.restoreGuest(o, restoreArgs{kind: kindQemu, vmid: 150, archive: archive, storage: "local-lvm",
		conf: map[string]string{"name": "restored"}})
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	if !strings.Contains(upid, ":qmrestore:150:root@pam:") {
		t.Errorf("upid = %q", upid)
	}
	if g := s.st.guests[150]; g == nil || g.lock() != "create" {
		t.Errorf("guest during the restore = %+v", g)
	}
	s.mu.Unlock()

	s.Advance(10 * time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.st.guests[150]
	if g == nil || g.lock() != "" || g.node != "pve1" || g.conf["name"] != "restored" {
		t.Fatalf("restored guest = %+v", g)
	}
	disks := snapshotDisks(g)
	if len(disks) == 0 {
		t.Fatalf("no disks in %v", g.conf)
	}
	for _, d := range disks {
		if !strings.HasPrefix(d[1], "local-lvm:vm-150-disk-") || s.st.findVolume("pve1", d[1]) == nil {
			t.Errorf("disk %s = %s", d[0], d[1])
		}
	}
}
