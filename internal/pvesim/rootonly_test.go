package pvesim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// ticketer sends requests as root@pam with a login ticket (and CSRF token).
type ticketer struct {
	e            *env
	ticket, csrf string
}

func (e *env) rootTicket() *ticketer {
	e.t.Helper()
	r := e.doAuth("POST", "/access/ticket", vals("username", "root@pam", "password", e.sim.RootPassword()), "")
	if r.status != 200 {
		e.t.Fatalf("root login: %d %s", r.status, r.raw)
	}
	d := r.data.(map[string]any)
	return &ticketer{e: e, ticket: d["ticket"].(string), csrf: d["CSRFPreventionToken"].(string)}
}

func (tk *ticketer) do(method, path string, params url.Values) resp {
	tk.e.t.Helper()
	u := tk.e.srv.URL + "/api2/json" + path
	var req *http.Request
	if method == "GET" || method == "DELETE" {
		if len(params) > 0 {
			u += "?" + params.Encode()
		}
		req, _ = http.NewRequest(method, u, nil)
	} else {
		req, _ = http.NewRequest(method, u, strings.NewReader(params.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "PVEAuthCookie", Value: url.QueryEscape(tk.ticket)})
	req.Header.Set("CSRFPreventionToken", tk.csrf)
	return tk.e.send(req)
}

const tmplVol = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"

// TestRootOnlyKeys: root-only keys are refused to every API token, even root's
// own full-privilege token root@pam!mcp, and accepted from a root@pam ticket.
func TestRootOnlyKeys(t *testing.T) {
	const pathDie = "Only root can pass arbitrary filesystem paths. at /usr/share/perl5/PVE/Storage.pm line 651."
	qm := func(kv ...string) url.Values { return vals(append([]string{"vmid", "990"}, kv...)...) }
	ct := func(kv ...string) url.Values { // unprivileged unless kv says (the API's default is privileged)
		v := vals(append([]string{"vmid", "990", "ostemplate", tmplVol, "rootfs", "local-lvm:4"}, kv...)...)
		if !v.Has("unprivileged") {
			v.Set("unprivileged", "1")
		}
		return v
	}
	cases := []struct {
		name, method, path string
		params             url.Values
		status             int    // for the token
		msg                string // the token's reason phrase, or the one "errors" entry as "key: text"
		rootStatus         int    // for the root@pam ticket (0 = 200)
		rootMsg            string // and its reason phrase then
	}{
		{"qemu args", "POST", "/nodes/pve1/qemu", qm("args", "-no-reboot"), 500, "only root can set 'args' config", 0, ""},
		{"qemu hookscript", "POST", "/nodes/pve1/qemu", qm("hookscript", SeedHookscript), 500, "only root can set 'hookscript' config", 0, ""},
		{"qemu lock", "POST", "/nodes/pve1/qemu", qm("lock", "backup"), 500, "only root can set 'lock' config", 0, ""},
		{"qemu affinity", "POST", "/nodes/pve1/qemu", qm("affinity", "0-3"), 500, "only root can set 'affinity' config", 0, ""},
		{"qemu parallel", "POST", "/nodes/pve1/qemu", qm("parallel0", "/dev/parport0"), 500, "only root can set 'parallel0' config", 0, ""},
		{"qemu serial device", "POST", "/nodes/pve1/qemu", qm("serial0", "/dev/ttyS0"), 500, "only root can set 'serial0' config for real devices", 0, ""},
		{"qemu serial socket", "POST", "/nodes/pve1/qemu", qm("serial0", "socket"), 200, "", 0, ""},
		{"qemu usb host", "POST", "/nodes/pve1/qemu", qm("usb0", "host=1234:5678"), 500, "only root can set 'usb0' config for real devices", 0, ""},
		{"qemu usb spice", "POST", "/nodes/pve1/qemu", qm("usb0", "spice"), 200, "", 0, ""},
		{"qemu hostpci raw", "POST", "/nodes/pve1/qemu", qm("hostpci0", "0000:01:00.0"), 500, "only root can set 'hostpci0' config for non-mapped devices", 0, ""},
		{"qemu disk path", "POST", "/nodes/pve1/qemu", qm("scsi0", "/dev/sdb"), 500, pathDie, 0, ""},
		{"qemu import path", "POST", "/nodes/pve1/qemu", qm("scsi0", "local-lvm:0,import-from=/var/tmp/disk.qcow2"), 500, pathDie, 0, ""},
		{"qemu archive path", "POST", "/nodes/pve1/qemu", qm("archive", "/var/tmp/vzdump-qemu-100.vma.zst"), 500, pathDie, 500,
			"volume '/var/tmp/vzdump-qemu-100.vma.zst' does not exist"},
		{"qemu config args", "PUT", "/nodes/pve1/qemu/101/config", vals("args", "-no-reboot"), 500, "only root can set 'args' config", 0, ""},
		{"qemu config delete args", "PUT", "/nodes/pve1/qemu/101/config", vals("delete", "args"), 500, "only root can set 'args' config", 0, ""},
		{"qemu config serial", "PUT", "/nodes/pve1/qemu/101/config", vals("serial0", "/dev/ttyS0"), 500, "only root can modify 'serial0' config for real devices", 0, ""},
		{"qemu config skiplock", "PUT", "/nodes/pve1/qemu/101/config", vals("cores", "2", "skiplock", "1"), 400, "skiplock: Only root may use this option.", 0, ""},
		{"qemu destroy skiplock", "DELETE", "/nodes/pve1/qemu/101", vals("skiplock", "1"), 400, "skiplock: Only root may use this option.", 0, ""},
		{"qemu resume skiplock", "POST", "/nodes/pve1/qemu/100/status/resume", vals("skiplock", "1"), 400, "skiplock: Only root may use this option.", 0, ""},
		{"qemu migrate force", "POST", "/nodes/pve1/qemu/101/migrate", vals("target", "pve2", "force", "1"), 400, "force: Only root may use this option.", 0, ""},
		{"lxc start skiplock", "POST", "/nodes/pve2/lxc/201/status/start", vals("skiplock", "1"), 400, "skiplock: Only root may use this option.", 0, ""},
		{"lxc dev", "POST", "/nodes/pve1/lxc", ct("dev0", "/dev/ttyUSB0"), 403, "Permission check failed (configuring device passthrough is only allowed for root@pam)", 0, ""},
		{"lxc bind mount", "POST", "/nodes/pve1/lxc", ct("mp0", "/srv/data,mp=/data"), 403, "Permission check failed (mount point type bind is only allowed for root@pam)", 0, ""},
		{"lxc device mount", "POST", "/nodes/pve1/lxc", ct("mp0", "/dev/sdb1,mp=/data"), 403, "Permission check failed (mount point type device is only allowed for root@pam)", 0, ""},
		{"lxc bind rootfs", "POST", "/nodes/pve1/lxc", vals("vmid", "990", "ostemplate", tmplVol, "rootfs", "/srv/ct990"), 403, "Permission check failed (mount point type bind is only allowed for root@pam)", 0, ""},
		{"lxc bare size rootfs", "POST", "/nodes/pve1/lxc", vals("vmid", "990", "ostemplate", tmplVol, "rootfs", "8", "storage", "local-lvm"), 500, pathDie, 0, ""},
		{"lxc hookscript", "POST", "/nodes/pve1/lxc", ct("hookscript", SeedHookscript), 403, "Permission check failed (changing the hookscript is only allowed for root@pam)", 0, ""},
		{"lxc features", "POST", "/nodes/pve1/lxc", ct("features", "keyctl=1,nesting=1"), 403, "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)", 0, ""},
		{"lxc nesting", "POST", "/nodes/pve1/lxc", ct("features", "nesting=1"), 200, "", 0, ""},
		{"lxc privileged features", "POST", "/nodes/pve1/lxc", ct("unprivileged", "0", "features", "nesting=1"), 403, "Permission check failed (changing feature flags for privileged container is only allowed for root@pam)", 0, ""},
		{"lxc config dev", "PUT", "/nodes/pve2/lxc/201/config", vals("dev0", "/dev/ttyUSB0"), 403, "Permission check failed (configuring device passthrough is only allowed for root@pam)", 0, ""},
		{"lxc config hookscript", "PUT", "/nodes/pve2/lxc/201/config", vals("hookscript", SeedHookscript), 403, "Permission check failed (changing the hookscript is only allowed for root@pam)", 0, ""},
		{"lxc config features", "PUT", "/nodes/pve2/lxc/201/config", vals("features", "fuse=1"), 403, "Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)", 0, ""},
		// not root-only in pve-container: lock needs VM.Config.Options,
		// unprivileged is read-only for everybody
		{"lxc config lock", "PUT", "/nodes/pve2/lxc/201/config", vals("lock", "backup"), 200, "", 0, ""},
		{"lxc config unprivileged", "PUT", "/nodes/pve2/lxc/201/config", vals("unprivileged", "0"), 500,
			"unable to modify read-only option: 'unprivileged'", 500, "unable to modify read-only option: 'unprivileged'"},
		{"vzdump tmpdir", "POST", "/nodes/pve1/vzdump", vals("vmid", "100", "tmpdir", "/var/tmp"), 400, "tmpdir: Only root may set this option.", 0, ""},
		{"vzdump dumpdir", "POST", "/nodes/pve1/vzdump", vals("vmid", "100", "dumpdir", "/mnt/dump"), 400, "dumpdir: Only root may set this option.", 0, ""},
		{"vzdump script", "POST", "/nodes/pve1/vzdump", vals("vmid", "100", "script", "/root/hook.sh"), 400, "script: Only root may set this option.", 0, ""},
		{"vzdump job-id", "POST", "/nodes/pve1/vzdump", vals("vmid", "100", "job-id", "backup-1a2b3c4d-5e6f"), 400, "job-id: Only root may set this option.", 0, ""},
		{"job create script", "POST", "/cluster/backup", vals("schedule", "daily", "vmid", "100", "script", "/root/hook.sh"), 400, "script: Only root may set this option.", 0, ""},
		{"job update tmpdir", "PUT", "/cluster/backup/backup-1a2b3c4d-5e6f", vals("tmpdir", "/var/tmp"), 400, "tmpdir: Only root may set this option.", 0, ""},
		{"job delete dumpdir", "PUT", "/cluster/backup/backup-1a2b3c4d-5e6f", vals("delete", "dumpdir"), 400, "dumpdir: Only root may set this option.", 0, ""},
	}
	// one cluster, reseeded before every request (loading the schema is
	// what makes a new one slow)
	e := newEnv(t, Options{Speed: 0.01})
	tk := e.rootTicket()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.sim.Reset()
			r := e.do(tc.method, tc.path, tc.params)
			got := r.reason
			if len(r.errors) == 1 {
				for k, v := range r.errors {
					got = k + ": " + v
				}
			}
			if r.status != tc.status || (tc.msg != "" && got != tc.msg) {
				t.Fatalf("token: %d %q, want %d %q (%s)", r.status, got, tc.status, tc.msg, r.raw)
			}
			// root@pam passes the rule: 200, or a later error
			e.sim.Reset()
			rr := tk.do(tc.method, tc.path, tc.params)
			want := tc.rootStatus
			if want == 0 {
				want = 200
			}
			if rr.status != want || (tc.rootMsg != "" && rr.reason != tc.rootMsg) {
				t.Fatalf("root@pam ticket: %d %q, want %d %q", rr.status, rr.reason, want, tc.rootMsg)
			}
		})
	}
}

