package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveid"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

var (
	qemuDiskRE = lazyre.New(pveid.QemuDrivePattern)
	ctVolumeRE = lazyre.New(pveid.CTVolumePattern)
)

// Guest operations of issue 14: templates, disk resizes, suspend and resume.

type vmResizeArgs struct {
	Node NodeName `json:"node"`
	VMID VMID     `json:"vmid"`
	Disk QemuDisk `json:"disk" jsonschema:"disk slot, e.g. scsi0"`
	Size DiskSize `json:"size" jsonschema:"+20G grows by 20 GiB; 64G is the new size (grow only)"`
}

type ctResizeArgs struct {
	Node NodeName `json:"node"`
	VMID VMID     `json:"vmid"`
	Disk CTVolume `json:"disk" jsonschema:"rootfs or mp0 to mp255"`
	Size DiskSize `json:"size" jsonschema:"+20G grows by 20 GiB; 64G is the new size (grow only)"`
}

type vmSuspendArgs struct {
	Node   NodeName `json:"node"`
	VMID   VMID     `json:"vmid"`
	ToDisk bool     `json:"todisk,omitempty" jsonschema:"hibernate: save RAM to disk and stop; pve_vm_resume or start brings it back"`
	// Proxmox's default is the storage of the VM's disks.
	StateStorage StorageID `json:"statestorage,omitempty" jsonschema:"with todisk: storage for the saved RAM"`
}

// templateTools come first in the guestops toolset, then resizeTools (of
// qemu and lxc), then the rest: the inventory's order, kept as it was
// before the parts.
func templateTools(d *Deps) []Tool {
	return []Tool{templateTool(d, qemuKind), templateTool(d, lxcKind)}
}

func guestOpTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_vm_suspend", title: "Suspend VM", toolset: "guestops", effect: Mutating,
			desc: "Pause a running VM in RAM, or with todisk hibernate it to disk; pve_vm_resume brings it back."},
			handle(func(ctx context.Context, c *call, in vmSuspendArgs) (taskOut, error) {
				if err := c.guest(in.Node, in.VMID); err != nil {
					return taskOut{}, err
				}
				var form url.Values
				switch {
				case in.StateStorage != "" && !in.ToDisk:
					return taskOut{}, fmt.Errorf("invalid argument \"statestorage\": it holds the RAM of a hibernation; set todisk: true or leave it out")
				case in.ToDisk:
					form = url.Values{"todisk": {"1"}}
					if in.StateStorage != "" {
						form.Set("statestorage", string(in.StateStorage))
					}
				}
				out := taskOut{Action: "suspend", Node: string(in.Node), VMID: int(in.VMID)}
				what := fmt.Sprintf("suspend VM %d on %s", in.VMID, in.Node)
				return c.postTask(ctx, what, qemuKind.path(in.Node, in.VMID, "status", "suspend"), form, out)
			})),
		inSet("guestops", power(d, qemuKind, "resume", "Resume VM", "Resume a paused VM, or start one hibernated to disk.", false, "")),
		define(d, spec{name: "pve_lxc_suspend", title: "Suspend container", toolset: "guestops", effect: Mutating, task: true,
			desc: "Freeze a running container (Proxmox: experimental; its status still reads running); pve_lxc_resume thaws it."},
			handle(func(ctx context.Context, c *call, in guestArgs) (ctSuspendOut, error) {
				if err := c.guest(in.Node, in.VMID); err != nil {
					return ctSuspendOut{}, err
				}
				out := ctSuspendOut{}
				t := taskOut{Action: "suspend", Node: string(in.Node), VMID: int(in.VMID)}
				t, err := c.postTask(ctx, fmt.Sprintf("suspend CT %d on %s", in.VMID, in.Node), lxcKind.path(in.Node, in.VMID, "status", "suspend"), nil, t)
				out.taskOut = t
				if err == nil && !c.async {
					out.State, out.Note = "frozen", ctFrozenNote
				}
				return out, err
			})),
		inSet("guestops", power(d, lxcKind, "resume", "Resume container", "Thaw a suspended container.", false, "")),
	}
}

