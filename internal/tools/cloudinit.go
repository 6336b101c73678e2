package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Cloud-init of VMs (issue 14): typed settings, the regenerated drive, and
// the files Proxmox generates from them.

type vmCloudinitArgs struct {
	Node NodeName `json:"node"`
	VMID VMID     `json:"vmid"`
	ciSettings
	Delete  []CIKey `json:"delete,omitempty" jsonschema:"settings to clear, e.g. cipassword or ipconfig1"`
	Confirm bool    `json:"confirm,omitempty" jsonschema:"needed for delete"`
}

func (a vmCloudinitArgs) confirmedByArg() bool { return a.Confirm }

type ciDumpArgs struct {
	Node NodeName `json:"node"`
	VMID VMID     `json:"vmid"`
	Type string   `json:"type,omitempty" enum:"user,network,meta" jsonschema:"one file (default: all three)"`
}

type ciOut struct {
	Action string `json:"action"`
	Node   string `json:"node"`
	VMID   int    `json:"vmid"`
	Drive  string `json:"drive" jsonschema:"the cloud-init drive's slot"`
	// Changed shows cipassword masked; PasswordSet says a password was set.
	Changed     map[string]change `json:"changed"`
	PasswordSet bool              `json:"passwordSet,omitempty"`
	Regenerated bool              `json:"regenerated" jsonschema:"the drive was rebuilt from the new settings"`
	Status      string            `json:"status,omitempty" jsonschema:"running, stopped or template"`
	Pending     []string          `json:"pending,omitempty" jsonschema:"keys Proxmox holds for the next start"`
	Next        string            `json:"next" jsonschema:"what the guest needs to see the change"`
}

type ciPending struct {
	Key     string `json:"key"`
	Value   string `json:"value,omitempty" jsonschema:"what the current image was generated from"`
	Pending string `json:"pending,omitempty" jsonschema:"the new value, not in the image yet"`
	Delete  bool   `json:"delete,omitempty"`
	Held    bool   `json:"heldForRestart,omitempty" jsonschema:"set on the running VM, applied at its next start"`
}

type ciDumpOut struct {
	Node    string      `json:"node"`
	VMID    int         `json:"vmid"`
	Drive   string      `json:"drive,omitempty" jsonschema:"the cloud-init drive's slot; absent: none"`
	User    *string     `json:"user,omitempty" jsonschema:"user-data (password hash masked)"`
	Network *string     `json:"network,omitempty" jsonschema:"network-config"`
	Meta    *string     `json:"meta,omitempty" jsonschema:"meta-data"`
	Pending []ciPending `json:"pending,omitempty" jsonschema:"settings that differ from the generated image"`
	Note    string      `json:"note,omitempty"`
}

const maskedPassword = "**********"

func cloudinitTools(d *Deps) []Tool {
	return []Tool{
		define(d, spec{name: "pve_vm_cloudinit", title: "Set VM cloud-init", toolset: "cloudinit", effect: Mutating, idempotent: true,
			desc: "Set a VM's cloud-init user, password, SSH keys, IP per NIC, DNS or type, or clear settings; regenerates the drive."},
			handle(func(ctx context.Context, c *call, in vmCloudinitArgs) (ciOut, error) {
				return c.setCloudinit(ctx, in)
			})),
		define(d, spec{name: "pve_vm_cloudinit_dump", title: "VM cloud-init data", toolset: "cloudinit", effect: ReadOnly,
			desc: "The user-data, network-config and meta-data Proxmox generates for a VM, and settings not yet in its image."},
			handle(func(ctx context.Context, c *call, in ciDumpArgs) (ciDumpOut, error) {
				return c.dumpCloudinit(ctx, in)
			})),
		provisionTool(d),
	}
}

