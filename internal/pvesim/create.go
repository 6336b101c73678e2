package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Parameters of POST /nodes/{node}/qemu and /lxc that are not config keys.
var createOnlyParams = map[string]bool{
	"node": true, "vmid": true, "start": true, "storage": true, "archive": true, "force": true, "unique": true,
	"pool": true, "bwlimit": true, "live-restore": true, "import-working-storage": true, "ha-managed": true,
	"ostemplate": true, "restore": true, "password": true, "ssh-public-keys": true, "ignore-unpack-errors": true,
	"unprivileged": true,
}

// checkCreatePerm: VM.Allocate on /vms/{vmid} or /pool/{pool}, or VM.Backup
// when restoring over an existing guest with force; else a bare 403.
func (c *call) checkCreatePerm(restore bool, exists bool) error {
	vmid := c.params["vmid"]
	if c.s.has(c.authid, "/vms/"+vmid, "VM.Allocate") {
		return nil
	}
	if p := c.params["pool"]; p != "" && c.s.has(c.authid, "/pool/"+p, "VM.Allocate") {
		return nil
	}
	if restore && c.flag("force") && exists && c.s.has(c.authid, "/vms/"+vmid, "VM.Backup") {
		return nil
	}
	return permErrorText("Permission check failed")
}

// vmidInUse is check_vmid_unused's text.
func (st *state) vmidInUse(vmid int) error {
	if g := st.guests[vmid]; g != nil {
		return fmt.Errorf("%s %d already exists on node '%s'", g.typeName(), vmid, g.node)
	}
	return nil
}

func (s *Sim) createQemu(c *call) (any, error) {
	vmid := c.vmid()
	archive := c.params["archive"]
	conf, err := c.checkCreateQemu(archive)
	if err != nil {
		return nil, err
	}
	if archive != "" {
		return s.restoreCall(c, kindQemu, archive)
	}
	plans, err := c.planDisks(kindQemu, conf, c.params["storage"])
	if err != nil {
		return nil, err
	}
	for k, v := range conf {
		if isIndexed(k, "net") {
			conf[k] = canonicalQemuNet(v, c.st.macAddr)
		}
	}
	if c.st.guests[vmid] != nil {
		return nil, failf("unable to create VM %d - %s", vmid, c.st.vmidInUse(vmid))
	}
	return s.qemuCreateTask(c, conf, plans)
}

// checkCreateQemu checks a VM create (or restore) before anything is
// allocated and returns the config the parameters give.
func (c *call) checkCreateQemu(archive string) (map[string]string, error) {
	vmid, restore := c.vmid(), archive != ""
	if err := checkSSHKeys(c.params); err != nil {
		return nil, err
	}
	if p := c.params["pool"]; p != "" && c.st.pools[p] == nil {
		return nil, failf("pool '%s' does not exist", p)
	}
	if sid := c.params["storage"]; sid != "" {
		if err := c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
			return nil, err
		}
	}
	if c.flag("start") {
		if err := c.checkPriv("/vms/"+c.params["vmid"], "VM.PowerMgmt"); err != nil {
			return nil, err
		}
	}
	if err := c.checkCreatePerm(restore, c.st.guests[vmid] != nil); err != nil {
		return nil, err
	}
	conf := map[string]string{}
	for k, v := range c.params {
		if !createOnlyParams[k] {
			conf[k] = v
		}
	}
	if restore {
		for _, k := range sortedKeys(conf) {
			if pveid.QemuDrive(k) {
				return nil, paramErr(k, "option conflicts with option 'archive'")
			}
		}
		if archive == "-" {
			return nil, failf("pipe requires cli environment")
		}
		if err := c.checkVolumeAccess(vmid, archive, "backup"); err != nil {
			return nil, err
		}
	}
	if v, ok := conf["cdrom"]; ok {
		delete(conf, "cdrom")
		conf["ide2"] = v
		if !strings.Contains(v, "media=") {
			conf["ide2"] = v + ",media=cdrom"
		}
	}
	return conf, c.qemuCreateChecks(conf)
}

