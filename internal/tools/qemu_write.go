package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type diskArgs struct {
	Storage StorageID `json:"storage" jsonschema:"e.g. local-lvm"`
	SizeGb  int       `json:"sizeGb" minimum:"1" maximum:"131072" jsonschema:"size in GiB"`
	Bus     string    `json:"bus,omitempty" enum:"scsi,virtio,sata,ide" default:"scsi" jsonschema:"disk bus"`
}

type vmNetArgs struct {
	Bridge BridgeName `json:"bridge,omitempty" default:"vmbr0" jsonschema:"bridge to attach to"`
	Model  string     `json:"model,omitempty" enum:"virtio,e1000,rtl8139,vmxnet3" default:"virtio" jsonschema:"NIC model"`
	VLAN   int        `json:"vlan,omitempty" minimum:"1" maximum:"4094" jsonschema:"VLAN tag"`
}

type isoArgs struct {
	Storage StorageID `json:"storage" jsonschema:"e.g. local"`
	File    ISOName   `json:"file" jsonschema:"e.g. debian-12.iso"`
}

type vmCreateArgs struct {
	Node    NodeName       `json:"node" jsonschema:"node to create the VM on"`
	VMID    VMID           `json:"vmid" jsonschema:"new guest id"`
	Name    DNSName        `json:"name,omitempty" jsonschema:"VM name (a DNS name)"`
	Cores   int            `json:"cores,omitempty" default:"1" minimum:"1" maximum:"1024" jsonschema:"cores per socket"`
	Sockets int            `json:"sockets,omitempty" default:"1" minimum:"1" maximum:"16" jsonschema:"CPU sockets"`
	Memory  int            `json:"memory,omitempty" default:"512" minimum:"16" jsonschema:"memory in MiB"`
	Ostype  string         `json:"ostype,omitempty" default:"l26" enum:"l26,l24,win11,win10,win8,win7,wvista,w2k8,w2k3,w2k,wxp,solaris,other" jsonschema:"guest OS type"`
	Scsihw  string         `json:"scsihw,omitempty" default:"virtio-scsi-single" enum:"virtio-scsi-single,virtio-scsi-pci,lsi,lsi53c810,megasas,pvscsi" jsonschema:"SCSI controller"`
	Disk    *diskArgs      `json:"disk,omitempty" jsonschema:"a new disk"`
	Net     *vmNetArgs     `json:"net,omitempty" jsonschema:"a network card (net0)"`
	ISO     *isoArgs       `json:"iso,omitempty" jsonschema:"an ISO in the CD drive (ide2)"`
	Start   bool           `json:"start,omitempty" jsonschema:"start after creation"`
	Extra   map[string]any `json:"extra,omitempty" jsonschema:"more Proxmox parameters"`
	Confirm bool           `json:"confirm,omitempty" jsonschema:"needed for host-level keys in extra"`
}

type vmCloneArgs struct {
	Node    NodeName  `json:"node" jsonschema:"node of the source VM"`
	VMID    VMID      `json:"vmid" jsonschema:"source guest id"`
	NewID   VMID      `json:"newid" jsonschema:"guest id of the clone"`
	Name    DNSName   `json:"name,omitempty" jsonschema:"name of the clone"`
	Full    *bool     `json:"full,omitempty" jsonschema:"full copy (default: linked for templates)"`
	Target  NodeName  `json:"target,omitempty" jsonschema:"node to put the clone on"`
	Storage StorageID `json:"storage,omitempty" jsonschema:"storage for a full clone's disks"`
}

type migrateArgs struct {
	Node           NodeName `json:"node"`
	VMID           VMID     `json:"vmid"`
	Target         NodeName `json:"target" jsonschema:"node to move it to"`
	Online         bool     `json:"online,omitempty" jsonschema:"live-migrate a running VM"`
	WithLocalDisks bool     `json:"withLocalDisks,omitempty" jsonschema:"also move local disks"`
}

