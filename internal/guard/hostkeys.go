package guard

import (
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

// Keys that reach past the guest into the node: Proxmox lets only root@pam
// set them (qemu-server's check_vm_modify_config_perm, pve-container's
// check_ct_modify_config_perm, vzdump's root-only options), because with
// them a guest config runs commands, passes devices or mounts paths of the
// node. The guard refuses them unless PVE_ALLOW_HOST_ACCESS is true, and
// even then asks the user.
var (
	// Keys qemu-server's option groups leave out: they fall through to
	// "only root can set '$opt' config".
	qemuHostKeys = map[string]string{
		"args":               "passes raw arguments to the node's QEMU process",
		"hookscript":         "runs a script on the node as root at each guest event",
		"lock":               "sets or clears a guest lock by hand",
		"affinity":           "pins the VM to CPUs of the node (root only)",
		"vmgenid":            "sets the VM generation id by hand (root only)",
		"arch":               "emulates another CPU architecture on the node (root only)",
		"hugepages":          "reserves huge pages of the node's memory (root only)",
		"keephugepages":      "keeps the node's huge pages reserved after the VM stops (root only)",
		"ivshmem":            "shares memory of the node with the VM (root only)",
		"spice_enhancements": "changes SPICE features of the node's QEMU (root only)",
		"amd-sev":            "uses the node's AMD SEV memory encryption (root only)",
		"intel-tdx":          "uses the node's Intel TDX (root only)",
	}
	// Parameters of the qemu status, migrate, resize and config endpoints
	// that only root may use ("Only root may use this option.").
	qemuRootParams = map[string]string{
		"skiplock":             "ignores the guest's lock",
		"stateuri":             "loads the VM state from a node URI",
		"migratedfrom":         "claims the VM is arriving by migration",
		"migration_type":       "picks the migration transport",
		"migration_network":    "picks the migration network",
		"force-cpu":            "forces a CPU model on start",
		"with-conntrack-state": "carries conntrack state over",
		"nets-host-mtu":        "sets the host MTU of the VM's networks",
		"keepActive":           "keeps the VM's volumes active after it stops",
		"nocheck":              "resumes without checks",
	}
	lxcHostKeys = map[string]string{
		"hookscript": "runs a script on the node as root at each guest event",
		"lock":       "sets or clears a guest lock by hand",
	}
	backupHostKeys = map[string]string{
		"tmpdir":  "writes temporary files to a path on the node",
		"dumpdir": "writes the backup to a path on the node",
		"script":  "runs a script on the node as root",
		"job-id":  "claims to be a scheduled job (root only)",
	}
	reHostPCI  = lazyre.New(`^hostpci\d+$`)
	reParallel = lazyre.New(`^parallel\d+$`)
	reVirtioFS = lazyre.New(`^virtiofs\d+$`)
	reSerial   = lazyre.New(`^serial\d+$`)
	reUSB      = lazyre.New(`^usb\d+$`)
	reLXCDev   = lazyre.New(`^dev\d+$`)
)

// hostLevel refuses a host-level key, or with PVE_ALLOW_HOST_ACCESS asks.
func (c *Call) hostLevel(v *verdict, what, why string) {
	if !c.g.opts.AllowHostAccess {
		v.refuse("%s %s: host-level settings are refused unless PVE_ALLOW_HOST_ACCESS=true (then each needs confirm and the user's consent)", what, why)
		return
	}
	v.ask("%s (host-level: %s)", what, why)
}

func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "1", "on", "yes", "true":
		return true
	}
	return false
}

// judgeHostLevel applies the rules that read a whole top-level value.
func (c *Call) judgeHostLevel(r *request, k, val string, v *verdict) {
	arg := c.arg(k)
	tmpl := r.ep.Path
	switch {
	case k == "skiplock" && truthy(val):
		c.hostLevel(v, arg, "ignores the guest's lock (root only)")
		return
	case r.kind == "qemu" && qemuRootParams[k] != "" && !r.create && !r.update:
		c.hostLevel(v, arg, qemuRootParams[k]+" (root only)")
		return
	case k == "targetstorage" && r.kind == "qemu" && strings.HasSuffix(tmpl, "/status/start"):
		c.hostLevel(v, arg, "starts the VM as a migration target (root only)")
		return
	case k == "force" && truthy(val) && strings.HasSuffix(tmpl, "/migrate") && r.kind == "qemu":
		c.hostLevel(v, arg, "migrates a VM that uses local devices (root only)")
		return
	case tmpl == "/nodes/{node}/vzdump" || strings.HasPrefix(tmpl, "/cluster/backup"):
		if why, ok := backupHostKeys[k]; ok {
			c.hostLevel(v, arg, why)
		}
		return
	}
	if !r.create && !r.update {
		return
	}
	if r.update && (k == "delete" || k == "revert") {
		// Proxmox checks each removed key as if it were set.
		for _, name := range splitList(val) {
			if why := removedHostKey(r.kind, name); why != "" {
				c.hostLevel(v, arg+" names "+name, why)
			}
		}
		return
	}
	if r.kind == "qemu" && k == "startup" {
		v.ask("%s = %s (changes how the node starts its guests at boot; Proxmox wants Sys.Modify on / for it)", arg, quote(val))
	}
	switch r.kind {
	case "qemu":
		if why, ok := qemuHostKeys[k]; ok {
			c.hostLevel(v, arg, why)
		}
		switch {
		case reHostPCI.MatchString(k):
			c.hostLevel(v, arg, "passes a PCI device of the node to the VM")
		case reParallel.MatchString(k):
			c.hostLevel(v, arg, "passes a parallel port of the node to the VM")
		case reVirtioFS.MatchString(k):
			c.hostLevel(v, arg, "shares a directory of the node with the VM")
		case reSerial.MatchString(k) && val != "socket":
			c.hostLevel(v, arg+" = "+quote(val), "passes a serial device of the node to the VM")
		}
	case "lxc":
		if why, ok := lxcHostKeys[k]; ok {
			c.hostLevel(v, arg, why)
		}
		switch {
		case reLXCDev.MatchString(k):
			c.hostLevel(v, arg, "passes a device of the node into the container")
		case k == "unprivileged" && r.update:
			c.hostLevel(v, arg, "changes whether the container's root is the node's root (root only)")
		case k == "unprivileged" && !truthy(val):
			c.hostLevel(v, arg+" = 0", "creates a privileged container, whose root is root on the node")
		}
	}
}

