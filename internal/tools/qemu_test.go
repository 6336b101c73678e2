package tools

import (
	"strings"
	"testing"
)

func TestCreateBuildsProxmoxParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok(t, "pve_vm_create", map[string]any{
		"node": "pve1", "vmid": 200, "name": "web",
		"disk":  map[string]any{"storage": "local-lvm", "sizeGb": 8, "bus": "virtio"},
		"net":   map[string]any{"vlan": 10},
		"iso":   map[string]any{"storage": "local", "file": "debian-12.iso"},
		"extra": map[string]any{"agent": "1", "onboot": true, "balloon": 256},
	})
	f := form(e.fake.writes()[0])
	for k, want := range map[string]string{
		"vmid": "200", "name": "web", "cores": "1", "sockets": "1", "memory": "512", "ostype": "l26",
		"scsihw": "virtio-scsi-single", "start": "0", "virtio0": "local-lvm:8", "net0": "virtio,bridge=vmbr0,tag=10",
		"ide2": "local:iso/debian-12.iso,media=cdrom", "agent": "1", "onboot": "1", "balloon": "256",
	} {
		if got := f.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

func TestCloneAndMigrateParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	var out taskOut
	decode(t, e.ok(t, "pve_vm_clone", map[string]any{"node": "pve1", "vmid": 100, "newid": 150, "name": "c1", "target": "pve2"}), &out)
	if out.From != 100 || out.To != 150 {
		t.Errorf("clone out %+v", out)
	}
	f := form(e.fake.writes()[0])
	if f.Get("newid") != "150" || f.Get("target") != "pve2" || f.Has("full") {
		t.Errorf("clone sent %v (full must be left to Proxmox when not given)", f)
	}
	e.ok(t, "pve_vm_migrate", map[string]any{"node": "pve1", "vmid": 100, "target": "pve2", "online": true})
	f = form(e.fake.writes()[1])
	if f.Get("target") != "pve2" || f.Get("online") != "1" || f.Get("with-local-disks") != "0" {
		t.Errorf("migrate sent %v", f)
	}
	e.refused(t, "pve_vm_migrate", map[string]any{"node": "pve1", "vmid": 100, "target": "pve1"}, "target")
}

func TestSetConfig(t *testing.T) {
	e := newEnv(t, envOpts{})
	got := e.ok(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100, "cores": 4, "description": "db"})
	if got != `{"action":"set_config","node":"pve1","vmid":100,"result":"ok"}` {
		t.Errorf("set config result %s", got)
	}
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "PUT /nodes/pve1/qemu/100/config") || form(w[0]).Get("cores") != "4" {
		t.Errorf("sent %v", w)
	}
	e.refused(t, "pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 100}, "nothing to change")
}