type vmSetConfigArgs struct {
	Node        NodeName       `json:"node"`
	VMID        VMID           `json:"vmid"`
	Cores       int            `json:"cores,omitempty" minimum:"1" maximum:"1024" jsonschema:"cores per socket"`
	Sockets     int            `json:"sockets,omitempty" minimum:"1" maximum:"16" jsonschema:"CPU sockets"`
	Memory      int            `json:"memory,omitempty" minimum:"16" jsonschema:"memory in MiB"`
	Name        DNSName        `json:"name,omitempty" jsonschema:"VM name"`
	Description string         `json:"description,omitempty" maxLength:"8192" jsonschema:"notes shown in the web UI"`
	Extra       map[string]any `json:"extra,omitempty" jsonschema:"more Proxmox parameters"`
	Confirm     bool           `json:"confirm,omitempty" jsonschema:"needed if extra deletes, reverts or replaces disks, or sets host-level keys"`
}

func vmCreate(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_create", title: "Create VM", toolset: "qemu", effect: Mutating,
		desc: "Create a VM, optionally with a disk, a NIC and an ISO."},
		handle(func(ctx context.Context, c *call, in vmCreateArgs) (taskOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return taskOut{}, err
			}
			form := url.Values{
				"vmid": {strconv.Itoa(int(in.VMID))}, "cores": {strconv.Itoa(in.Cores)},
				"sockets": {strconv.Itoa(in.Sockets)}, "memory": {strconv.Itoa(in.Memory)},
				"ostype": {in.Ostype}, "scsihw": {in.Scsihw}, "start": {pve.Bool(in.Start)},
			}
			if in.Name != "" {
				form.Set("name", string(in.Name))
			}
			if in.Disk != nil {
				bus := in.Disk.Bus
				if bus == "" {
					bus = "scsi"
				}
				form.Set(bus+"0", fmt.Sprintf("%s:%d", in.Disk.Storage, in.Disk.SizeGb))
			}
			if in.Net != nil {
				form.Set("net0", vmNet(*in.Net))
			}
			if in.ISO != nil {
				form.Set("ide2", fmt.Sprintf("%s:iso/%s,media=cdrom", in.ISO.Storage, in.ISO.File))
			}
			ep := at("/nodes/{node}/qemu", string(in.Node))
			if err := c.addExtra(form, in.Extra, ep, vmCreateKeys); err != nil {
				return taskOut{}, err
			}
			out := taskOut{Action: "create", Node: string(in.Node), VMID: int(in.VMID)}
			what := fmt.Sprintf("create VM %d on %s", in.VMID, in.Node)
			return c.postTask(ctx, what, ep.path, form, out)
		}))
}

// vmCreateKeys are the body parameters pve_vm_create builds, by argument.
var vmCreateKeys = map[string]string{"vmid": "vmid", "name": "name", "cores": "cores", "sockets": "sockets",
	"memory": "memory", "ostype": "ostype", "scsihw": "scsihw", "net0": "net", "ide2": "iso", "start": "start"}

func vmNet(n vmNetArgs) string {
	model, bridge := n.Model, string(n.Bridge)
	if model == "" {
		model = "virtio"
	}
	if bridge == "" {
		bridge = "vmbr0"
	}
	s := model + ",bridge=" + bridge
	if n.VLAN > 0 {
		s += ",tag=" + strconv.Itoa(n.VLAN)
	}
	return s
}

func vmClone(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_clone", title: "Clone VM", toolset: "qemu", effect: Mutating,
		desc: "Clone a VM or template to a new id, optionally onto another node or storage."},
		handle(func(ctx context.Context, c *call, in vmCloneArgs) (taskOut, error) {
			return c.clone(ctx, qemuKind, cloneRequest{node: in.Node, vmid: in.VMID, newid: in.NewID, nameKey: "name",
				name: string(in.Name), full: in.Full, target: in.Target, storage: string(in.Storage)})
		}))
}

// cloneRequest is what both clone tools ask for; only the name key differs.
type cloneRequest struct {
	node          NodeName
	vmid, newid   VMID
	nameKey, name string
	full          *bool
	target        NodeName
	storage       string
}

