package guard

import (
	"context"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// The one list WaitTask reads beside the task's status and log passes the
// checks wherever the task's own status does.
func TestWaitTaskHistoryRequestPasses(t *testing.T) {
	upid := "UPID:pve1:0000ABCD:00112233:65A0B0C0:qmstart:100:root@pam!mcp:"
	for name, o := range map[string]Options{"no allowlist": {}, "guests": guestsSet, "nodes": nodesSet} {
		e := newTestEnv(t, o)
		c := e.g.Call(nil)
		ctx := context.Background()
		if err := c.checkTask(ctx, upid, "status"); err != nil {
			t.Fatalf("%s: status refused: %v", name, err)
		}
		path, q, ok := pve.HistoryRequest(upid)
		if !ok {
			t.Fatalf("%s: no history request", name)
		}
		if err := c.check(ctx, "GET", path, q); err != nil {
			t.Errorf("%s: %s?%s refused: %v", name, path, q.Encode(), err)
		}
	}
}
