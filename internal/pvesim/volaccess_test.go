package pvesim

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const isoVol = "local:iso/debian-12.8.0-amd64-netinst.iso"

// grantAs gives a user one privilege on a path, through a role of that
// privilege alone.
func (e *env) grantAs(user, path, priv string) {
	e.t.Helper()
	role := "only-" + priv
	_ = e.sim.AddRole(role, priv) // exists after the first grant
	must(e.t, e.sim.SetACL(path, user, role, true))
}

// backupOf is the volid of a seeded backup of vmid on pve1's "local".
func (e *env) backupOf(vmid string) string {
	e.t.Helper()
	for _, it := range e.ok("GET", "/nodes/pve1/storage/local/content", vals("content", "backup")).([]any) {
		v := it.(map[string]any)["volid"].(string)
		if strings.Contains(v, "-"+vmid+"-") {
			return v
		}
	}
	e.t.Fatalf("no backup of %s", vmid)
	return ""
}

// expand fills {backup100} and {backup200} in parameter values.
func (e *env) expand(p url.Values) url.Values {
	out := url.Values{}
	for k, vs := range p {
		for _, v := range vs {
			for _, id := range []string{"100", "200"} {
				if strings.Contains(v, "{backup"+id+"}") {
					v = strings.ReplaceAll(v, "{backup"+id+"}", e.backupOf(id))
				}
			}
			out.Add(k, v)
		}
	}
	return out
}

