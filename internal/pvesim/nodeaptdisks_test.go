package pvesim

import (
	"strings"
	"testing"
)

func TestNodeAPT(t *testing.T) {
	e := newEnv(t, Options{})
	if l := e.ok("GET", "/nodes/pve1/apt/update", nil).([]any); len(l) != 0 {
		t.Fatalf("updates before apt update: %v", l)
	}
	upid := e.ok("POST", "/nodes/pve1/apt/update", nil).(string)
	if !strings.Contains(upid, ":aptupdate::root@pam!mcp:") {
		t.Fatalf("upid %s", upid)
	}
	if st := e.waitTask(upid); st != "OK" {
		t.Fatalf("aptupdate: %s", st)
	}
	log := e.taskLog(upid)
	if log[0] != "starting apt-get update" || log[1] != "Hit:1 http://deb.debian.org/debian trixie InRelease" ||
		log[len(log)-2] != "Reading package lists..." || log[len(log)-1] != "TASK OK" {
		t.Fatalf("log: %v", log)
	}
	ups := e.ok("GET", "/nodes/pve1/apt/update", nil).([]any)
	if len(ups) == 0 {
		t.Fatal("no updates found")
	}
	found := map[string]map[string]any{}
	for _, x := range ups {
		m := x.(map[string]any)
		sysWantKeys(t, "update", m, "Package", "Title", "Description", "Origin", "Section", "Arch", "Priority", "Version", "OldVersion")
		found[m["Package"].(string)] = m
	}
	q := found["pve-qemu-kvm"]
	if q == nil || q["OldVersion"] != "10.1.2-4" || q["Version"] != "10.1.2-5" || q["Origin"] != "Proxmox" || found["openssl"]["Origin"] != "Debian" {
		t.Fatalf("updates: %v", found)
	}
	// other nodes have not run apt update
	if l := e.ok("GET", "/nodes/pve2/apt/update", nil).([]any); len(l) != 0 {
		t.Fatalf("pve2: %v", l)
	}
	// a second run finds nothing to fetch
	upid = e.ok("POST", "/nodes/pve1/apt/update", vals("quiet", "1")).(string)
	e.waitTask(upid)
	if log := e.taskLog(upid); len(log) != 1 || log[0] != "TASK OK" {
		t.Fatalf("quiet log: %v", log)
	}

	ver := e.ok("GET", "/version", nil).(map[string]any)["version"]
	vs := e.ok("GET", "/nodes/pve1/apt/versions", nil).([]any)
	first, second := vs[0].(map[string]any), vs[1].(map[string]any)
	if first["Package"] != "proxmox-ve" || first["RunningKernel"] != "6.14.11-4-pve" || second["Package"] != "pve-manager" ||
		second["OldVersion"] != ver || !strings.HasPrefix(second["ManagerVersion"].(string), ver.(string)+"/") {
		t.Fatalf("versions head: %v %v", first, second)
	}
	for _, x := range vs {
		m := x.(map[string]any)
		if m["CurrentState"] != "Installed" {
			t.Fatalf("state: %v", m)
		}
		if m["Package"] == "pve-qemu-kvm" && (m["Version"] != "10.1.2-5" || m["OldVersion"] != "10.1.2-4") {
			t.Fatalf("candidate after update: %v", m)
		}
	}
	cl := e.ok("GET", "/nodes/pve1/apt/changelog", vals("name", "pve-qemu-kvm")).(string)
	if !strings.HasPrefix(cl, "pve-qemu-kvm (10.1.2-5) trixie; urgency=medium\n") || !strings.Contains(cl, "pve-qemu-kvm (10.1.2-4) trixie") {
		t.Fatalf("changelog: %s", cl)
	}
	if cl := e.ok("GET", "/nodes/pve1/apt/changelog", vals("name", "no-such-package")).(string); cl != "E: No packages found\nRC: 100" {
		t.Fatalf("unknown: %q", cl)
	}
	repos := e.ok("GET", "/nodes/pve1/apt/repositories", nil).(map[string]any)
	sysWantKeys(t, "repositories", repos, "files", "errors", "digest", "infos", "standard-repos")
	f0 := repos["files"].([]any)[0].(map[string]any)
	if f0["file-type"] != "sources" || len(f0["digest"].([]any)) != 32 {
		t.Fatalf("files: %v", f0)
	}
}

