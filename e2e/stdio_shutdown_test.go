package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// grace is the stdio shutdown grace (stdio.ShutdownGrace).
const grace = 10 * time.Second

// TestStdioSIGTERMAnswersTheCallInFlight: a clone of about 20 s is running
// when SIGTERM comes. New requests are refused; after the grace the wait is
// cancelled and its answer, naming the UPID, is written before a clean exit.
func TestStdioSIGTERMAnswersTheCallInFlight(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.3))
	r.send(toolCall("20", "pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 530, "full", true)))
	r.waitProgress(20 * time.Second)
	signalled := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	simtest.Eventually(t, "the shutdown to begin", func() bool { return strings.Contains(r.stderr.String(), "stdio: shutting down") })
	r.send(ping("21"))
	r.expectError("21", -32004, "shutting down")

	m := r.reply(grace + 5*time.Second)
	answered := time.Since(signalled)
	if m.id() != "20" {
		t.Fatalf("got %v, want the clone's answer", m)
	}
	text, _ := toolText(m)
	if !strings.Contains(text, "UPID:pve1:") {
		t.Errorf("the answer names no UPID: %s", text)
	}
	if answered < grace-time.Second || answered > grace+3*time.Second {
		t.Errorf("answered %v after SIGTERM, want after the %v grace", answered, grace)
	}
	code, ok := r.waitExit(2 * time.Second)
	if !ok || code != 0 {
		t.Fatalf("exit: ended %v, code %d; want exit 0 right after the answer", ok, code)
	}
	t.Logf("answered %v after SIGTERM: %s", answered.Round(time.Millisecond), text)
}

// TestStdioSIGTERMLetsAShortCallFinish: a clone of a few seconds ends within
// the grace; its full answer is written, then the process exits 0 at once.
func TestStdioSIGTERMLetsAShortCallFinish(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.08))
	r.send(toolCall("22", "pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 531, "full", true)))
	r.waitProgress(20 * time.Second)
	signalled := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	m := r.reply(grace)
	text, isErr := toolText(m)
	if m.id() != "22" || isErr || !strings.Contains(text, `"exitStatus":"OK"`) {
		t.Fatalf("got %v (%s), want the clone's success", m, text)
	}
	answered := time.Since(signalled)
	code, ok := r.waitExit(2 * time.Second)
	if !ok || code != 0 {
		t.Fatalf("exit: ended %v, code %d; want exit 0 right after the answer", ok, code)
	}
	t.Logf("finished %v after SIGTERM", answered.Round(time.Millisecond))
}

// TestStdioEndOfInputAnswersTheCallInFlight: the client closes stdin with a
// call running; the call still finishes and is answered before exit 0.
func TestStdioEndOfInputAnswersTheCallInFlight(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.08))
	r.send(toolCall("23", "pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 532, "full", true)))
	r.waitProgress(20 * time.Second)
	r.stdin.Close()
	m := r.reply(grace)
	text, isErr := toolText(m)
	if m.id() != "23" || isErr || !strings.Contains(text, `"exitStatus":"OK"`) {
		t.Fatalf("got %v (%s), want the clone's success", m, text)
	}
	if code, ok := r.waitExit(2 * time.Second); !ok || code != 0 {
		t.Fatalf("exit: ended %v, code %d; want exit 0 right after the answer", ok, code)
	}
}

// TestStdioCancelledCallGetsNoAnswer: after notifications/cancelled the
// server writes nothing for that request id, though its handler returns.
func TestStdioCancelledCallGetsNoAnswer(t *testing.T) {
	t.Parallel()
	r := startRaw(t, newCluster(t, 0.3))
	r.send(toolCall("30", "pve_vm_clone", m("node", "pve1", "vmid", 101, "newid", 533, "full", true)))
	r.waitProgress(20 * time.Second)
	r.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":30,"reason":"user"}}` + "\n")
	// The wait ends at once; the server drops its answer, and says so.
	simtest.Eventually(t, "the handler to end", func() bool {
		return strings.Contains(r.stderr.String(), "answer to a cancelled call dropped")
	})
	r.send(ping("31"))
	for {
		m := r.next(5 * time.Second)
		if m == nil {
			t.Fatal("no answer to the ping")
		}
		if m.id() == "30" {
			t.Fatalf("the cancelled call was answered: %v", m)
		}
		if m.id() == "31" {
			break
		}
	}
}
