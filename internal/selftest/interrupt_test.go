package selftest

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// cancelAfter cancels when a step of that name has ended, as Ctrl-C would.
type cancelAfter struct {
	mu     sync.Mutex
	step   string
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if strings.Contains(string(p), c.step) {
		c.cancel()
	}
	return len(p), nil
}

func TestInterruptCleansUp(t *testing.T) {
	t.Parallel()
	c := startSim(t, 3)
	before := state(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := runSweep(t, ctx, c, options(&cancelAfter{step: "clone the VM", cancel: cancel}))
	if r.OK || status(r, "migrate the clone") != statusSkipped {
		t.Errorf("ok %v, step after the interrupt: %s", r.OK, status(r, "migrate the clone"))
	}
	if got := status(r, "nothing left behind"); got != statusOK {
		t.Errorf("leftovers: %s", got)
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestInterruptDuringATask cancels while the VM clone's task runs on the
// node: the clone and its source are locked when cleanup starts.
func TestInterruptDuringATask(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.2}, Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/qemu/990/clone") {
				cancel()
			}
		})
	}})
	before := state(t, c)
	r := runSweep(t, ctx, c, options(nil))
	if r.OK || status(r, "clone the VM") != statusFail {
		t.Errorf("ok %v, clone %s", r.OK, status(r, "clone the VM"))
	}
	if got := status(r, "nothing left behind"); got != statusOK {
		t.Errorf("leftovers: %s", got)
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestInterruptDuringABackup cancels while the VM's backup runs: its
// archive is listed only when the task ends, after cleanup started.
func TestInterruptDuringABackup(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.2}, Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/vzdump") {
				cancel()
			}
		})
	}})
	before := state(t, c)
	r := runSweep(t, ctx, c, options(nil))
	if r.OK || status(r, "back up the VM") != statusFail || status(r, "nothing left behind") != statusOK {
		t.Errorf("ok %v, backup %s, leftovers %s", r.OK, status(r, "back up the VM"), status(r, "nothing left behind"))
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestInterruptDuringTheDownload cancels while the template downloads: the
// file appears when the task ends, after cleanup started.
func TestInterruptDuringTheDownload(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.3}, Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r)
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/download-url") {
				cancel()
			}
		})
	}})
	before := state(t, c)
	r := runSweep(t, ctx, c, options(nil))
	if r.OK || status(r, "download a container template") != statusFail || status(r, "nothing left behind") != statusOK {
		t.Errorf("ok %v, download %s, leftovers %s", r.OK, status(r, "download a container template"), status(r, "nothing left behind"))
	}
	if after := state(t, c); after != before {
		t.Errorf("state changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}
