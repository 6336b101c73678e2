package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Disk moves and unlinks of issue 14. Deleting a source volume or an
// unlinked disk is the destructive part: those calls need confirm (and the
// request guard asks the user about delete and force however they come).

type vmMoveDiskArgs struct {
	Node    NodeName  `json:"node"`
	VMID    VMID      `json:"vmid"`
	Disk    VMDiskKey `json:"disk" jsonschema:"disk slot, e.g. scsi0, or unusedN"`
	Storage StorageID `json:"storage" jsonschema:"storage to move it to"`
	Format  string    `json:"format,omitempty" enum:"raw,qcow2,vmdk" jsonschema:"new format (file storages; default: keep)"`
	Delete  bool      `json:"delete,omitempty" jsonschema:"delete the source volume after the copy (default: kept as unusedN)"`
	Confirm bool      `json:"confirm,omitempty" jsonschema:"needed with delete"`
}

func (a vmMoveDiskArgs) confirmedByArg() bool { return a.Confirm }

type ctMoveVolumeArgs struct {
	Node    NodeName  `json:"node"`
	VMID    VMID      `json:"vmid"`
	Volume  CTVolume  `json:"volume" jsonschema:"rootfs or mp0 to mp255"`
	Storage StorageID `json:"storage" jsonschema:"storage to move it to"`
	Delete  bool      `json:"delete,omitempty" jsonschema:"delete the source volume after the copy (default: kept as unusedN)"`
	Confirm bool      `json:"confirm,omitempty" jsonschema:"needed with delete"`
}

func (a ctMoveVolumeArgs) confirmedByArg() bool { return a.Confirm }

type vmUnlinkArgs struct {
	Node    NodeName   `json:"node"`
	VMID    VMID       `json:"vmid"`
	IDList  VMDiskList `json:"idlist" jsonschema:"disk slots, comma-separated, e.g. scsi1; an unusedN is always deleted"`
	Force   bool       `json:"force,omitempty" jsonschema:"delete the volumes instead of keeping them as unusedN"`
	Confirm bool       `json:"confirm,omitempty" jsonschema:"needed with force or an unusedN"`
}

func (a vmUnlinkArgs) confirmedByArg() bool { return a.Confirm }

// diskMoveOut is a finished move: where the disk is now and what became of
// its source volume.
type diskMoveOut struct {
	taskOut
	Disk   string `json:"disk"`
	Volume string `json:"volume,omitempty"` // the disk's volume after the move
	Source string `json:"source,omitempty"` // the volume it was moved from
	KeptAs string `json:"keptAs,omitempty"` // the unusedN key now holding Source; "" if deleted
}

// unlinkOut tells, per disk, what unlink did: detached to an unusedN key
// (volume kept) or deleted.
type unlinkOut struct {
	Action string            `json:"action"`
	Node   string            `json:"node"`
	VMID   int               `json:"vmid"`
	Kept   map[string]string `json:"kept,omitempty"`    // disk -> unusedN holding its volume
	Delete []string          `json:"deleted,omitempty"` // volumes removed
}

func diskTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_vm_move_disk", title: "Move VM disk", toolset: "guestops", effect: Mutating, task: true,
			desc: "Move a VM disk to another storage (running VMs too); the source stays as unusedN unless delete (needs confirm)."},
			handle(func(ctx context.Context, c *call, in vmMoveDiskArgs) (diskMoveOut, error) {
				form := url.Values{"disk": {string(in.Disk)}, "storage": {string(in.Storage)}}
				if in.Format != "" {
					form.Set("format", in.Format)
				}
				return c.moveDisk(ctx, qemuKind, in.Node, in.VMID, "disk", string(in.Disk), in.Storage, in.Delete, in.Confirm, form)
			})),
		define(d, spec{name: "pve_lxc_move_volume", title: "Move container volume", toolset: "guestops", effect: Mutating, task: true,
			desc: "Move a stopped container's rootfs or mount point to another storage; the source stays as unusedN unless delete (needs confirm)."},
			handle(func(ctx context.Context, c *call, in ctMoveVolumeArgs) (diskMoveOut, error) {
				form := url.Values{"volume": {string(in.Volume)}, "storage": {string(in.Storage)}}
				return c.moveDisk(ctx, lxcKind, in.Node, in.VMID, "volume", string(in.Volume), in.Storage, in.Delete, in.Confirm, form)
			})),
		define(d, spec{name: "pve_vm_unlink_disk", title: "Detach VM disk", toolset: "guestops", effect: Mutating,
			desc: "Detach VM disks: each becomes unusedN, its volume kept; force (or an unusedN) deletes the volume, needs confirm."},
			handle(func(ctx context.Context, c *call, in vmUnlinkArgs) (unlinkOut, error) {
				return c.unlinkDisks(ctx, in)
			})),
	}
}

