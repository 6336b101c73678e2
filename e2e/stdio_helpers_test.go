package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// rawServer is the binary over stdio driven with raw bytes, for what an SDK
// client never sends: broken lines, batches, signals mid-call.
type rawServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    chan rawMsg // every stdout line, in order; closed at EOF
	stderr *simtest.Buffer
	exited chan error
}

// rawMsg is one stdout line, decoded one level.
type rawMsg map[string]json.RawMessage

func (m rawMsg) id() string { return string(m["id"]) }

func (m rawMsg) errorCode() int {
	var e struct{ Code int }
	_ = json.Unmarshal(m["error"], &e)
	return e.Code
}

func (m rawMsg) String() string {
	b, _ := json.Marshal(m)
	if len(b) > 400 {
		return string(b[:400]) + "..."
	}
	return string(b)
}

// startRaw starts the binary against the cluster and initializes a session.
func startRaw(t *testing.T, cl *cluster) *rawServer {
	t.Helper()
	r := startProcess(t, cl)
	r.send(initialize("init"))
	if m := r.next(20 * time.Second); m == nil || m["result"] == nil {
		t.Fatalf("initialize: %v", m)
	}
	r.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	return r
}

func initialize(id string) string {
	return `{"jsonrpc":"2.0","id":"` + id + `","method":"initialize","params":{"protocolVersion":"2025-06-18",` +
		`"capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}` + "\n"
}

// startProcess starts the binary against the cluster.
func startProcess(t *testing.T, cl *cluster) *rawServer {
	t.Helper()
	id, secret := cl.sim.DefaultToken()
	cmd := exec.Command(binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "PROXMOX_HOST=" + cl.url,
		"PROXMOX_TOKEN_ID=" + id, "PROXMOX_TOKEN_SECRET=" + secret, "PVE_READONLY=false", "LOG_LEVEL=debug"}
	r := &rawServer{t: t, cmd: cmd, out: make(chan rawMsg, 100), stderr: &simtest.Buffer{}, exited: make(chan error, 1)}
	cmd.Stderr = r.stderr
	stdin, pr := startBinary(t, cmd)
	r.stdin = stdin
	go r.readStdout(pr)
	go func() { r.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		for range r.out { // the reader must end before the test does
		}
		if t.Failed() {
			t.Logf("server log:\n%s", r.stderr)
		}
	})
	return r
}

// readStdout holds stdout to the protocol: every line must be a JSON object.
func (r *rawServer) readStdout(pr *os.File) {
	defer close(r.out)
	defer pr.Close()
	br := bufio.NewReader(pr)
	for {
		b, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(b))) > 0 {
			var m rawMsg
			if jerr := json.Unmarshal(b, &m); jerr != nil {
				r.t.Errorf("stdout line is not a JSON-RPC message: %q", b)
			} else {
				r.out <- m
			}
		}
		if err != nil {
			return
		}
	}
}

func (r *rawServer) send(s string) {
	if _, err := io.WriteString(r.stdin, s); err != nil {
		r.t.Logf("write stdin: %v", err)
	}
}

// next returns the next message, or nil when stdout ended or time ran out.
func (r *rawServer) next(timeout time.Duration) rawMsg {
	select {
	case m, ok := <-r.out:
		if !ok {
			return nil
		}
		return m
	case <-time.After(timeout):
		return nil
	}
}

// reply returns the next message that is not a notification.
func (r *rawServer) reply(timeout time.Duration) rawMsg {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := r.next(time.Until(deadline))
		if m == nil {
			code, ended := r.waitExit(100 * time.Millisecond)
			r.t.Fatalf("no reply within %v (server exited: %v, code %d)", timeout, ended, code)
		}
		if _, ok := m["method"]; !ok {
			return m
		}
	}
}

// expectError reads the next reply and checks it is the error wanted.
func (r *rawServer) expectError(id string, code int, contains string) {
	r.t.Helper()
	m := r.reply(5 * time.Second)
	if m.id() != id || m.errorCode() != code || !strings.Contains(string(m["error"]), contains) {
		r.t.Fatalf("got %v, want error %d with id %s mentioning %q", m, code, id, contains)
	}
}

// expectResult reads the next reply and checks it answers id.
func (r *rawServer) expectResult(id string) rawMsg {
	r.t.Helper()
	m := r.reply(5 * time.Second)
	if m.id() != id || m["result"] == nil {
		r.t.Fatalf("got %v, want a result for id %s", m, id)
	}
	return m
}

// waitExit waits for the process to end and returns its exit code.
func (r *rawServer) waitExit(timeout time.Duration) (int, bool) {
	select {
	case err := <-r.exited:
		r.exited <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		if err != nil {
			return -1, true
		}
		return 0, true
	case <-time.After(timeout):
		return 0, false
	}
}

func ping(id string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"ping"}`+"\n", id)
}

// toolCall is a tools/call line asking for progress.
func toolCall(id, tool string, args map[string]any) string {
	a, _ := json.Marshal(args)
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":%q,"arguments":%s,`+
		`"_meta":{"progressToken":"p%s"}}}`+"\n", id, tool, a, id)
}

// waitProgress reads until the first progress notification.
func (r *rawServer) waitProgress(timeout time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := r.next(time.Until(deadline))
		if m == nil {
			r.t.Fatal("no progress notification")
		}
		if string(m["method"]) == `"notifications/progress"` {
			return
		}
		r.t.Fatalf("unexpected message before progress: %v", m)
	}
}

// toolText is the text content of a tools/call result.
func toolText(m rawMsg) (string, bool) {
	var res struct {
		Content []struct{ Text string }
		IsError bool
	}
	_ = json.Unmarshal(m["result"], &res)
	text := ""
	for _, c := range res.Content {
		text += c.Text
	}
	return text, res.IsError
}

// startBinary starts cmd (the server binary, its Env and Stderr set) and
// returns its stdin and the read end of its stdout.
func startBinary(t *testing.T, cmd *exec.Cmd) (io.WriteCloser, *os.File) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	return stdin, pr
}
