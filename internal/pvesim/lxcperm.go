package pvesim

import (
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// lxcNewDiskRe is pve-container's NEW_DISK_RE: "storage:size" (a bare size
// is not one, so a bare number checks as a path for non-root users).
var lxcNewDiskRe = lazyre.New(`^([^:\s]+):(\d+(\.\d+)?)$`)

// mountType is classify_mountpoint.
func mountType(vol string) string {
	switch {
	case strings.HasPrefix(vol, "/dev/"):
		return "device"
	case strings.HasPrefix(vol, "/"):
		return "bind"
	}
	return "volume"
}

// lxcCreateChecks are create_vm's checks of the config keys and the
// template or backup archive.
func (c *call) lxcCreateChecks(conf map[string]string, restore, unpriv bool) error {
	if restore {
		// an unprivileged flag not given counts as privileged here
		unpriv = c.flag("unprivileged")
	}
	if err := c.ctModifyPerm(c.params["pool"], nil, conf, nil, unpriv); err != nil {
		return err
	}
	ostemplate := c.params["ostemplate"]
	if ostemplate == "-" {
		return failf("pipe requires cli environment")
	}
	want := "vztmpl"
	if restore {
		want = "backup"
	}
	return c.checkVolumeAccess(c.vmid(), ostemplate, want)
}

// ctModifyPerm is PVE::LXC::check_ct_modify_config_perm for the keys of
// newconf and then the deleted keys; old is the current config (nil on
// create), unpriv whether the container is unprivileged.
func (c *call) ctModifyPerm(pool string, old, newconf map[string]string, del []string, unpriv bool) error {
	if c.authid == rootUser {
		return nil
	}
	check := func(k string, deleting bool) error {
		switch {
		case k == "cores" || k == "cpuunits" || k == "cpulimit":
			return c.vmPerm(pool, false, "VM.Config.CPU")
		case k == "rootfs" || isIndexed(k, "mp"):
			if err := c.vmPerm(pool, false, "VM.Config.Disk"); err != nil || deleting {
				return err
			}
			vol := parsePropString(newconf[k], "volume").get("volume")
			if t := mountType(vol); t != "volume" {
				return permErrorText("Permission check failed (mount point type " + t + " is only allowed for root@pam)")
			}
			if m := lxcNewDiskRe.FindStringSubmatch(vol); m != nil {
				return c.checkPriv("/storage/"+m[1], "Datastore.AllocateSpace")
			}
			return c.checkVolumeAccess(c.vmid(), vol, "rootdir")
		case k == "memory" || k == "swap":
			return c.vmPerm(pool, false, "VM.Config.Memory")
		case isIndexed(k, "net"), k == "nameserver", k == "searchdomain", k == "hostname":
			return c.vmPerm(pool, false, "VM.Config.Network")
		case isIndexed(k, "dev"):
			return permErrorText("Permission check failed (configuring device passthrough is only allowed for root@pam)")
		case k == "features":
			return c.featuresPerm(pool, old, newconf, deleting, unpriv)
		case k == "hookscript":
			return permErrorText("Permission check failed (changing the hookscript is only allowed for root@pam)")
		}
		// everything else, lock and unprivileged included
		return c.vmPerm(pool, false, "VM.Config.Options")
	}
	for _, k := range sortedKeys(newconf) {
		if err := check(k, false); err != nil {
			return err
		}
	}
	for _, k := range del {
		if err := check(k, true); err != nil {
			return err
		}
	}
	return nil
}

// featuresPerm: only nesting may change (with VM.Allocate), and nothing on
// a privileged container.
func (c *call) featuresPerm(pool string, old, newconf map[string]string, deleting, unpriv bool) error {
	if !unpriv {
		return permErrorText("Permission check failed (changing feature flags for privileged container is only allowed for root@pam)")
	}
	nesting, other := false, false
	onlyNesting := func(f map[string]string) {
		_, hasNesting := f["nesting"]
		switch {
		case len(f) == 1 && hasNesting:
			nesting = true
		case len(f) > 0:
			other = true
		}
	}
	switch {
	case deleting:
		onlyNesting(parseFeatures(old["features"]))
	case old != nil && old["features"] != "":
		was, now := parseFeatures(old["features"]), parseFeatures(newconf["features"])
		for _, f := range append(sortedKeys(was), sortedKeys(now)...) {
			if was[f] != now[f] {
				if f != "nesting" {
					other = true
					break
				}
				nesting = true
			}
		}
	default:
		onlyNesting(parseFeatures(newconf["features"]))
	}
	if other {
		return permErrorText("Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)")
	}
	if nesting {
		return c.vmPerm(pool, false, "VM.Allocate")
	}
	return nil
}

// parseFeatures reads "nesting=1,keyctl=1,mount=nfs;cifs" with booleans
// normalized as parse_boolean does.
func parseFeatures(s string) map[string]string {
	out := map[string]string{}
	p := parsePropString(s, "")
	for _, k := range p.keys {
		v := p.get(k)
		switch strings.ToLower(v) {
		case "1", "on", "yes", "true":
			v = "1"
		case "0", "off", "no", "false":
			v = "0"
		}
		out[k] = v
	}
	return out
}
