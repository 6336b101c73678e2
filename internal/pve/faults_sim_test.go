package pve_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

const simStart = "/nodes/pve1/qemu/101/status/start"

func simClient(t *testing.T, ticket bool) (*pve.Client, *pvesim.Sim) {
	t.Helper()
	cl := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.01, Users: map[string]string{"root@pam": "sim-root-pw"}}})
	o := pve.Options{RetryBase: time.Millisecond, RequestTimeout: 5 * time.Second}
	if ticket {
		o.Username, o.Password = "root@pam", "sim-root-pw"
	}
	return cl.Client(t, o), cl.Sim
}

// sent counts the requests the simulator logged; a request whose
// connection it reset is logged just after the client saw the reset.
func sent(sim *pvesim.Sim, method, path string) int {
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		n := 0
		for _, r := range sim.Requests() {
			if r.Method == method && r.Path == path {
				n++
			}
		}
		if n > 0 || time.Now().After(deadline) {
			return n
		}
	}
}

// The simulator's faults after a write is sent: each is sent once and read
// as a write that may have run, never as one that did not happen.
func TestSimFaultsAfterAWrite(t *testing.T) {
	for _, ticket := range []bool{false, true} {
		c, sim := simClient(t, ticket)
		ctx := context.Background()
		faults := []pvesim.Fault{
			{Kind: pvesim.FaultHTML, Status: 504},
			{Kind: pvesim.FaultHTML, Status: 502},
			{Kind: pvesim.FaultError, Status: 597, Message: "Connection lost"},
			{Kind: pvesim.FaultReset},
			{Kind: pvesim.FaultNonJSON, Message: `{"data":{"unexpected":"object"}}`},
		}
		if ticket {
			faults = append(faults, pvesim.Fault{Kind: pvesim.FaultError, Status: 401, Message: "Authentication failed!"})
		}
		for _, f := range faults {
			sim.ClearFaults()
			sim.ResetRequests()
			f.Method, f.Path, f.Count = "POST", simStart, 1
			if _, err := sim.AddFault(f); err != nil {
				t.Fatal(err)
			}
			var upid string
			err := c.Post(ctx, simStart, nil, &upid)
			if !pve.IsUnknownOutcome(err) || !strings.Contains(err.Error(), "/nodes/pve1/qemu/101/status/current") {
				t.Errorf("ticket=%v %s %d: err = %v", ticket, f.Kind, f.Status, err)
			}
			if n := sent(sim, "POST", simStart); n != 1 {
				t.Errorf("ticket=%v %s %d: the write was sent %d times", ticket, f.Kind, f.Status, n)
			}
			// The client goes on working (after a 401, with a new ticket).
			var st pve.Object
			if err := c.Get(ctx, "/nodes/pve1/qemu/101/status/current", nil, &st); err != nil {
				t.Errorf("ticket=%v %s %d: next read: %v", ticket, f.Kind, f.Status, err)
			}
		}
	}
}

// Wrong shapes on reads, injected by the simulator: errors, and /version is
// read again after one.
func TestSimWrongShapes(t *testing.T) {
	c, sim := simClient(t, false)
	ctx := context.Background()
	for path, body := range map[string]string{
		"/nodes/pve1/qemu":      `{"data":null}`,
		"/cluster/resources":    `{"data":{"type":"qemu"}}`,
		"/nodes/pve1/qemu/101/": `{"data":"str"}`,
	} {
		sim.ClearFaults()
		if _, err := sim.AddFault(pvesim.Fault{Kind: pvesim.FaultNonJSON, Method: "GET", Path: path, Message: body, Count: 4}); err != nil {
			t.Fatal(err)
		}
		var list []json.RawMessage
		var obj pve.Object
		var err error
		if strings.HasSuffix(path, "/") {
			err = c.Get(ctx, path+"status/current", nil, &obj)
		} else {
			err = c.Get(ctx, path, nil, &list)
		}
		if !pve.IsShape(err) || pve.IsUnknownOutcome(err) {
			t.Errorf("%s: %v", path, err)
		}
	}
	sim.ClearFaults()
	if _, err := sim.AddFault(pvesim.Fault{Kind: pvesim.FaultNonJSON, Method: "GET", Path: "/version", Message: `{"data":{}}`, Count: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Version(ctx); err == nil || !strings.Contains(err.Error(), "GET /version answered {}") {
		t.Errorf("malformed version: %v", err)
	}
	if v, err := c.Version(ctx); err != nil || !v.AtLeast(7, 0) {
		t.Errorf("version after the fault: %+v, %v", v, err)
	}
}
