package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
)

type snapListArgs struct {
	Node NodeName `json:"node"`
	VMID VMID     `json:"vmid"`
	Type string   `json:"type" enum:"qemu,lxc" jsonschema:"qemu (VM) or lxc (container)"`
	pageArgs
}

type snapCreateArgs struct {
	Node        NodeName `json:"node"`
	VMID        VMID     `json:"vmid"`
	Type        string   `json:"type" enum:"qemu,lxc" jsonschema:"qemu (VM) or lxc (container)"`
	Snapname    SnapName `json:"snapname" jsonschema:"a letter, then 1-39 letters, digits, _ or -"`
	Description string   `json:"description,omitempty" maxLength:"8192" jsonschema:"what the snapshot is for"`
	VMState     bool     `json:"vmstate,omitempty" jsonschema:"also save the RAM of a running VM (qemu only)"`
}

type snapActArgs struct {
	Node        NodeName `json:"node"`
	VMID        VMID     `json:"vmid"`
	Type        string   `json:"type" enum:"qemu,lxc" jsonschema:"qemu (VM) or lxc (container)"`
	Snapname    SnapName `json:"snapname" jsonschema:"snapshot name"`
	Confirm     bool     `json:"confirm,omitempty"`
	ConfirmName string   `json:"confirmName" jsonschema:"repeat snapname"`
}

func kindOf(t string) guestKind {
	if t == "lxc" {
		return lxcKind
	}
	return qemuKind
}

func snapshotTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_list_snapshots", title: "List snapshots", toolset: "snapshots",
			desc: "Snapshots of a guest; \"current\" marks where it is now.", output: listSchema("GET .../snapshot entries", "name: snapshot name (current is where the guest is now)", "description: description", "snaptime: unix time", "parent: parent snapshot", "vmstate: 1 when RAM was saved")},
			handle(func(ctx context.Context, c *call, in snapListArgs) (listOut, error) {
				if err := c.guest(in.Node, in.VMID); err != nil {
					return listOut{}, err
				}
				pg, err := newPager(in.pageArgs, listSpec{})
				if err != nil {
					return listOut{}, err
				}
				k := kindOf(in.Type)
				return c.listPage(ctx, fmt.Sprintf("list snapshots of %s %d", k.noun, in.VMID), k.path(in.Node, in.VMID, "snapshot"), nil,
					func(entry) bool { return true }, pg)
			})),
		define(d, spec{name: "pve_snapshot_create", title: "Create snapshot", toolset: "snapshots", effect: Mutating,
			desc: "Take a snapshot of a VM or container and wait for the task."},
			handle(func(ctx context.Context, c *call, in snapCreateArgs) (taskOut, error) {
				if err := c.guest(in.Node, in.VMID); err != nil {
					return taskOut{}, err
				}
				if strings.EqualFold(string(in.Snapname), "current") {
					return taskOut{}, fmt.Errorf("invalid argument \"snapname\": \"current\" is reserved by Proxmox; choose another name")
				}
				if in.VMState && in.Type == "lxc" {
					return taskOut{}, fmt.Errorf("invalid argument \"vmstate\": containers have no RAM state to save; leave it false for type lxc")
				}
				k := kindOf(in.Type)
				form := url.Values{"snapname": {string(in.Snapname)}}
				if in.Description != "" {
					form.Set("description", in.Description)
				}
				if in.VMState {
					form.Set("vmstate", "1")
				}
				out := taskOut{Action: "snapshot_create", Node: string(in.Node), VMID: int(in.VMID), Snapname: string(in.Snapname)}
				what := fmt.Sprintf("snapshot %s %d as %q", k.noun, in.VMID, in.Snapname)
				return c.postTask(ctx, what, k.path(in.Node, in.VMID, "snapshot"), form, out)
			})),
		snapAct(d, "rollback", "Roll back to snapshot",
			"Roll a guest back to a snapshot, losing all changes since. Needs confirm: true and confirmName = snapname.",
			"roll %s %d back to snapshot %q, losing every change made since"),
		snapAct(d, "delete", "Delete snapshot",
			"Delete a snapshot. Needs confirm: true and confirmName = snapname.",
			"delete snapshot %[3]q of %[1]s %[2]d"),
	}
}

func snapAct(d *Deps, op, title, desc, warn string) Tool {
	return define(d, spec{name: "pve_snapshot_" + op, title: title, desc: desc, toolset: "snapshots", effect: Destructive},
		handle(func(ctx context.Context, c *call, in snapActArgs) (taskOut, error) {
			if err := c.guest(in.Node, in.VMID); err != nil {
				return taskOut{}, err
			}
			k := kindOf(in.Type)
			var echo error
			if in.ConfirmName != string(in.Snapname) {
				echo = fmt.Errorf("%w: confirmName %q does not match snapname %q; repeat the snapshot's name in confirmName", errRefused, in.ConfirmName, in.Snapname)
			}
			if err := c.confirm(in.Confirm, fmt.Sprintf(warn, k.noun, in.VMID, in.Snapname), echo); err != nil {
				return taskOut{}, err
			}
			out := taskOut{Action: "snapshot_" + op, Node: string(in.Node), VMID: int(in.VMID), Snapname: string(in.Snapname)}
			what := fmt.Sprintf("%s snapshot %q of %s %d", op, in.Snapname, k.noun, in.VMID)
			if op == "rollback" {
				return c.postTask(ctx, what, k.path(in.Node, in.VMID, "snapshot", string(in.Snapname), "rollback"), nil, out)
			}
			return c.runTask(ctx, what, http.MethodDelete, k.path(in.Node, in.VMID, "snapshot", string(in.Snapname)), nil, out)
		}))
}

// upidOf reads a write's answer that should be a UPID; anything else means
// Proxmox started no task.
func upidOf(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	_, err := pveid.ParseUPID(s)
	return s, err == nil
}
