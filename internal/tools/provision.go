package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// pve_vm_provision: from a template to a running VM whose addresses are
// known, in one call. Each step is an ordinary guarded request; a failure
// after the clone leaves the new VM as it is and says what was done.

type provisionArgs struct {
	Node     NodeName  `json:"node" jsonschema:"node of the template"`
	Template VMID      `json:"template" jsonschema:"template (or VM) to clone"`
	NewID    VMID      `json:"newid,omitempty" jsonschema:"id of the new VM (default: the next free one)"`
	Name     DNSName   `json:"name,omitempty" jsonschema:"name of the new VM"`
	Full     *bool     `json:"full,omitempty" jsonschema:"full copy (default: linked when the template allows it)"`
	Target   NodeName  `json:"target,omitempty" jsonschema:"node for the new VM"`
	Storage  StorageID `json:"storage,omitempty" jsonschema:"storage for a full copy's disks"`
	ciSettings
	Disk         QemuDisk `json:"disk,omitempty" jsonschema:"disk to grow (default: the first of scsi0, virtio0, sata0, ide0)"`
	DiskSize     DiskSize `json:"diskSize,omitempty" jsonschema:"+20G grows by 20 GiB, 64G is the new size (grow only)"`
	Cores        int      `json:"cores,omitempty" minimum:"1" maximum:"1024" jsonschema:"cores per socket"`
	Memory       int      `json:"memory,omitempty" minimum:"16" jsonschema:"memory in MiB"`
	AgentTimeout int      `json:"agent_timeout,omitempty" minimum:"0" maximum:"1800" default:"300" jsonschema:"seconds to wait for the guest agent; 0: do not wait"`
}

type provisionStep struct {
	Step   string `json:"step"`
	Status string `json:"status" jsonschema:"ok, failed or skipped"`
	Detail string `json:"detail,omitempty"`
	UPID   string `json:"upid,omitempty"`
}

type guestAddr struct {
	Iface string   `json:"iface"`
	MAC   string   `json:"mac,omitempty"`
	IPv4  []string `json:"ipv4,omitempty"`
	IPv6  []string `json:"ipv6,omitempty"`
}

