package pvesim

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

func (s *Sim) aptRoutes() []route {
	b := "/nodes/{node}/apt"
	return []route{
		{method: "GET", tmpl: b, h: indexOf("id")},
		{method: "GET", tmpl: b + "/update", h: s.aptListUpdates},
		{method: "POST", tmpl: b + "/update", h: s.aptUpdate},
		{method: "GET", tmpl: b + "/versions", h: s.aptVersions},
		{method: "GET", tmpl: b + "/changelog", h: s.aptChangelog},
		{method: "GET", tmpl: b + "/repositories", h: s.aptRepositories},
		{method: "PUT", tmpl: b + "/repositories", h: s.putRepository},
		{method: "POST", tmpl: b + "/repositories", h: s.postRepository},
	}
}

// pkgJSON is assemble_pkginfo: Version is the candidate, OldVersion what
// is installed.
func (p aptPkg) pkgJSON() map[string]any {
	cand := p.version
	if p.newVersion != "" {
		cand = p.newVersion
	}
	desc := p.title + "."
	if p.origin == "Proxmox" {
		desc = "This package is part of the Proxmox VE software stack: " + p.title + "."
	}
	arch := "amd64"
	if p.section == "perl" || p.name == "proxmox-ve" || p.name == "pve-docs" || p.name == "tzdata" || p.name == "proxmox-widget-toolkit" {
		arch = "all"
	}
	return map[string]any{"Package": p.name, "Title": p.title, "Description": desc, "Origin": p.origin,
		"Section": p.section, "Arch": arch, "Priority": p.prio, "Version": cand, "OldVersion": p.version}
}

func (s *Sim) aptListUpdates(c *call) (any, error) {
	out := []map[string]any{}
	for _, p := range c.sys(c.params["node"]).upgrades {
		out = append(out, p.pkgJSON())
	}
	return out, nil
}

// aptUpdate is the "aptupdate" worker: apt-get update's output for the
// node's enabled repositories, then the package list is refreshed (the
// updates found show in GET update and versions). The enterprise
// repository without a subscription answers 401 and fails the task.
func (s *Sim) aptUpdate(c *call) (any, error) {
	node := c.params["node"]
	ns := c.sys(node)
	first := !ns.aptRan
	files, _ := c.sourceFiles(node)
	lines := []string{"starting apt-get update"}
	var errs []string
	item := 0
	noSub := false
	for _, f := range files {
		for _, r := range f.repos {
			if !r.enabled {
				continue
			}
			noSub = noSub || r.components == "pve-no-subscription"
			for _, suite := range strings.Fields(r.suite) {
				item++
				switch {
				case strings.Contains(r.uri, "enterprise.proxmox.com"):
					lines = append(lines, fmt.Sprintf("Err:%d %s %s InRelease", item, r.uri, suite), "  401  Unauthorized [IP: 170.130.165.90 443]")
					errs = append(errs, fmt.Sprintf("E: Failed to fetch %s/dists/%s/InRelease  401  Unauthorized [IP: 170.130.165.90 443]", r.uri, suite),
						fmt.Sprintf("E: The repository '%s %s InRelease' is not signed.", r.uri, suite))
				case first && strings.HasSuffix(suite, "-security"):
					lines = append(lines, fmt.Sprintf("Get:%d %s %s InRelease [43.4 kB]", item, r.uri, suite))
					item++
					lines = append(lines, fmt.Sprintf("Get:%d %s %s/main amd64 Packages [71.2 kB]", item, r.uri, suite))
				default:
					lines = append(lines, fmt.Sprintf("Hit:%d %s %s InRelease", item, r.uri, suite))
				}
			}
		}
	}
	if first && noSub {
		item++
		suite := debianSuite(s.major())
		lines = append(lines, fmt.Sprintf("Get:%d http://download.proxmox.com/debian/pve %s/pve-no-subscription amd64 Packages [402 kB]", item, suite),
			"Fetched 517 kB in 2s (251 kB/s)")
	}
	lines = append(lines, "Reading package lists...")
	lines = append(lines, errs...)
	if c.flag("quiet") {
		lines = nil
	}
	tl := make([]taskLine, len(lines))
	for i, l := range lines {
		tl[i] = taskLine{at: float64(i+1) / float64(len(lines)+1), text: l}
	}
	sp := taskSpec{typ: "aptupdate", dur: 4 * time.Second, lines: tl}
	if len(errs) > 0 {
		sp.failMsg = "command 'apt-get update' failed: exit code 100"
	}
	major := s.major()
	var worker *task
	sp.onOK = func(end time.Time) error {
		if !ns.aptRan {
			ns.aptRan = true
			ns.upgrades = upgradesFound(major)
		}
		pid := 1
		if worker != nil {
			pid = int(worker.pid)
		}
		ns.events = append(ns.events, journalEntry{t: end.Add(-50 * time.Millisecond), ident: "pvedaemon", pid: pid,
			unit: "pvedaemon", msg: "update new package list: /var/lib/pve-manager/pkgupdates"})
		return nil
	}
	sp.node, sp.user = node, c.authid
	worker = s.startTask(sp)
	return worker.upid, nil
}

