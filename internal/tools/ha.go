package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// High availability (issue 15): the manager's status, the HA resources, and
// where they may run (rules on PVE 9, groups before).

type haLRM struct {
	Node   string `json:"node"`
	Status string `json:"status"`
}

type haService struct {
	SID          string `json:"sid"`
	VMID         int    `json:"vmid"`
	Node         string `json:"node,omitempty"`
	State        string `json:"state"`
	RequestState string `json:"request_state,omitempty"`
	CRMState     string `json:"crm_state,omitempty"`
	MaxRestart   int    `json:"max_restart"`
	MaxRelocate  int    `json:"max_relocate"`
	Group        string `json:"group,omitempty"`
}

type haStatusOut struct {
	Configured bool              `json:"configured"`
	Note       string            `json:"note,omitempty"`
	Quorate    bool              `json:"quorate"`
	Quorum     string            `json:"quorum"`
	Master     string            `json:"master,omitempty"`
	MasterNode string            `json:"master_node,omitempty"`
	Fencing    string            `json:"fencing,omitempty"`
	Nodes      []haLRM           `json:"nodes"`
	Resources  []haService       `json:"resources"`
	NodeStatus map[string]string `json:"node_status,omitempty"`
}

type haResourcesArgs struct {
	Action      string   `json:"action" enum:"list,add,remove" jsonschema:"list HA resources, add a guest, or remove one (the guest keeps running)"`
	VMID        VMID     `json:"vmid,omitempty" jsonschema:"add, remove: the guest"`
	State       string   `json:"state,omitempty" enum:"started,stopped,disabled,ignored" jsonschema:"add: requested state (Proxmox: started)"`
	MaxRestart  *int     `json:"max_restart,omitempty" minimum:"0" maximum:"10" jsonschema:"add: restarts on its node before relocating (Proxmox: 1)"`
	MaxRelocate *int     `json:"max_relocate,omitempty" minimum:"0" maximum:"10" jsonschema:"add: moves to other nodes when it fails to start (Proxmox: 1)"`
	Group       ConfigID `json:"group,omitempty" jsonschema:"add: HA group (PVE 8 and older; PVE 9 uses pve_ha_rules)"`
	Comment     OneLine  `json:"comment,omitempty" maxLength:"4096"`
}

type haResource struct {
	SID         string `json:"sid"`
	VMID        int    `json:"vmid"`
	Type        string `json:"type"`
	State       string `json:"state"`
	MaxRestart  int    `json:"max_restart"`
	MaxRelocate int    `json:"max_relocate"`
	Group       string `json:"group,omitempty"`
	Comment     string `json:"comment,omitempty"`
}

type haResourcesOut struct {
	Action    string       `json:"action"`
	Resources []haResource `json:"resources"`
	Added     *haResource  `json:"added,omitempty"`
	Removed   string       `json:"removed,omitempty"`
}

// haFirewallTools are the toolsets ha and firewall.
func haFirewallTools(d *Deps) []Tool { return append(haTools(d), firewallTools(d)...) }

func haTools(d *Deps) []Tool {
	tools := []Tool{
		define(d, spec{name: "pve_ha_status", title: "HA status", toolset: "ha",
			desc: "High availability: quorum, the manager, each node's LRM, and each HA resource's state and node."},
			handle(func(ctx context.Context, c *call, _ noArgs) (haStatusOut, error) {
				return c.haStatus(ctx)
			})),
		withReadForm(define(d, spec{name: "pve_ha_resources", title: "HA resources", toolset: "ha", effect: Mutating,
			desc: "List HA resources, add a guest to HA (state, max_restart, max_relocate, group on PVE 8), or remove one; removing does not stop the guest."},
			handle(func(ctx context.Context, c *call, in haResourcesArgs) (haResourcesOut, error) {
				return c.haResources(ctx, in)
			})), haResourcesRead(d)),
	}
	return append(tools, haRuleTools(d)...)
}

// sidVMID is the guest id of an HA resource id ("vm:100"), 0 if none.
func sidVMID(sid string) int {
	_, id, _ := strings.Cut(sid, ":")
	n, _ := strconv.Atoi(id)
	return n
}