func (c *call) setCloudinit(ctx context.Context, in vmCloudinitArgs) (ciOut, error) {
	if err := c.guest(in.Node, in.VMID); err != nil {
		return ciOut{}, err
	}
	form := url.Values{}
	if err := in.ciSettings.form(form); err != nil {
		return ciOut{}, err
	}
	var del []string
	for _, k := range in.Delete {
		if form.Has(string(k)) {
			return ciOut{}, fmt.Errorf("invalid argument \"delete\": %s is also set by this call; set it or delete it", k)
		}
		del = append(del, string(k))
	}
	if len(form) == 0 && len(del) == 0 {
		return ciOut{}, fmt.Errorf("nothing to change: give at least one of ciuser, cipassword, sshkeys, ipconfig, nameserver, searchdomain, citype or delete")
	}
	cfgPath := qemuKind.path(in.Node, in.VMID, "config")
	before, err := c.configStrings(ctx, cfgPath)
	if err != nil {
		return ciOut{}, fmt.Errorf("read config of VM %d on %s: %w", in.VMID, in.Node, err)
	}
	drive, err := needCloudinitDrive(before, in.VMID)
	if err != nil {
		return ciOut{}, err
	}
	if len(del) > 0 {
		form.Set("delete", strings.Join(del, ","))
		if err := c.confirm(in.Confirm, fmt.Sprintf("clear the cloud-init settings %s of VM %d", strings.Join(del, ", "), in.VMID)); err != nil {
			return ciOut{}, err
		}
	}
	what := fmt.Sprintf("set cloud-init of VM %d on %s", in.VMID, in.Node)
	var raw json.RawMessage
	if err := c.PVE.Put(ctx, cfgPath, form, &raw); err != nil {
		return ciOut{}, writeError(what, err, fmt.Sprintf("pve_vm_cloudinit_dump for VM %d on %s", in.VMID, in.Node))
	}
	out := ciOut{Action: "cloudinit", Node: string(in.Node), VMID: int(in.VMID), Drive: drive, PasswordSet: form.Has("cipassword")}
	after, err := c.configStrings(ctx, cfgPath)
	if err != nil {
		return out, fmt.Errorf("%s: Proxmox accepted the change, but the config could not be read back (%w); check pve_vm_cloudinit_dump", what, err)
	}
	out.Changed = ciChanges(before, after, form)
	recordUndo(ctx, undoSet(cfgPath, undoKeys(form), before, after))
	regenerated, note, err := c.regenerate(ctx, in.Node, in.VMID)
	if err != nil {
		return out, fmt.Errorf("%s: the settings are saved (%s), but regenerating the cloud-init drive failed: %w; it is regenerated at the next start, or run pve_vm_cloudinit again",
			what, strings.Join(slices.Sorted(maps.Keys(out.Changed)), ", "), err)
	}
	out.Status, out.Pending = c.ciState(ctx, in.Node, in.VMID, after)
	// Proxmox builds the drive from the current config: keys a running VM
	// holds pending are not in it yet.
	out.Regenerated = regenerated && len(out.Pending) == 0
	out.Next = ciNext(out.Status, out.Pending, regenerated, note)
	return out, nil
}

// cloudinitRe finds a cloud-init volume in a drive value, as
// drive_is_cloudinit does.
var cloudinitRe = lazyre.New(`^[^,]*[:/](vm-\d+-)?cloudinit(\.(raw|qcow2|vmdk))?(,|$)`)

// cloudinitSlot is the config's cloud-init drive slot, or "".
func cloudinitSlot(cfg map[string]string) string {
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		if qemuDiskRE.MatchString(k) && cloudinitRe.MatchString(cfg[k]) {
			return k
		}
	}
	return ""
}

// needCloudinitDrive refuses a VM without a cloud-init drive, saying how
// to add one: without it Proxmox stores the settings, but no guest sees them.
func needCloudinitDrive(cfg map[string]string, vmid VMID) (string, error) {
	if k := cloudinitSlot(cfg); k != "" {
		return k, nil
	}
	slot := "ide2"
	if v, ok := cfg["ide2"]; ok && !strings.HasPrefix(v, "none,") && v != "none" {
		slot = ""
		for _, k := range []string{"ide0", "ide1", "ide3", "sata0", "sata1", "scsi29", "scsi30"} {
			if _, used := cfg[k]; !used {
				slot = k
				break
			}
		}
	}
	if slot == "" {
		return "", fmt.Errorf("VM %d has no cloud-init drive (Proxmox: No CloudInit Drive found), and no free IDE, SATA or SCSI slot for one", vmid)
	}
	return "", fmt.Errorf("VM %d has no cloud-init drive (Proxmox: No CloudInit Drive found), so no guest would see these settings; "+
		"add one with pve_vm_set_config extra {\"%s\": \"local-lvm:cloudinit\"} (any storage for disk images) and confirm: true, then repeat this call", vmid, slot)
}

