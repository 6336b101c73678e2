package tools

import (
	"strings"
	"testing"
)

func TestNextVMID(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /cluster/nextid"] = `"104"`
	if got := e.ok(t, "pve_next_vmid", nil); got != `{"vmid":104}` {
		t.Errorf("next id %s", got)
	}
	if got := e.ok(t, "pve_next_vmid", map[string]any{"vmid": 500}); got != `{"vmid":104}` {
		t.Errorf("from 500: %s (the fake answers 104 to any id)", got)
	}
	if r := e.fake.log(); len(r) != 2 || form(r[1]).Get("vmid") != "500" {
		t.Errorf("requests %v", r)
	}
	e.refused(t, "pve_next_vmid", map[string]any{"exact": true}, `"exact"`, "vmid")
	e.refused(t, "pve_next_vmid", map[string]any{"vmid": 99}, "vmid")
}

// A next id outside PVE_VMID_ALLOWLIST is passed over for an allowed one.
func TestNextVMIDAllowlist(t *testing.T) {
	e := newEnv(t, envOpts{vmids: []int{100, 150}})
	e.fake.routes["GET /cluster/nextid"] = `"150"`
	e.ok(t, "pve_next_vmid", map[string]any{"vmid": 120})
	if r := e.fake.log(); len(r) != 1 || form(r[0]).Get("vmid") != "150" {
		t.Errorf("requests %v, want one for 150 only", r)
	}
}

// idSpan lists few ids, and words many by count and range.
func TestIDSpan(t *testing.T) {
	if got := idSpan([]int{100, 101, 150}); got != "100, 101, 150" {
		t.Errorf("few: %q", got)
	}
	if got := idSpan([]int{100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 200}); got != "11 ids from 100 to 200" {
		t.Errorf("many: %q", got)
	}
}

func TestResizeDisk(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/qemu/100/config"] = `{"scsi0":"local-lvm:vm-100-disk-0,iothread=1,size=32G","ide2":"none,media=cdrom","net0":"virtio,bridge=vmbr0"}`
	e.fake.routes["GET /nodes/pve1/lxc/200/config"] = `{"rootfs":"local-lvm:vm-200-disk-0,size=8G"}`
	g := func(kv ...any) map[string]any {
		m := map[string]any{"node": "pve1", "vmid": 100}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	// Bad arguments are refused by name, before any request.
	e.refused(t, "pve_vm_resize_disk", g("disk", "scsi31", "size", "+1G"), `"disk"`, "scsi0-30")
	e.refused(t, "pve_vm_resize_disk", g("disk", "rootfs", "size", "+1G"), `"disk"`)
	e.refused(t, "pve_vm_resize_disk", g("disk", "scsi0", "size", "20"), `"size"`, "unit")
	e.refused(t, "pve_vm_resize_disk", g("disk", "scsi0", "size", "-2G"), `"size"`)
	e.refused(t, "pve_lxc_resize_disk", map[string]any{"node": "pve1", "vmid": 200, "disk": "scsi0", "size": "+1G"}, `"disk"`, "rootfs")

	// A shrink and an absent disk are refused after reading the config, with no write.
	for _, c := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"pve_vm_resize_disk", g("disk", "scsi0", "size", "16G"), []string{`"size"`, "shrinking disks is not supported", "32G"}},
		{"pve_vm_resize_disk", g("disk", "scsi0", "size", "31.5G"), []string{"shrinking disks is not supported"}},
		{"pve_lxc_resize_disk", map[string]any{"node": "pve1", "vmid": 200, "disk": "rootfs", "size": "4096M"}, []string{"unable to shrink disk size", "8G"}},
		{"pve_vm_resize_disk", g("disk", "virtio1", "size", "+1G"), []string{`"disk"`, "no disk virtio1", "it has: ide2, scsi0"}},
		{"pve_vm_resize_disk", g("disk", "scsi0", "size", "abcG"), []string{`"size"`, "unit"}},
	} {
		res, text := e.call(t, c.tool, c.args)
		if !res.IsError {
			t.Fatalf("%s(%v) succeeded: %s", c.tool, c.args, text)
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: error %q lacks %q", c.tool, text, w)
			}
		}
	}
	if w := e.fake.writes(); len(w) != 0 {
		t.Fatalf("refused resizes sent writes: %v", w)
	}

	var out taskOut
	decode(t, e.ok(t, "pve_vm_resize_disk", g("disk", "scsi0", "size", "+20G")), &out)
	decode(t, e.ok(t, "pve_vm_resize_disk", g("disk", "scsi0", "size", "64G")), &out)
	w := e.fake.writes()
	if len(w) != 2 || !strings.HasPrefix(w[0], "PUT /nodes/pve1/qemu/100/resize?") || form(w[0]).Get("size") != "+20G" ||
		form(w[0]).Get("disk") != "scsi0" || form(w[1]).Get("size") != "64G" {
		t.Fatalf("writes %v", w)
	}
	if out.UPID != testUPID || out.ExitStatus != "OK" {
		t.Errorf("resize out %+v", out)
	}

	// qemu-server 7 answers null: done at once, no task; a later release's
	// null is no answer to trust.
	e.fake.routes["PUT /nodes/pve1/qemu/100/resize"] = "null"
	e.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1","repoid":"x"}`
	res, text := e.call(t, "pve_vm_resize_disk", g("disk", "scsi0", "size", "+1G"))
	if !res.IsError || !strings.Contains(text, "without a task ID") || !strings.Contains(text, "pve_vm_config for the size of scsi0") {
		t.Errorf("null answer on 9.1: %s", text)
	}
	e = newEnv(t, envOpts{}) // the client keeps the version it read
	e.fake.routes["GET /nodes/pve1/qemu/100/config"] = `{"scsi0":"local-lvm:vm-100-disk-0,size=32G"}`
	e.fake.routes["PUT /nodes/pve1/qemu/100/resize"] = "null"
	e.fake.routes["GET /version"] = `{"version":"7.4-17","release":"7.4","repoid":"x"}`
	out = taskOut{}
	decode(t, e.ok(t, "pve_vm_resize_disk", g("disk", "scsi0", "size", "+1G")), &out)
	if out.UPID != "" || out.Status != "done" {
		t.Errorf("null answer on 7.4: %+v", out)
	}
}

