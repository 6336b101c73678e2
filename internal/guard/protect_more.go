package guard

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// moreTargets are the guests a write reaches without naming them in its
// path: a replication job (its id is GUEST-N), a pool's members, and a
// node's disks torn down under its guests.
func moreTargets(r *request) (refs []guestRef, everyOn string, every bool) {
	p, tmpl := r.params, r.ep.Path
	switch {
	case tmpl == "/cluster/replication" && r.method == "POST", strings.HasPrefix(tmpl, "/cluster/replication/{id}") && r.method != "GET":
		// Replication copies the guest's disks and, removed, frees them on the target.
		guest, _, _ := strings.Cut(p["id"], "-")
		if id, err := strconv.Atoi(guest); err == nil {
			return []guestRef{{vmid: id}}, "", false
		}
	case (tmpl == "/pools/{poolid}" || tmpl == "/pools") && r.method == "PUT" && p["vms"] != "":
		// Pool membership decides who else may act on a guest.
		return idRefs(p["vms"]), "", false
	case strings.HasPrefix(tmpl, "/nodes/{node}/disks/") && (r.method == "DELETE" || tmpl == "/nodes/{node}/disks/wipedisk"):
		// A volume group, thin pool, ZFS pool or directory torn down, or a
		// disk wiped, may hold any guest's disks on that node.
		return nil, nodeOrAll(r.node), true
	}
	return nil, "", false
}

// maxVolumeScan bounds the configs read to find who uses a volume.
const maxVolumeScan = 500

// volumeUsers are the guests whose config uses the volume a content
// DELETE frees, whatever guest its name says owns it (a disk reassigned
// or moved keeps its name).
func (c *Call) volumeUsers(ctx context.Context, gl *guestList, r *request) ([]guestRef, error) {
	if r.ep.Path != "/nodes/{node}/storage/{storage}/content/{volume}" || r.method != "DELETE" {
		return nil, nil
	}
	volid := r.params["volume"]
	if !strings.Contains(volid, ":") {
		volid = r.params["storage"] + ":" + volid
	}
	all, err := gl.on(ctx, "")
	if err != nil {
		return nil, err
	}
	if len(all) > maxVolumeScan {
		return nil, fmt.Errorf("%d guests are too many to read whether one uses %s; free it in Proxmox", len(all), volid)
	}
	var out []guestRef
	for _, g := range all {
		var cfg map[string]any
		path := fmt.Sprintf("/nodes/%s/%s/%d/config", g.node, g.kind, g.vmid)
		if err := c.g.raw.Get(ctx, path, nil, &cfg); err != nil {
			return nil, fmt.Errorf("GET %s: %w", path, err)
		}
		for _, v := range cfg {
			s, ok := v.(string)
			if !ok {
				continue
			}
			if first, _, _ := strings.Cut(s, ","); first == volid {
				out = append(out, g)
				break
			}
		}
	}
	return out, nil
}
