package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// createLXC is POST /nodes/{node}/lxc: the checks, then a restore or the
// vzcreate task.
func (s *Sim) createLXC(c *call) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	conf, unpriv, err := c.checkCreateLXC()
	if err != nil {
		return nil, err
	}
	ostemplate := c.params["ostemplate"]
	if c.flag("restore") {
		return s.restoreCall(c, kindLXC, ostemplate)
	}
	plans, err := c.lxcNewConf(conf, unpriv, ostemplate)
	if err != nil {
		return nil, err
	}
	g := &guest{vmid: vmid, kind: kindLXC, node: nodeName, conf: map[string]string{"lock": "create"}, load: guestLoad(vmid)}
	c.st.guests[vmid] = g
	lines, drives, vols, aerr := c.st.allocate(nodeName, vmid, kindLXC, plans, c.now)
	for k, v := range drives {
		conf[k] = v
	}
	failMsg := ""
	if aerr != nil {
		failMsg = fmt.Sprintf("unable to create CT %d - %s", vmid, aerr)
	}
	tmpl := c.st.findVolume(nodeName, ostemplate)
	if tmpl == nil && failMsg == "" {
		failMsg = fmt.Sprintf("unable to create CT %d - volume '%s' does not exist", vmid, ostemplate)
	}
	path := ostemplate
	if tmpl != nil {
		path = volumePath(c.st.storageOn(nodeName, strings.SplitN(ostemplate, ":", 2)[0]).def, tmpl)
	}
	tl := c.lxcCreateLines(conf, lines, tmpl, path)
	start := c.flag("start")
	pool := c.params["pool"]
	user := c.authid
	return c.startTask(taskSpec{typ: kindLXC.task("create"), vmid: vmid,
		dur: 6 * time.Second, lines: tl, failMsg: failMsg, failAt: 0.45,
		onOK: func(end time.Time) error {
			g.conf = conf
			if pool != "" {
				s.addToPool(pool, g)
			}
			if start {
				s.startTask(taskSpec{node: nodeName, typ: kindLXC.task("start"), id: strconv.Itoa(vmid), user: user, vmid: vmid,
					dur: 1500 * time.Millisecond, onOK: func(end time.Time) error {
						g.running, g.startedAt = true, end
						return nil
					}})
			}
			return nil
		},
		onFail: func() {
			for _, v := range vols {
				s.st.removeVolume(nodeName, v)
			}
			if s.st.guests[vmid] == g {
				delete(s.st.guests, vmid)
			}
		}})
}

// checkCreateLXC checks a container create (or restore) and returns the
// config it gives.
func (c *call) checkCreateLXC() (conf map[string]string, unpriv bool, err error) {
	vmid := c.vmid()
	restore := c.flag("restore")
	existing := c.st.guests[vmid]
	unpriv = c.flag("unprivileged")
	if !restore && !unpriv {
		if err := c.checkPriv("/", "Sys.Modify"); err != nil {
			return nil, false, err
		}
	}
	force := c.flag("force")
	sameExists := existing != nil && existing == c.localGuest(kindLXC)
	if !(sameExists && restore && force) {
		if existing != nil {
			return nil, false, failf("%s", c.st.vmidInUse(vmid))
		}
	} else if existing.running {
		return nil, false, failf("can't overwrite running container")
	}
	if p := c.params["pool"]; p != "" && c.st.pools[p] == nil {
		return nil, false, failf("pool '%s' does not exist", p)
	}
	if err := c.checkCreatePerm(restore, sameExists); err != nil {
		return nil, false, err
	}
	conf = map[string]string{}
	for k, v := range c.params {
		if !createOnlyParams[k] {
			conf[k] = v
		}
	}
	if err := c.lxcCreateChecks(conf, restore, unpriv); err != nil {
		return nil, false, err
	}
	return conf, unpriv, nil
}

// lxcNewConf completes a new container's config and plans its volumes.
func (c *call) lxcNewConf(conf map[string]string, unpriv bool, ostemplate string) ([]*diskPlan, error) {
	nodeName := c.params["node"]
	if h, ok := conf["hookscript"]; ok {
		if err := c.checkHookscript(nodeName, h); err != nil {
			return nil, err
		}
	}
	storage := c.arg("storage")
	if _, ok := conf["rootfs"]; !ok {
		conf["rootfs"] = storage + ":4"
	}
	plans, err := c.planDisks(kindLXC, conf, storage)
	if err != nil {
		return nil, err
	}
	for k, v := range conf {
		if isIndexed(k, "net") {
			conf[k] = canonicalLxcNet(v, c.st.macAddr)
		}
	}
	if unpriv {
		conf["unprivileged"] = "1"
	}
	if _, ok := conf["arch"]; !ok {
		conf["arch"] = "amd64"
	}
	if _, ok := conf["ostype"]; !ok {
		conf["ostype"] = ostypeOf(ostemplate)
	}
	if t, ok := conf["tags"]; ok {
		conf["tags"] = normalizeTags(t)
	}
	return plans, nil
}

// lxcCreateLines is the vzcreate log: allocation, filesystem, extraction.
func (c *call) lxcCreateLines(conf map[string]string, lines []string, tmpl *volume, path string) []taskLine {
	var tl []taskLine
	host := conf["hostname"]
	if host == "" {
		host = "CT" + strconv.Itoa(c.vmid())
	}
	rootSize := sizeBytes(parsePropString(conf["rootfs"], "volume").get("size"))
	lines = append(lines,
		fmt.Sprintf("Creating filesystem with %d 4k blocks and %d inodes", rootSize/4096, rootSize/16384),
		"Filesystem UUID: "+c.st.uuid(),
		"Superblock backups stored on blocks: ",
		"\t32768, 98304, 163840, 229376, 294912, 819200, 884736, 1605632",
		"extracting archive '"+path+"'")
	for i, l := range lines {
		tl = append(tl, taskLine{at: 0.4 * float64(i) / float64(len(lines)), text: l})
	}
	var tsize int64 = 500 << 20
	if tmpl != nil {
		tsize = tmpl.size * 4
	}
	tl = append(tl, at(0.8,
		fmt.Sprintf("Total bytes read: %d (%dMiB, 91MiB/s)", tsize, tsize>>20),
		"Detected container architecture: "+conf["arch"],
		"Creating SSH host key 'ssh_host_rsa_key' - this may take some time ...",
		"done: SHA256:"+strings.ReplaceAll(c.st.uuid(), "-", "")+" root@"+host,
		"Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...",
		"done: SHA256:"+strings.ReplaceAll(c.st.uuid(), "-", "")+" root@"+host)...)
	return tl
}

// ostypeOf guesses the LXC ostype from a template name like pct does.
func ostypeOf(tmpl string) string {
	name := tmpl
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	for _, os := range []string{"debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "opensuse", "gentoo", "devuan", "nixos"} {
		if strings.HasPrefix(name, os) {
			return os
		}
	}
	if strings.HasPrefix(name, "rockylinux") || strings.HasPrefix(name, "almalinux") {
		return "centos"
	}
	return "unmanaged"
}
