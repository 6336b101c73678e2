package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

type backupNowArgs struct {
	Node     NodeName  `json:"node"`
	VMID     VMID      `json:"vmid"`
	Storage  StorageID `json:"storage" jsonschema:"backup storage, e.g. local"`
	Mode     string    `json:"mode,omitempty" enum:"snapshot,suspend,stop" default:"snapshot" jsonschema:"backup mode"`
	Compress string    `json:"compress,omitempty" enum:"0,gzip,lzo,zstd" default:"zstd" jsonschema:"compression"`
	Notes    OneLine   `json:"notes,omitempty" maxLength:"1024" jsonschema:"notes template, e.g. {{guestname}}"`
}

type restoreArgs struct {
	Node        NodeName  `json:"node" jsonschema:"node to restore on"`
	VMID        VMID      `json:"vmid" jsonschema:"guest id to restore to"`
	Type        string    `json:"type" enum:"qemu,lxc" jsonschema:"qemu (VM) or lxc (container)"`
	Archive     VolumeID  `json:"archive" jsonschema:"backup volume id"`
	Storage     StorageID `json:"storage,omitempty" jsonschema:"storage for the restored disks"`
	Force       bool      `json:"force,omitempty" default:"true" jsonschema:"overwrite an existing guest with this id"`
	Confirm     bool      `json:"confirm,omitempty"`
	ConfirmVMID VMID      `json:"confirmVmid" jsonschema:"repeat vmid"`
}

type scheduleArgs struct {
	Schedule Calendar  `json:"schedule" maxLength:"128" jsonschema:"calendar event, e.g. sun 01:00 or daily"`
	Storage  StorageID `json:"storage" jsonschema:"backup storage"`
	Mode     string    `json:"mode,omitempty" enum:"snapshot,suspend,stop" default:"snapshot" jsonschema:"backup mode"`
	Compress string    `json:"compress,omitempty" enum:"0,gzip,lzo,zstd" default:"zstd" jsonschema:"compression"`
	Enabled  bool      `json:"enabled,omitempty" default:"true" jsonschema:"job enabled"`
	All      bool      `json:"all,omitempty" jsonschema:"back up every guest"`
	VMIDs    []VMID    `json:"vmids,omitempty" jsonschema:"guest ids (ignored with all)"`
	Notes    OneLine   `json:"notes,omitempty" maxLength:"1024" jsonschema:"notes template"`
}

type backupListArgs struct {
	Node    NodeName  `json:"node"`
	Storage StorageID `json:"storage" jsonschema:"storage id, e.g. local"`
	volumeFilters
	pageArgs
}

// backupList puts the newest backups first.
var backupList = listSpec{fields: []string{"volid", "vmid", "size", "ctime", "format", "notes", "protected"}, sort: "-ctime"}

type scheduleOut struct {
	Action   string          `json:"action"`
	Schedule string          `json:"schedule"`
	Result   json.RawMessage `json:"result"`
}

func backupTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_list_backups", title: "List backups", toolset: "backup",
			desc: "Backup archives on a storage, with guest id, size, time and notes.", output: listSchema("GET .../content?content=backup entries", "volid: archive volume id, for pve_restore", "vmid: guest id", "size: bytes", "ctime: unix time", "format: e.g. vma.zst, tar.zst", "notes: notes", "protected: 1 when protected")},
			handle(func(ctx context.Context, c *call, in backupListArgs) (listOut, error) {
				if err := c.node("node", in.Node); err != nil {
					return listOut{}, err
				}
				q := url.Values{"content": {"backup"}}
				pg, err := newPager(in.pageArgs, backupList, in.apply(q)...)
				if err != nil {
					return listOut{}, err
				}
				return c.listPage(ctx, fmt.Sprintf("list backups on %s of %s", in.Storage, in.Node),
					pve.Path("nodes", string(in.Node), "storage", string(in.Storage), "content"), q, c.allowedVolume(ctx), pg)
			})),
		define(d, spec{name: "pve_backup_now", title: "Back up now", toolset: "backup", effect: Mutating,
			desc: "Back up one guest now (vzdump); prunes nothing."},
			handle(func(ctx context.Context, c *call, in backupNowArgs) (taskOut, error) {
				if err := c.guest(in.Node, in.VMID); err != nil {
					return taskOut{}, err
				}
				// remove=0: vzdump would otherwise prune older backups by the
				// storage's retention, a deletion nobody confirmed.
				form := url.Values{"vmid": {strconv.Itoa(int(in.VMID))}, "storage": {string(in.Storage)}, "mode": {in.Mode},
					"compress": {in.Compress}, "remove": {"0"}}
				if in.Notes != "" {
					form.Set("notes-template", string(in.Notes))
				}
				out := taskOut{Action: "backup", Node: string(in.Node), VMID: int(in.VMID), Storage: string(in.Storage)}
				what := fmt.Sprintf("back up guest %d on %s to %s", in.VMID, in.Node, in.Storage)
				var raw json.RawMessage
				path, sent := pve.Path("nodes", string(in.Node), "vzdump"), time.Now()
				if err := c.PVE.Post(ctx, path, form, &raw); err != nil {
					err = c.afterUnsure(ctx, what, http.MethodPost, path, sent, err, "", &out)
					return out, err
				}
				upid, ok := upidOf(raw)
				switch {
				case ok:
					return out, c.follow(ctx, what, upid, "", &out)
				case isOK(raw):
					// vzdump answers "OK" when none of the guests asked for
					// is on this node; where the guest is was not checked.
					return out, fmt.Errorf("%s: Proxmox started no task on node %s (answer \"OK\"); vzdump answers so when the guest is not on that node: check with pve_cluster_resources which node guest %d is on",
						what, in.Node, in.VMID)
				}
				return out, noTask(what, answerText(raw), checkRead(out, ""))
			})),
		define(d, spec{name: "pve_restore", title: "Restore backup", toolset: "backup", effect: Destructive,
			desc: "Restore a guest from a backup, replacing any guest with that id. Needs confirm: true and confirmVmid = vmid."},
			handle(func(ctx context.Context, c *call, in restoreArgs) (taskOut, error) {
				if err := c.guest(in.Node, in.VMID); err != nil {
					return taskOut{}, err
				}
				k := kindOf(in.Type)
				if err := c.confirm(in.Confirm, fmt.Sprintf("restore %s into %s %d on %s, replacing that guest and its disks if it exists", in.Archive, k.noun, in.VMID, in.Node),
					echoVMID(in.VMID, in.ConfirmVMID)); err != nil {
					return taskOut{}, err
				}
				form := url.Values{"vmid": {strconv.Itoa(int(in.VMID))}, "force": {pve.Bool(in.Force)}}
				if k.api == "lxc" {
					form.Set("ostemplate", string(in.Archive))
					form.Set("restore", "1")
					c.PVE.Name("ostemplate", "archive")
				} else {
					form.Set("archive", string(in.Archive))
				}
				if in.Storage != "" {
					form.Set("storage", string(in.Storage))
				}
				out := taskOut{Action: "restore", Node: string(in.Node), VMID: int(in.VMID)}
				what := fmt.Sprintf("restore %s %d on %s from %s", k.noun, in.VMID, in.Node, in.Archive)
				return c.postTask(ctx, what, pve.Path("nodes", string(in.Node), k.api), form, out)
			})),
		define(d, spec{name: "pve_schedule_backup", title: "Schedule backup", toolset: "backup", effect: Mutating,
			desc: "Create a scheduled backup job for vmids or all guests."},
			handle(func(ctx context.Context, c *call, in scheduleArgs) (scheduleOut, error) {
				if !in.All && len(in.VMIDs) == 0 {
					return scheduleOut{}, fmt.Errorf("invalid arguments: give all: true or a non-empty vmids list")
				}
				if in.All && (c.allow.HasVMIDs() || c.allow.HasNodes()) {
					return scheduleOut{}, fmt.Errorf("%w: all: true would back up guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST; list the guests in vmids instead", errRefused)
				}
				ids := make([]string, 0, len(in.VMIDs))
				for _, id := range in.VMIDs {
					if in.All {
						break
					}
					if err := c.vmid("vmids", id); err != nil {
						return scheduleOut{}, err
					}
					ids = append(ids, strconv.Itoa(int(id)))
				}
				form := url.Values{"schedule": {string(in.Schedule)}, "storage": {string(in.Storage)}, "mode": {in.Mode},
					"compress": {in.Compress}, "enabled": {pve.Bool(in.Enabled)}}
				if in.All {
					form.Set("all", "1")
				} else {
					form.Set("vmid", strings.Join(ids, ","))
				}
				if in.Notes != "" {
					form.Set("notes-template", string(in.Notes))
				}
				c.PVE.Name("vmid", "vmids") // the guard finds each guest's node
				var raw json.RawMessage
				if err := c.PVE.Post(ctx, "/cluster/backup", form, &raw); err != nil {
					// pve_backup_jobs is in a toolset that may be off: the web UI tells too.
					return scheduleOut{}, writeError(fmt.Sprintf("create backup job %q", in.Schedule), err, "the cluster's backup jobs (pve_backup_jobs of the backupjobs toolset, or Datacenter > Backup in the web UI)")
				}
				return scheduleOut{Action: "schedule_backup", Schedule: string(in.Schedule), Result: okResult(raw)}, nil
			})),
	}
}

// isOK reports the bare "OK" that vzdump answers when it started nothing.
func isOK(raw json.RawMessage) bool {
	var s string
	return json.Unmarshal(raw, &s) == nil && s == "OK"
}