// ciChanges is the diff of the cloud-init keys, cipassword masked and
// sshkeys decoded.
func ciChanges(before, after map[string]string, form url.Values) map[string]change {
	out := map[string]change{}
	for k, ch := range configDiff(before, after, "digest") {
		if isCIKey(k) {
			out[k] = ch
		}
	}
	if form.Has("cipassword") {
		out["cipassword"] = change{From: maskIf(before["cipassword"]), To: maskedPassword}
	} else if ch, ok := out["cipassword"]; ok {
		out["cipassword"] = change{From: maskIf(ch.From), To: maskIf(ch.To)}
	}
	if ch, ok := out["sshkeys"]; ok {
		out["sshkeys"] = change{From: strings.Join(decodeSSHKeys(ch.From), "\n"), To: strings.Join(decodeSSHKeys(ch.To), "\n")}
	}
	return out
}

func maskIf(v string) string {
	if v == "" {
		return ""
	}
	return maskedPassword
}

// regenerate rebuilds the drive (PUT .../cloudinit). A release without the
// call regenerates it at the next start: note says so.
func (c *call) regenerate(ctx context.Context, node NodeName, vmid VMID) (bool, string, error) {
	var raw json.RawMessage
	err := c.PVE.Put(ctx, qemuKind.path(node, vmid, "cloudinit"), nil, &raw)
	if err != nil && errors.Is(err, guard.ErrRefused) && strings.Contains(err.Error(), "is not an endpoint") {
		return false, "this Proxmox release cannot regenerate the drive on request; it is regenerated at the next start", nil
	}
	return err == nil, "", err
}

// ciState reads whether the VM runs and which cloud-init keys are pending.
func (c *call) ciState(ctx context.Context, node NodeName, vmid VMID, cfg map[string]string) (string, []string) {
	if cfg["template"] == "1" {
		return "template", nil
	}
	var st struct {
		Status string `json:"status"`
	}
	if err := c.PVE.Get(ctx, qemuKind.path(node, vmid, "status", "current"), nil, &st); err != nil {
		return "", nil
	}
	var list []struct {
		Key     string          `json:"key"`
		Pending json.RawMessage `json:"pending"`
		Delete  json.RawMessage `json:"delete"`
	}
	var pending []string
	if c.PVE.Get(ctx, qemuKind.path(node, vmid, "pending"), nil, &list) == nil {
		for _, e := range list {
			if isCIKey(e.Key) && (len(e.Pending) > 0 || len(e.Delete) > 0 && string(e.Delete) != "0") {
				pending = append(pending, e.Key)
			}
		}
	}
	slices.Sort(pending)
	return st.Status, pending
}

func ciNext(status string, pending []string, regenerated bool, note string) string {
	var s string
	switch {
	case status == "running" && len(pending) > 0:
		return "the running VM holds " + strings.Join(pending, ", ") + " pending: reboot it (pve_vm_reboot), which applies them, " +
			"regenerates the drive, and cloud-init in the guest reads it at boot"
	case status == "running":
		s = "cloud-init in the guest reads the drive at boot: reboot the VM (pve_vm_reboot) for it to apply the change"
	case status == "template":
		s = "clones of this template get these settings (each clone its own drive)"
	default:
		s = "the guest applies it when the VM starts (pve_vm_start)"
	}
	if note != "" {
		return note + "; " + s
	}
	if !regenerated {
		return "the drive was not regenerated; " + s
	}
	return s
}

