package pvesim

import (
	"strings"
	"testing"
	"time"
)

// TestMoveModel drives disk moves through the model, no HTTP: VM 101's
// disk to another storage (the old one kept as unused0), then the
// refusals of the check step.
func TestMoveModel(t *testing.T) {
	s := cloneModelSim(t)
	if err := s.AddStorage("fast", "lvmthin", []string{"images", "rootdir"}, false); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	old := parsePropString(s.st.guests[101].conf["scsi0"], "file").get("file")
	upid, err := s.move(cloneModelOp(s), moveArgs{kind: kindQemu, vmid: 101, disk: "scsi0", storage: "fast"})
	if err != nil {
		s.mu.Unlock()
		t.Fatal(err)
	}
	for _, c := range []struct {
		a    moveArgs
		want string
	}{
		{moveArgs{kind: kindQemu, vmid: 100, disk: "scsi0", storage: "local-lvm"}, "you can't move to the same storage with same format"},
		{moveArgs{kind: kindQemu, vmid: 100, disk: "scsi5", storage: "fast"}, "disk 'scsi5' does not exist"},
		{moveArgs{kind: kindQemu, vmid: 101, disk: "ide2", storage: "fast"}, "you can't move a cdrom"},
		{moveArgs{kind: kindQemu, vmid: 102, disk: "scsi0", storage: "fast"}, "Configuration file 'nodes/pve1/qemu-server/102.conf' does not exist"},
		{moveArgs{kind: kindLXC, vmid: 200, disk: "rootfs", storage: "fast"}, "cannot move volumes of a running container"},
		{moveArgs{kind: kindQemu, vmid: 100, targetVMID: 102}, "not simulated"},
	} {
		if _, err := s.move(cloneModelOp(s), c.a); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("move %+v: %v, want %q", c.a, err, c.want)
		}
	}
	s.mu.Unlock()

	s.Advance(10 * time.Minute)
	s.mu.Lock()
	defer s.mu.Unlock()
	if tk := s.st.taskByUPID[upid]; tk == nil || !tk.done || tk.exit != "OK" || tk.typ != "qmmove" {
		t.Fatalf("task: %+v", tk)
	}
	g := s.st.guests[101]
	if !strings.HasPrefix(g.conf["scsi0"], "fast:vm-101-disk-") || g.conf["unused0"] != old || g.conf["lock"] != "" {
		t.Errorf("moved VM 101: %v", g.conf)
	}
	if s.st.findVolume("pve1", old) == nil {
		t.Errorf("the source volume %s is gone", old)
	}
}

// TestMoveAdapter: the adapter refuses storage and target-vmid together, or
// neither, as Proxmox does (400 on both parameters), before the model runs.
func TestMoveAdapter(t *testing.T) {
	e := newEnv(t, Options{})
	for _, c := range []struct {
		params []string
		want   string
	}{
		{[]string{"disk", "scsi0", "storage", "local-lvm", "target-vmid", "101"}, "either set 'storage' or 'target-vmid', but not both"},
		{[]string{"disk", "scsi0"}, "both 'storage' and 'target-vmid' missing, either needs to be set"},
	} {
		r := e.do("POST", "/nodes/pve1/qemu/100/move_disk", vals(c.params...))
		if r.status != 400 || r.errors["storage"] != c.want || r.errors["target-vmid"] != c.want {
			t.Errorf("%v: %d %v", c.params, r.status, r.errors)
		}
	}
	r := e.do("POST", "/nodes/pve1/qemu/100/move_disk", vals("disk", "scsi0", "target-vmid", "101"))
	if r.status != 500 || !strings.Contains(r.raw, "not simulated") {
		t.Errorf("target-vmid: %d %s", r.status, r.raw)
	}
}

// TestMoveVolumeRefusals: pve-container's own refusals of move_volume.
func TestMoveVolumeRefusals(t *testing.T) {
	e := newEnv(t, Options{})
	ct := "/nodes/pve1/lxc/200"
	r := e.do("POST", ct+"/move_volume", vals("volume", "rootfs", "storage", "nas"))
	if r.status != 500 || r.message != "cannot move volumes of a running container\n" {
		t.Errorf("running: %d %q", r.status, r.message)
	}
	e.waitTask(e.ok("POST", ct+"/status/stop", nil).(string))
	r = e.do("POST", ct+"/move_volume", vals("volume", "rootfs", "storage", "nas", "delete", "1"))
	if r.status != 500 || r.message != "you can't move a volume with snapshots and delete the source\n" {
		t.Errorf("snapshots and delete: %d %q", r.status, r.message)
	}
	r = e.do("POST", ct+"/move_volume", vals("volume", "unused0", "storage", "nas"))
	if r.status != 500 || !strings.Contains(r.message, "only configured volumes can be moved to another storage") {
		t.Errorf("unused0: %d %q", r.status, r.message)
	}
	// A copy on its own storage is allowed: pve-container has no such check.
	if got := e.waitTask(e.ok("POST", ct+"/move_volume", vals("volume", "rootfs", "storage", "local-lvm")).(string)); got != "OK" {
		t.Errorf("same storage: %s", got)
	}
}
