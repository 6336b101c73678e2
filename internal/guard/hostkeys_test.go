package guard

import "testing"

// Finding 6: host-level keys are refused, and with PVE_ALLOW_HOST_ACCESS
// asked for.
var hostLevelCases = []guardCase{
	{"args", "PUT", vmConfig, form("args", "-fw_cfg name=x,file=/etc/shadow"), "", []string{"args"}, true},
	{"hookscript", "PUT", vmConfig, form("hookscript", "local:snippets/hook.sh"), "", []string{"hookscript"}, true},
	{"hostpci", "PUT", vmConfig, form("hostpci0", "0000:01:00.0"), "", []string{"hostpci0"}, true},
	{"hostpci mapped", "PUT", vmConfig, form("hostpci1", "mapping=gpu"), "", []string{"hostpci1"}, true},
	{"usb host device", "PUT", vmConfig, form("usb0", "host=1234:5678"), "", []string{"usb0.host"}, true},
	{"usb default key", "PUT", vmConfig, form("usb0", "usb3=1,1-2"), "", []string{"usb0.host"}, true},
	{"serial device", "PUT", vmConfig, form("serial0", "/dev/ttyS0"), "", []string{"serial0"}, true},
	{"parallel", "PUT", vmConfig, form("parallel0", "/dev/parport0"), "", []string{"parallel0"}, true},
	{"virtiofs", "PUT", vmConfig, form("virtiofs0", "dirid=share"), "", []string{"virtiofs0"}, true},
	{"lock", "PUT", vmConfig, form("lock", "backup"), "", []string{"lock"}, true},
	{"affinity", "PUT", vmConfig, form("affinity", "0-3"), "", []string{"affinity"}, true},
	{"skiplock", "PUT", vmConfig, form("skiplock", "1", "memory", "1024"), "", []string{"skiplock"}, true},
	{"skiplock on stop", "POST", "/nodes/pve1/qemu/100/status/stop", form("skiplock", "1"), "", []string{"skiplock"}, true},
	{"stateuri on start", "POST", "/nodes/pve1/qemu/100/status/start", form("stateuri", "tcp"), "", []string{"stateuri"}, true},
	{"migratedfrom on start", "POST", "/nodes/pve1/qemu/100/status/start", form("migratedfrom", "pve1"), "", []string{"migratedfrom"}, true},
	{"migrate force", "POST", "/nodes/pve1/qemu/100/migrate", form("target", "pve2", "force", "1"), "", []string{"force"}, true},
	{"drive as a host device", "POST", vmCreate, form("vmid", "100", "scsi1", "/dev/sda"), "", []string{"scsi1.file", "path on the node"}, true},
	{"import from a host file", "POST", vmCreate, form("vmid", "100", "scsi1", "local-lvm:0,import-from=/etc/shadow"), "", []string{"scsi1.import-from"}, true},
	{"archive from a host path", "POST", vmCreate, form("vmid", "100", "archive", "/var/lib/vz/dump/x.vma"), "", []string{"archive"}, true},
	{"ct dev", "PUT", ctConfig, form("dev0", "/dev/kvm"), "", []string{"dev0"}, true},
	{"ct bind mount", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "unprivileged", "1", "rootfs", "local-lvm:8", "mp0", "/,mp=/mnt/host"), "", []string{"mp0.volume", "bind or device mount"}, true},
	{"ct device mount", "PUT", ctConfig, form("mp1", "volume=/dev/sdb1,mp=/mnt/d"), "", []string{"mp1.volume"}, true},
	{"ct rootfs as a host path", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "unprivileged", "1", "rootfs", "/srv"), "", []string{"rootfs.volume"}, true},
	{"ct features beyond nesting", "PUT", ctConfig, form("features", "nesting=1,keyctl=1"), "", []string{"features.keyctl"}, true},
	{"ct features mount", "PUT", ctConfig, form("features", "mount=nfs"), "", []string{"features.mount"}, true},
	{"ct hookscript", "PUT", ctConfig, form("hookscript", "local:snippets/hook.sh"), "", []string{"hookscript"}, true},
	{"ct privileged on create", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "unprivileged", "0", "rootfs", "local-lvm:8"), "", []string{"unprivileged", "privileged container"}, true},
	{"ct unprivileged changed", "PUT", ctConfig, form("unprivileged", "0"), "", []string{"unprivileged"}, true},
	{"ct from a host path template", "POST", ctCreate, form("vmid", "200", "ostemplate", "/tmp/x.tar.zst", "unprivileged", "1", "rootfs", "local-lvm:8"), "", []string{"ostemplate"}, true},
	{"vzdump script", "POST", "/nodes/pve1/vzdump", form("vmid", "100", "script", "/root/x.sh"), "", []string{"script"}, true},
	{"vzdump dumpdir", "POST", "/nodes/pve1/vzdump", form("vmid", "100", "dumpdir", "/etc"), "", []string{"dumpdir"}, true},
	{"delete a lock", "PUT", vmConfig, form("delete", "lock"), "", []string{"delete names lock"}, true},
	{"delete a hookscript among others", "PUT", vmConfig, form("delete", "description,hookscript"), "", []string{"delete names hookscript"}, true},
	{"revert a hostpci", "PUT", vmConfig, form("revert", "hostpci0"), "", []string{"revert names hostpci0"}, true},
	{"delete a ct dev", "PUT", ctConfig, form("delete", "dev0"), "", []string{"delete names dev0"}, true},
	{"ct lock", "PUT", ctConfig, form("lock", "backup"), "", []string{"lock"}, true},
	{"ct dev among others", "PUT", ctConfig, form("memory", "1024", "dev3", "/dev/net/tun,mode=0666"), "", []string{"dev3"}, true},
	{"delete ct features", "PUT", ctConfig, form("delete", "features"), "", []string{"delete names features"}, true},
	{"delete a ct hookscript", "PUT", ctConfig, form("delete", "onboot,hookscript"), "", []string{"delete names hookscript"}, true},
	{"physical cd drive", "POST", vmCreate, form("vmid", "100", "ide0", "cdrom,media=cdrom"), "", []string{"ide0.file = cdrom"}, true},
	{"backup job tmpdir", "POST", "/cluster/backup", form("schedule", "daily", "storage", "local", "vmid", "100", "tmpdir", "/etc"), "", []string{"tmpdir"}, true},
}