// clone checks the source, the new id and the target node, then clones.
func (c *call) clone(ctx context.Context, k guestKind, r cloneRequest) (taskOut, error) {
	if err := c.guest(r.node, r.vmid); err != nil {
		return taskOut{}, err
	}
	if err := c.vmid("newid", r.newid); err != nil {
		return taskOut{}, err
	}
	form := url.Values{"newid": {strconv.Itoa(int(r.newid))}}
	if r.target != "" {
		if err := c.node("target", r.target); err != nil {
			return taskOut{}, err
		}
		form.Set("target", string(r.target))
	}
	if r.name != "" {
		form.Set(r.nameKey, r.name)
	}
	if r.full != nil {
		form.Set("full", pve.Bool(*r.full))
	}
	if r.storage != "" {
		form.Set("storage", r.storage)
	}
	out := taskOut{Action: "clone", Node: string(r.node), From: int(r.vmid), To: int(r.newid), Target: string(r.target)}
	what := fmt.Sprintf("clone %s %d on %s to %d", k.noun, r.vmid, r.node, r.newid)
	return c.postTask(ctx, what, k.path(r.node, r.vmid, "clone"), form, out)
}

func vmMigrate(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_migrate", title: "Migrate VM", toolset: "qemu", effect: Mutating,
		desc: "Move a VM to another node (online: live, for a running VM)."},
		handle(func(ctx context.Context, c *call, in migrateArgs) (taskOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return taskOut{}, err
			}
			if err := c.node("target", in.Target); err != nil {
				return taskOut{}, err
			}
			if in.Target == in.Node {
				return taskOut{}, fmt.Errorf("invalid argument \"target\": VM %d is already on %s; name another node", in.VMID, in.Node)
			}
			form := url.Values{"target": {string(in.Target)}, "online": {pve.Bool(in.Online)}, "with-local-disks": {pve.Bool(in.WithLocalDisks)}}
			out := taskOut{Action: "migrate", Node: string(in.Node), VMID: int(in.VMID), Target: string(in.Target)}
			what := fmt.Sprintf("migrate VM %d from %s to %s", in.VMID, in.Node, in.Target)
			return c.postTask(ctx, what, qemuKind.path(in.Node, in.VMID, "migrate"), form, out)
		}))
}

func vmSetConfig(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_set_config", title: "Change VM config", toolset: "qemu", effect: Mutating, idempotent: true,
		desc: "Change a VM's cores, sockets, memory, name, description or other keys (extra); some apply at restart."},
		handle(func(ctx context.Context, c *call, in vmSetConfigArgs) (syncOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return syncOut{}, err
			}
			form := url.Values{}
			setInt(form, "cores", in.Cores)
			setInt(form, "sockets", in.Sockets)
			setInt(form, "memory", in.Memory)
			if in.Name != "" {
				form.Set("name", string(in.Name))
			}
			if in.Description != "" {
				form.Set("description", in.Description)
			}
			ep := at("/nodes/{node}/qemu/{vmid}/config", string(in.Node), strconv.Itoa(int(in.VMID)))
			if err := c.addExtra(form, in.Extra, ep, vmConfigKeys); err != nil {
				return syncOut{}, err
			}
			if len(form) == 0 {
				return syncOut{}, fmt.Errorf("nothing to change: give at least one of cores, sockets, memory, name, description or extra")
			}
			var raw json.RawMessage
			what := fmt.Sprintf("set config of VM %d on %s", in.VMID, in.Node)
			rec, err := c.undoBefore(ctx, ep.path, what)
			if err != nil {
				return syncOut{}, err
			}
			if err := c.PVE.Put(ctx, ep.path, form, &raw); err != nil {
				return syncOut{}, writeError(what, err, fmt.Sprintf("pve_vm_config for VM %d on %s", in.VMID, in.Node))
			}
			rec(form)
			return syncOut{Action: "set_config", Node: string(in.Node), VMID: int(in.VMID), Result: okResult(raw)}, nil
		}))
}

// vmConfigKeys are the body parameters pve_vm_set_config builds, by argument.
var vmConfigKeys = map[string]string{"cores": "cores", "sockets": "sockets",
	"memory": "memory", "name": "name", "description": "description"}

func setInt(form url.Values, key string, v int) {
	if v != 0 {
		form.Set(key, strconv.Itoa(v))
	}
}