type provisionOut struct {
	Action    string          `json:"action"`
	Node      string          `json:"node"`
	VMID      int             `json:"vmid"`
	Name      string          `json:"name,omitempty"`
	Template  int             `json:"template"`
	Linked    bool            `json:"linked" jsonschema:"a linked clone, sharing the template's base disks"`
	Steps     []provisionStep `json:"steps"`
	Addresses []guestAddr     `json:"addresses,omitempty"`
	// Source says where the addresses come from: the guest agent, or
	// without it the cloud-init ipconfig Proxmox holds.
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

func provisionTool(d *Deps) Tool {
	return define(d, spec{name: "pve_vm_provision", title: "Provision VM from template", toolset: "cloudinit", effect: Mutating,
		desc: "Clone a template, set cloud-init, grow the disk, set cores and memory, start it and wait for its agent's addresses."},
		handle(func(ctx context.Context, c *call, in provisionArgs) (provisionOut, error) {
			return c.provision(ctx, in)
		}))
}

// provisionPlan is what the checks before the first write decide.
type provisionPlan struct {
	form   url.Values // config keys of the new VM
	full   *bool
	linked bool
	disk   string
	note   []string
	agent  bool
	steps  []string
}

func (c *call) planProvision(ctx context.Context, in provisionArgs) (provisionPlan, error) {
	var p provisionPlan
	if err := c.guest(in.Node, in.Template); err != nil {
		return p, err
	}
	if in.Target != "" {
		if err := c.node("target", in.Target); err != nil {
			return p, err
		}
	}
	p.form = url.Values{}
	if err := in.ciSettings.form(p.form); err != nil {
		return p, err
	}
	setInt(p.form, "cores", in.Cores)
	setInt(p.form, "memory", in.Memory)
	cfg, err := c.configStrings(ctx, qemuKind.path(in.Node, in.Template, "config"))
	if err != nil {
		return p, fmt.Errorf("read config of template %d on %s: %w", in.Template, in.Node, err)
	}
	if !in.ciSettings.empty() {
		if _, err := needCloudinitDrive(cfg, in.Template); err != nil {
			return p, err
		}
	}
	if in.DiskSize != "" {
		p.disk = string(in.Disk)
		if p.disk == "" {
			p.disk = firstDisk(cfg)
		}
		if err := c.checkGrow(ctx, qemuKind, in.Node, in.Template, p.disk, string(in.DiskSize)); err != nil {
			return p, err
		}
	} else if in.Disk != "" {
		return p, fmt.Errorf("invalid argument \"disk\": it names the disk diskSize grows; give diskSize too or leave disk out")
	}
	p.full = in.Full
	template := cfg["template"] == "1"
	switch {
	case in.Storage != "" && in.Full != nil && !*in.Full:
		return p, fmt.Errorf("invalid argument \"storage\": Proxmox allows it for full copies only (parameter 'storage' not allowed for linked clones); set full: true or leave storage out")
	case in.Storage != "" && in.Full == nil:
		p.full = ptr(true)
		p.note = append(p.note, "a full copy, since storage was named")
	case in.Full == nil && template && !c.linkedCloneOK(ctx, in.Node, in.Template):
		p.full = ptr(true)
		p.note = append(p.note, "a full copy: the template's storage cannot make linked clones")
	}
	p.linked = template && (p.full == nil || !*p.full)
	p.agent = agentOn(cfg["agent"])
	p.steps = []string{"id", "clone"}
	if len(p.form) > 0 {
		p.steps = append(p.steps, "config")
	}
	if in.DiskSize != "" {
		p.steps = append(p.steps, "resize")
	}
	p.steps = append(p.steps, "start", "agent")
	return p, nil
}

// linkedCloneOK asks Proxmox whether the template's disks allow a linked
// clone; when it cannot tell, Proxmox's default (linked) is tried.
func (c *call) linkedCloneOK(ctx context.Context, node NodeName, vmid VMID) bool {
	var f struct {
		HasFeature pve.Int `json:"hasFeature"`
	}
	if err := c.PVE.Get(ctx, qemuKind.path(node, vmid, "feature"), url.Values{"feature": {"clone"}}, &f); err != nil {
		return true
	}
	return f.HasFeature == 1
}

// firstDisk is the disk a resize grows by default.
func firstDisk(cfg map[string]string) string {
	for _, k := range []string{"scsi0", "virtio0", "sata0", "ide0"} {
		if v, ok := cfg[k]; ok && !strings.Contains(v, "media=cdrom") {
			return k
		}
	}
	return "scsi0"
}

// agentOn reads the agent option: "1" or "enabled=1,...".
func agentOn(v string) bool {
	first, _, _ := strings.Cut(v, ",")
	first = strings.TrimPrefix(first, "enabled=")
	return first == "1" || first == "on" || first == "yes" || first == "true"
}

func (c *call) provision(ctx context.Context, in provisionArgs) (provisionOut, error) {
	p, err := c.planProvision(ctx, in)
	if err != nil {
		return provisionOut{}, err
	}
	c.stepped = true // the steps report progress, not each task
	prog := c.stepProgress(ctx, len(p.steps))
	out := provisionOut{Action: "provision", Node: string(in.Node), Template: int(in.Template), Name: string(in.Name), Linked: p.linked}
	if in.Target != "" {
		out.Node = string(in.Target)
	}
	node := NodeName(out.Node)

	prog.begin("choose the new VM's id")
	id, err := c.provisionID(ctx, in.NewID)
	if err != nil {
		return out, err
	}
	out.VMID = id
	vmid := VMID(id)
	out.Steps = append(out.Steps, provisionStep{Step: "id", Status: "ok", Detail: strconv.Itoa(id)})

	kind := "linked"
	if !p.linked {
		kind = "full"
	}
	prog.begin(fmt.Sprintf("clone %d to %d (%s)", in.Template, id, kind))
	t, err := c.clone(ctx, qemuKind, cloneRequest{node: in.Node, vmid: in.Template, newid: vmid, nameKey: "name",
		name: string(in.Name), full: p.full, target: in.Target, storage: string(in.Storage)})
	if err != nil {
		return out, fmt.Errorf("provision from template %d: the clone to VM %d failed: %w (nothing else was done; Proxmox removes a VM whose clone failed: check pve_cluster_resources for whether guest %d exists)",
			in.Template, id, err, id)
	}
	out.Steps = append(out.Steps, provisionStep{Step: "clone", Status: "ok", Detail: strings.Join(append([]string{kind + " clone on " + out.Node}, p.note...), "; "), UPID: t.UPID})

	if len(p.form) > 0 {
		prog.begin("set " + strings.Join(sortedFormKeys(p.form), ", "))
		var raw json.RawMessage
		if err := c.PVE.Put(ctx, qemuKind.path(node, vmid, "config"), p.form, &raw); err != nil {
			return out, c.halfMade(ctx, &out, "config", writeError("set the config", err, fmt.Sprintf("pve_vm_config for VM %d on %s", id, node)),
				fmt.Sprintf("set the settings with pve_vm_cloudinit or pve_vm_set_config, then pve_vm_start %d", id))
		}
		out.Steps = append(out.Steps, provisionStep{Step: "config", Status: "ok", Detail: strings.Join(sortedFormKeys(p.form), ", ")})
	}

	if in.DiskSize != "" {
		prog.begin(fmt.Sprintf("grow %s to %s", p.disk, in.DiskSize))
		t, err := c.resize(ctx, qemuKind, node, vmid, p.disk, string(in.DiskSize))
		if err != nil {
			return out, c.halfMade(ctx, &out, "resize", err, fmt.Sprintf("grow the disk with pve_vm_resize_disk, then pve_vm_start %d", id))
		}
		out.Steps = append(out.Steps, provisionStep{Step: "resize", Status: "ok", Detail: p.disk + " " + string(in.DiskSize), UPID: t.UPID})
	}

	prog.begin(fmt.Sprintf("start VM %d", id))
	t, err = c.postTask(ctx, fmt.Sprintf("start VM %d on %s", id, node), qemuKind.path(node, vmid, "status", "start"), nil,
		taskOut{Action: "start", Node: out.Node, VMID: id})
	if err != nil {
		return out, c.halfMade(ctx, &out, "start", withHint(err), fmt.Sprintf("read the task log (pve_task_log), fix the cause and start it with pve_vm_start %d", id))
	}
	out.Steps = append(out.Steps, provisionStep{Step: "start", Status: "ok", UPID: t.UPID})

	prog.begin("wait for the guest agent")
	if err := c.provisionAddresses(ctx, &out, node, vmid, p.agent, in.AgentTimeout); err != nil {
		return out, c.halfMade(ctx, &out, "agent", err,
			"the VM runs; read its addresses later (pve_vm_cloudinit_dump shows the ipconfig it got), or check that the image runs qemu-guest-agent")
	}
	prog.done("VM " + strconv.Itoa(id) + " is running")
	return out, nil
}

// provisionID is the given id, checked free, or the next free one inside
// PVE_VMID_ALLOWLIST.
func (c *call) provisionID(ctx context.Context, want VMID) (int, error) {
	if want != 0 {
		if err := c.vmid("newid", want); err != nil {
			return 0, err
		}
		if _, err := c.nextID(ctx, int(want)); err != nil {
			return 0, fmt.Errorf("invalid argument \"newid\": %w (leave newid out for the next free id)", err)
		}
		return int(want), nil
	}
	id, err := c.nextID(ctx, 0)
	if err != nil {
		return 0, fmt.Errorf("get the next free guest id: %w", err)
	}
	if c.allow.VMIDAllowed(id) {
		return id, nil
	}
	free, err := c.firstFree(ctx, id+1)
	return free.VMID, err
}

func sortedFormKeys(form url.Values) []string { return slices.Sorted(maps.Keys(form)) }

// halfMade words a failure after the clone: the new VM stays as it is,
// with what was done and what to do next.
func (c *call) halfMade(ctx context.Context, out *provisionOut, step string, err error, next string) error {
	out.Steps = append(out.Steps, provisionStep{Step: step, Status: "failed", Detail: err.Error()})
	var done []string
	for _, s := range out.Steps {
		if s.Status == "ok" {
			done = append(done, s.Step)
		}
	}
	state := "in an unknown state"
	var st struct {
		Status string `json:"status"`
	}
	if c.PVE.Get(ctx, qemuKind.path(NodeName(out.Node), VMID(out.VMID), "status", "current"), nil, &st) == nil && st.Status != "" {
		state = st.Status
	}
	return &explained{err, fmt.Sprintf("provision VM %d from template %d: step %s failed: %v\nDone: %s. VM %d is on %s, %s; nothing was deleted. Next: %s, or remove it with pve_vm_delete (confirm).",
		out.VMID, out.Template, step, err, strings.Join(done, ", "), out.VMID, out.Node, state, next)}
}

// stepProgress sends one notification per step, on the call's progress
// token: value i of total before step i+1, total when all are done.
type stepProgress struct {
	p     *progress
	total float64
	n     float64
}

func (c *call) stepProgress(ctx context.Context, total int) *stepProgress {
	if c.req == nil || c.req.Params == nil || c.req.Session == nil || c.req.Params.GetProgressToken() == nil {
		return nil
	}
	return &stepProgress{p: &progress{ctx: ctx, c: c, token: c.req.Params.GetProgressToken()}, total: float64(total)}
}

func (s *stepProgress) begin(msg string) {
	if s == nil {
		return
	}
	s.p.send(s.n, s.total, fmt.Sprintf("step %d of %d: %s", int(s.n)+1, int(s.total), msg))
	s.n++
}

func (s *stepProgress) done(msg string) {
	if s != nil {
		s.p.send(s.total, s.total, msg)
	}
}

// The pause between two questions to the agent: it doubles up to the max.
const (
	agentPollFirst = 200 * time.Millisecond
	agentPollMax   = 3 * time.Second
)
