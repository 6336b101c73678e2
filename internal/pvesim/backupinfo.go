package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// Backup audits: which guests and volumes the backup jobs cover
// (GET /cluster/backup/{id}/included_volumes, /cluster/backup-info).

func (s *Sim) backupInfoRoutes() []route {
	return []route{
		{method: "GET", tmpl: "/cluster/backup/{id}/included_volumes", h: s.includedVolumes},
		{method: "GET", tmpl: "/cluster/backup-info", h: indexOf("subdir")},
		{method: "GET", tmpl: "/cluster/backup-info/not-backed-up", h: s.notBackedUp},
		{method: "GET", tmpl: "/cluster/jobs", h: indexOf("subdir")},
		{method: "GET", tmpl: "/cluster/jobs/schedule-analyze", h: s.scheduleAnalyze},
	}
}

// scheduleAnalyze is Jobs.pm's schedule-analyze: the next iterations
// events from starttime (now), each with Perl's gmtime text.
func (s *Sim) scheduleAnalyze(c *call) (any, error) {
	from := c.now
	if c.has("starttime") {
		from = time.Unix(int64(c.num("starttime")), 0)
	}
	out := []map[string]any{}
	for i := 0; i < c.num("iterations"); i++ {
		next, ok := nextCalendarEvent(c.params["schedule"], from)
		if !ok {
			break
		}
		out = append(out, map[string]any{"timestamp": next.Unix(), "utc": next.UTC().Format("Mon Jan _2 15:04:05 2006")})
		from = next
	}
	return out, nil
}

func optBool(v string) bool { b, _ := pveschema.ParseBool(v); return b }

// jobGuests is VZDump::get_included_guests: the vmids a job selects (pool,
// else vmid list, else all minus exclude), restricted to the job's node;
// vmids that no longer exist stay in, on no node.
func (st *state) jobGuests(j *backupJob) []int {
	var ids []int
	switch {
	case j.opts["pool"] != "":
		if p := st.pools[j.opts["pool"]]; p != nil {
			for _, g := range st.guests {
				if p.members[g.kind.id(g.vmid)] {
					ids = append(ids, g.vmid)
				}
			}
		}
	case j.opts["vmid"] != "":
		for _, v := range splitList(j.opts["vmid"]) {
			if n, err := strconv.Atoi(v); err == nil {
				ids = append(ids, n)
			}
		}
	case optBool(j.opts["all"]):
		ex := map[int]bool{}
		for _, v := range splitList(j.opts["exclude"]) {
			n, _ := strconv.Atoi(v)
			ex[n] = true
		}
		for id := range st.guests {
			if !ex[id] {
				ids = append(ids, id)
			}
		}
	}
	sort.Ints(ids)
	out := ids[:0]
	for _, id := range ids {
		if g := st.guests[id]; g != nil && j.opts["node"] != "" && j.opts["node"] != g.node {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == id {
			continue
		}
		out = append(out, id)
	}
	return out
}

// backupVolumes is get_backup_volumes: each disk with whether vzdump takes it.
func backupVolumes(g *guest) []map[string]any {
	var out []map[string]any
	for _, k := range backupVolumeKeys(g) {
		v := g.conf[k]
		name, included, reason, ok := byKind(g.kind, qemuBackupVolume, lxcBackupVolume)(g, k, v)
		if !ok {
			continue
		}
		out = append(out, map[string]any{"id": fmt.Sprintf("%d:%s", g.vmid, k), "name": name,
			"included": b2i(included), "reason": reason, "leaf": 1})
	}
	return out
}

// backupVolumeKeys orders a config's volumes as foreach_volume does:
// ide, sata, scsi, virtio, efidisk, tpmstate; rootfs then mount points.
// lxcBackupVolume is whether vzdump takes a mount point, and why.
func lxcBackupVolume(_ *guest, k, v string) (name string, included bool, reason string, ok bool) {
	ps := parsePropString(v, "volume")
	name = ps.get("volume")
	switch {
	case k == "rootfs":
		return name, true, "rootfs", true
	case strings.HasPrefix(name, "/"):
		return name, false, "not a volume", true
	case optBool(ps.get("backup")):
		return name, true, "enabled", true
	}
	return name, false, "disabled", true
}

// qemuBackupVolume is whether vzdump takes a drive, and why; CD-ROMs are
// not volumes of the VM (ok false).
func qemuBackupVolume(g *guest, k, v string) (name string, included bool, reason string, ok bool) {
	ps := parsePropString(v, "file")
	if ps.get("media") == "cdrom" {
		return "", false, "", false
	}
	name = ps.get("file")
	b, set := ps.get("backup"), ps.get("backup") != ""
	// Perl's text says "no" whenever backup= is written at all
	included, reason = !set || optBool(b), "backup=yes"
	if set {
		reason = "backup=no"
	}
	if strings.HasPrefix(k, "efidisk") && g.conf["bios"] != "ovmf" {
		included, reason = false, "efidisk but no OVMF BIOS"
	}
	return name, included, reason, true
}

func backupVolumeKeys(g *guest) []string {
	prefixes := byKind(g.kind, []string{"ide", "sata", "scsi", "virtio", "efidisk", "tpmstate"}, []string{"rootfs", "mp"})
	var out []string
	for _, p := range prefixes {
		var keys []string
		for k := range g.conf {
			if k == p || isIndexed(k, p) {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			a, _ := strconv.Atoi(strings.TrimPrefix(keys[i], p))
			b, _ := strconv.Atoi(strings.TrimPrefix(keys[j], p))
			return a < b
		})
		out = append(out, keys...)
	}
	return out
}

func guestConfName(g *guest) any {
	if v, ok := g.conf[g.kind.nameKey()]; ok {
		return v
	}
	return nil
}

func (s *Sim) includedVolumes(c *call) (any, error) {
	var job *backupJob
	for _, j := range c.st.jobs {
		if j.id == c.params["id"] {
			job = j
		}
	}
	if job == nil {
		return nil, paramErr("id", fmt.Sprintf("No such job '%s'", c.params["id"]))
	}
	children := []map[string]any{}
	for _, vmid := range c.st.jobGuests(job) {
		if !s.has(c.authid, "/vms/"+strconv.Itoa(vmid), "VM.Audit") {
			continue
		}
		g := c.st.guests[vmid]
		if g == nil {
			children = append(children, map[string]any{"id": vmid, "type": "unknown", "leaf": 1})
			continue
		}
		vols := backupVolumes(g)
		if vols == nil {
			vols = []map[string]any{}
		}
		children = append(children, map[string]any{"id": vmid, "type": string(g.kind), "name": guestConfName(g),
			"children": vols, "leaf": b2i(len(vols) == 0)})
	}
	return map[string]any{"children": children}, nil
}

func (s *Sim) notBackedUp(c *call) (any, error) {
	covered := map[int]bool{}
	for _, j := range c.st.jobs {
		for _, id := range c.st.jobGuests(j) {
			covered[id] = true
		}
	}
	out := []map[string]any{}
	for _, vmid := range sortedGuestIDs(c.st) {
		g := c.st.guests[vmid]
		if covered[vmid] || !s.has(c.authid, "/vms/"+strconv.Itoa(vmid), "VM.Audit") {
			continue
		}
		m := map[string]any{"vmid": vmid, "type": string(g.kind)}
		if n := guestConfName(g); n != nil {
			m["name"] = n
		}
		out = append(out, m)
	}
	return out, nil
}

func sortedGuestIDs(st *state) []int {
	ids := make([]int, 0, len(st.guests))
	for id := range st.guests {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}