// TestVolumeAccess walks check_volume_access's rules: each step grants
// privileges to a user's token and expects the next refusal, the last
// one passes.
func TestVolumeAccess(t *testing.T) {
	type step struct {
		grant  []string // "path privilege"
		status int
		msg    string
	}
	allocDisk1 := func(e *env) {
		e.ok("POST", "/nodes/pve1/storage/local-lvm/content", vals("vmid", "101", "filename", "vm-101-disk-1", "size", "1G"))
	}
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
		setup              func(e *env)
		base               []string
		steps              []step
	}{
		{"other guest's image", "POST", "/nodes/pve1/qemu", qm("scsi0", "local-lvm:vm-100-disk-0"), nil,
			[]string{"/vms/990 VM.Allocate"}, []step{
				{nil, 403, "Permission check failed (/storage/local-lvm, Datastore.Audit)"},
				{[]string{"/storage/local-lvm Datastore.Audit"}, 403, "Permission check failed (/vms/100, VM.Config.Disk)"},
				{[]string{"/vms/100 VM.Config.Disk"}, 200, ""}}},
		{"Datastore.Allocate passes", "POST", "/nodes/pve1/qemu", qm("scsi0", "local-lvm:vm-100-disk-0"), nil,
			[]string{"/vms/990 VM.Allocate", "/storage/local-lvm Datastore.Allocate"}, []step{{nil, 200, ""}}},
		{"iso", "POST", "/nodes/pve1/qemu", qm("ide2", isoVol+",media=cdrom"), nil,
			[]string{"/vms/990 VM.Allocate"}, []step{
				{nil, 403, "Permission check failed (/storage/local, Datastore.AllocateSpace|Datastore.Audit)"},
				{[]string{"/storage/local Datastore.Audit"}, 200, ""}}},
		{"own volume", "PUT", "/nodes/pve1/qemu/101/config", vals("scsi1", "local-lvm:vm-101-disk-1"), allocDisk1,
			[]string{"/vms/101 VM.Config.Disk"}, []step{{nil, 200, ""}}},
		{"unused of another guest", "PUT", "/nodes/pve1/qemu/101/config", vals("unused0", "local-lvm:vm-100-disk-0"), nil,
			[]string{"/vms/101 VM.Config.Disk"}, []step{
				{nil, 403, "Permission check failed (/storage/local-lvm, Datastore.Audit)"},
				{[]string{"/storage/local-lvm Datastore.Audit", "/vms/100 VM.Config.Disk"}, 200, ""}}},
		{"backup archive", "POST", "/nodes/pve1/qemu", qm("archive", "{backup100}"), nil,
			[]string{"/vms/990 VM.Allocate"}, []step{
				{nil, 403, "Permission check failed (/storage/local, Datastore.AllocateSpace)"},
				{[]string{"/storage/local Datastore.AllocateSpace"}, 403, "Permission check failed (/vms/100, VM.Backup)"},
				{[]string{"/vms/100 VM.Backup"}, 200, ""}}},
		{"import-from another guest", "POST", "/nodes/pve1/qemu", qm("scsi0", "local-lvm:0,import-from=local-lvm:vm-100-disk-0"), nil,
			[]string{"/vms/990 VM.Allocate", "/storage/local-lvm Datastore.AllocateSpace"}, []step{
				{nil, 403, "Permission check failed (/vms/100, VM.Clone)"},
				{[]string{"/vms/100 VM.Clone"}, 200, ""}}},
		{"lxc template", "POST", "/nodes/pve1/lxc", ct(), nil,
			[]string{"/vms/990 VM.Allocate", "/vms/990 VM.Config.Disk", "/storage/local-lvm Datastore.AllocateSpace"}, []step{
				{nil, 403, "Permission check failed (/storage/local, Datastore.AllocateSpace|Datastore.Audit)"},
				{[]string{"/storage/local Datastore.Audit"}, 200, ""}}},
		{"lxc mount of another guest's volume", "POST", "/nodes/pve1/lxc", ct("mp0", "local-lvm:vm-100-disk-0,mp=/data"), nil,
			[]string{"/vms/990 VM.Allocate", "/vms/990 VM.Config.Disk", "/storage/local-lvm Datastore.AllocateSpace",
				"/storage/local Datastore.Audit"}, []step{
				{nil, 403, "Permission check failed (/storage/local-lvm, Datastore.Audit)"},
				{[]string{"/storage/local-lvm Datastore.Audit"}, 403, "Permission check failed (/vms/100, VM.Config.Disk)"},
				{[]string{"/vms/100 VM.Config.Disk"}, 200, ""}}},
		{"lxc restore", "POST", "/nodes/pve1/lxc", vals("vmid", "990", "ostemplate", "{backup200}", "restore", "1"), nil,
			[]string{"/vms/990 VM.Allocate", "/storage/local Datastore.AllocateSpace"}, []step{
				{nil, 403, "Permission check failed (/vms/200, VM.Backup)"},
				{[]string{"/vms/200 VM.Backup"}, 200, ""}}},
		{"snippet", "GET", "/nodes/pve1/storage/nas/content/" + url.PathEscape(SeedHookscript), nil, nil,
			[]string{"/storage/nas Datastore.AllocateSpace"}, []step{
				{nil, 500, "missing privileges to access " + SeedHookscript},
				{[]string{"/storage/nas Datastore.Allocate"}, 200, ""}}},
		{"delete an image", "DELETE", "/nodes/pve1/storage/local-lvm/content/local-lvm:vm-101-disk-1", nil, allocDisk1,
			[]string{"/storage/local-lvm Datastore.AllocateSpace", "/vms/101 VM.Allocate"}, []step{
				{nil, 403, "Permission check failed (/storage/local-lvm, Datastore.Allocate)"},
				{[]string{"/storage/local-lvm Datastore.Allocate"}, 200, ""}}},
		{"delete a backup", "DELETE", "/nodes/pve1/storage/local/content/{backup200}", nil, nil,
			[]string{"/storage/local Datastore.AllocateSpace"}, []step{
				{nil, 403, "Permission check failed (/vms/200, VM.Backup)"},
				{[]string{"/vms/200 VM.Backup"}, 200, ""}}},
	}
	e := newEnv(t, Options{Speed: 0.01})
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// a reseeded cluster and a new user for each case (ACLs stay)
			e.t = t
			e.sim.Reset()
			user := fmt.Sprintf("user%d@pve", i)
			must(t, e.sim.AddToken(user+"!tk", "s", false))
			auth := "PVEAPIToken=" + user + "!tk=s"
			if tc.setup != nil {
				tc.setup(e)
			}
			for _, g := range tc.base {
				path, priv, _ := strings.Cut(g, " ")
				e.grantAs(user, path, priv)
			}
			p := tc.path
			if strings.Contains(p, "{backup200}") {
				p = strings.ReplaceAll(p, "{backup200}", url.PathEscape(e.backupOf("200")))
			}
			for i, st := range tc.steps {
				for _, g := range st.grant {
					path, priv, _ := strings.Cut(g, " ")
					e.grantAs(user, path, priv)
				}
				r := e.doAuth(tc.method, p, e.expand(tc.params), auth)
				if r.status != st.status || (st.msg != "" && r.reason != st.msg) {
					t.Fatalf("step %d: %d %q, want %d %q (%s)", i, r.status, r.reason, st.status, st.msg, r.raw)
				}
			}
		})
	}
}