// The template tools report success only once the config says template: 1,
// read after the conversion.
func TestTemplateReadBack(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/lxc/200/config"] = `{"template":1,"rootfs":"local-lvm:base-200-disk-0,size=8G"}`
	e.fake.routes["POST /nodes/pve1/lxc/200/template"] = "null" // pve-container's answer
	e.fake.routes["GET /nodes/pve1/lxc/200/status/current"] = `{"status":"stopped"}`
	if res, text := e.call(t, "pve_lxc_template", map[string]any{"node": "pve1", "vmid": 200}); !res.IsError ||
		!strings.Contains(text, "confirm: true") || !strings.Contains(text, "no way back") || len(e.fake.writes()) != 0 {
		t.Errorf("without confirm: %s; writes %v", text, e.fake.writes())
	}
	before := len(e.fake.log())
	var out taskOut
	decode(t, e.ok(t, "pve_lxc_template", map[string]any{"node": "pve1", "vmid": 200, "confirm": true}), &out)
	if out.Action != "template" || out.VMID != 200 {
		t.Errorf("out %+v", out)
	}
	r := e.fake.log()[before:]
	if len(r) != 6 || !strings.HasPrefix(r[0], "GET /nodes/pve1/lxc/200/status/current") || !strings.HasPrefix(r[1], "GET /cluster/resources") ||
		!strings.HasPrefix(r[2], "GET /nodes/pve1/lxc/200/config") || !strings.HasPrefix(r[3], "POST /nodes/pve1/lxc/200/template") ||
		!strings.HasPrefix(r[4], "GET /nodes/pve1/tasks") || !strings.HasPrefix(r[5], "GET /nodes/pve1/lxc/200/config") {
		t.Errorf("requests %v, want the status, the guard's look at its protection, the conversion, a look for its task, then the config read", r)
	}
}