func (c *call) haStatus(ctx context.Context) (haStatusOut, error) {
	var cur []struct {
		ID           string  `json:"id"`
		Type         string  `json:"type"`
		Node         string  `json:"node"`
		Status       string  `json:"status"`
		Quorate      pve.Int `json:"quorate"`
		SID          string  `json:"sid"`
		State        string  `json:"state"`
		RequestState string  `json:"request_state"`
		CRMState     string  `json:"crm_state"`
		MaxRestart   pve.Int `json:"max_restart"`
		MaxRelocate  pve.Int `json:"max_relocate"`
		Group        string  `json:"group"`
	}
	if err := c.PVE.Get(ctx, "/cluster/ha/status/current", nil, &cur); err != nil {
		return haStatusOut{}, fmt.Errorf("read the HA status: %w", err)
	}
	out := haStatusOut{Nodes: []haLRM{}, Resources: []haService{}}
	for _, e := range cur {
		switch e.Type {
		case "quorum":
			out.Quorum, out.Quorate = e.Status, e.Quorate != 0
		case "master":
			out.Master = e.Status
		case "fencing":
			out.Fencing = e.Status
		case "lrm":
			if c.allow.NodeAllowed(e.Node) {
				out.Nodes = append(out.Nodes, haLRM{Node: e.Node, Status: e.Status})
			}
		case "service":
			id := sidVMID(e.SID)
			if !c.allow.VMIDAllowed(id) || (e.Node != "" && !c.allow.NodeAllowed(e.Node)) {
				continue
			}
			out.Configured = true
			out.Resources = append(out.Resources, haService{SID: e.SID, VMID: id, Node: e.Node, State: e.State, RequestState: e.RequestState,
				CRMState: e.CRMState, MaxRestart: int(e.MaxRestart), MaxRelocate: int(e.MaxRelocate), Group: e.Group})
		}
	}
	var ms struct {
		ManagerStatus struct {
			MasterNode string            `json:"master_node"`
			NodeStatus map[string]string `json:"node_status"`
		} `json:"manager_status"`
	}
	if err := c.PVE.Get(ctx, "/cluster/ha/status/manager_status", nil, &ms); err == nil {
		out.MasterNode = ms.ManagerStatus.MasterNode
		for n, s := range ms.ManagerStatus.NodeStatus {
			if c.allow.NodeAllowed(n) {
				if out.NodeStatus == nil {
					out.NodeStatus = map[string]string{}
				}
				out.NodeStatus[n] = s
			}
		}
	}
	if !out.Configured {
		out.Note = "HA is not configured: no HA resources"
		if c.allow.HasVMIDs() {
			out.Note += " among the guests PVE_VMID_ALLOWLIST allows"
		}
		if out.Master != "" {
			out.Note += fmt.Sprintf(" (Proxmox's manager: %q)", out.Master)
		}
		out.Note += "; pve_ha_resources action add puts a guest under HA"
	}
	return out, nil
}

func (c *call) haResources(ctx context.Context, in haResourcesArgs) (haResourcesOut, error) {
	out := haResourcesOut{Action: in.Action}
	if in.Action == "list" {
		if in.VMID != 0 || in.State != "" || in.MaxRestart != nil || in.MaxRelocate != nil || in.Group != "" || in.Comment != "" {
			return out, fmt.Errorf("invalid argument \"action\": list takes no other argument; use add to put a guest under HA")
		}
		list, err := c.haList(ctx)
		out.Resources = list
		return out, wrapErr(err, "list HA resources")
	}
	if in.VMID == 0 {
		return out, fmt.Errorf("invalid argument \"vmid\": action %s needs the guest's id", in.Action)
	}
	if err := c.vmid("vmid", in.VMID); err != nil {
		return out, err
	}
	if in.Action == "remove" {
		return c.haRemove(ctx, in, out)
	}
	form := url.Values{"sid": {strconv.Itoa(int(in.VMID))}}
	if in.State != "" {
		form.Set("state", in.State)
	}
	if in.MaxRestart != nil {
		form.Set("max_restart", strconv.Itoa(*in.MaxRestart))
	}
	if in.MaxRelocate != nil {
		form.Set("max_relocate", strconv.Itoa(*in.MaxRelocate))
	}
	if in.Comment != "" {
		form.Set("comment", string(in.Comment))
	}
	if in.Group != "" {
		major, err := c.clusterMajor(ctx)
		if err != nil {
			return out, err
		}
		if major >= 9 {
			return out, fmt.Errorf("invalid argument \"group\": PVE %d replaced HA groups with rules (Proxmox: ha groups have been migrated to rules); add the guest without group, then place it with pve_ha_rules", major)
		}
		form.Set("group", string(in.Group))
	}
	what := fmt.Sprintf("add guest %d to HA", in.VMID)
	var raw json.RawMessage
	if err := c.PVE.Post(ctx, "/cluster/ha/resources", form, &raw); err != nil {
		return out, writeError(what, err, "pve_ha_resources action list")
	}
	list, err := c.haList(ctx)
	if err != nil {
		return out, fmt.Errorf("%s: Proxmox accepted it, but the HA resources could not be read back (%w); check pve_ha_resources action list", what, err)
	}
	out.Resources = list
	for i := range list {
		if list[i].VMID == int(in.VMID) {
			out.Added = &list[i]
			return out, nil
		}
	}
	return out, fmt.Errorf("%s: Proxmox accepted it, but guest %d is not among the HA resources read back; check pve_ha_resources action list", what, in.VMID)
}