func (c *call) dumpCloudinit(ctx context.Context, in ciDumpArgs) (ciDumpOut, error) {
	if err := c.guest(in.Node, in.VMID); err != nil {
		return ciDumpOut{}, err
	}
	out := ciDumpOut{Node: string(in.Node), VMID: int(in.VMID)}
	cfg, err := c.configStrings(ctx, qemuKind.path(in.Node, in.VMID, "config"))
	if err != nil {
		return out, fmt.Errorf("read config of VM %d on %s: %w", in.VMID, in.Node, err)
	}
	if out.Drive = cloudinitSlot(cfg); out.Drive == "" {
		_, err := needCloudinitDrive(cfg, in.VMID)
		out.Note = "what Proxmox would generate; " + err.Error()
	}
	types := []string{"user", "network", "meta"}
	if in.Type != "" {
		types = []string{in.Type}
	}
	for _, t := range types {
		var text string
		if err := c.PVE.Get(ctx, qemuKind.path(in.Node, in.VMID, "cloudinit", "dump"), url.Values{"type": {t}}, &text); err != nil {
			return out, fmt.Errorf("read the generated %s data of VM %d on %s: %w", t, in.VMID, in.Node, err)
		}
		text = maskSecrets(text)
		switch t {
		case "user":
			out.User = &text
		case "network":
			out.Network = &text
		case "meta":
			out.Meta = &text
		}
	}
	out.Pending = c.ciPendingValues(ctx, in.Node, in.VMID)
	// A running VM holds changed keys in the config's pending section,
	// which neither the dump nor GET .../cloudinit reads yet.
	if status, held := c.ciState(ctx, in.Node, in.VMID, cfg); len(held) > 0 {
		listed := map[string]bool{}
		for _, p := range out.Pending {
			listed[p.Key] = true
		}
		for _, k := range held {
			if !listed[k] {
				out.Pending = append(out.Pending, ciPending{Key: k, Held: true})
			}
		}
		out.Note = strings.TrimPrefix(out.Note+"; ", "; ") + "the " + status + " VM holds " + strings.Join(held, ", ") +
			" pending: the data above is without them until a reboot (pve_vm_reboot) applies them"
	}
	return out, nil
}

// secretLineRe finds the lines of generated data that hold the password:
// its hash in user-data, the plain one a Windows guest gets.
var secretLineRe = lazyre.New(`(?m)^(\s*"?(?:password|admin_pass|CRYPTED_PASSWORD_BASE64)"?\s*[:=]\s*).*$`)

func maskSecrets(text string) string {
	return secretLineRe.ReplaceAllString(text, "${1}"+maskedPassword)
}

// ciPendingValues reads GET .../cloudinit: a list on 8.x and later, an
// object of {old, new} by key on 7.x; nil when it cannot be read.
func (c *call) ciPendingValues(ctx context.Context, node NodeName, vmid VMID) []ciPending {
	var raw json.RawMessage
	if err := c.PVE.Get(ctx, qemuKind.path(node, vmid, "cloudinit"), nil, &raw); err != nil {
		return nil
	}
	var out []ciPending
	var list []struct {
		Key     string          `json:"key"`
		Value   json.RawMessage `json:"value"`
		Pending json.RawMessage `json:"pending"`
		Delete  json.RawMessage `json:"delete"`
	}
	var old map[string]struct {
		Old json.RawMessage `json:"old"`
		New json.RawMessage `json:"new"`
	}
	switch {
	case json.Unmarshal(raw, &list) == nil:
		for _, e := range list {
			p := ciPending{Key: e.Key, Value: rawText(e.Value), Pending: rawText(e.Pending), Delete: len(e.Delete) > 0 && string(e.Delete) != "0"}
			if p.Pending != "" || p.Delete {
				out = append(out, p)
			}
		}
	case json.Unmarshal(raw, &old) == nil:
		for k, e := range old {
			out = append(out, ciPending{Key: k, Value: rawText(e.Old), Pending: rawText(e.New), Delete: len(e.New) == 0})
		}
	}
	for i := range out {
		switch out[i].Key {
		case "cipassword":
			out[i].Value, out[i].Pending = maskIf(out[i].Value), maskIf(out[i].Pending)
		case "sshkeys":
			out[i].Value = strings.Join(decodeSSHKeys(out[i].Value), "\n")
			out[i].Pending = strings.Join(decodeSSHKeys(out[i].Pending), "\n")
		}
	}
	slices.SortFunc(out, func(a, b ciPending) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// rawText is a JSON value as text ("" for none or null).
func rawText(v json.RawMessage) string {
	var s string
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(v))
}
