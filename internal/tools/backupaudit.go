package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// The backup audit: guests in no job, guests without a recent backup, and
// each backup storage's retention and content (PBS's verification too).

type auditArgs struct {
	OlderThan AgeLimit `json:"older_than,omitempty" default:"7d" jsonschema:"a newest backup older than this is stale: 36h, 7d, 2w"`
}

// backupRef is one backup archive.
type backupRef struct {
	Volid   string `json:"volid"`
	Storage string `json:"storage"`
	Time    string `json:"time"` // UTC
	Size    int64  `json:"size,omitempty"`
	// Verification is PBS's verify state (ok, failed); "none" when a PBS
	// backup was never verified; absent on other storages.
	Verification string `json:"verification,omitempty"`
	Protected    bool   `json:"protected,omitempty"`
	ctime        int64
}

type auditGuest struct {
	VMID    int        `json:"vmid"`
	Name    string     `json:"name,omitempty"`
	Type    string     `json:"type,omitempty"`
	Node    string     `json:"node,omitempty"`
	Backups int        `json:"backups"`
	Newest  *backupRef `json:"newest,omitempty"`
	Age     string     `json:"age,omitempty"` // of the newest
}

type jobRetention struct {
	ID        string `json:"id"`
	Retention string `json:"retention"` // the job's prune-backups, or "storage's"
}

type auditStorage struct {
	Storage string   `json:"storage"`
	Type    string   `json:"type"`
	Shared  bool     `json:"shared,omitempty"`
	Nodes   []string `json:"nodes"` // where its content was read
	// Retention is the storage's prune-backups ("" when unset: the node's
	// vzdump.conf, else keep all); jobs that back up to it may override it.
	Retention    string         `json:"retention"`
	Jobs         []jobRetention `json:"jobs,omitempty"`
	Backups      int            `json:"backups"`
	Protected    int            `json:"protected,omitempty"`
	Verified     int            `json:"verified,omitempty"`
	VerifyFailed int            `json:"verify_failed,omitempty"`
	Unverified   int            `json:"unverified,omitempty"`
}

type auditOut struct {
	OlderThan string       `json:"older_than"`
	NotInJob  []auditGuest `json:"not_in_any_job"`
	// Stale are guests whose newest backup is older than older_than, or
	// that have none on the storages read.
	Stale    []auditGuest   `json:"stale"`
	Storages []auditStorage `json:"storages"`
	// OnlyDisabled are guests that only disabled jobs select: Proxmox's
	// not-backed-up counts them covered, yet no job backs them up.
	OnlyDisabled []disabledGuest `json:"only_disabled_jobs"`
	// FailedVerification are PBS backups whose last verification failed.
	FailedVerification []backupRef `json:"failed_verification,omitempty"`
	Notes              []string    `json:"notes,omitempty"` // what could not be read
}

func backupAuditTool(d *Deps) Tool {
	return define(d, spec{name: "pve_backup_audit", title: "Audit backups", toolset: "backupjobs",
		desc: "Which guests are in no backup job (or only in disabled ones), which have no backup newer than older_than, and each backup storage's retention and content (PBS verification, protection)."},
		handle(func(ctx context.Context, c *call, in auditArgs) (auditOut, error) {
			return c.backupAudit(ctx, in)
		}))
}