func (s *Sim) aptVersions(c *call) (any, error) {
	ns := c.sys(c.params["node"])
	pkgs := packagesOf(s.major(), ns.upgrades)
	// proxmox-ve and pve-manager first, the kernels, then the rest by name
	rank := func(p aptPkg) int {
		switch {
		case p.name == "proxmox-ve":
			return 0
		case p.name == "pve-manager":
			return 1
		case strings.HasPrefix(p.name, "proxmox-kernel-") && p.name != "proxmox-kernel-helper", strings.HasPrefix(p.name, "pve-kernel-"):
			return 2
		}
		return 3
	}
	sort.SliceStable(pkgs, func(i, j int) bool {
		ri, rj := rank(pkgs[i]), rank(pkgs[j])
		if ri != rj || ri == 2 {
			return ri < rj
		}
		return pkgs[i].name < pkgs[j].name
	})
	out := []map[string]any{}
	for _, p := range pkgs {
		if p.name == "pve-manager" {
			p.version = s.schema.version
		}
		m := p.pkgJSON()
		m["CurrentState"] = "Installed"
		switch p.name {
		case "pve-manager":
			m["ManagerVersion"] = s.schema.version + "/" + s.schema.repoid
		case "proxmox-ve":
			m["RunningKernel"] = s.runningKernel()
		}
		out = append(out, m)
	}
	return out, nil
}

var pkgNameRe = lazyre.New(`^[a-z0-9][-+.a-z0-9:]+$`)

// aptChangelog is apt-get changelog's output (errors included, then "RC: n").
func (s *Sim) aptChangelog(c *call) (any, error) {
	name, want := c.params["name"], c.params["version"]
	if !pkgNameRe.MatchString(name) {
		return "E: No packages found\nRC: 100", nil
	}
	var p *aptPkg
	for _, q := range packagesOf(s.major(), c.sys(c.params["node"]).upgrades) {
		if q.name == name {
			q := q
			p = &q
		}
	}
	if p == nil {
		return "E: No packages found\nRC: 100", nil
	}
	if p.name == "pve-manager" {
		p.version = s.schema.version
	}
	top := p.version
	if p.newVersion != "" {
		top = p.newVersion
	}
	if want != "" {
		if want != p.version && want != p.newVersion {
			return fmt.Sprintf("E: Version '%s' for '%s' was not found\nRC: 100", want, name), nil
		}
		top = want
	}
	suite := debianSuite(s.major())
	who := " -- Proxmox Support Team <support@proxmox.com>  "
	if p.origin == "Debian" {
		who = " -- Debian Security Team <team@security.debian.org>  "
		suite += "-security"
	}
	var b strings.Builder
	date := c.now.AddDate(0, 0, -12)
	versions := []string{top}
	if top != p.version {
		versions = append(versions, p.version)
	}
	for i, v := range versions {
		d := date.AddDate(0, 0, -21*i)
		fmt.Fprintf(&b, "%s (%s) %s; urgency=medium\n\n", name, v, suite)
		if i == 0 && top != p.version {
			b.WriteString("  * fix issues reported in the community forum and the bug tracker\n\n")
		} else {
			b.WriteString("  * bump version for the current point release\n\n")
		}
		b.WriteString(who + d.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700") + "\n\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n", nil
}
