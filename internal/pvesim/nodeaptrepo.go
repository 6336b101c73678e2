package pvesim

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// aptRepo is one repository line (or deb822 stanza) of a sources file.
type aptRepo struct {
	uri, suite, components, comment string
	enabled                         bool
}

type aptSourceFile struct {
	path  string
	repos []aptRepo
}

// sourceFiles are a home lab's APT sources: Debian, the no-subscription
// repository enabled, the enterprise and Ceph ones as the installer left
// them (disabled). PVE 9 writes deb822 .sources files.
func (s *Sim) baseSourceFiles() ([]aptSourceFile, string) {
	suite := debianSuite(s.major())
	ceph := map[int]string{7: "ceph-quincy", 8: "ceph-quincy", 9: "ceph-squid"}[s.major()]
	if s.major() >= 9 {
		return []aptSourceFile{
			{path: "/etc/apt/sources.list.d/debian.sources", repos: []aptRepo{
				{uri: "http://deb.debian.org/debian", suite: suite + " " + suite + "-updates", components: "main contrib non-free-firmware", enabled: true},
				{uri: "http://security.debian.org/debian-security", suite: suite + "-security", components: "main contrib non-free-firmware", enabled: true},
			}},
			{path: "/etc/apt/sources.list.d/pve-enterprise.sources", repos: []aptRepo{
				{uri: "https://enterprise.proxmox.com/debian/pve", suite: suite, components: "pve-enterprise"},
			}},
			{path: "/etc/apt/sources.list.d/proxmox.sources", repos: []aptRepo{
				{uri: "http://download.proxmox.com/debian/pve", suite: suite, components: "pve-no-subscription", enabled: true},
			}},
			{path: "/etc/apt/sources.list.d/ceph.sources", repos: []aptRepo{
				{uri: "https://enterprise.proxmox.com/debian/" + ceph, suite: suite, components: "enterprise"},
			}},
		}, "sources"
	}
	deb, sec, secSuite := "http://ftp.debian.org/debian", "http://security.debian.org", suite+"-security"
	comps := "main contrib"
	return []aptSourceFile{
		{path: "/etc/apt/sources.list", repos: []aptRepo{
			{uri: deb, suite: suite, components: comps, enabled: true},
			{uri: deb, suite: suite + "-updates", components: comps, enabled: true},
			{uri: sec, suite: secSuite, components: comps, comment: " security updates", enabled: true},
			{uri: "http://download.proxmox.com/debian/pve", suite: suite, components: "pve-no-subscription", enabled: true},
		}},
		{path: "/etc/apt/sources.list.d/ceph.list", repos: []aptRepo{
			{uri: "https://enterprise.proxmox.com/debian/" + ceph, suite: suite, components: "enterprise"},
		}},
		{path: "/etc/apt/sources.list.d/pve-enterprise.list", repos: []aptRepo{
			{uri: "https://enterprise.proxmox.com/debian/pve", suite: suite, components: "pve-enterprise"},
		}},
	}, "list"
}

// text renders the file as it is on disk (for the digest).
func (f aptSourceFile) text(kind string) string {
	var b strings.Builder
	for i, r := range f.repos {
		if kind == "sources" {
			if i > 0 {
				b.WriteString("\n")
			}
			b.WriteString("Types: deb\nURIs: " + r.uri + "\nSuites: " + r.suite + "\nComponents: " + r.components + "\n")
			if !r.enabled {
				b.WriteString("Enabled: false\n")
			}
			continue
		}
		if r.comment != "" {
			b.WriteString("\n#" + r.comment + "\n")
		}
		if !r.enabled {
			b.WriteString("# ")
		}
		b.WriteString("deb " + r.uri + " " + r.suite + " " + r.components + "\n")
	}
	return b.String()
}

