package pvesim

import (
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// qemu-server's config permission rules (API2/Qemu.pm): the option groups of
// $check_vm_modify_config_perm, the value-dependent checks for serial, usb,
// hostpci, rng and virtiofs devices, and $check_storage_access. root@pam
// passes all of them; any token (even root@pam!x) does not.

var qemuOptionPrivs = func() map[string][]string {
	m := map[string][]string{}
	add := func(privs []string, keys ...string) {
		for _, k := range keys {
			m[k] = privs
		}
	}
	add([]string{"VM.Config.CPU"}, "cores", "cpu", "runningcpu", "cpulimit", "cpuunits", "numa", "smp", "sockets", "vcpus")
	add([]string{"VM.Config.Memory"}, "memory", "balloon", "shares", "allow-ksm")
	add([]string{"VM.Config.HWType"}, "acpi", "hotplug", "kvm", "machine", "runningmachine", "scsihw", "smbios1",
		"tablet", "vga", "watchdog", "audio0", "rng0")
	add([]string{"VM.Config.Options"}, "agent", "autostart", "bios", "description", "keyboard", "localtime",
		"migrate_downtime", "migrate_speed", "name", "onboot", "ostype", "protection", "reboot", "startdate",
		"startup", "tdf", "template")
	add([]string{"VM.PowerMgmt"}, "freeze")
	add([]string{"VM.Config.Disk"}, "boot", "bootdisk", "vmstatestorage")
	add([]string{"VM.Config.Network"}, "running-nets-host-mtu")
	add([]string{"VM.Config.Disk", "VM.PowerMgmt"}, "vmstate")
	return m
}()

var qemuCloudinitOpts = map[string]bool{"cicustom": true, "cipassword": true, "citype": true, "ciuser": true,
	"ciupgrade": true, "nameserver": true, "searchdomain": true, "sshkeys": true}

// vmPerm is check_vm_perm: the pool grants it first, else /vms/{vmid}.
func (c *call) vmPerm(pool string, any bool, privs ...string) error {
	if pool != "" && c.s.acl.st.Has(c.authid, "/pool/"+pool, privs, any) {
		return nil
	}
	path := "/vms/" + c.params["vmid"]
	if any {
		return c.checkAny(path, privs...)
	}
	return c.checkPriv(path, privs...)
}

// qemuModifyPerm is $check_vm_modify_config_perm: every key outside the
// option groups is root-only.
func (c *call) qemuModifyPerm(keys []string, pool string) error {
	if c.authid == rootUser {
		return nil
	}
	old := c.s.major() < 8
	for _, k := range keys {
		switch {
		case pveid.QemuDrive(k), k == "cdrom", k == "tags":
			continue
		case isIndexed(k, "unused"), isIndexed(k, "serial"), isIndexed(k, "usb"), isIndexed(k, "virtiofs"):
			continue
		case isIndexed(k, "hostpci") && !old: // PVE 7 kept hostpci root-only
			continue
		}
		var err error
		privs := qemuOptionPrivs[k]
		switch {
		case old && k == "rng0":
			privs = nil
		case isIndexed(k, "numa"):
			privs = []string{"VM.Config.CPU"}
		case isIndexed(k, "net"), old && isIndexed(k, "ipconfig"):
			privs = []string{"VM.Config.Network"}
		}
		switch {
		case privs != nil:
			err = c.vmPerm(pool, false, privs...)
			if err == nil && k == "startup" {
				err = c.checkPriv("/", "Sys.Modify")
			}
		case qemuCloudinitOpts[k] || isIndexed(k, "ipconfig"):
			err = c.vmPerm(pool, true, "VM.Config.Cloudinit", "VM.Config.Network")
		default:
			err = failf("only root can set '%s' config", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// qemuCreateChecks are create_vm's checks of the config keys: storage
// access, the option permission rules, then the device values.
func (c *call) qemuCreateChecks(conf map[string]string) error {
	if len(conf) == 0 {
		return nil
	}
	pool := c.params["pool"]
	if err := c.qemuStorageAccess(conf, c.params["storage"]); err != nil {
		return err
	}
	if err := c.qemuModifyPerm(sortedKeys(conf), pool); err != nil {
		return err
	}
	return c.qemuCreateDevicePerm(conf, pool)
}

// qemuCreateDevicePerm runs the create-time checks of serial, usb, hostpci,
// rng0 and virtiofs values.
func (c *call) qemuCreateDevicePerm(set map[string]string, pool string) error {
	if c.authid == rootUser {
		return nil
	}
	for _, k := range sortedKeys(set) {
		var err error
		switch {
		case isIndexed(k, "serial"):
			if set[k] == "socket" {
				err = c.vmPerm(pool, false, "VM.Config.HWType")
			} else {
				err = failf("only root can set '%s' config for real devices", k)
			}
		default:
			err = c.qemuDevicePerm(k, set[k], pool)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// qemuDevicePerm is check_usb_perm, check_hostpci_perm, check_rng_perm and
// check_dir_perm for one value (other keys pass).
func (c *call) qemuDevicePerm(k, v, pool string) error {
	if c.authid == rootUser {
		return nil
	}
	switch {
	case isIndexed(k, "usb"):
		if err := c.vmPerm(pool, false, "VM.Config.HWType"); err != nil {
			return err
		}
		p := parsePropString(v, "host")
		switch {
		case p.get("host") != "":
			if !strings.EqualFold(p.get("host"), "spice") {
				return failf("only root can set '%s' config for real devices", k)
			}
		case p.get("mapping") != "":
			return c.checkPriv("/mapping/usb/"+p.get("mapping"), "Mapping.Use")
		default:
			return failf("either 'host' or 'mapping' must be set.")
		}
	case isIndexed(k, "hostpci"):
		p := parsePropString(v, "host")
		switch {
		case p.get("host") != "":
			return failf("only root can set '%s' config for non-mapped devices", k)
		case p.get("mapping") != "":
			if err := c.checkPriv("/mapping/pci/"+p.get("mapping"), "Mapping.Use"); err != nil {
				return err
			}
			if err := c.vmPerm(pool, false, "VM.Config.HWType"); err != nil {
				return err
			}
		default:
			return failf("either 'host' or 'mapping' must be set.")
		}
		if p.has("romfile") {
			return paramErr(k, "only root@pam can set 'romfile' option")
		}
	case k == "rng0":
		if err := c.vmPerm(pool, false, "VM.Config.HWType"); err != nil {
			return err
		}
		if parsePropString(v, "source").get("source") == "/dev/hwrng" {
			return c.checkPriv("/mapping/hwrng", "Mapping.Use")
		}
	case isIndexed(k, "virtiofs"):
		if err := c.vmPerm(pool, false, "VM.Config.Disk"); err != nil {
			return err
		}
		return c.checkPriv("/mapping/dir/"+parsePropString(v, "dirid").get("dirid"), "Mapping.Use")
	}
	return nil
}

var cloudinitDriveRe = lazyre.New(`[:/](?:vm-\d+-)?cloudinit(?:\.(?:raw|qcow2|vmdk))?$`)

// qemuDrivePerm is $check_drive_perms of the config update.
func (c *call) qemuDrivePerm(v string) error {
	p := parsePropString(v, "file")
	switch {
	case cloudinitDriveRe.MatchString(p.get("file")):
		return c.vmPerm("", false, "VM.Config.Cloudinit", "VM.Config.CDROM")
	case p.get("media") == "cdrom":
		return c.vmPerm("", false, "VM.Config.CDROM")
	}
	return c.vmPerm("", false, "VM.Config.Disk")
}

// qemuUpdatePerm is what the config update checks per key while it writes
// (in the worker for POST): drives, device values and unused volumes.
func (c *call) qemuUpdatePerm(g *guest, u *configUpdate) error {
	cur := func(k string) (string, bool) {
		if v, ok := g.pending[k]; ok {
			return v, true
		}
		v, ok := g.conf[k]
		return v, ok
	}
	for _, k := range u.del {
		val, ok := cur(k)
		if !ok {
			continue // "cannot delete '$opt' - not set in current configuration!"
		}
		var err error
		switch {
		case isIndexed(k, "unused"):
			err = c.vmPerm("", false, "VM.Config.Disk")
			file := parsePropString(val, "file").get("file")
			if err == nil && c.st.volumeOwner(file, c.s.major()) == g.vmid {
				sid, _, _ := parseVolumeID(file)
				err = c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace")
			}
		case pveid.QemuDrive(k):
			err = c.qemuDrivePerm(val)
		case isIndexed(k, "serial"):
			if val == "socket" {
				err = c.vmPerm("", false, "VM.Config.HWType")
			} else if c.authid != rootUser {
				err = failf("only root can delete '%s' config for real devices", k)
			}
		default:
			err = c.qemuDevicePerm(k, val, "")
		}
		if err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(u.set) {
		val := u.set[k]
		old, had := g.conf[k]
		var err error
		switch {
		case pveid.QemuDrive(k):
			if had {
				err = c.qemuDrivePerm(old)
			}
			if err == nil {
				err = c.qemuDrivePerm(val)
			}
		case isIndexed(k, "serial"):
			if (!had || old == "socket") && val == "socket" {
				err = c.vmPerm("", false, "VM.Config.HWType")
			} else if c.authid != rootUser {
				err = failf("only root can modify '%s' config for real devices", k)
			}
		default:
			if had {
				err = c.qemuDevicePerm(k, old, "")
			}
			if err == nil {
				err = c.qemuDevicePerm(k, val, "")
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// qemuStorageAccess is $check_storage_access: new disks need space on their
// storage, existing volumes and import sources go through check_volume_access.
func (c *call) qemuStorageAccess(set map[string]string, defStorage string) error {
	vmid := c.vmid()
	for _, k := range sortedKeys(set) {
		if !pveid.QemuDrive(k) {
			continue
		}
		p := parsePropString(set[k], "file")
		file := p.get("file")
		if file == "" {
			file = p.get("volume")
		}
		cdrom := p.get("media") == "cdrom"
		_, volname, isVolid := parseVolumeID(file)
		switch m := newDiskRe.FindStringSubmatch(file); {
		case file == "" || file == "none" || file == "cloudinit" || (isVolid && volname == "cloudinit"):
		case cdrom && file == "cdrom":
			if err := c.checkPriv("/", "Sys.Console"); err != nil {
				return err
			}
		case !cdrom && m != nil:
			sid := m[2]
			if sid == "" {
				sid = defStorage
			}
			if sid == "" {
				return failf("no storage ID specified (and no default storage)")
			}
			if err := c.checkPriv("/storage/"+sid, "Datastore.AllocateSpace"); err != nil {
				return err
			}
			d := c.st.storageDef(sid)
			if d == nil {
				return failf("storage '%s' does not exist", sid)
			}
			if !hasContent(d, "images") {
				return paramErr("storage", "storage '"+sid+"' does not support vm images")
			}
		default:
			if err := c.checkVolumeAccess(vmid, file, ""); err != nil {
				return err
			}
			if isVolid {
				vtype, _, err := c.parseVolid(file)
				if err != nil {
					return err
				}
				if vtype != "images" && vtype != "iso" {
					return paramErr(k, "content type needs to be 'images' or 'iso'")
				}
			}
		}
		if err := c.importFromAccess(k, p.get("import-from"), vmid); err != nil {
			return err
		}
	}
	for _, k := range sortedKeys(set) {
		if !isIndexed(k, "unused") {
			continue
		}
		file := parsePropString(set[k], "file").get("file")
		if file == "" {
			return paramErr(k, "value does not have a volid set")
		}
		if _, _, ok := parseVolumeID(file); !ok {
			return paramErr(k, "not a valid volid: "+file)
		}
		if err := c.checkVolumeAccess(vmid, file, "images"); err != nil {
			return err
		}
	}
	if vs := set["vmstatestorage"]; vs != "" {
		return c.checkPriv("/storage/"+vs, "Datastore.AllocateSpace")
	}
	return nil
}

// importFromAccess: a managed source owned by a guest needs VM.Clone on it,
// anything else (import volumes, paths) check_volume_access.
func (c *call) importFromAccess(key, src string, vmid int) error {
	if src == "" {
		return nil
	}
	owner := 0
	if _, _, ok := parseVolumeID(src); ok {
		vtype, o, err := c.parseVolid(src)
		if err != nil {
			return err
		}
		if vtype != "images" && vtype != "import" {
			return paramErr(key, src+" has wrong type '"+vtype+"' - needs to be 'images' or 'import'")
		}
		owner = o
	}
	if owner > 0 {
		return c.checkPriv("/vms/"+strconv.Itoa(owner), "VM.Clone")
	}
	return c.checkVolumeAccess(vmid, src, "")
}