// removedHostKey says why removing key name from a guest's config is
// host-level, or "". Removing a serial or USB device depends on what it is,
// which the request does not say; removals are asked about anyway.
func removedHostKey(kind, name string) string {
	switch kind {
	case "qemu":
		switch {
		case qemuHostKeys[name] != "":
			return "removes the root-only setting " + name
		case reHostPCI.MatchString(name) || reParallel.MatchString(name) || reVirtioFS.MatchString(name):
			return "removes a device of the node from the VM (root only)"
		}
	case "lxc":
		switch {
		case lxcHostKeys[name] != "":
			return "removes the root-only setting " + name
		case reLXCDev.MatchString(name):
			return "removes a device of the node from the container (root only)"
		case name == "features":
			return "changes the container's confinement (root only beyond nesting)"
		}
	}
	return ""
}

// judgePropertyHostLevel applies the rules that read a parsed property string.
func (c *Call) judgePropertyHostLevel(r *request, k string, res map[string]string, v *verdict) {
	if !r.create && !r.update {
		return
	}
	arg := c.arg(k)
	switch {
	case r.kind == "qemu" && reUSB.MatchString(k):
		if host := res["host"]; host != "" && host != "spice" {
			c.hostLevel(v, arg+".host = "+quote(host), "passes a USB device of the node to the VM")
		}
	case r.kind == "lxc" && k == "features":
		for key, val := range res {
			if key != "nesting" && (truthy(val) || key == "mount") {
				c.hostLevel(v, arg+"."+key, "lifts a container confinement (only nesting is not root-only)")
			}
		}
	}
}

// judgeDestructive asks before keys that remove, revert or replace data.
func (c *Call) judgeDestructive(r *request, k, val string, v *verdict) {
	arg := c.arg(k)
	switch {
	case r.update && (k == "delete" || k == "revert"):
		v.ask("%s = %s (removes or reverts those settings; a removed disk becomes unused or is destroyed)", arg, quote(val))
	case r.update && (pveid.DiskSlot(r.kind, k) || k == "cdrom"):
		v.ask("%s = %s (can replace or detach the volume in that slot)", arg, quote(val))
	case r.create && k == "force" && truthy(val):
		v.ask("%s (replaces guest %d and its disks if it exists)", arg, r.vmid)
	case k == "delete" && truthy(val) && (strings.HasSuffix(r.ep.Path, "/move_disk") || strings.HasSuffix(r.ep.Path, "/move_volume")):
		v.ask("%s (deletes the source volume after the copy; by default it is kept as unusedN)", arg)
	case r.ep.Path == "/nodes/{node}/qemu/{vmid}/unlink" && k == "force" && truthy(val):
		v.ask("%s (deletes the volumes of %s for good)", arg, quote(r.params["idlist"]))
	case r.ep.Path == "/nodes/{node}/qemu/{vmid}/unlink" && k == "idlist" && !truthy(r.params["force"]):
		for _, id := range splitList(val) {
			if strings.HasPrefix(id, "unused") {
				v.ask("%s names %s (unlinking an unused disk deletes its volume)", arg, id)
			}
		}
	}
}

// judgeMissing checks what a request leaves out: before PVE 9, an lxc create
// without unprivileged makes a privileged container (9.x defaults to 1).
func (c *Call) judgeMissing(r *request, v *verdict) {
	if r.create && r.kind == "lxc" && !strings.HasPrefix(r.release, "9.") {
		if _, ok := r.params["unprivileged"]; !ok && !truthy(r.params["restore"]) {
			c.hostLevel(v, "unprivileged (left out)", "creates a privileged container, whose root is root on the node")
		}
	}
}