func (c *call) moveDisk(ctx context.Context, k guestKind, node NodeName, vmid VMID, arg, disk string, storage StorageID,
	del, confirm bool, form url.Values) (diskMoveOut, error) {
	out := diskMoveOut{taskOut: taskOut{Action: "move_disk", Node: string(node), VMID: int(vmid), Storage: string(storage)}, Disk: disk}
	if err := c.guest(node, vmid); err != nil {
		return out, err
	}
	warn := fmt.Sprintf("move %s of %s %d on %s to %s and delete its source volume", disk, k.noun, vmid, node, storage)
	if del && !confirm {
		return out, c.confirm(false, warn+" (no copy is kept)") // refused before anything is sent
	}
	cfgPath := k.path(node, vmid, "config")
	before, err := c.configStrings(ctx, cfgPath)
	if err != nil {
		return out, fmt.Errorf("read config of %s %d on %s: %w", k.noun, vmid, node, err)
	}
	val, ok := before[disk]
	if !ok {
		return out, fmt.Errorf("invalid argument %q: %s %d has no disk %s (it has: %s)", arg, k.noun, vmid, disk, strings.Join(diskKeys(k, before), ", "))
	}
	out.Source = volumeOf(k, val)
	if del {
		if err := c.confirm(confirm, warn+" "+out.Source+" (no copy is kept)"); err != nil {
			return out, err
		}
		form.Set("delete", pve.Bool(true))
	}
	what := fmt.Sprintf("move %s of %s %d on %s to %s", disk, k.noun, vmid, node, storage)
	endpoint := "move_disk"
	if k.api == "lxc" {
		endpoint = "move_volume"
	}
	t, err := c.postTask(ctx, what, k.path(node, vmid, endpoint), form, out.taskOut)
	out.taskOut = t
	if err != nil || c.async {
		return out, moveHint(err)
	}
	after, err := c.configStrings(ctx, cfgPath)
	if err != nil {
		return out, fmt.Errorf("%s: the task ended OK, but the config could not be read back (%w); check %s", what, err, k.configTool())
	}
	out.Volume = volumeOf(k, after[disk])
	if sid, _, _ := strings.Cut(out.Volume, ":"); sid != string(storage) {
		return out, fmt.Errorf("%s: the task ended OK, but the config shows %s on %q (%s); check %s and the task log",
			what, disk, sid, orNoneText(out.Volume), k.configTool())
	}
	for key, v := range after {
		if strings.HasPrefix(key, "unused") && volumeOf(k, v) == out.Source {
			out.KeptAs = key
		}
	}
	if out.KeptAs == "" && !del {
		return out, fmt.Errorf("%s: the disk is on %s, but its source volume %s is not kept as an unusedN entry; check %s",
			what, storage, out.Source, k.configTool())
	}
	return out, nil
}

// moveHint adds what to do to Proxmox's refusals of a move.
func moveHint(err error) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	switch {
	case strings.Contains(text, "cannot move volumes of a running container"):
		return fmt.Errorf("%w (Proxmox moves container volumes only while the container is stopped: pve_lxc_shutdown, move, pve_lxc_start)", err)
	case strings.Contains(text, "same storage"):
		return fmt.Errorf("%w (the disk is already there: name another storage, or another format)", err)
	case strings.Contains(text, "with snapshots and delete the source"):
		return fmt.Errorf("%w (snapshots still use the source: leave delete out, or delete the snapshots first)", err)
	}
	return err
}

func orNoneText(s string) string {
	if s == "" {
		return "no volume"
	}
	return s
}

// volumeOf is the volume of a disk's property string: its first, key-less
// item (file= or volume= when written out).
func volumeOf(k guestKind, val string) string {
	key := "file="
	if k.api == "lxc" {
		key = "volume="
	}
	first, _, _ := strings.Cut(val, ",")
	return strings.TrimPrefix(first, key)
}