// A running guest is refused before confirm is asked for: it could not be
// converted anyway.
func TestTemplateRunningRefusedFirst(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/qemu/100/status/current"] = `{"status":"running"}`
	for _, confirm := range []bool{false, true} {
		res, text := e.call(t, "pve_vm_template", map[string]any{"node": "pve1", "vmid": 100, "confirm": confirm})
		if !res.IsError || !strings.Contains(text, "is running") || !strings.Contains(text, "pve_vm_shutdown") || strings.Contains(text, "confirm: true") {
			t.Errorf("confirm %v: %s", confirm, text)
		}
	}
	if w := e.fake.writes(); len(w) != 0 {
		t.Errorf("writes %v", w)
	}
}

func TestSuspendResume(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.ok(t, "pve_vm_suspend", map[string]any{"node": "pve1", "vmid": 100})
	e.ok(t, "pve_vm_suspend", map[string]any{"node": "pve1", "vmid": 100, "todisk": true})
	e.refused(t, "pve_vm_suspend", map[string]any{"node": "pve1", "vmid": 100, "statestorage": "local-lvm"}, `"statestorage"`, "todisk")
	e.ok(t, "pve_vm_resume", map[string]any{"node": "pve1", "vmid": 100})
	e.ok(t, "pve_lxc_suspend", map[string]any{"node": "pve1", "vmid": 200})
	e.ok(t, "pve_lxc_resume", map[string]any{"node": "pve1", "vmid": 200})
	w := e.fake.writes()
	want := []string{"/qemu/100/status/suspend?", "/qemu/100/status/suspend?todisk=1", "/qemu/100/status/resume?",
		"/lxc/200/status/suspend?", "/lxc/200/status/resume?"}
	if len(w) != len(want) {
		t.Fatalf("writes %v", w)
	}
	for i, s := range want {
		if !strings.HasPrefix(w[i], "POST /nodes/pve1"+s) || strings.HasSuffix(s, "?") && form(w[i]).Has("todisk") {
			t.Errorf("write %d = %q, want %q", i, w[i], s)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"32G": 32 << 30, "+2G": 2 << 30, "1.5K": 1536, "10737418240": 10 << 30, "4T": 4 << 40, "528K": 528 << 10} {
		if got, ok := parseSize(in); !ok || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "G", "x", "-1G", "999999999999T"} {
		if got, ok := parseSize(in); ok {
			t.Errorf("parseSize(%q) = %d, want not ok (Proxmox judges)", in, got)
		}
	}
	if got := sizeText(32 << 30); got != "32G" {
		t.Errorf("sizeText(32G) = %q", got)
	}
	if got := sizeText(1536); got != "1536 bytes" {
		t.Errorf("sizeText(1536) = %q", got)
	}
}

func TestLXCSetConfig(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/lxc/200/config"] = `{"cores":1,"memory":512,"hostname":"ct200","mp1":"local-lvm:vm-200-disk-1,mp=/srv,size=4G","digest":"abc"}`
	ct := func(kv ...any) map[string]any {
		m := map[string]any{"node": "pve1", "vmid": 200}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	e.refused(t, "pve_lxc_set_config", ct(), "nothing to change")
	e.refused(t, "pve_lxc_set_config", ct("cores", 2, "extra", map[string]any{"cores": 4}), "from cores")
	e.refused(t, "pve_lxc_set_config", ct("delete", []any{"lxc.apparmor.profile"}), `"delete"`)
	e.refused(t, "pve_lxc_set_config", ct("cores", 2, "delete", []any{"cores"}), `"delete"`, "also set")
	e.refused(t, "pve_lxc_set_config", ct("extra", map[string]any{"lxc.apparmor.profile": "unconfined"}), "extra", "not a Proxmox parameter name")
	// Host-level keys are the request guard's to refuse, with its reason,
	// after the config read that the report of changes compares with.
	for _, c := range []struct {
		args map[string]any
		want []string
	}{
		{ct("confirm", true, "extra", map[string]any{"dev0": "/dev/kvm"}), []string{"extra.dev0", "passes a device of the node", "PVE_ALLOW_HOST_ACCESS"}},
		{ct("confirm", true, "extra", map[string]any{"features": "nesting=1,keyctl=1"}), []string{"extra.features.keyctl", "PVE_ALLOW_HOST_ACCESS"}},
		{ct("confirm", true, "extra", map[string]any{"lock": "backup"}), []string{"extra.lock", "PVE_ALLOW_HOST_ACCESS"}},
		{ct("confirm", true, "delete", []any{"dev0"}), []string{"delete names dev0", "PVE_ALLOW_HOST_ACCESS"}},
		// Deleting a key asks for confirm, as for VMs.
		{ct("delete", []any{"mp1"}), []string{"confirm: true", "delete"}},
	} {
		res, text := e.call(t, "pve_lxc_set_config", c.args)
		if !res.IsError {
			t.Fatalf("%v succeeded: %s", c.args, text)
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("error %q lacks %q", text, w)
			}
		}
	}
	if w := e.fake.writes(); len(w) != 0 {
		t.Fatalf("refused calls sent writes: %v", w)
	}

	e.fake.routes["GET /nodes/pve1/lxc/200/pending"] = `[{"key":"cores","value":1,"pending":2},{"key":"mp1","value":"x","delete":1},{"key":"memory","value":512}]`
	var out lxcConfigOut
	decode(t, e.ok(t, "pve_lxc_set_config", ct("cores", 2, "swap", 0, "hostname", "web", "confirm", true, "delete", []any{"mp1"},
		"extra", map[string]any{"onboot": true})), &out)
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "PUT /nodes/pve1/lxc/200/config?") {
		t.Fatalf("writes %v", w)
	}
	f := form(w[0])
	if f.Get("cores") != "2" || f.Get("swap") != "0" || f.Get("hostname") != "web" || f.Get("delete") != "mp1" || f.Get("onboot") != "1" || f.Has("memory") {
		t.Errorf("form %v", f)
	}
	// The fake's config does not change: nothing is reported changed.
	if out.Action != "set_config" || out.VMID != 200 || len(out.Changed) != 0 || strings.Join(out.Pending, ",") != "cores,mp1" {
		t.Errorf("out %+v", out)
	}
}

