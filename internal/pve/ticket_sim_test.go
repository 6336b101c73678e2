package pve_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// The ticket flow against the simulator, which signs tickets, checks CSRF
// tokens on writes and lets tickets expire as simulated time moves on.
func TestTicketAgainstSimulator(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{Sim: pvesim.Options{Speed: 0.01, Users: map[string]string{"root@pam": "sim-root-pw", "ops@pve": "ops-password"}}})
	sim := cl.Sim
	c := cl.Client(t, pve.Options{Username: "root@pam", Password: "sim-root-pw", RetryBase: time.Millisecond})
	ctx := context.Background()

	var v pve.Version
	if err := c.Get(ctx, "/version", nil, &v); err != nil {
		t.Fatal(err)
	}
	put := func() {
		t.Helper()
		if err := c.Put(ctx, "/nodes/pve1/qemu/101/config", url.Values{"description": {"set with a ticket"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	put() // a write: the simulator refuses it without the CSRF token

	// Two and a half hours later the simulator no longer accepts the ticket:
	// the write gets a 401, the client logs in again and does not send the
	// write once more (it cannot know the 401 came before the write ran).
	sim.Advance(150 * time.Minute)
	sim.ResetRequests()
	if err := c.Put(ctx, "/nodes/pve1/qemu/101/config", url.Values{"description": {"set with a ticket"}}, nil); !pve.IsUnknownOutcome(err) {
		t.Fatalf("PUT with an expired ticket: %v", err)
	}
	put() // the new ticket serves the next write
	var logins, puts, refused int
	for _, r := range sim.Requests() {
		switch {
		case r.Method == "POST" && r.Path == "/access/ticket":
			logins++
		case r.Method == "PUT" && r.Status == 401:
			refused++
		case r.Method == "PUT":
			puts++
		}
	}
	if logins != 1 || refused != 1 || puts != 1 {
		t.Errorf("after expiry: %d logins, %d refused, %d executed PUTs; want 1, 1, 1", logins, refused, puts)
	}

	// Renewal posts the ticket as the password; the simulator accepts it.
	sim.Advance(70 * time.Minute)
	clock := time.Now().Add(70 * time.Minute)
	pve.SetClock(c, func() time.Time { return clock })
	sim.ResetRequests()
	put()
	reqs := sim.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/access/ticket" || reqs[0].Status != 200 || reqs[1].Status != 200 {
		t.Errorf("renewal: %+v", reqs)
	}
	if pw := reqs[0].Params.Get("password"); len(pw) < 4 || pw[:4] != "PVE:" {
		t.Errorf("renewal did not post the ticket as password")
	}

	// A wrong password is a readable 401.
	bad := cl.Client(t, pve.Options{Username: "ops@pve", Password: "nope", MaxRetries: -1})
	if err := bad.Get(ctx, "/version", nil, nil); !pve.IsAuth(err) {
		t.Errorf("bad password: %v", err)
	}
}