// TestVolumeContentTypes: a volume of the wrong content type is refused with
// the texts of check_volume_access and its callers.
func TestVolumeContentTypes(t *testing.T) {
	cases := []struct {
		name, method, path string
		params             url.Values
		status             int
		msg                string // reason phrase, or "key: text" of a 400
	}{
		{"qemu archive", "POST", "/nodes/pve1/qemu", vals("vmid", "990", "archive", tmplVol), 500,
			"unable to use volume " + tmplVol + " - content type needs to be 'backup'"},
		{"lxc template", "POST", "/nodes/pve1/lxc", vals("vmid", "990", "ostemplate", "{backup200}"), 500,
			"content type needs to be 'vztmpl'"},
		{"lxc restore", "POST", "/nodes/pve1/lxc", vals("vmid", "990", "ostemplate", tmplVol, "restore", "1"), 500,
			"unable to use volume " + tmplVol + " - content type needs to be 'backup'"},
		{"lxc mount point", "POST", "/nodes/pve1/lxc", vals("vmid", "990", "ostemplate", tmplVol, "rootfs", "local-lvm:4",
			"mp0", isoVol+",mp=/iso"), 500, "unable to use volume " + isoVol + " - content type needs to be 'rootdir'"},
		{"unused", "PUT", "/nodes/pve1/qemu/101/config", vals("unused0", isoVol), 500,
			"unable to use volume " + isoVol + " - content type needs to be 'images'"},
		{"disk", "PUT", "/nodes/pve1/qemu/101/config", vals("scsi1", "{backup100}"), 400,
			"scsi1: content type needs to be 'images' or 'iso'"},
		{"hookscript", "PUT", "/nodes/pve1/qemu/101/config", vals("hookscript", isoVol), 400,
			"hookscript: '" + isoVol + "' is not in the snippets directory\n"},
		{"storage mismatch", "GET", "/nodes/pve1/storage/local/content/local-lvm:vm-100-disk-0", nil, 400,
			"volume: storage ID mismatch (local-lvm != local)\n"},
	}
	e := newEnv(t, Options{})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.sim.Reset()
			r := e.do(tc.method, tc.path, e.expand(tc.params))
			got := r.reason
			for k, v := range r.errors {
				got = k + ": " + v
			}
			if r.status != tc.status || !strings.HasSuffix(got, tc.msg) {
				t.Fatalf("%d %q, want %d %q (%s)", r.status, got, tc.status, tc.msg, r.raw)
			}
		})
	}
}

// TestContentListFiltered: storage content lists only volumes the caller
// may access.
func TestContentListFiltered(t *testing.T) {
	e := newEnv(t, Options{})
	must(t, e.sim.AddToken("alice@pve!tk", "s", false))
	auth := "PVEAPIToken=alice@pve!tk=s"
	list := func(sid string) []string {
		var out []string
		for _, it := range e.okAuth("GET", "/nodes/pve1/storage/"+sid+"/content", nil, auth).([]any) {
			out = append(out, it.(map[string]any)["volid"].(string))
		}
		return out
	}
	e.grantAs("alice@pve", "/storage/local-lvm", "Datastore.Audit")
	if got := list("local-lvm"); len(got) != 0 {
		t.Fatalf("images without VM.Config.Disk: %v", got)
	}
	e.grantAs("alice@pve", "/vms/100", "VM.Config.Disk")
	if got := list("local-lvm"); len(got) != 1 || got[0] != "local-lvm:vm-100-disk-0" {
		t.Fatalf("images of 100: %v", got)
	}
	e.grantAs("alice@pve", "/storage/local", "Datastore.AllocateSpace")
	for _, v := range list("local") {
		if strings.Contains(v, ":backup/") {
			t.Fatalf("backup listed without VM.Backup: %s", v)
		}
	}
	e.grantAs("alice@pve", "/vms/200", "VM.Backup")
	backups := 0
	for _, v := range list("local") {
		if strings.Contains(v, ":backup/") {
			backups++
			if !strings.Contains(v, "-200-") {
				t.Fatalf("backup of another guest: %s", v)
			}
		}
	}
	if backups != 1 {
		t.Fatalf("backups of 200: %d", backups)
	}
}