func TestNodeAPTRepositories(t *testing.T) {
	e := newEnv(t, Options{})
	repos := e.ok("GET", "/nodes/pve1/apt/repositories", nil).(map[string]any)
	status := func(repos map[string]any, handle string) any {
		for _, x := range repos["standard-repos"].([]any) {
			if m := x.(map[string]any); m["handle"] == handle {
				return m["status"]
			}
		}
		return "absent"
	}
	if status(repos, "enterprise") != false || status(repos, "no-subscription") != true || status(repos, "test") != nil {
		t.Fatalf("standard repos: %v", repos["standard-repos"])
	}
	digest := repos["digest"].(string)
	path := "/etc/apt/sources.list.d/pve-enterprise.sources"
	if r := e.do("POST", "/nodes/pve1/apt/repositories", vals("path", path, "index", "3", "enabled", "1")); r.status != 500 || r.message != "repository not found\n" {
		t.Fatalf("bad index: %d %s", r.status, r.raw)
	}
	e.ok("POST", "/nodes/pve1/apt/repositories", vals("path", path, "index", "0", "enabled", "1", "digest", digest))
	if r := e.do("POST", "/nodes/pve1/apt/repositories", vals("path", path, "index", "0", "enabled", "0", "digest", digest)); r.status != 500 ||
		!strings.HasPrefix(r.message, "detected modified configuration") {
		t.Fatalf("stale digest: %d %s", r.status, r.raw)
	}
	repos = e.ok("GET", "/nodes/pve1/apt/repositories", nil).(map[string]any)
	if status(repos, "enterprise") != true || repos["digest"] == digest {
		t.Fatalf("after enable: %v", repos["standard-repos"])
	}
	// without a subscription the enterprise repository refuses apt update
	upid := e.ok("POST", "/nodes/pve1/apt/update", nil).(string)
	if st := e.waitTask(upid); st != "command 'apt-get update' failed: exit code 100" {
		t.Fatalf("aptupdate: %s", st)
	}
	log := strings.Join(e.taskLog(upid), "\n")
	if !strings.Contains(log, "Err:5 https://enterprise.proxmox.com/debian/pve trixie InRelease\n  401  Unauthorized") ||
		!strings.Contains(log, "E: The repository 'https://enterprise.proxmox.com/debian/pve trixie InRelease' is not signed.") {
		t.Fatalf("log: %s", log)
	}
	if l := e.ok("GET", "/nodes/pve1/apt/update", nil).([]any); len(l) != 0 {
		t.Fatalf("a failed update lists nothing new: %v", l)
	}
	e.ok("POST", "/nodes/pve1/apt/repositories", vals("path", path, "index", "0", "enabled", "0"))
	e.ok("PUT", "/nodes/pve1/apt/repositories", vals("handle", "test"))
	repos = e.ok("GET", "/nodes/pve1/apt/repositories", nil).(map[string]any)
	files := repos["files"].([]any)
	last := files[len(files)-1].(map[string]any)
	if status(repos, "test") != true || status(repos, "enterprise") != false || last["path"] != "/etc/apt/sources.list.d/pvetest-for-beta.sources" {
		t.Fatalf("after add: %v %v", repos["standard-repos"], last)
	}
	if st := e.waitTask(e.ok("POST", "/nodes/pve1/apt/update", nil).(string)); st != "OK" {
		t.Fatalf("aptupdate with test: %s", st)
	}
	if r := e.do("PUT", "/nodes/pve1/apt/repositories", vals("handle", "nope")); r.status != 500 {
		t.Fatalf("unknown handle: %d", r.status)
	}
	// other nodes are untouched
	if repos := e.ok("GET", "/nodes/pve2/apt/repositories", nil).(map[string]any); status(repos, "test") != nil {
		t.Fatalf("pve2: %v", repos["standard-repos"])
	}
}

func TestNodeAPTReleases(t *testing.T) {
	e := newEnv(t, Options{Schema: "8.4"})
	repos := e.ok("GET", "/nodes/pve1/apt/repositories", nil).(map[string]any)
	f0 := repos["files"].([]any)[0].(map[string]any)
	if f0["path"] != "/etc/apt/sources.list" || f0["file-type"] != "list" {
		t.Fatalf("8.4 sources: %v", f0)
	}
	upid := e.ok("POST", "/nodes/pve1/apt/update", nil).(string)
	e.waitTask(upid)
	if log := e.taskLog(upid); log[1] != "Hit:1 http://ftp.debian.org/debian bookworm InRelease" {
		t.Fatalf("8.4 log: %v", log)
	}
	vs := e.ok("GET", "/nodes/pve1/apt/versions", nil).([]any)
	if vs[1].(map[string]any)["OldVersion"] != "8.4.14" || vs[0].(map[string]any)["RunningKernel"] != "6.8.12-15-pve" {
		t.Fatalf("8.4 versions: %v %v", vs[0], vs[1])
	}
}