// TestRootOnlyInWorker: the POST config API checks device values in its
// worker, so a token's task fails where PUT answers 500.
func TestRootOnlyInWorker(t *testing.T) {
	e := newEnv(t, Options{Speed: 0.01})
	upid := e.ok("POST", "/nodes/pve1/qemu/101/config", vals("serial0", "/dev/ttyS0")).(string)
	if exit := e.waitTask(upid); exit != "only root can modify 'serial0' config for real devices" {
		t.Fatalf("token task: %q", exit)
	}
	tk := e.rootTicket()
	r := tk.do("POST", "/nodes/pve1/qemu/101/config", vals("serial0", "/dev/ttyS0"))
	if r.status != 200 || e.waitTask(r.data.(string)) != "OK" {
		t.Fatalf("root task: %d %v", r.status, r.data)
	}
	// a hostpci mapping needs Mapping.Use instead of root
	must(t, e.sim.AddToken("ops@pve!tk", "s", false))
	must(t, e.sim.SetACL("/vms/990", "ops@pve", "PVEVMAdmin", true))
	auth := "PVEAPIToken=ops@pve!tk=s"
	r = e.doAuth("POST", "/nodes/pve1/qemu", vals("vmid", "990", "hostpci0", "mapping=gpu"), auth)
	if r.status != 403 || r.reason != "Permission check failed (/mapping/pci/gpu, Mapping.Use)" {
		t.Fatalf("mapping without Mapping.Use: %d %q", r.status, r.reason)
	}
	must(t, e.sim.SetACL("/mapping/pci/gpu", "ops@pve", "PVEMappingUser", true))
	if r := e.doAuth("POST", "/nodes/pve1/qemu", vals("vmid", "990", "hostpci0", "mapping=gpu"), auth); r.status != 200 {
		t.Fatalf("mapping with Mapping.Use: %d %q", r.status, r.reason)
	}
}