// diskKeys lists the disk slots and unusedN entries of a config.
func diskKeys(k guestKind, cfg map[string]string) []string {
	var out []string
	for key := range cfg {
		if resizable(k, key) || strings.HasPrefix(key, "unused") {
			out = append(out, key)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	slices.Sort(out)
	return out
}

func (c *call) unlinkDisks(ctx context.Context, in vmUnlinkArgs) (unlinkOut, error) {
	out := unlinkOut{Action: "unlink", Node: string(in.Node), VMID: int(in.VMID)}
	if err := c.guest(in.Node, in.VMID); err != nil {
		return out, err
	}
	ids := strings.Split(string(in.IDList), ",")
	if !in.Confirm && (in.Force || slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(id, "unused") })) {
		// refused before anything is sent
		return out, c.confirm(false, fmt.Sprintf("delete the volumes of %s of VM %d on %s for good", in.IDList, in.VMID, in.Node))
	}
	cfgPath := qemuKind.path(in.Node, in.VMID, "config")
	before, err := c.configStrings(ctx, cfgPath)
	if err != nil {
		return out, fmt.Errorf("read config of VM %d on %s: %w", in.VMID, in.Node, err)
	}
	var deletes []string
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return out, fmt.Errorf("invalid argument \"idlist\": %s is named twice", id)
		}
		val, ok := before[id]
		if !ok {
			return out, fmt.Errorf("invalid argument \"idlist\": VM %d has no disk %s (it has: %s)", in.VMID, id, strings.Join(diskKeys(qemuKind, before), ", "))
		}
		if in.Force || strings.HasPrefix(id, "unused") {
			deletes = append(deletes, volumeOf(qemuKind, val))
		}
	}
	if len(deletes) > 0 {
		warn := fmt.Sprintf("delete the volumes %s of VM %d on %s for good", strings.Join(deletes, ", "), in.VMID, in.Node)
		if err := c.confirm(in.Confirm, warn); err != nil {
			return out, err
		}
	}
	form := url.Values{"idlist": {string(in.IDList)}}
	if in.Force {
		form.Set("force", pve.Bool(true))
	}
	what := fmt.Sprintf("unlink %s of VM %d on %s", in.IDList, in.VMID, in.Node)
	var raw json.RawMessage
	if err := c.PVE.Put(ctx, qemuKind.path(in.Node, in.VMID, "unlink"), form, &raw); err != nil {
		return out, writeError(what, err, fmt.Sprintf("pve_vm_config for VM %d on %s", in.VMID, in.Node))
	}
	after, err := c.configStrings(ctx, cfgPath)
	if err != nil {
		return out, fmt.Errorf("%s: Proxmox accepted it, but the config could not be read back (%w); check pve_vm_config", what, err)
	}
	return out, unlinkOutcome(what, ids, before, after, in.Force, &out)
}

// unlinkOutcome compares the configs before and after: each disk must be
// gone, its volume either under a new unusedN key or deleted as asked.
func unlinkOutcome(what string, ids []string, before, after map[string]string, force bool, out *unlinkOut) error {
	for _, id := range ids {
		if _, still := after[id]; still {
			return fmt.Errorf("%s: Proxmox answered OK, but the config still has %s; check pve_vm_config", what, id)
		}
		vol := volumeOf(qemuKind, before[id])
		kept := ""
		for key, v := range after {
			if strings.HasPrefix(key, "unused") && volumeOf(qemuKind, v) == vol {
				kept = key
			}
		}
		switch {
		case kept != "" && (force || strings.HasPrefix(id, "unused")):
			return fmt.Errorf("%s: Proxmox answered OK, but %s is still in the config as %s; check pve_vm_config", what, vol, kept)
		case kept != "":
			if out.Kept == nil {
				out.Kept = map[string]string{}
			}
			out.Kept[id] = kept
		case strings.Contains(before[id], "media=cdrom") && !strings.Contains(vol, "cloudinit"):
			// a CD drive: its ISO stays on the storage
		case force || strings.HasPrefix(id, "unused") || strings.Contains(vol, "cloudinit"):
			out.Delete = append(out.Delete, vol) // a cloud-init drive is always freed: Proxmox regenerates it
		default:
			return fmt.Errorf("%s: Proxmox answered OK, but %s (%s) is neither attached nor an unused entry; check pve_vm_config", what, id, vol)
		}
	}
	return nil
}