// resizeTools are the qemu and lxc toolsets' disk growers, apart from
// guestops so a default server builds only these.
func resizeTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_vm_resize_disk", title: "Grow VM disk", toolset: "qemu", effect: Mutating,
			desc: "Grow a VM disk: size +20G adds 20 GiB, 64G sets the size; shrinking is refused.", task: true},
			handle(func(ctx context.Context, c *call, in vmResizeArgs) (resizeOut, error) {
				return c.resize(ctx, qemuKind, in.Node, in.VMID, string(in.Disk), string(in.Size))
			})),
		define(d, spec{name: "pve_lxc_resize_disk", title: "Grow container volume", toolset: "lxc", effect: Mutating,
			desc: "Grow a container's rootfs or mount point: size +20G adds 20 GiB, 64G sets the size; shrinking is refused.", task: true},
			handle(func(ctx context.Context, c *call, in ctResizeArgs) (resizeOut, error) {
				return c.resize(ctx, lxcKind, in.Node, in.VMID, string(in.Disk), string(in.Size))
			})),
	}
}

// templateTool converts a guest to a template. qemu-server answers with a
// task, pve-container with null while its worker runs: either way success
// is reported only once the config reads template: 1.
func templateTool(d *Deps, k guestKind) Tool {
	sp := spec{name: "pve_" + k.tool + "_template", title: "Convert " + k.label + " to template", toolset: "guestops", effect: Destructive, task: true,
		desc: "Convert a stopped " + k.label + " to a template, for clones; there is no way back to an ordinary guest. Needs confirm: true."}
	return define(d, sp, handle(func(ctx context.Context, c *call, in confirmArgs) (taskOut, error) {
		if err := c.guest(in.Node, in.VMID); err != nil {
			return taskOut{}, err
		}
		// Proxmox converts only a stopped guest: say so before asking anyone.
		var st struct {
			Status string `json:"status"`
		}
		if err := c.PVE.Get(ctx, k.path(in.Node, in.VMID, "status", "current"), nil, &st); err != nil {
			return taskOut{}, fmt.Errorf("read the status of %s %d on %s: %w", k.noun, in.VMID, in.Node, err)
		}
		if st.Status == "running" {
			return taskOut{}, fmt.Errorf("%s %d on %s is running, and only a stopped %s can become a template: shut it down first (pve_%s_shutdown), then retry; nothing was changed",
				k.noun, in.VMID, in.Node, k.label, k.tool)
		}
		warn := fmt.Sprintf("convert %s %d on %s to a template: its disks become read-only base images and there is no way back to an ordinary guest",
			k.noun, in.VMID, in.Node)
		if err := c.confirm(in.Confirm, warn); err != nil {
			return taskOut{}, err
		}
		out := taskOut{Action: "template", Node: string(in.Node), VMID: int(in.VMID)}
		what := fmt.Sprintf("convert %s %d on %s to a template", k.noun, in.VMID, in.Node)
		var raw json.RawMessage
		sent := time.Now()
		if err := c.PVE.Post(ctx, k.path(in.Node, in.VMID, "template"), nil, &raw); err != nil {
			return out, writeError(what, err, k.configTool()+" for whether template is 1")
		}
		upid, ok := upidOf(raw)
		if !ok {
			upid, ok = c.templateTask(ctx, k, in.Node, in.VMID, sent)
		}
		if ok {
			if err := c.follow(ctx, what, upid, k.api, &out); err != nil || c.async {
				return out, err
			}
		}
		return out, c.awaitTemplate(ctx, k, in.Node, in.VMID, what)
	}))
}