// qemuCreateTask allocates the disks and starts qmcreate, which writes the
// config when it ends (or frees the disks when it fails).
func (s *Sim) qemuCreateTask(c *call, conf map[string]string, plans []*diskPlan) (any, error) {
	nodeName, vmid := c.params["node"], c.vmid()
	g := &guest{vmid: vmid, kind: kindQemu, node: nodeName, conf: map[string]string{"lock": "create"}, load: guestLoad(vmid)}
	c.st.guests[vmid] = g
	lines, drives, vols, aerr := c.st.allocate(nodeName, vmid, kindQemu, plans, c.now)
	start, user, pool := c.flag("start"), c.authid, c.params["pool"]
	failMsg := ""
	if aerr != nil {
		failMsg = fmt.Sprintf("unable to create VM %d - %s", vmid, aerr)
	}
	for k, v := range drives {
		conf[k] = v
	}
	for _, pl := range plans {
		if pl.cdrom && pl.volid != "none" && pl.volid != "cdrom" && c.st.findVolume(nodeName, pl.volid) == nil && failMsg == "" {
			failMsg = fmt.Sprintf("unable to create VM %d - volume '%s' does not exist", vmid, pl.volid)
		}
	}
	s.completeQemuConf(c, conf)
	var tl []taskLine
	for i, l := range lines {
		tl = append(tl, taskLine{at: 0.2 + 0.6*float64(i)/float64(len(lines)+1), text: l})
	}
	if start {
		tl = append(tl, taskLine{at: 1, text: "Execute autostart"})
	}
	return c.startTask(taskSpec{typ: kindQemu.task("create"), vmid: vmid,
		dur: 2*time.Second + time.Duration(len(vols))*500*time.Millisecond, lines: tl, failMsg: failMsg, failAt: 0.5,
		onOK: func(end time.Time) error {
			g.conf = conf
			if pool != "" {
				s.addToPool(pool, g)
			}
			if start {
				s.startQemu(g, nodeName, vmid, user, false)
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

// completeQemuConf adds what qemu-server writes into every new config:
// boot order, SMBIOS UUID, VM generation id, normalized tags, meta.
func (s *Sim) completeQemuConf(c *call, conf map[string]string) {
	if _, ok := conf["boot"]; !ok {
		conf["boot"] = defaultBoot(conf)
	}
	if _, ok := conf["smbios1"]; !ok {
		conf["smbios1"] = "uuid=" + c.st.uuid()
	}
	if v, ok := conf["vmgenid"]; !ok || v == "1" {
		conf["vmgenid"] = c.st.uuid()
	}
	if t, ok := conf["tags"]; ok {
		conf["tags"] = normalizeTags(t)
	}
	conf["meta"] = fmt.Sprintf("creation-qemu=%s,ctime=%d", s.qemuVersion(), c.now.Unix())
}

func (s *Sim) qemuVersion() string {
	switch s.major() {
	case 8:
		return "9.2.0"
	case 7:
		return "7.2.0"
	}
	return "10.1.2"
}

func guestLoad(vmid int) float64 { return 0.01 + float64(vmid*7919%97)/1000 }

func (s *Sim) addToPool(pool string, g *guest) {
	if p := s.st.pools[pool]; p != nil {
		p.members[g.kind.id(g.vmid)] = true
		g.pool = pool
		_ = s.acl.st.AddPoolMember(pool, "/vms/"+strconv.Itoa(g.vmid))
	}
}

// defaultBoot is get_default_bootdevices: first disk, CD-ROMs, first NIC.
func defaultBoot(conf map[string]string) string {
	var devs []string
	var cds []string
	disk := ""
	for _, bus := range []string{"ide", "sata", "scsi", "virtio"} {
		for i := 0; kindQemu.diskSlot(bus + strconv.Itoa(i)); i++ {
			k := bus + strconv.Itoa(i)
			v, ok := conf[k]
			if !ok {
				continue
			}
			if parsePropString(v, "file").get("media") == "cdrom" {
				cds = append(cds, k)
			} else if disk == "" {
				disk = k
			}
		}
	}
	if disk != "" {
		devs = append(devs, disk)
	}
	devs = append(devs, cds...)
	if _, ok := conf["net0"]; ok {
		devs = append(devs, "net0")
	}
	if len(devs) == 0 {
		return " "
	}
	return "order=" + strings.Join(devs, ";")
}
