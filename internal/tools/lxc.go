package tools

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type rootfsArgs struct {
	Storage StorageID `json:"storage" jsonschema:"e.g. local-lvm"`
	SizeGb  int       `json:"sizeGb" minimum:"1" maximum:"131072" jsonschema:"size in GiB"`
}

type ctNetArgs struct {
	Bridge  BridgeName `json:"bridge,omitempty" default:"vmbr0" jsonschema:"bridge to attach to"`
	Name    IfaceName  `json:"name,omitempty" default:"eth0" jsonschema:"interface name inside the container"`
	IP      CTIPConfig `json:"ip,omitempty" default:"dhcp" jsonschema:"dhcp, manual or CIDR, e.g. 10.0.0.5/24"`
	Gateway IPv4       `json:"gateway,omitempty" jsonschema:"IPv4 gateway"`
}

type lxcCreateArgs struct {
	Node          NodeName       `json:"node" jsonschema:"node to create the container on"`
	VMID          VMID           `json:"vmid" jsonschema:"new guest id"`
	Ostemplate    VolumeID       `json:"ostemplate" jsonschema:"template volume, e.g. local:vztmpl/debian-12.tar.zst"`
	Hostname      DNSName        `json:"hostname,omitempty" jsonschema:"host name"`
	Cores         int            `json:"cores,omitempty" default:"1" minimum:"1" maximum:"8192" jsonschema:"CPU cores"`
	Memory        int            `json:"memory,omitempty" default:"512" minimum:"16" jsonschema:"memory in MiB"`
	Swap          int            `json:"swap,omitempty" default:"512" minimum:"0" jsonschema:"swap in MiB"`
	Rootfs        rootfsArgs     `json:"rootfs" jsonschema:"root disk"`
	Net           *ctNetArgs     `json:"net,omitempty" jsonschema:"a network interface (net0)"`
	Password      string         `json:"password,omitempty" maxLength:"64" jsonschema:"root password (at least 5 characters)"`
	SSHPublicKeys string         `json:"sshPublicKeys,omitempty" jsonschema:"SSH public keys for root, one per line"`
	Unprivileged  bool           `json:"unprivileged,omitempty" default:"true" jsonschema:"run as an unprivileged container"`
	Start         bool           `json:"start,omitempty" jsonschema:"start after creation"`
	Extra         map[string]any `json:"extra,omitempty" jsonschema:"more Proxmox parameters"`
	Confirm       bool           `json:"confirm,omitempty" jsonschema:"needed for host-level keys in extra"`
}

type lxcCloneArgs struct {
	Node     NodeName  `json:"node" jsonschema:"node of the source container"`
	VMID     VMID      `json:"vmid" jsonschema:"source guest id"`
	NewID    VMID      `json:"newid" jsonschema:"guest id of the clone"`
	Hostname DNSName   `json:"hostname,omitempty" jsonschema:"host name of the clone"`
	Full     *bool     `json:"full,omitempty" jsonschema:"full copy (default: linked for templates)"`
	Storage  StorageID `json:"storage,omitempty" jsonschema:"storage for a full clone"`
	Target   NodeName  `json:"target,omitempty" jsonschema:"node to put the clone on"`
}

func lxcTools(d *Deps) []Tool {
	k := lxcKind
	return []Tool{
		listGuests(d, k, "pve_list_containers", "List containers", "Containers (LXC only) of a node, or of the cluster when node is omitted."),
		readGuest(d, k, "pve_lxc_status", "Container status", "status/current", "Container status: state, CPU, memory, disk, uptime, lock."),
		readGuest(d, k, "pve_lxc_config", "Container config", "config", "Configuration of a container: cores, memory, rootfs, network, digest."),
		power(d, k, "start", "Start container", "Start a container.", false, ""),
		power(d, k, "shutdown", "Shut down container", "Shut a container down cleanly.", false, ""),
		power(d, k, "reboot", "Reboot container", "Reboot a running container.", false, ""),
		power(d, k, "stop", "Stop container", "Stop a container at once, without clean shutdown. Needs confirm: true.", true,
			"stop %s %d on %s at once, without a clean shutdown (unsaved data in the container is lost)"),
		lxcCreate(d), lxcClone(d),
		deleteGuest(d, k, "pve_lxc_delete", "Delete container",
			"Delete a container and its volumes. Needs confirm: true and confirmVmid = vmid."),
	}
}

