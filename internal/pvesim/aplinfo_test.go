package pvesim

import (
	"reflect"
	"strings"
	"testing"
)

func TestAplinfo(t *testing.T) {
	e := newEnv(t, Options{})
	list := e.ok("GET", "/nodes/pve1/aplinfo", nil).([]any)
	byName := map[string]map[string]any{}
	for _, a := range list {
		m := a.(map[string]any)
		byName[m["template"].(string)] = m
	}
	deb := byName["debian-13-standard_13.1-2_amd64.tar.zst"]
	want := []string{"architecture", "description", "headline", "infopage", "location", "maintainer", "os", "package", "section",
		"sha512sum", "source", "template", "type", "version"}
	if deb == nil || !reflect.DeepEqual(keysOf(deb), want) {
		t.Fatalf("debian 13: %v", deb)
	}
	if deb["location"] != "http://download.proxmox.com/images/system/debian-13-standard_13.1-2_amd64.tar.zst" ||
		deb["package"] != "debian-13-standard" || deb["os"] != "debian-13" || deb["type"] != "lxc" || len(deb["sha512sum"].(string)) != 128 {
		t.Fatalf("debian 13: %v", deb)
	}
	tk := byName["debian-12-turnkey-wordpress_18.1-1_amd64.tar.gz"]
	if tk == nil || tk["section"] != "turnkeylinux" || tk["source"] != "https://releases.turnkeylinux.org/pve" {
		t.Fatalf("turnkey: %v", tk)
	}
	for _, name := range []string{"ubuntu-24.04-standard_24.04-2_amd64.tar.zst", "alpine-3.20-default_20240908_amd64.tar.xz",
		"rockylinux-9-default_20240912_amd64.tar.xz"} {
		if byName[name] == nil {
			t.Errorf("missing %s", name)
		}
	}
	// 8.4 has no debian 13
	e8 := newEnv(t, Options{Schema: "8.4"})
	for _, a := range e8.ok("GET", "/nodes/pve1/aplinfo", nil).([]any) {
		if strings.HasPrefix(a.(map[string]any)["template"].(string), "debian-13") {
			t.Fatal("8.4 lists debian 13")
		}
	}

	// download into local: a "download" task, then the template is content
	const tmpl = "debian-13-standard_13.1-2_amd64.tar.zst"
	upid := e.ok("POST", "/nodes/pve1/aplinfo", vals("storage", "local", "template", tmpl)).(string)
	if !strings.Contains(upid, ":download:"+tmpl+":") || e.waitTask(upid) != "OK" {
		t.Fatalf("download: %s %v", upid, e.taskLog(upid))
	}
	log := e.taskLog(upid)
	if log[0] != "downloading "+deb["location"].(string)+" to /var/lib/vz/template/cache/"+tmpl ||
		log[len(log)-3] != "calculating checksum...OK, checksum verified" {
		t.Fatalf("log: %v", log)
	}
	if v := e.volumeOf("pve1", "local", "local:vztmpl/"+tmpl); v == nil || v["format"] != "tzst" {
		t.Fatalf("content: %v", v)
	}
	// a second download finds it
	upid = e.ok("POST", "/nodes/pve1/aplinfo", vals("storage", "local", "template", tmpl)).(string)
	e.waitTask(upid)
	if log := e.taskLog(upid); log[1] != "OK, got correct file already, no need to download" {
		t.Fatalf("again: %v", log)
	}
	// the new template creates a container
	upid = e.ok("POST", "/nodes/pve1/lxc", vals("vmid", "300", "ostemplate", "local:vztmpl/"+tmpl, "rootfs", "local-lvm:4")).(string)
	if exit := e.waitTask(upid); exit != "OK" {
		t.Fatalf("create from template: %q", exit)
	}
	r := e.do("POST", "/nodes/pve1/aplinfo", vals("storage", "local", "template", "debian-99.tar.zst"))
	if r.status != 400 || r.errors["template"] != "no such template" {
		t.Fatalf("unknown: %d %s", r.status, r.raw)
	}
	r = e.do("POST", "/nodes/pve1/aplinfo", vals("storage", "local-lvm", "template", tmpl))
	if r.status != 500 || r.message != "storage 'local-lvm' does not support templates\n" {
		t.Fatalf("lvm: %d %q", r.status, r.message)
	}
	must(t, e.sim.AddAuditorToken("audit@pve!ro", "s"))
	r = e.doAuth("POST", "/nodes/pve1/aplinfo", vals("storage", "local", "template", tmpl), "PVEAPIToken=audit@pve!ro=s")
	if r.status != 403 || r.message != "Permission check failed (/storage/local, Datastore.AllocateTemplate)\n" {
		t.Fatalf("perm: %d %q", r.status, r.message)
	}
	// any user may read the index
	if r := e.doAuth("GET", "/nodes/pve1/aplinfo", nil, "PVEAPIToken=audit@pve!ro=s"); r.status != 200 {
		t.Fatalf("index: %d", r.status)
	}
}