// templateTask finds the worker of a conversion Proxmox answered with null
// (pve-container drops its UPID) in the node's task list, so its failure is
// told at once; none found, the config read alone decides.
func (c *call) templateTask(ctx context.Context, k guestKind, node NodeName, vmid VMID, sent time.Time) (string, bool) {
	typ := "qmtemplate"
	if k.api == "lxc" {
		typ = "vztemplate"
	}
	e := expected{node: string(node), types: []string{typ}, id: strconv.Itoa(int(vmid)), vmid: int(vmid)}
	found, err := c.startedSince(ctx, e, sent)
	if err != nil || len(found) != 1 {
		return "", false
	}
	return found[0].UPID, true
}

func (k guestKind) configTool() string { return "pve_" + k.tool + "_config" }

// awaitTemplate reads the guest's config until it shows template: 1, for
// up to the task timeout.
func (c *call) awaitTemplate(ctx context.Context, k guestKind, node NodeName, vmid VMID, what string) error {
	timeout := c.TaskTimeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	deadline, pause := time.Now().Add(timeout), 50*time.Millisecond
	for {
		var cfg struct {
			Template pve.Int `json:"template"`
		}
		err := c.PVE.Get(ctx, k.path(node, vmid, "config"), nil, &cfg)
		switch {
		case err == nil && cfg.Template == 1:
			return nil
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case time.Now().After(deadline):
			why := "its config does not show template: 1 yet"
			if err != nil {
				why = "its config could not be read (" + err.Error() + ")"
			}
			return fmt.Errorf("%s: Proxmox accepted the conversion, but after %s %s; check %s %d before repeating it",
				what, timeout, why, k.configTool(), vmid)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, time.Second)
	}
}

// ctSuspendOut tells that the container is frozen: Proxmox's status reads
// (pve-container's vmstatus) still say running.
type ctSuspendOut struct {
	taskOut
	State string `json:"state,omitempty"`
	Note  string `json:"note,omitempty"`
}

const ctFrozenNote = "its processes are frozen; pve_lxc_status still says running (Proxmox does not show a freeze); pve_lxc_resume thaws it"

// resize grows a disk. A shrink is refused before Proxmox is asked when the
// config tells the disk's size, with the reason Proxmox would give; qemu 8+
// and pve-container answer with a task, qemu-server 7 with null once done.
func (c *call) resize(ctx context.Context, k guestKind, node NodeName, vmid VMID, disk, size string) (resizeOut, error) {
	out := resizeOut{Disk: disk}
	t, err := c.resizeTask(ctx, k, node, vmid, disk, size)
	out.taskOut = t
	if err != nil || c.async {
		return out, err
	}
	// The new size, as the config now records it.
	var cfg map[string]any
	if err := c.PVE.Get(ctx, k.path(node, vmid, "config"), nil, &cfg); err == nil {
		val, _ := cfg[disk].(string)
		for _, part := range strings.Split(val, ",") {
			if v, ok := strings.CutPrefix(part, "size="); ok {
				out.Size = v
			}
		}
	}
	return out, nil
}

// resizeOut is a resize's outcome with the disk's size after it.
type resizeOut struct {
	taskOut
	Disk string `json:"disk"`
	Size string `json:"size,omitempty"` // from the config after the resize; absent when unread
}

func (c *call) resizeTask(ctx context.Context, k guestKind, node NodeName, vmid VMID, disk, size string) (taskOut, error) {
	if err := c.guest(node, vmid); err != nil {
		return taskOut{}, err
	}
	if err := c.checkGrow(ctx, k, node, vmid, disk, size); err != nil {
		return taskOut{}, err
	}
	out := taskOut{Action: "resize", Node: string(node), VMID: int(vmid)}
	what := fmt.Sprintf("resize %s of %s %d on %s to %s", disk, k.noun, vmid, node, size)
	var raw json.RawMessage
	if err := c.PVE.Put(ctx, k.path(node, vmid, "resize"), url.Values{"disk": {disk}, "size": {size}}, &raw); err != nil {
		return out, writeError(what, err, k.configTool()+" for the size of "+disk)
	}
	if upid, ok := upidOf(raw); ok {
		return out, c.follow(ctx, what, upid, k.api, &out)
	}
	if t := strings.TrimSpace(string(raw)); (t == "" || t == "null") && k.api == "qemu" && c.resizesAtOnce(ctx) {
		out.Status = "done"
		return out, nil
	}
	return out, noTask(what, answerText(raw), k.configTool()+" for the size of "+disk)
}