// sourceFiles are the node's sources: the installer's, with the changes
// made through the API (repositories enabled or disabled, standard ones added).
func (c *call) sourceFiles(node string) ([]aptSourceFile, string) {
	ns := c.sys(node)
	files, kind := c.s.baseSourceFiles()
	files = append(files, ns.repoAdded...)
	out := make([]aptSourceFile, len(files))
	for i, f := range files {
		out[i] = aptSourceFile{path: f.path, repos: append([]aptRepo(nil), f.repos...)}
		for j := range out[i].repos {
			if on, ok := ns.repoEnabled[f.path+"#"+strconv.Itoa(j)]; ok {
				out[i].repos[j].enabled = on
			}
		}
	}
	return out, kind
}

// repoDigest is the common digest of all files (sha256 over each file's sha256).
func repoDigest(files []aptSourceFile, kind string) string {
	var all []byte
	for _, f := range files {
		sum := sha256.Sum256([]byte(f.text(kind)))
		all = append(all, sum[:]...)
	}
	total := sha256.Sum256(all)
	return hex.EncodeToString(total[:])
}

func (s *Sim) aptRepositories(c *call) (any, error) {
	files, kind := c.sourceFiles(c.params["node"])
	fileList := []map[string]any{}
	infos := []map[string]any{}
	for _, f := range files {
		sum := sha256.Sum256([]byte(f.text(kind)))
		digest := make([]int, len(sum))
		for i, b := range sum {
			digest[i] = int(b)
		}
		repos := []map[string]any{}
		for i, r := range f.repos {
			m := map[string]any{"Types": []string{"deb"}, "URIs": []string{r.uri}, "Suites": strings.Fields(r.suite),
				"Components": strings.Fields(r.components), "Options": []any{}, "Comment": r.comment,
				"FileType": kind, "Enabled": r.enabled}
			repos = append(repos, m)
			origin := "Debian"
			if strings.Contains(r.uri, "proxmox.com") {
				origin = "Proxmox"
			}
			infos = append(infos, map[string]any{"path": f.path, "index": strconv.Itoa(i), "kind": "origin", "message": origin})
			if r.enabled && r.components == "pve-no-subscription" {
				infos = append(infos, map[string]any{"path": f.path, "index": strconv.Itoa(i), "property": "Components",
					"kind": "warning", "message": "The no-subscription repository is not recommended for production use!"})
			}
		}
		fileList = append(fileList, map[string]any{"path": f.path, "file-type": kind, "repositories": repos, "digest": digest})
	}
	std := []map[string]any{
		{"handle": "enterprise", "name": "Enterprise",
			"description": "This is the default, stable, and recommended repository, available for all Proxmox subscription users."},
		{"handle": "no-subscription", "name": "No-Subscription",
			"description": "This is the recommended repository for testing and non-production use. Its packages are not as heavily tested and validated as the production ready enterprise repository. You don't need a subscription key to access this repository."},
		{"handle": "test", "name": "Test",
			"description": "This repository contains the latest packages and is primarily used for test labs and by developers to test new features."},
	}
	ceph := map[int]string{7: "quincy", 8: "quincy", 9: "squid"}[s.major()]
	title := strings.ToUpper(ceph[:1]) + ceph[1:]
	std = append(std,
		map[string]any{"handle": "ceph-" + ceph + "-enterprise", "name": "Ceph " + title + " Enterprise",
			"description": "This repository holds the production-ready Proxmox Ceph " + title + " packages."},
		map[string]any{"handle": "ceph-" + ceph + "-no-subscription", "name": "Ceph " + title + " No-Subscription",
			"description": "This repository holds the Proxmox Ceph " + title + " packages intended for non-production use. The deprecated 'main' repository is an alias for this in Proxmox VE 8."},
		map[string]any{"handle": "ceph-" + ceph + "-test", "name": "Ceph " + title + " Test",
			"description": "This repository contains the Ceph " + title + " packages before they are moved to the main repository."},
	)
	for _, r := range std {
		want, known := s.standardRepo(r["handle"].(string))
		if st, ok := repoStatus(files, want, known); ok {
			r["status"] = st
		} else {
			delete(r, "status")
		}
	}
	return map[string]any{"files": fileList, "errors": []any{}, "digest": repoDigest(files, kind),
		"infos": infos, "standard-repos": std}, nil
}