// TestBackupJobDumpdir: a job root gave a dumpdir can only be edited by root.
func TestBackupJobDumpdir(t *testing.T) {
	e := newEnv(t, Options{})
	tk := e.rootTicket()
	if r := tk.do("POST", "/cluster/backup", vals("id", "backup-dumpdir-1", "schedule", "daily", "vmid", "100", "dumpdir", "/mnt/dump")); r.status != 200 {
		t.Fatalf("root create: %d %q", r.status, r.reason)
	}
	r := e.do("PUT", "/cluster/backup/backup-dumpdir-1", vals("comment", "x"))
	want := "only root@pam may edit jobs with a 'dumpdir' option. at /usr/share/perl5/PVE/API2/Backup.pm line 85."
	if r.status != 500 || r.reason != want {
		t.Fatalf("token edit: %d %q", r.status, r.reason)
	}
	if r := tk.do("PUT", "/cluster/backup/backup-dumpdir-1", vals("comment", "x")); r.status != 200 {
		t.Fatalf("root edit: %d %q", r.status, r.reason)
	}
}

// TestPathDieLine: the path refusal carries Perl's "at FILE line N." of the
// libpve-storage-perl each release ships.
func TestPathDieLine(t *testing.T) {
	for schema, line := range map[string]string{"9.1": "651", "8.4": "569", "7.4": "542"} {
		e := newEnv(t, Options{Schema: schema})
		r := e.do("POST", "/nodes/pve1/qemu", vals("vmid", "990", "scsi0", "/dev/sdb"))
		want := "Only root can pass arbitrary filesystem paths. at /usr/share/perl5/PVE/Storage.pm line " + line + "."
		if r.status != 500 || r.reason != want || r.message != want+"\n" {
			t.Errorf("%s: %d %q", schema, r.status, r.raw)
		}
	}
}