// resizesAtOnce: qemu-server before 8 resizes in the request and answers
// null; later releases answer a task.
func (c *call) resizesAtOnce(ctx context.Context) bool {
	v, err := c.PVE.Version(ctx)
	major, _, _, ok := pveschema.ParseVersion(v.Version)
	return err == nil && ok && major < 8
}

// checkGrow compares the requested size with the disk's size in the config.
// When the config cannot be read, Proxmox checks alone.
func (c *call) checkGrow(ctx context.Context, k guestKind, node NodeName, vmid VMID, disk, size string) error {
	var cfg map[string]json.RawMessage
	if err := c.PVE.Get(ctx, k.path(node, vmid, "config"), nil, &cfg); err != nil {
		return nil
	}
	rawVal, ok := cfg[disk]
	if !ok {
		return fmt.Errorf("invalid argument \"disk\": %s %d has no disk %s (it has: %s)", k.noun, vmid, disk, strings.Join(disksOf(k, cfg), ", "))
	}
	var val string
	if json.Unmarshal(rawVal, &val) != nil || strings.HasPrefix(size, "+") {
		return nil
	}
	cur, ok := sizeOf(val)
	want, wok := parseSize(size)
	if !ok || !wok || want >= cur {
		return nil
	}
	reason := "shrinking disks is not supported" // qemu-server's words
	if k.api == "lxc" {
		reason = "unable to shrink disk size" // pve-container's
	}
	return fmt.Errorf("invalid argument \"size\": %s is smaller than the current size of %s (%s): %s", size, disk, sizeText(cur), reason)
}

// disksOf lists the config's disk slots that a resize can name.
func disksOf(k guestKind, cfg map[string]json.RawMessage) []string {
	var out []string
	for key := range cfg {
		if resizable(k, key) {
			out = append(out, key)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	slices.Sort(out)
	return out
}

func resizable(k guestKind, key string) bool {
	if k.api == "lxc" {
		return ctVolumeRE.MatchString(key)
	}
	return qemuDiskRE.MatchString(key)
}

// sizeOf reads size= from a disk's property string.
func sizeOf(prop string) (int64, bool) {
	for _, part := range strings.Split(prop, ",") {
		if v, ok := strings.CutPrefix(part, "size="); ok {
			return parseSize(v)
		}
	}
	return 0, false
}

// parseSize reads a size as Proxmox does (parse_size): a number with an
// optional unit K, M, G or T, powers of 1024; a leading + is the caller's.
func parseSize(s string) (int64, bool) {
	s = strings.TrimPrefix(s, "+")
	mult := int64(1)
	if n := len(s); n > 0 {
		if i := strings.IndexByte("KMGT", s[n-1]); i >= 0 {
			mult, s = int64(1)<<(10*(i+1)), s[:n-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if b := f * float64(mult); err == nil && f >= 0 && b < math.MaxInt64 {
		return int64(b), true
	}
	return 0, false // Proxmox judges what does not fit
}

// sizeText renders bytes in the largest unit that divides them.
func sizeText(b int64) string {
	for i := 4; i > 0; i-- {
		if u := int64(1) << (10 * i); b%u == 0 {
			return strconv.FormatInt(b/u, 10) + string("KMGT"[i-1])
		}
	}
	return strconv.FormatInt(b, 10) + " bytes"
}

// inSet puts a tool built for a guest kind's toolset into another one.
func inSet(set string, t Tool) Tool {
	t.Toolset = set
	return t
}