func TestHostLevelRefused(t *testing.T) {
	cases := make([]guardCase, len(hostLevelCases))
	for i, tc := range hostLevelCases {
		tc.want = "refused"
		tc.has = append(tc.has, "PVE_ALLOW_HOST_ACCESS")
		cases[i] = tc
	}
	runGuardCases(t, Options{}, cases)
	runGuardCases(t, guestsSet, cases)
}

func TestHostLevelAskedWhenAllowed(t *testing.T) {
	cases := make([]guardCase, len(hostLevelCases))
	for i, tc := range hostLevelCases {
		tc.want = "consent"
		tc.has = append(tc.has, "host-level")
		cases[i] = tc
	}
	runGuardCases(t, Options{AllowHostAccess: true}, cases)
}

// HostAccess tells the tools what the guard would do with host-level writes.
func TestHostAccessAccessor(t *testing.T) {
	if newTestEnv(t, Options{}).g.HostAccess() || !newTestEnv(t, Options{AllowHostAccess: true}).g.HostAccess() {
		t.Error("HostAccess does not follow Options.AllowHostAccess")
	}
}

// What is not host-level stays free of questions.
func TestNotHostLevel(t *testing.T) {
	runGuardCases(t, Options{}, []guardCase{
		{"serial socket", "PUT", vmConfig, form("serial0", "socket"), "ok", nil, false},
		{"usb spice", "PUT", vmConfig, form("usb0", "spice"), "ok", nil, false},
		{"nesting", "PUT", ctConfig, form("features", "nesting=1"), "ok", nil, false},
		{"ct memory and hostname", "PUT", ctConfig, form("memory", "1024", "hostname", "web"), "ok", nil, false},
		{"ct delete a mount point asks only", "PUT", ctConfig, form("delete", "mp1"), "consent", []string{"delete"}, false},
		{"memory", "PUT", vmConfig, form("memory", "2048", "cores", "2"), "ok", nil, false},
		{"delete a description asks only", "PUT", vmConfig, form("delete", "description"), "consent", []string{"delete"}, false},
		{"startup asks", "PUT", vmConfig, form("startup", "order=1,up=600"), "consent", []string{"startup", "Sys.Modify"}, false},
		{"unprivileged on create", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "unprivileged", "1", "rootfs", "local-lvm:8"), "ok", nil, false},
		{"ct restore keeps the backup's setting", "POST", ctCreate, form("vmid", "200", "ostemplate", "local:backup/vzdump-lxc-200-2024_01_01-00_00_00.tar.zst", "restore", "1"), "ok", nil, false},
	})
}

func TestPrivilegedByDefaultBefore9(t *testing.T) {
	create := form("vmid", "200", "ostemplate", "local:vztmpl/d.tar.zst", "rootfs", "local-lvm:8")
	runGuardCases(t, Options{Release: "8.4"}, []guardCase{
		{"unprivileged left out on 8.4", "POST", ctCreate, create, "refused", []string{"unprivileged (left out)"}, true},
	})
	runGuardCases(t, Options{Release: "9.1"}, []guardCase{
		{"unprivileged left out on 9.1", "POST", ctCreate, create, "ok", nil, false},
	})
}
