package pvesim

import (
	"fmt"
	"strings"
)

// report is PVE::Report::generate: sections of "# command" and its output,
// built from the node's own state (versions, hosts, storages, guests,
// network, cluster, LVM).
func (s *Sim) nodeReport(c *call) (any, error) {
	node := c.params["node"]
	n := c.st.node(node)
	ns := c.sys(node)
	var b strings.Builder
	section := func(title string) { b.WriteString("\n==== " + title + " ====\n") }
	cmd := func(command string, lines ...string) {
		b.WriteString("\n# " + command + "\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	loc := ns.location()
	kern := s.runningKernel()

	section("general system info")
	cmd("hostname", node)
	cmd("date -R", c.now.In(loc).Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	cmd("cat /proc/cmdline", "BOOT_IMAGE=/boot/vmlinuz-"+kern+" root=/dev/mapper/pve-root ro quiet")
	cmd("pveversion --verbose", s.pveversionLines(ns)...)
	cmd("cat /etc/hosts", strings.Split(strings.TrimRight(ns.hosts, "\n"), "\n")...)
	cmd("pvesubscription get", "message: There is no subscription key", "serverid: "+serverID(n), "status: notfound",
		"url: "+s.subscriptionURL())
	files, kind := c.sourceFiles(node)
	if kind == "list" {
		cmd("cat /etc/apt/sources.list", strings.Split(strings.TrimRight(files[0].text(kind), "\n"), "\n")...)
		files = files[1:]
	}
	b.WriteString("# output '/etc/apt/sources.list.d/.+\\." + kind + "' file(s)\n")
	for _, f := range files {
		b.WriteString("\n# cat " + f.path + "\n" + f.text(kind) + "\n")
	}
	cmd("lscpu", "Architecture:                         x86_64", "CPU op-mode(s):                       32-bit, 64-bit",
		"Address sizes:                        48 bits physical, 48 bits virtual", "Byte Order:                           Little Endian",
		fmt.Sprintf("CPU(s):                               %d", n.cpus), "Vendor ID:                            AuthenticAMD",
		"Model name:                           AMD EPYC 7313P 16-Core Processor", "Thread(s) per core:                   2",
		fmt.Sprintf("Core(s) per socket:                   %d", n.cpus/2), "Socket(s):                            1",
		"Virtualization:                       AMD-V")

	section("overall system load info")
	cmd("top -b -c -w512 -n 1 -o TIME | head -n 30",
		fmt.Sprintf("top - %s up %d days,  1 user,  load average: 0.16, 0.10, 0.02", c.now.In(loc).Format("15:04:05"), int(c.now.Sub(n.boot).Hours()/24)))

	section("info about storage")
	var cfg []string
	for _, d := range c.st.storages {
		m := storageConfigJSON(d)
		cfg = append(cfg, d.typ+": "+d.id)
		for _, k := range sortedKeys(m) {
			if k == "storage" || k == "type" || k == "digest" {
				continue
			}
			cfg = append(cfg, fmt.Sprintf("\t%s %v", k, m[k]))
		}
		cfg = append(cfg, "")
	}
	cmd("cat /etc/pve/storage.cfg", cfg...)
	status := []string{"Name             Type     Status           Total            Used       Available        %"}
	for _, d := range c.st.storages {
		st := n.store[d.id]
		if st == nil {
			continue
		}
		info := s.storageInfo(st)
		used, total := info["used"].(int64), d.total
		status = append(status, fmt.Sprintf("%-16s %-8s %-9s %15d %15d %15d %7.2f%%", d.id, d.typ, "active", total/1024, used/1024,
			(total-used)/1024, 100*float64(used)/float64(total)))
	}
	cmd("pvesm status", status...)

	section("info about virtual guests")
	qm := []string{"      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       "}
	pct := []string{"VMID       Status     Lock         Name                "}
	for _, g := range c.st.sortedGuests() {
		if g.node != node {
			continue
		}
		state := "stopped"
		if g.running {
			state = "running"
		}
		list := byKind(g.kind, &qm, &pct)
		*list = append(*list, byKind(g.kind, qmListLine, pctListLine)(g, state))
	}
	cmd("qm list", qm...)
	cmd("pct list", pct...)

	section("info about network")
	cmd("cat /etc/network/interfaces", render(n.net.cur)...)

	section("info about cluster")
	nodes := []string{"", "Membership information", "----------------------", "    Nodeid      Votes Name"}
	for _, o := range c.st.nodes {
		me := ""
		if o.name == node {
			me = " (local)"
		}
		if !o.offline {
			nodes = append(nodes, fmt.Sprintf("%10d %10d %s%s", o.id, 1, o.name, me))
		}
	}
	cmd("pvecm nodes", nodes...)

	section("info about volumes")
	pvSz := float64(pvSize()) / float64(diskGiB)
	free := float64(pvSize()-s.vgUsed(n)) / float64(diskGiB)
	cmd("pvs", "  PV             VG  Fmt  Attr PSize  PFree ", fmt.Sprintf("  /dev/nvme0n1p3 pve lvm2 a--  <%.2fg %.2fg", pvSz, free))
	lvs := []string{"  LV            VG  Attr       LSize   Pool Origin Data%  Meta%  Move Log Cpy%Sync Convert"}
	var vols []string
	if thin := n.store["local-lvm"]; thin != nil {
		lvs = append(lvs, fmt.Sprintf("  data          pve twi-aotz-- <%.2fg             %5.2f  0.52", float64(thin.def.total)/float64(diskGiB),
			100*float64(thin.used())/float64(thin.def.total)))
		vols = sortedKeys(thin.vols)
		for _, v := range vols {
			lvs = append(lvs, fmt.Sprintf("  %-13s pve Vwi-a-tz-- %6.2fg data        %5.2f", strings.TrimPrefix(v, "local-lvm:"),
				float64(thin.vols[v].size)/float64(diskGiB), 31.5))
		}
	}
	lvs = append(lvs, "  root          pve -wi-ao----  96.00g", "  swap          pve -wi-ao----   8.00g")
	cmd("lvs", lvs...)
	cmd("vgs", "  VG  #PV #LV #SN Attr   VSize  VFree ", fmt.Sprintf("  pve   1 %3d   0 wz--n- <%.2fg %.2fg", 3+len(vols), pvSz, free))
	return b.String(), nil
}

// pveversionLines is pveversion -v: name: version, with the running
// kernel and manager version on the first two lines.
func (s *Sim) pveversionLines(ns *nodeSys) []string {
	var out []string
	for _, p := range packagesOf(s.major(), ns.upgrades) {
		switch p.name {
		case "proxmox-ve":
			out = append(out, fmt.Sprintf("proxmox-ve: %s (running kernel: %s)", p.version, s.runningKernel()))
		case "pve-manager":
			out = append(out, fmt.Sprintf("pve-manager: %s (running version: %s/%s)", s.schema.version, s.schema.version, s.schema.repoid))
		default:
			out = append(out, p.name+": "+p.version)
		}
	}
	return out
}

// qmListLine is a VM's line of `qm list`.
func qmListLine(g *guest, state string) string {
	pid := 0
	if g.running {
		pid = 10000 + g.vmid*7
	}
	return fmt.Sprintf("%10d %-20s %-10s %-10d %12.2f %-10d", g.vmid, g.name(), state, g.maxMem()>>20,
		float64(g.maxDisk())/float64(diskGiB), pid)
}

// pctListLine is a container's line of `pct list`.
func pctListLine(g *guest, state string) string {
	return fmt.Sprintf("%-10d %-10s %-12s %-20s", g.vmid, state, g.lock(), g.name())
}
