package tools

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type guestArgs struct {
	Node NodeName `json:"node"`
	VMID VMID     `json:"vmid"`
}

type confirmArgs struct {
	Node    NodeName `json:"node"`
	VMID    VMID     `json:"vmid"`
	Confirm bool     `json:"confirm,omitempty"`
}

type listGuestsArgs struct {
	Node NodeName `json:"node,omitempty" jsonschema:"default: all nodes"`
	guestFilters
	pageArgs
}

// guestList is what a guest listing shows unless fields says otherwise.
var guestList = listSpec{fields: []string{"vmid", "name", "type", "node", "status", "cpu", "mem", "maxmem", "uptime", "tags", "template", "lock", "pool"}, sort: "vmid"}

type deleteArgs struct {
	Node        NodeName `json:"node"`
	VMID        VMID     `json:"vmid"`
	Confirm     bool     `json:"confirm,omitempty"`
	ConfirmVMID VMID     `json:"confirmVmid" jsonschema:"repeat vmid"`
	Purge       bool     `json:"purge,omitempty" default:"true" jsonschema:"also remove from jobs and HA"`
}

// guestKind is what differs between QEMU and LXC for the shared handlers.
type guestKind struct {
	api   string // "qemu" or "lxc"
	noun  string // "VM" or "CT"
	tool  string // "vm" or "lxc"
	set   string // toolset
	label string // "VM" or "container", for descriptions
}

var (
	qemuKind = guestKind{api: "qemu", noun: "VM", tool: "vm", set: "qemu", label: "VM"}
	lxcKind  = guestKind{api: "lxc", noun: "CT", tool: "lxc", set: "lxc", label: "container"}
)

func (k guestKind) path(node NodeName, vmid VMID, rest ...string) string {
	return pve.Path(append([]string{"nodes", string(node), k.api, strconv.Itoa(int(vmid))}, rest...)...)
}

func qemuTools(d *Deps) []Tool {
	k := qemuKind
	tools := []Tool{
		listGuests(d, k, "pve_list_vms", "List VMs", "VMs (QEMU only) of a node, or of the cluster when node is omitted."),
		readGuest(d, k, "pve_vm_status", "VM status", "status/current", "VM status: state, CPU, memory, uptime, lock."),
		readGuest(d, k, "pve_vm_config", "VM config", "config", "Configuration of a VM: CPU, memory, disks, network, boot order, digest."),
		power(d, k, "start", "Start VM", "Start a VM.", false, ""),
		power(d, k, "shutdown", "Shut down VM", "Shut a VM down cleanly (ACPI).", false, ""),
		power(d, k, "reboot", "Reboot VM", "Reboot a running VM cleanly (ACPI).", false, ""),
		power(d, k, "stop", "Stop VM", "Stop a VM at once, like pulling the plug. Needs confirm: true.", true,
			"stop %s %d on %s at once, without a clean shutdown (unsaved data in the guest is lost)"),
		power(d, k, "reset", "Reset VM", "Hard-reset a running VM. Needs confirm: true.", true,
			"hard-reset %s %d on %s (unsaved data in the guest is lost)"),
		vmCreate(d), vmClone(d), vmMigrate(d), vmSetConfig(d),
		deleteGuest(d, k, "pve_vm_delete", "Delete VM",
			"Delete a VM and its disks. Needs confirm: true and confirmVmid = vmid."),
	}
	return tools
}