func TestConfigDiff(t *testing.T) {
	got := configDiff(map[string]string{"cores": "1", "mp1": "x", "digest": "a", "hostname": "h"},
		map[string]string{"cores": "2", "hostname": "h", "onboot": "1", "digest": "b"}, "digest")
	want := map[string]change{"cores": {From: "1", To: "2"}, "mp1": {From: "x"}, "onboot": {To: "1"}}
	if len(got) != len(want) {
		t.Fatalf("diff %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %+v, want %+v", k, got[k], v)
		}
	}
}

func TestLXCMigrate(t *testing.T) {
	e := newEnv(t, envOpts{})
	args := map[string]any{"node": "pve1", "vmid": 200, "target": "pve2"}
	e.refused(t, "pve_lxc_migrate", map[string]any{"node": "pve1", "vmid": 200, "target": "pve1"}, `"target"`, "already on pve1")
	e.refused(t, "pve_lxc_migrate", map[string]any{"node": "pve1", "vmid": 200, "target": "pve2", "timeout": 60}, `"timeout"`, "restart")
	// The task ends OK but the container is still on pve1: no success.
	res, text := e.call(t, "pve_lxc_migrate", args)
	if !res.IsError || !strings.Contains(text, "is on pve1, not pve2") {
		t.Errorf("container left behind: %s", text)
	}
	e.fake.routes["GET /cluster/resources"] = strings.Replace(fakeResources, `{"type":"lxc","node":"pve1","vmid":200}`, `{"type":"lxc","node":"pve2","vmid":200}`, 1)
	var out taskOut
	decode(t, e.ok(t, "pve_lxc_migrate", map[string]any{"node": "pve1", "vmid": 200, "target": "pve2", "restart": true, "timeout": 60}), &out)
	if out.Action != "migrate" || out.Target != "pve2" || out.ExitStatus != "OK" {
		t.Errorf("out %+v", out)
	}
	w := e.fake.writes()
	if len(w) != 2 || !strings.HasPrefix(w[1], "POST /nodes/pve1/lxc/200/migrate?") {
		t.Fatalf("writes %v", w)
	}
	if f := form(w[0]); f.Get("target") != "pve2" || f.Has("restart") || f.Has("timeout") {
		t.Errorf("plain migrate form %v", f)
	}
	if f := form(w[1]); f.Get("target") != "pve2" || f.Get("restart") != "1" || f.Get("timeout") != "60" {
		t.Errorf("restart migrate form %v", f)
	}
}