func ageOf(s AgeLimit) time.Duration {
	n, _ := strconv.Atoi(string(s[:len(s)-1]))
	unit := map[byte]time.Duration{'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	return time.Duration(n) * unit
}

type guestRes struct {
	VMID pve.Int `json:"vmid"`
	Name string  `json:"name"`
	Type string  `json:"type"`
	Node string  `json:"node"`
}

func (c *call) backupAudit(ctx context.Context, in auditArgs) (auditOut, error) {
	limit := in.OlderThan
	if limit == "" {
		limit = "7d"
	}
	out := auditOut{OlderThan: string(limit), NotInJob: []auditGuest{}, Stale: []auditGuest{}, Storages: []auditStorage{}, OnlyDisabled: []disabledGuest{}}
	var res []guestRes
	if err := c.PVE.Get(ctx, "/cluster/resources", url.Values{"type": {"vm"}}, &res); err != nil {
		return out, fmt.Errorf("read cluster resources: %w", err)
	}
	guests := map[int]guestRes{}
	for _, g := range res {
		if c.PVE.GuestAllowed(ctx, int(g.VMID)) {
			guests[int(g.VMID)] = g
		}
	}
	var none []struct {
		VMID pve.Int `json:"vmid"`
	}
	if err := c.PVE.Get(ctx, "/cluster/backup-info/not-backed-up", nil, &none); err != nil {
		return out, fmt.Errorf("read guests not in any backup job: %w", err)
	}
	for _, g := range none {
		if r, ok := guests[int(g.VMID)]; ok {
			out.NotInJob = append(out.NotInJob, auditGuest{VMID: int(r.VMID), Name: r.Name, Type: r.Type, Node: r.Node})
		}
	}
	all, err := c.readJobs(ctx)
	if err != nil {
		out.Notes = append(out.Notes, "backup jobs could not be read: "+err.Error())
	}
	backups, err := c.auditStorages(ctx, &out, all)
	if err != nil {
		return out, err
	}
	c.onlyDisabledJobs(ctx, &out, all, guests)
	now, cut := time.Now(), time.Now().Add(-ageOf(limit))
	ids := make([]int, 0, len(guests))
	for id := range guests {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		g, list := guests[id], backups[id]
		ag := auditGuest{VMID: id, Name: g.Name, Type: g.Type, Node: g.Node, Backups: len(list)}
		for i := range list {
			if ag.Newest == nil || list[i].ctime > ag.Newest.ctime {
				ag.Newest = &list[i]
			}
		}
		if ag.Newest != nil {
			ag.Age = since(now, ag.Newest.ctime)
		}
		for i := range out.NotInJob {
			if out.NotInJob[i].VMID == id {
				out.NotInJob[i].Backups, out.NotInJob[i].Newest, out.NotInJob[i].Age = ag.Backups, ag.Newest, ag.Age
			}
		}
		if ag.Newest == nil || time.Unix(ag.Newest.ctime, 0).Before(cut) {
			out.Stale = append(out.Stale, ag)
		}
	}
	return out, nil
}

type storageRow struct {
	Storage string  `json:"storage"`
	Type    string  `json:"type"`
	Shared  pve.Int `json:"shared"`
	Active  pve.Int `json:"active"`
}

type contentRow struct {
	Volid        string  `json:"volid"`
	VMID         pve.Int `json:"vmid"`
	Ctime        pve.Int `json:"ctime"`
	Size         pve.Int `json:"size"`
	Protected    pve.Int `json:"protected"`
	Verification *struct {
		State string `json:"state"`
	} `json:"verification"`
}

// auditStorages reads each backup storage's content once (a shared storage
// on one node, a local one on each node), and returns the backups by guest.
func (c *call) auditStorages(ctx context.Context, out *auditOut, all []rawJob) (map[int][]backupRef, error) {
	var nodes []struct {
		Node   string `json:"node"`
		Status string `json:"status"`
	}
	if err := c.PVE.Get(ctx, "/nodes", nil, &nodes); err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	retention := c.storageRetention(ctx, out)
	var jobs []rawJob
	for _, j := range all {
		if c.jobAllowed(ctx, j) {
			jobs = append(jobs, j)
		}
	}
	byGuest := map[int][]backupRef{}
	seen := map[string]int{} // storage -> index in out.Storages
	sort.Slice(nodes, func(i, k int) bool { return nodes[i].Node < nodes[k].Node })
	for _, n := range nodes {
		if !c.allow.NodeAllowed(n.Node) {
			continue
		}
		if n.Status != "online" {
			out.Notes = append(out.Notes, "node "+n.Node+" is "+n.Status+": its local storages were not read")
			continue
		}
		var rows []storageRow
		if err := c.PVE.Get(ctx, pve.Path("nodes", n.Node, "storage"), url.Values{"content": {"backup"}, "enabled": {"1"}}, &rows); err != nil {
			out.Notes = append(out.Notes, "storages of "+n.Node+" could not be listed: "+err.Error())
			continue
		}
		for _, s := range rows {
			i, ok := seen[s.Storage]
			if ok && s.Shared == 1 {
				continue
			}
			if !ok {
				i = len(out.Storages)
				seen[s.Storage] = i
				out.Storages = append(out.Storages, auditStorage{Storage: s.Storage, Type: s.Type, Shared: s.Shared == 1,
					Retention: retention[s.Storage], Jobs: jobsOn(jobs, s.Storage), Nodes: []string{}})
			}
			st := &out.Storages[i]
			st.Nodes = append(st.Nodes, n.Node)
			var items []contentRow
			path := pve.Path("nodes", n.Node, "storage", s.Storage, "content")
			if err := c.PVE.Get(ctx, path, url.Values{"content": {"backup"}}, &items); err != nil {
				out.Notes = append(out.Notes, fmt.Sprintf("content of %s on %s could not be read: %v", s.Storage, n.Node, err))
				continue
			}
			for _, it := range items {
				id := int(it.VMID)
				if id == 0 || !c.PVE.GuestAllowed(ctx, id) {
					continue
				}
				b := backupRef{Volid: it.Volid, Storage: s.Storage, Time: time.Unix(int64(it.Ctime), 0).UTC().Format(time.RFC3339),
					Size: int64(it.Size), Protected: it.Protected == 1, ctime: int64(it.Ctime)}
				st.Backups++
				if b.Protected {
					st.Protected++
				}
				if s.Type == "pbs" || it.Verification != nil {
					b.Verification = "none"
					if it.Verification != nil && it.Verification.State != "" {
						b.Verification = it.Verification.State
					}
					switch b.Verification {
					case "ok":
						st.Verified++
					case "none":
						st.Unverified++
					default:
						st.VerifyFailed++
						if len(out.FailedVerification) < 50 {
							out.FailedVerification = append(out.FailedVerification, b)
						}
					}
				}
				byGuest[id] = append(byGuest[id], b)
			}
		}
	}
	if c.allow.HasNodes() {
		out.Notes = append(out.Notes, "storages of nodes outside PVE_NODE_ALLOWLIST were not read")
	}
	return byGuest, nil
}

// storageRetention reads each storage's prune-backups from the storage config.
func (c *call) storageRetention(ctx context.Context, out *auditOut) map[string]string {
	var cfg []map[string]json.RawMessage
	ret := map[string]string{}
	if err := c.PVE.Get(ctx, "/storage", nil, &cfg); err != nil {
		out.Notes = append(out.Notes, "storage config (retention) could not be read: "+err.Error())
		return ret
	}
	for _, m := range cfg {
		f := flattenJob(m)
		switch {
		case f["prune-backups"] != "":
			ret[f["storage"]] = f["prune-backups"]
		case f["maxfiles"] != "":
			ret[f["storage"]] = "keep-last=" + f["maxfiles"] // maxfiles, before PVE 7
		}
	}
	return ret
}

// jobsOn lists the jobs that back up to storage, with their retention.
func jobsOn(jobs []rawJob, storage string) []jobRetention {
	var out []jobRetention
	for _, j := range jobs {
		if orDefault(j["storage"], "local") != storage {
			continue
		}
		r := j["prune-backups"]
		if r == "" {
			r = "storage's"
		}
		out = append(out, jobRetention{ID: j["id"], Retention: r})
	}
	slices.SortFunc(out, func(a, b jobRetention) int { return strings.Compare(a.ID, b.ID) })
	return out
}