// standardRepo is the repository a standard handle stands for.
func (s *Sim) standardRepo(handle string) (aptRepo, bool) {
	suite := debianSuite(s.major())
	pve := "http://download.proxmox.com/debian/pve"
	switch handle {
	case "enterprise":
		return aptRepo{uri: "https://enterprise.proxmox.com/debian/pve", suite: suite, components: "pve-enterprise"}, true
	case "no-subscription":
		return aptRepo{uri: pve, suite: suite, components: "pve-no-subscription"}, true
	case "test":
		comp := "pve-test"
		if s.major() < 9 {
			comp = "pvetest"
		}
		return aptRepo{uri: pve, suite: suite, components: comp}, true
	}
	ceph := map[int]string{7: "quincy", 8: "quincy", 9: "squid"}[s.major()]
	for kind, base := range map[string]string{"enterprise": "https://enterprise.proxmox.com/debian/", "no-subscription": "http://download.proxmox.com/debian/", "test": "http://download.proxmox.com/debian/"} {
		if handle == "ceph-"+ceph+"-"+kind {
			return aptRepo{uri: base + "ceph-" + ceph, suite: suite, components: kind}, true
		}
	}
	return aptRepo{}, false
}

// repoStatus: whether a configured repository matches (and is enabled).
func repoStatus(files []aptSourceFile, want aptRepo, known bool) (bool, bool) {
	if !known {
		return false, false
	}
	found, on := false, false
	for _, f := range files {
		for _, r := range f.repos {
			if r.uri == want.uri && r.components == want.components {
				found = true
				on = on || r.enabled
			}
		}
	}
	return on, found
}

// putRepository adds a standard repository (or enables the configured one).
func (s *Sim) putRepository(c *call) (any, error) {
	node := c.params["node"]
	files, kind := c.sourceFiles(node)
	if d := c.params["digest"]; d != "" && d != repoDigest(files, kind) {
		return nil, failf("detected modified configuration - file changed by other user? Try again.")
	}
	handle := c.params["handle"]
	want, ok := s.standardRepo(handle)
	if !ok {
		return nil, failf("unknown repository handle '%s'", handle)
	}
	ns := c.sys(node)
	for _, f := range files {
		for j, r := range f.repos {
			if r.uri == want.uri && r.components == want.components {
				ns.repoEnabled[f.path+"#"+strconv.Itoa(j)] = true
				return nil, nil
			}
		}
	}
	want.enabled = true
	name := map[string]string{"enterprise": "pve-enterprise", "no-subscription": "pve-no-subscription", "test": "pvetest-for-beta"}[handle]
	if name == "" {
		name = "ceph"
	}
	ns.repoAdded = append(ns.repoAdded, aptSourceFile{path: "/etc/apt/sources.list.d/" + name + "." + kind, repos: []aptRepo{want}})
	return nil, nil
}

// postRepository enables or disables a repository by file and index.
func (s *Sim) postRepository(c *call) (any, error) {
	node := c.params["node"]
	files, kind := c.sourceFiles(node)
	if d := c.params["digest"]; d != "" && d != repoDigest(files, kind) {
		return nil, failf("detected modified configuration - file changed by other user? Try again.")
	}
	idx := atoiDefault(c.params["index"], -1)
	for _, f := range files {
		if f.path != c.params["path"] {
			continue
		}
		if idx < 0 || idx >= len(f.repos) {
			break
		}
		if c.has("enabled") {
			c.sys(node).repoEnabled[f.path+"#"+strconv.Itoa(idx)] = c.flagOr("enabled", true)
		}
		return nil, nil
	}
	return nil, failf("repository not found")
}
