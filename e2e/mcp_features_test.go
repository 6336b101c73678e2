package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func TestProgressDuringClone(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.3)
	c := cl.connect(t, clientOpts{})
	c.task("pve_vm_create", m("node", "pve1", "vmid", 510, "disk", m("storage", "local-lvm", "sizeGb", 8)))
	params := mcpParams("pve_vm_clone", m("node", "pve1", "vmid", 510, "newid", 511, "full", true)) // 2 s + 8 s of copying
	params.SetProgressToken("clone-1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := c.session.CallTool(ctx, params)
	if err != nil || res.IsError {
		t.Fatalf("clone: %v %+v", err, res)
	}
	c.mu.Lock()
	got := append([]*mcp.ProgressNotificationParams(nil), c.progress...)
	c.mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("%d progress notifications, want at least 3", len(got))
	}
	percent := false
	for i, p := range got {
		if p.ProgressToken != "clone-1" || p.Message == "" {
			t.Errorf("notification %d: %+v", i, p)
		}
		if i > 0 && p.Progress <= got[i-1].Progress {
			t.Errorf("progress not increasing at %d: %v then %v", i, got[i-1].Progress, p.Progress)
		}
		if p.Total == 100 && strings.Contains(p.Message, "transferred") {
			percent = true
		}
	}
	if !percent {
		t.Errorf("no percentage from the clone's transferred lines: %+v", got[len(got)-1])
	}
	t.Logf("%d notifications, last: %.2f/%v %q", len(got), got[len(got)-1].Progress, got[len(got)-1].Total, got[len(got)-1].Message)
}

func TestCancelEndsTheWaitNotTheTask(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 1000) // the clone runs until the clock is advanced
	c := cl.connect(t, clientOpts{})
	params := mcpParams("pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 520, "full", true))
	params.SetProgressToken("cancel-me")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_, _ = c.session.CallTool(ctx, params)
		close(done)
	}()
	simtest.Eventually(t, "progress before cancelling", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return len(c.progress) > 0
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the call did not return after cancellation")
	}
	// The server's handler ends: its answer to the cancelled call is
	// dropped, and from then on nothing polls the task.
	simtest.Eventually(t, "the server to end the cancelled call", func() bool {
		return strings.Contains(c.stderr.String(), "answer to a cancelled call dropped")
	})
	before := countStatusPolls(cl)
	// Proxmox's task runs on.
	var tasks []struct {
		Type   string `json:"type"`
		Status string `json:"status"`
		UPID   string `json:"upid"`
	}
	c.ok("pve_list_tasks", m("node", "pve1", "running", true), &tasks)
	if after := countStatusPolls(cl); after != before {
		t.Errorf("the server still polls the task after cancellation (%d -> %d)", before, after)
	}
	running := false
	for _, tk := range tasks {
		if tk.Type == "qmclone" {
			running = true
			var st struct{ Status string }
			c.ok("pve_task_status", m("upid", tk.UPID), &st)
			if st.Status != "running" {
				t.Errorf("clone task: %s", st.Status)
			}
		}
	}
	if !running {
		t.Errorf("the clone task is not running after the cancelled wait: %+v", tasks)
	}
}

func countStatusPolls(cl *cluster) int {
	n := 0
	for _, r := range cl.sim.Requests() {
		if r.Method == "GET" && strings.Contains(r.Path, "/tasks/") && strings.HasSuffix(r.Path, "/status") {
			n++
		}
	}
	return n
}

func TestUserConfirmation(t *testing.T) {
	t.Parallel()
	for _, protocol := range []string{"", "2025-06-18"} {
		t.Run("protocol="+protocol, func(t *testing.T) { testUserConfirmation(t, protocol) })
	}
}

// testUserConfirmation covers both paths: input requests answered by the
// client (new protocol), and the SDK eliciting for older clients.
func testUserConfirmation(t *testing.T, protocol string) {
	cl := newCluster(t, 0.02)
	var mu sync.Mutex
	var asked []string
	answer := "accept"
	c := cl.connect(t, clientOpts{protocol: protocol, elicit: func(r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.Params.Message)
		return &mcp.ElicitResult{Action: answer, Content: map[string]any{}}, nil
	}})
	args := m("node", "pve2", "vmid", 201, "confirm", true, "confirmVmid", 201)

	mu.Lock()
	answer = "decline"
	mu.Unlock()
	cl.sim.ResetRequests()
	c.fails("pve_lxc_delete", args, "declined")
	if w := cl.writes(); len(w) != 0 {
		t.Fatalf("declined delete still wrote: %v", w)
	}
	if _, ok := c.findGuest(201); !ok {
		t.Fatal("CT 201 gone after a declined delete")
	}

	mu.Lock()
	answer = "accept"
	mu.Unlock()
	c.task("pve_lxc_delete", args)
	if _, ok := c.findGuest(201); ok {
		t.Fatal("CT 201 still there after an accepted delete")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 || asked[1] != "Delete CT 201 on pve2 and all its disks?" {
		t.Errorf("asked: %q", asked)
	}

	// Without elicitation support, confirm: true and the echo are the consent.
	plain := cl.connect(t, clientOpts{})
	plain.task("pve_vm_delete", m("node", "pve3", "vmid", 103, "confirm", true, "confirmVmid", 103))
	if _, ok := plain.findGuest(103); ok {
		t.Fatal("VM 103 still there")
	}
}
