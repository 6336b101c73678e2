package pvesim

import (
	"slices"
	"strings"
	"testing"
)

func TestParseVolname(t *testing.T) {
	cases := []struct {
		typ, volname, vtype string
		owner               int
		err                 string
	}{
		{"dir", "100/vm-100-disk-0.raw", "images", 100, ""},
		{"nfs", "100/base-100-disk-0.qcow2/101/vm-101-disk-0.qcow2", "images", 101, ""},
		{"dir", "iso/debian.iso", "iso", 0, ""},
		{"dir", "vztmpl/alpine.tar.xz", "vztmpl", 0, ""},
		{"dir", "backup/vzdump-lxc-200-2025_05_31-03_00_01.tar.zst", "backup", 200, ""},
		{"dir", "backup/manual.tar.gz", "backup", 0, ""},
		{"cifs", "snippets/user.yaml", "snippets", 0, ""},
		{"dir", "import/disk.qcow2", "import", 0, ""},
		{"dir", "foo", "", 0, "unable to parse directory volume name 'foo'"},
		{"dir", "100/disk", "", 0, "unable to parse volume filename 'disk'"},
		{"lvmthin", "vm-101-disk-0", "images", 101, ""},
		{"lvmthin", "base-100-disk-0/vm-101-disk-0", "", 0, "lvm name 'base-100-disk-0/vm-101-disk-0' contains illegal characters"},
		{"lvm", "base-100-disk-0", "", 0, "unable to parse lvm volume name 'base-100-disk-0'"},
		{"zfspool", "base-100-disk-0/vm-101-disk-0", "images", 101, ""},
		{"zfspool", "subvol-200-disk-0", "images", 200, ""},
		{"rbd", "base-100-disk-0/vm-101-disk-0", "images", 101, ""},
		{"pbs", "backup/vm/100/2025-01-01T00:00:00Z", "backup", 100, ""},
		{"pbs", "backup/host/pve1/2025-01-01T00:00:00Z", "backup", 0, ""},
	}
	for _, tc := range cases {
		vtype, owner, err := parseVolname(tc.typ, tc.volname, 9)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if vtype != tc.vtype || owner != tc.owner || msg != tc.err {
			t.Errorf("%s %s: %q %d %q, want %q %d %q", tc.typ, tc.volname, vtype, owner, msg, tc.vtype, tc.owner, tc.err)
		}
	}
}

// volids lists the volumes of a storage as seen from a node.
func (e *env) volids(node, sid string) []string {
	e.t.Helper()
	var out []string
	for _, it := range e.ok("GET", "/nodes/"+node+"/storage/"+sid+"/content", nil).([]any) {
		out = append(out, it.(map[string]any)["volid"].(string))
	}
	return out
}

// TestDestroyFreesOwnVolumesOnly: destroying a guest leaves the volumes of
// other guests and unowned volumes its config names.
func TestDestroyFreesOwnVolumesOnly(t *testing.T) {
	e := newEnv(t, Options{Speed: 0.01})
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("scsi1", "local-lvm:vm-100-disk-0", "unused0", "local-lvm:vm-9000-disk-9"))
	e.ok("POST", "/nodes/pve1/storage/local-lvm/content", vals("vmid", "9000", "filename", "vm-9000-disk-9", "size", "1G"))
	if exit := e.waitTask(e.ok("DELETE", "/nodes/pve1/qemu/101", nil).(string)); exit != "OK" {
		t.Fatalf("destroy: %s", exit)
	}
	lvm := e.volids("pve1", "local-lvm")
	for _, v := range []string{"local-lvm:vm-100-disk-0", "local-lvm:vm-9000-disk-9"} {
		if !slices.Contains(lvm, v) {
			t.Errorf("%s was freed with VM 101: %v", v, lvm)
		}
	}
	if slices.Contains(lvm, "local-lvm:vm-101-disk-0") {
		t.Errorf("VM 101's own disk is left: %v", lvm)
	}
	if !slices.Contains(e.volids("pve1", "local"), isoVol) {
		t.Errorf("the ISO of VM 101 was freed")
	}

	// a container: another's mount point stays, with pve-container's warning
	e.ok("PUT", "/nodes/pve2/lxc/201/config", vals("mp0", "local-lvm:vm-102-disk-0,mp=/data"))
	upid := e.ok("DELETE", "/nodes/pve2/lxc/201", nil).(string)
	if exit := e.waitTask(upid); exit != "OK" {
		t.Fatalf("destroy CT: %s", exit)
	}
	if !slices.Contains(e.taskLog(upid), "ignore deletion of 'local-lvm:vm-102-disk-0', CT 201 isn't the owner!") {
		t.Errorf("no warning in %v", e.taskLog(upid))
	}
	lvm = e.volids("pve2", "local-lvm")
	if !slices.Contains(lvm, "local-lvm:vm-102-disk-0") || slices.Contains(lvm, "local-lvm:vm-201-disk-0") {
		t.Errorf("after destroying CT 201: %v", lvm)
	}
}

