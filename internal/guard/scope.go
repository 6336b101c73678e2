package guard

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// judgeScope refuses backups that pick their guests by a rule (all, a pool),
// and bulk actions without a vms list, while an allowlist is set: the
// guests they reach are not named, so they cannot be checked.
func (c *Call) judgeScope(r *request, v *verdict) {
	tmpl := r.ep.Path
	nodeWide := tmpl == "/nodes/{node}/startall" || tmpl == "/nodes/{node}/stopall" || tmpl == "/nodes/{node}/suspendall" || tmpl == "/nodes/{node}/migrateall"
	if c.g.opts.Allow.Any() && r.method == "POST" && nodeWide && r.params["vms"] == "" {
		v.refuse("%s left out: %s would reach every guest of node %s, including guests outside PVE_VMID_ALLOWLIST; list the guests in vms", c.arg("vms"), tmpl[strings.LastIndexByte(tmpl, '/')+1:], r.params["node"])
		return
	}
	if c.g.opts.Allow.Any() && r.method == "POST" && strings.HasPrefix(tmpl, "/cluster/bulk-action/guest/") && r.params["vms"] == "" {
		v.refuse("%s left out: the bulk action would reach every guest of the cluster, including guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST; list the guests in vms", c.arg("vms"))
		return
	}
	if !c.g.opts.Allow.Any() || (tmpl != "/nodes/{node}/vzdump" && !strings.HasPrefix(tmpl, "/cluster/backup")) || r.method == "GET" {
		return
	}
	if truthy(r.params["all"]) {
		v.refuse("%s: would back up every guest, including guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST; name the guests instead", c.arg("all"))
	}
	if r.params["pool"] != "" {
		v.refuse("%s: would back up a pool's guests, which may be outside the allowlists; name the guests instead", c.arg("pool"))
	}
}

// normalizeFilename is pve-storage's normalize_content_filename: Proxmox
// saves the download under this name, so that is the file it may replace.
func normalizeFilename(name string) string {
	name = strings.TrimSuffix(name, "\n")
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (isLetter(byte(r)) || isDigit(byte(r)) || r == '_' || r == '.' || r == '-') {
			return r
		}
		return '_'
	}, name)
}

// judgeReplace asks before a download or upload that would replace a file
// the storage already holds (a template or ISO others may start from).
func (c *Call) judgeReplace(ctx context.Context, r *request, v *verdict) {
	tmpl := r.ep.Path
	if r.method != "POST" || !(strings.HasSuffix(tmpl, "/download-url") || strings.HasSuffix(tmpl, "/upload")) {
		return
	}
	content, name := r.params["content"], normalizeFilename(r.params["filename"])
	if content == "" || name == "" {
		return
	}
	var items []struct {
		VolID string `json:"volid"`
	}
	path := pve.Path("nodes", r.params["node"], "storage", r.params["storage"], "content")
	if err := c.g.raw.Get(ctx, path, url.Values{"content": {content}}, &items); err != nil {
		// A token may download without the right to list; then assume the
		// worst. The question stays the same whatever the error says, so an
		// answer to it still matches when the call is run again.
		v.ask("replace %s:%s/%s if it already exists (the storage's content could not be listed)", r.params["storage"], content, name)
		return
	}
	want := r.params["storage"] + ":" + content + "/" + name
	for _, it := range items {
		if it.VolID == want {
			v.ask("replace the existing file %s (guests or templates made from it keep the old one only if they copied it)", want)
			return
		}
	}
}

// judgeJob refuses, while an allowlist is set, a change to or the deletion
// of a backup job that reaches guests outside it: one that takes all guests
// or a pool, names a guest not allowed, or is bound to a node not allowed.
// The job is read as it is now; one that cannot be read is left to Proxmox.
func (c *Call) judgeJob(ctx context.Context, r *request, v *verdict) {
	a := c.g.opts.Allow
	if !a.Any() || r.ep.Path != "/cluster/backup/{id}" || (r.method != "PUT" && r.method != "DELETE") {
		return
	}
	var job struct {
		All  pve.Flag `json:"all"`
		Pool string   `json:"pool"`
		VMID string   `json:"vmid"`
		Node string   `json:"node"`
	}
	if err := c.g.raw.Get(ctx, pve.Path("cluster", "backup", r.params["id"]), nil, &job); err != nil {
		return
	}
	id := r.params["id"]
	switch {
	case job.Pool != "":
		v.refuse("backup job %s backs up pool %s, whose guests may be outside the allowlists", id, job.Pool)
	case bool(job.All):
		v.refuse("backup job %s backs up every guest, including guests outside PVE_VMID_ALLOWLIST or PVE_NODE_ALLOWLIST", id)
	case job.Node != "" && !a.NodeAllowed(job.Node):
		v.refuse("backup job %s runs on node %s, which is not in PVE_NODE_ALLOWLIST", id, job.Node)
	}
	for _, s := range splitList(job.VMID) {
		n, err := strconv.Atoi(s)
		if err != nil {
			continue
		}
		if err := a.VMID("the job's vmid", n); err != nil {
			v.refuse("backup job %s: %s", id, trimRefused(err))
			continue
		}
		if node, elsewhere := c.GuestElsewhere(ctx, n); elsewhere {
			v.refuse("backup job %s backs up guest %d on node %s, which is not in PVE_NODE_ALLOWLIST", id, n, orUnknown(node))
		}
	}
}