func TestNodeDisks(t *testing.T) {
	e := newEnv(t, Options{})
	list := e.ok("GET", "/nodes/pve1/disks/list", nil).([]any)
	if len(list) != 3 {
		t.Fatalf("disks: %v", list)
	}
	nvme := list[0].(map[string]any)
	sysWantKeys(t, "disk", nvme, "devpath", "size", "model", "serial", "vendor", "wwn", "type", "rpm", "health", "used", "gpt",
		"osdid", "osdid-list", "by_id_link", "wearout")
	if nvme["devpath"] != "/dev/nvme0n1" || nvme["type"] != "nvme" || nvme["used"] != "BIOS boot" || nvme["gpt"] != float64(1) ||
		nvme["wearout"] != float64(97) || nvme["osdid"] != float64(-1) || nvme["health"] != "PASSED" {
		t.Fatalf("nvme: %v", nvme)
	}
	if hdd := list[2].(map[string]any); hdd["type"] != "hdd" || hdd["rpm"] != float64(5400) || hdd["wearout"] != "N/A" || hdd["used"] != nil {
		t.Fatalf("hdd: %v", hdd)
	}
	if l := e.ok("GET", "/nodes/pve1/disks/list", vals("type", "unused")).([]any); len(l) != 2 {
		t.Fatalf("unused: %v", l)
	}
	l := e.ok("GET", "/nodes/pve1/disks/list", vals("include-partitions", "1", "skipsmart", "1")).([]any)
	if len(l) != 6 || l[0].(map[string]any)["used"] != "partitions" || l[0].(map[string]any)["health"] != "UNKNOWN" {
		t.Fatalf("with partitions: %v", l)
	}
	if p := l[3].(map[string]any); p["devpath"] != "/dev/nvme0n1p3" || p["used"] != "LVM" || p["parent"] != "/dev/nvme0n1" || p["type"] != "partition" {
		t.Fatalf("partition: %v", p)
	}

	ata := e.ok("GET", "/nodes/pve1/disks/smart", vals("disk", "/dev/sda")).(map[string]any)
	attrs := ata["attributes"].([]any)
	a0 := attrs[0].(map[string]any)
	if ata["type"] != "ata" || ata["health"] != "PASSED" || a0["id"] != "  5" || a0["normalized"] != float64(100) || a0["raw"] != "0" {
		t.Fatalf("ata smart: %v", ata)
	}
	nv := e.ok("GET", "/nodes/pve1/disks/smart", vals("disk", "/dev/nvme0n1")).(map[string]any)
	if nv["type"] != "text" || !strings.Contains(nv["text"].(string), "Percentage Used:                    3%\n") || nv["attributes"] != nil {
		t.Fatalf("nvme smart: %v", nv)
	}
	if h := e.ok("GET", "/nodes/pve1/disks/smart", vals("disk", "/dev/sdb", "healthonly", "1")).(map[string]any); len(h) != 1 || h["health"] != "PASSED" {
		t.Fatalf("healthonly: %v", h)
	}
	if r := e.do("GET", "/nodes/pve1/disks/smart", vals("disk", "/dev/sdz")); r.status != 500 || r.message != "not a valid block device\n" {
		t.Fatalf("unknown disk: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/nodes/pve1/disks/smart", vals("disk", "sda")); r.status != 400 {
		t.Fatalf("disk pattern: %d", r.status)
	}

	// lvmthin is local-lvm's pool: its usage follows the storage's
	usage := func() (float64, float64) {
		thin := e.ok("GET", "/nodes/pve1/disks/lvmthin", nil).([]any)[0].(map[string]any)
		if thin["lv"] != "data" || thin["vg"] != "pve" {
			t.Fatalf("thin: %v", thin)
		}
		st := e.ok("GET", "/nodes/pve1/storage/local-lvm/status", nil).(map[string]any)
		return thin["used"].(float64), st["used"].(float64)
	}
	used, stUsed := usage()
	if used != stUsed {
		t.Fatalf("thin used %v, storage used %v", used, stUsed)
	}
	e.ok("POST", "/nodes/pve1/storage/local-lvm/content", vals("vmid", "101", "filename", "vm-101-disk-7", "size", "4G"))
	if used2, st2 := usage(); used2 != used+4<<30 || st2 != used2 {
		t.Fatalf("after alloc: %v %v (was %v)", used2, st2, used)
	}
	lvm := e.ok("GET", "/nodes/pve1/disks/lvm", nil).(map[string]any)
	vg := lvm["children"].([]any)[0].(map[string]any)
	pv := vg["children"].([]any)[0].(map[string]any)
	if lvm["leaf"] != float64(0) || vg["name"] != "pve" || vg["leaf"] != float64(0) || pv["name"] != "/dev/nvme0n1p3" || pv["leaf"] != float64(1) ||
		vg["free"].(float64) >= vg["size"].(float64) {
		t.Fatalf("lvm: %v", lvm)
	}
	for _, p := range []string{"/nodes/pve1/disks/directory", "/nodes/pve1/disks/zfs"} {
		if l := e.ok("GET", p, nil).([]any); len(l) != 0 {
			t.Fatalf("%s: %v", p, l)
		}
	}
	if r := e.do("GET", "/nodes/pve1/disks/zfs/tank", nil); r.status != 500 || r.message != "command '/sbin/zpool status -P tank' failed: exit code 1\n" {
		t.Fatalf("zfs detail: %d %s", r.status, r.raw)
	}
	// an auditor may read disks; the 403 of a user without Sys.Audit
	if err := e.sim.AddToken("nobody@pve!tk", "x", true); err != nil {
		t.Fatal(err)
	}
	if r := e.doAuth("GET", "/nodes/pve1/disks/smart", vals("disk", "/dev/sda"), "PVEAPIToken=nobody@pve!tk=x"); r.status != 403 ||
		r.reason != "Permission check failed (/, Sys.Audit)" {
		t.Fatalf("smart denial: %d %q", r.status, r.reason)
	}
}

func TestNodeDiskInitAndWipe(t *testing.T) {
	e := newEnv(t, Options{})
	root := e.rootTicket() // wipedisk has no permission rule: root@pam only
	do := func(method, path string, params map[string][]string) resp {
		if method == "PUT" {
			return root.do(method, path, params)
		}
		return e.do(method, path, params)
	}
	for _, c := range []struct{ method, path, disk, want string }{
		{"POST", "/nodes/pve1/disks/initgpt", "/dev/nvme0n1", "disk /dev/nvme0n1 already in use"},
		{"POST", "/nodes/pve1/disks/initgpt", "/dev/nvme0n1p3", "/dev/nvme0n1p3 is a partition"},
		{"POST", "/nodes/pve1/disks/initgpt", "/dev/sdx", "not a valid block device"},
		{"PUT", "/nodes/pve1/disks/wipedisk", "/dev/nvme0n1", "disk/partition '/dev/nvme0n1p2' is mounted"},
		{"PUT", "/nodes/pve1/disks/wipedisk", "/dev/nvme0n1p3", "disk/partition '/dev/nvme0n1p3' has a holder"},
	} {
		if r := do(c.method, c.path, vals("disk", c.disk)); r.status != 500 || r.message != c.want+"\n" {
			t.Errorf("%s %s: %d %s", c.path, c.disk, r.status, r.raw)
		}
	}
	gpt := func() any {
		for _, x := range e.ok("GET", "/nodes/pve1/disks/list", vals("skipsmart", "1")).([]any) {
			if m := x.(map[string]any); m["devpath"] == "/dev/sda" {
				return m["gpt"]
			}
		}
		return nil
	}
	upid := e.ok("POST", "/nodes/pve1/disks/initgpt", vals("disk", "/dev/sda")).(string)
	if !strings.Contains(upid, ":diskinit:sda:") || e.waitTask(upid) != "OK" || gpt() != float64(1) {
		t.Fatalf("initgpt: %s %v %v", upid, e.taskLog(upid), gpt())
	}
	if log := e.taskLog(upid); log[0] != "Creating new GPT entries in memory." {
		t.Fatalf("initgpt log: %v", log)
	}
	if r := e.do("PUT", "/nodes/pve1/disks/wipedisk", vals("disk", "/dev/sda")); r.status != 403 || r.reason != "Permission check failed (user != root@pam)" {
		t.Fatalf("wipedisk as token: %d %q", r.status, r.reason)
	}
	upid = do("PUT", "/nodes/pve1/disks/wipedisk", vals("disk", "/dev/sda")).data.(string)
	if !strings.Contains(upid, ":wipedisk:sda:") || e.waitTask(upid) != "OK" || gpt() != float64(0) {
		t.Fatalf("wipedisk: %s %v", upid, gpt())
	}
	if log := e.taskLog(upid); log[0] != "wiping block device /dev/sda" || !strings.Contains(log[1], "(gpt)") {
		t.Fatalf("wipe log: %v", log)
	}
	if err := e.sim.AddAuditorToken("audit@pve!ro", "s3cret"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/nodes/pve1/disks/initgpt", "/nodes/pve1/disks/wipedisk"} {
		method := map[bool]string{true: "POST", false: "PUT"}[strings.HasSuffix(p, "initgpt")]
		if r := e.doAuth(method, p, vals("disk", "/dev/sdb"), "PVEAPIToken=audit@pve!ro=s3cret"); r.status != 403 {
			t.Errorf("%s as auditor: %d", p, r.status)
		}
	}
}