// TestUnusedOfAnotherGuest: deleting unusedN frees only the guest's own volume.
func TestUnusedOfAnotherGuest(t *testing.T) {
	e := newEnv(t, Options{})
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("unused0", "local-lvm:vm-100-disk-0"))
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("delete", "unused0"))
	if !slices.Contains(e.volids("pve1", "local-lvm"), "local-lvm:vm-100-disk-0") {
		t.Fatal("deleting unused0 of VM 101 freed VM 100's disk")
	}
	// a detached disk of another guest does not become unusedN
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("scsi2", "local-lvm:vm-100-disk-0"))
	e.ok("PUT", "/nodes/pve1/qemu/101/config", vals("delete", "scsi2"))
	conf := e.ok("GET", "/nodes/pve1/qemu/101/config", nil).(map[string]any)
	for k, v := range conf {
		if strings.HasPrefix(k, "unused") {
			t.Fatalf("%s = %v", k, v)
		}
	}
}

// TestSharedStorage: the seeded NFS storage is one store on every node, with
// its plugin type in the lists, and a linked clone on it is named (and
// owned) as Plugin.pm parses it.
func TestSharedStorage(t *testing.T) {
	e := newEnv(t, Options{Speed: 0.01})
	for _, n := range []string{"pve1", "pve2", "pve3"} {
		var nas map[string]any
		for _, it := range e.ok("GET", "/nodes/"+n+"/storage", nil).([]any) {
			if m := it.(map[string]any); m["storage"] == SharedStorage {
				nas = m
			}
		}
		if nas == nil || nas["type"] != "nfs" || nas["shared"] != float64(1) || nas["content"] != "images,rootdir,backup,snippets" {
			t.Fatalf("%s storage: %v", n, nas)
		}
	}
	plugins := map[string]string{}
	for _, it := range e.ok("GET", "/cluster/resources", vals("type", "storage")).([]any) {
		m := it.(map[string]any)
		plugins[m["id"].(string)] = m["plugintype"].(string)
	}
	if plugins["storage/pve2/nas"] != "nfs" || plugins["storage/pve1/local-lvm"] != "lvmthin" || plugins["storage/pve3/local"] != "dir" {
		t.Fatalf("plugintype: %v", plugins)
	}
	// a disk made on pve1 is seen from pve2
	upid := e.ok("POST", "/nodes/pve1/qemu", vals("vmid", "500", "scsi0", "nas:1")).(string)
	if exit := e.waitTask(upid); exit != "OK" {
		t.Fatalf("create: %s", exit)
	}
	if !slices.Contains(e.volids("pve2", "nas"), "nas:500/vm-500-disk-0.raw") {
		t.Fatalf("nas from pve2: %v", e.volids("pve2", "nas"))
	}
	e.waitTask(e.ok("POST", "/nodes/pve1/qemu/500/template", nil).(string))
	e.waitTask(e.ok("POST", "/nodes/pve1/qemu/500/clone", vals("newid", "501")).(string))
	clone := "nas:500/base-500-disk-0.raw/501/vm-501-disk-0.raw"
	conf := e.ok("GET", "/nodes/pve1/qemu/501/config", nil).(map[string]any)
	if !strings.HasPrefix(conf["scsi0"].(string), clone+",") {
		t.Fatalf("linked clone disk: %v", conf["scsi0"])
	}
	e.waitTask(e.ok("DELETE", "/nodes/pve1/qemu/501", nil).(string))
	vols := e.volids("pve1", "nas")
	if slices.Contains(vols, clone) || !slices.Contains(vols, "nas:500/base-500-disk-0.raw") {
		t.Fatalf("after destroying the clone: %v", vols)
	}
	// backups can go to the shared storage too
	upid = e.ok("POST", "/nodes/pve2/vzdump", vals("vmid", "102", "storage", SharedStorage)).(string)
	if exit := e.waitTask(upid); exit != "OK" {
		t.Fatalf("backup to nas: %s", exit)
	}
	found := false
	for _, v := range e.volids("pve3", "nas") {
		found = found || strings.HasPrefix(v, "nas:backup/vzdump-qemu-102-")
	}
	if !found {
		t.Fatalf("backup of 102 not on nas: %v", e.volids("pve3", "nas"))
	}
}