func lxcCreate(d *Deps) Tool {
	return define(d, spec{name: "pve_lxc_create", title: "Create container", toolset: "lxc", effect: Mutating,
		desc: "Create a container from a template, with a root disk and optional network."},
		handle(func(ctx context.Context, c *call, in lxcCreateArgs) (taskOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return taskOut{}, err
			}
			if !strings.Contains(string(in.Ostemplate), ":vztmpl/") {
				return taskOut{}, fmt.Errorf("invalid argument \"ostemplate\": %q is not a container template (STORAGE:vztmpl/FILE); to restore a backup use pve_restore", in.Ostemplate)
			}
			form := url.Values{
				"vmid": {strconv.Itoa(int(in.VMID))}, "ostemplate": {string(in.Ostemplate)},
				"cores": {strconv.Itoa(in.Cores)}, "memory": {strconv.Itoa(in.Memory)}, "swap": {strconv.Itoa(in.Swap)},
				"unprivileged": {pve.Bool(in.Unprivileged)}, "start": {pve.Bool(in.Start)},
				"rootfs": {fmt.Sprintf("%s:%d", in.Rootfs.Storage, in.Rootfs.SizeGb)},
			}
			if in.Hostname != "" {
				form.Set("hostname", string(in.Hostname))
			}
			if in.Password != "" {
				form.Set("password", in.Password)
			}
			if in.SSHPublicKeys != "" {
				form.Set("ssh-public-keys", in.SSHPublicKeys)
			}
			if in.Net != nil {
				form.Set("net0", ctNet(*in.Net))
			}
			ep := at("/nodes/{node}/lxc", string(in.Node))
			if err := c.addExtra(form, in.Extra, ep, lxcCreateKeys); err != nil {
				return taskOut{}, err
			}
			out := taskOut{Action: "create", Node: string(in.Node), VMID: int(in.VMID)}
			what := fmt.Sprintf("create CT %d on %s", in.VMID, in.Node)
			return c.postTask(ctx, what, ep.path, form, out)
		}))
}

// lxcCreateKeys are the body parameters pve_lxc_create builds, by argument.
var lxcCreateKeys = map[string]string{"vmid": "vmid", "ostemplate": "ostemplate", "hostname": "hostname",
	"cores": "cores", "memory": "memory", "swap": "swap", "rootfs": "rootfs", "net0": "net", "password": "password",
	"ssh-public-keys": "sshPublicKeys", "unprivileged": "unprivileged", "start": "start"}

func ctNet(n ctNetArgs) string {
	name, bridge, ip := string(n.Name), string(n.Bridge), string(n.IP)
	if name == "" {
		name = "eth0"
	}
	if bridge == "" {
		bridge = "vmbr0"
	}
	if ip == "" {
		ip = "dhcp"
	}
	s := "name=" + name + ",bridge=" + bridge + ",ip=" + ip
	if n.Gateway != "" {
		s += ",gw=" + string(n.Gateway)
	}
	return s
}

func lxcClone(d *Deps) Tool {
	return define(d, spec{name: "pve_lxc_clone", title: "Clone container", toolset: "lxc", effect: Mutating,
		desc: "Clone a container or template to a new id, optionally onto another node or storage."},
		handle(func(ctx context.Context, c *call, in lxcCloneArgs) (taskOut, error) {
			return c.clone(ctx, lxcKind, cloneRequest{node: in.Node, vmid: in.VMID, newid: in.NewID, nameKey: "hostname",
				name: string(in.Hostname), full: in.Full, target: in.Target, storage: string(in.Storage)})
		}))
}