func (c *call) haRemove(ctx context.Context, in haResourcesArgs, out haResourcesOut) (haResourcesOut, error) {
	if in.State != "" || in.MaxRestart != nil || in.MaxRelocate != nil || in.Group != "" || in.Comment != "" {
		return out, fmt.Errorf("invalid argument \"action\": remove takes only vmid")
	}
	list, err := c.haList(ctx)
	if err != nil {
		return out, fmt.Errorf("list HA resources: %w", err)
	}
	sid := ""
	for _, r := range list {
		if r.VMID == int(in.VMID) {
			sid = r.SID
		}
	}
	if sid == "" {
		return out, fmt.Errorf("guest %d is not an HA resource (pve_ha_resources action list shows them); nothing to remove", in.VMID)
	}
	what := fmt.Sprintf("remove %s from HA", sid)
	var raw json.RawMessage
	if err := c.PVE.Delete(ctx, "/cluster/ha/resources/"+sid, nil, &raw); err != nil {
		return out, writeError(what, err, "pve_ha_resources action list")
	}
	if out.Resources, err = c.haList(ctx); err != nil {
		return out, fmt.Errorf("%s: Proxmox accepted it, but the HA resources could not be read back (%w); check pve_ha_resources action list", what, err)
	}
	for _, r := range out.Resources {
		if r.SID == sid {
			return out, fmt.Errorf("%s: Proxmox accepted it, but %s is still listed; check pve_ha_resources action list", what, sid)
		}
	}
	out.Removed = sid
	return out, nil
}

// haList reads the HA resources, those of guests the allowlists allow.
func (c *call) haList(ctx context.Context) ([]haResource, error) {
	var raw []struct {
		SID         string   `json:"sid"`
		Type        string   `json:"type"`
		State       string   `json:"state"`
		MaxRestart  *pve.Int `json:"max_restart"`
		MaxRelocate *pve.Int `json:"max_relocate"`
		Group       string   `json:"group"`
		Comment     string   `json:"comment"`
	}
	if err := c.PVE.Get(ctx, "/cluster/ha/resources", nil, &raw); err != nil {
		return nil, err
	}
	out := []haResource{}
	for _, r := range raw {
		id := sidVMID(r.SID)
		if !c.PVE.GuestAllowed(ctx, id) {
			continue
		}
		// Proxmox leaves out what is at its default.
		e := haResource{SID: r.SID, VMID: id, Type: r.Type, State: r.State, MaxRestart: 1, MaxRelocate: 1, Group: r.Group, Comment: r.Comment}
		if e.State == "" || e.State == "enabled" {
			e.State = "started"
		}
		if r.MaxRestart != nil {
			e.MaxRestart = int(*r.MaxRestart)
		}
		if r.MaxRelocate != nil {
			e.MaxRelocate = int(*r.MaxRelocate)
		}
		out = append(out, e)
	}
	return out, nil
}

// clusterMajor is the cluster's major PVE release.
func (c *call) clusterMajor(ctx context.Context) (int, error) {
	v, err := c.PVE.Version(ctx)
	if err != nil {
		return 0, fmt.Errorf("read the Proxmox version: %w", err)
	}
	major, _ := strconv.Atoi(strings.SplitN(v.Version, ".", 2)[0])
	return major, nil
}