func listGuests(d *Deps, k guestKind, name, title, desc string) Tool {
	return define(d, spec{name: name, title: title, desc: desc, toolset: k.set,
		output: listSchema("guests as GET /nodes/{node}/"+k.api+" or /cluster/resources return them",
			"vmid: guest id", "name: name", "status: running or stopped", "node: node (cluster-wide list)", "maxmem: bytes", "maxdisk: bytes", "uptime: seconds", "template: 1 for a template", "lock: lock held, if any",
			"protected: the PVE_PROTECTED_TAGS tag that keeps every tool from changing it")},
		handle(func(ctx context.Context, c *call, in listGuestsArgs) (listOut, error) {
			matches := in.matches()
			if in.Node != "" {
				if err := c.node("node", in.Node); err != nil {
					return listOut{}, err
				}
			}
			if in.Node != "" && in.Pool == "" {
				pg, err := newPager(in.pageArgs, guestList, matches...)
				if err != nil {
					return listOut{}, err
				}
				pg.protect = c.Guard.ProtectedTag
				out, err := c.listPage(ctx, "list "+k.label+"s on "+string(in.Node), pve.Path("nodes", string(in.Node), k.api), nil,
					func(e entry) bool { return c.allowedGuest(e) }, pg)
				return out, err
			}
			// The cluster index holds both kinds (and the pools, which the
			// node's list lacks): keep only this kind.
			pg, err := newPager(in.pageArgs, guestList, append(matches, match{"node", string(in.Node), exact})...)
			if err != nil {
				return listOut{}, err
			}
			pg.protect = c.Guard.ProtectedTag
			out, err := c.listPage(ctx, "list "+k.label+"s", "/cluster/resources", url.Values{"type": {"vm"}},
				func(e entry) bool { return e.Type == k.api && c.allowedResource(e) }, pg)
			return out, err
		}))
}

func readGuest(d *Deps, k guestKind, name, title, sub, desc string) Tool {
	return define(d, spec{name: name, title: title, desc: desc, toolset: k.set, output: objectSchema("GET /nodes/{node}/" + k.api + "/{vmid}/" + sub)},
		handle(func(ctx context.Context, c *call, in guestArgs) (objectOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return nil, err
			}
			what := strings.TrimPrefix(sub, "status/") // "current" reads better as "status"
			if what == "current" {
				what = "status"
			}
			return c.object(ctx, fmt.Sprintf("get %s of %s %d on %s", what, k.noun, in.VMID, in.Node), k.path(in.Node, in.VMID, splitPath(sub)...))
		}))
}

// power runs one of the status/{op} actions. Destructive ones need confirm.
func power(d *Deps, k guestKind, op, title, desc string, destructive bool, warn string) Tool {
	sp := spec{name: "pve_" + k.tool + "_" + op, title: title, desc: desc, toolset: k.set, effect: Mutating}
	run := func(ctx context.Context, c *call, node NodeName, vmid VMID) (taskOut, error) {
		out := taskOut{Action: op, Node: string(node), VMID: int(vmid)}
		what := fmt.Sprintf("%s %s %d on %s", op, k.noun, vmid, node)
		return c.postTask(ctx, what, k.path(node, vmid, "status", op), nil, out)
	}
	if !destructive {
		return define(d, sp, handle(func(ctx context.Context, c *call, in guestArgs) (taskOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return taskOut{}, err
			}
			return run(ctx, c, in.Node, in.VMID)
		}))
	}
	sp.effect = Destructive
	return define(d, sp, handle(func(ctx context.Context, c *call, in confirmArgs) (taskOut, error) {
		if err := c.guest(in.Node, in.VMID); err != nil {
			return taskOut{}, err
		}
		if err := c.confirm(in.Confirm, fmt.Sprintf(warn, k.noun, in.VMID, in.Node)); err != nil {
			return taskOut{}, err
		}
		return run(ctx, c, in.Node, in.VMID)
	}))
}

func deleteGuest(d *Deps, k guestKind, name, title, desc string) Tool {
	return define(d, spec{name: name, title: title, desc: desc, toolset: k.set, effect: Destructive},
		handle(func(ctx context.Context, c *call, in deleteArgs) (taskOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return taskOut{}, err
			}
			if err := c.confirm(in.Confirm, fmt.Sprintf("delete %s %d on %s and all its disks", k.noun, in.VMID, in.Node),
				echoVMID(in.VMID, in.ConfirmVMID)); err != nil {
				return taskOut{}, err
			}
			q := url.Values{"purge": {pve.Bool(in.Purge)}}
			if k.api == "qemu" {
				q.Set("destroy-unreferenced-disks", "1")
			}
			out := taskOut{Action: "delete", Node: string(in.Node), VMID: int(in.VMID)}
			what := fmt.Sprintf("delete %s %d on %s", k.noun, in.VMID, in.Node)
			return c.runTask(ctx, what, http.MethodDelete, k.path(in.Node, in.VMID), q, out)
		}))
}

// guest checks a node and guest id pair against formats and allowlists.
func (c *call) guest(node NodeName, vmid VMID) error {
	if err := c.node("node", node); err != nil {
		return err
	}
	return c.vmid("vmid", vmid)
}

func splitPath(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
