package fidelity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	proxmox "github.com/luthermonson/go-proxmox"
)

var ctx = context.Background()

// tokenClient is go-proxmox set up with the API token the sim printed.
func tokenClient(e *simEnv) *proxmox.Client {
	return proxmox.NewClient(e.Host+"/api2/json", proxmox.WithHTTPClient(e.HTTP),
		proxmox.WithAPIToken(e.TokenID, e.TokenSecret))
}

// ticketClient is go-proxmox logging in with root@pam's password: it gets a
// ticket from POST /access/ticket, sends it as the PVEAuthCookie cookie and
// the CSRFPreventionToken header on writes.
func ticketClient(e *simEnv) *proxmox.Client {
	return proxmox.NewClient(e.Host+"/api2/json", proxmox.WithHTTPClient(e.HTTP),
		proxmox.WithCredentials(&proxmox.Credentials{Username: "root@pam", Password: e.RootPW}))
}

// notImplemented tells whether err is the library's view of the sim's
// 501 "Method '...' not implemented" (go-proxmox returns the status line).
func notImplemented(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "501 ") && strings.Contains(err.Error(), "not implemented")
}

// need fails the step on err, except that an endpoint the simulator does not
// implement yet (exactly 501 "not implemented") skips it: such steps turn on
// by themselves once the endpoint lands.
func need(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		return
	}
	if notImplemented(err) {
		t.Skipf("waiting for endpoint: %s: %v", what, err)
	}
	t.Fatalf("%s: %v", what, err)
}

// wantErr asserts that a call Proxmox refuses fails with Proxmox's message.
func wantErr(t *testing.T, err error, what, text string) {
	t.Helper()
	if notImplemented(err) {
		t.Skipf("waiting for endpoint: %s: %v", what, err)
	}
	if err == nil {
		t.Fatalf("%s: accepted, Proxmox refuses it with %q", what, text)
	}
	if !strings.Contains(err.Error(), text) {
		t.Fatalf("%s: %v, Proxmox says %q", what, err, text)
	}
}

// waitOK waits for a task with the library's Task.Wait and asserts it ended OK.
func waitOK(t *testing.T, task *proxmox.Task, err error, what string) {
	t.Helper()
	need(t, err, what)
	if task == nil {
		t.Fatalf("%s: no task (UPID) returned", what)
	}
	if err := task.Wait(ctx, 50*time.Millisecond, 60*time.Second); err != nil {
		t.Fatalf("%s: waiting for %s: %v", what, task.UPID, err)
	}
	if !task.IsCompleted || !task.IsSuccessful || task.ExitStatus != "OK" {
		t.Fatalf("%s: task %s ended %q (completed %v)", what, task.UPID, task.ExitStatus, task.IsCompleted)
	}
}

// waitFailed waits for a task that Proxmox starts but that fails, and
// asserts its exit status.
func waitFailed(t *testing.T, task *proxmox.Task, err error, what, exit string) {
	t.Helper()
	need(t, err, what)
	if err := task.Wait(ctx, 50*time.Millisecond, 60*time.Second); err != nil {
		t.Fatalf("%s: waiting: %v", what, err)
	}
	if task.IsSuccessful || !strings.Contains(task.ExitStatus, exit) {
		t.Fatalf("%s: task ended %q, Proxmox ends it with %q", what, task.ExitStatus, exit)
	}
}

func isNotAuthorized(err error) bool { return errors.Is(err, proxmox.ErrNotAuthorized) }
