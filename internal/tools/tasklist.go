package tools

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// tasks lists a node's tasks a page at a time: Proxmox pages and filters
// them itself (start, limit, typefilter, vmid, errors) and says the total.
func (c *call) tasks(ctx context.Context, in tasksArgs) (listOut, error) {
	if err := c.node("node", in.Node); err != nil {
		return listOut{}, err
	}
	if in.Offset < 0 {
		return listOut{}, fmt.Errorf("offset: 0 or more; got %d", in.Offset)
	}
	pg, err := newPager(pageArgs{Limit: Limit{Set: true, All: true}, Fields: in.Fields, Sort: in.Sort}, listSpec{})
	if err != nil {
		return listOut{}, err
	}
	q := url.Values{"limit": {strconv.Itoa(in.Limit)}, "source": {"all"}}
	if in.Running {
		q.Set("source", "active") // PVE has no "running" parameter
	}
	if in.Offset > 0 {
		q.Set("start", strconv.Itoa(in.Offset))
	}
	if in.Type != "" {
		q.Set("typefilter", string(in.Type))
	}
	if in.VMID != 0 {
		q.Set("vmid", strconv.Itoa(int(in.VMID)))
	}
	if in.Errors {
		q.Set("errors", "1")
	}
	what := "list tasks on " + string(in.Node)
	l := pve.List{Want: pg.readWith()}
	total, err := c.PVE.GetPage(ctx, pve.Path("nodes", string(in.Node), "tasks"), q, &l)
	if err != nil {
		return listOut{}, fmt.Errorf("%s: %w", what, err)
	}
	out, err := pg.page(&l, c.allowedTask(ctx)) // a copy of what it shows
	read := len(l.Items)
	l.Release()
	if err != nil {
		return listOut{}, fmt.Errorf("%s: %w", what, err)
	}
	// Proxmox's total counts every task the filters match, the ones the
	// allowlists hide from this page included; the next page starts after
	// the tasks Proxmox returned, shown or not.
	out.Offset, out.Total = in.Offset, max(total, in.Offset+read)
	if in.Offset+read < out.Total && read > 0 {
		out.Next = in.Offset + read
	}
	out.note = pg.note(out)
	return out, nil
}
