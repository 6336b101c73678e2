package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// faultProxy stands between the binary and the simulator as a gateway
// would: it forwards every request and, for the rules armed, changes what
// comes back. It logs every request it received.
type faultProxy struct {
	t        *testing.T
	upstream string
	srv      *httptest.Server
	hc       *http.Client

	mu    sync.Mutex
	rules []*proxyRule
	seen  []string // "METHOD /path" below /api2/json, as received
}

// proxyAnswer is one HTTP answer, the simulator's or the proxy's own.
type proxyAnswer struct {
	status int
	header http.Header
	body   []byte
}

// proxyRule changes the answers to the requests match selects; answer may
// call forward (once) to let the simulator handle the request first.
type proxyRule struct {
	match  func(r *http.Request) bool
	left   int // answers still to change; negative: every one
	used   int
	answer func(r *http.Request, forward func() proxyAnswer) proxyAnswer
}

func newFaultProxy(t *testing.T, upstream string) *faultProxy {
	t.Helper()
	p := &faultProxy{t: t, upstream: upstream, hc: &http.Client{Timeout: 60 * time.Second}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.hc.CloseIdleConnections()
	})
	return p
}

// arm adds a rule changing the next n matching answers (n < 0: all).
func (p *faultProxy) arm(n int, match func(r *http.Request) bool, answer func(r *http.Request, forward func() proxyAnswer) proxyAnswer) *proxyRule {
	r := &proxyRule{match: match, left: n, answer: answer}
	p.mu.Lock()
	p.rules = append(p.rules, r)
	p.mu.Unlock()
	return r
}

func (p *faultProxy) disarm(r *proxyRule) {
	p.mu.Lock()
	r.left = 0
	p.mu.Unlock()
}

func (p *faultProxy) uses(r *proxyRule) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return r.used
}

// count is how many requests METHOD path the proxy received.
func (p *faultProxy) count(method, path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.seen {
		if s == method+" "+path {
			n++
		}
	}
	return n
}

func (p *faultProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func (p *faultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/api2/json"))
	var rule *proxyRule
	for _, ru := range p.rules {
		if ru.left != 0 && ru.match(r) {
			rule = ru
			if ru.left > 0 {
				ru.left--
			}
			ru.used++
			break
		}
	}
	p.mu.Unlock()
	forward := func() proxyAnswer {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			return proxyAnswer{status: 500, body: []byte(err.Error())}
		}
		req.Header = r.Header.Clone()
		resp, err := p.hc.Do(req)
		if err != nil {
			return proxyAnswer{status: http.StatusBadGateway, body: []byte("proxy: " + err.Error())}
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return proxyAnswer{status: resp.StatusCode, header: resp.Header, body: b}
	}
	var a proxyAnswer
	if rule == nil {
		a = forward()
	} else {
		a = rule.answer(r, forward)
	}
	for k, v := range a.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// Matchers and answers for rules.

func route(method, path string) func(r *http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == "/api2/json"+path }
}

// taskCall matches GET .../tasks/UPID.../sub (status or log).
func taskCall(sub string) func(r *http.Request) bool {
	return func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/tasks/UPID") && strings.HasSuffix(r.URL.Path, "/"+sub)
	}
}

// gatewayError forwards the request, then answers status with a gateway's
// HTML page instead of what Proxmox said.
func gatewayError(status int) func(*http.Request, func() proxyAnswer) proxyAnswer {
	return func(_ *http.Request, forward func() proxyAnswer) proxyAnswer {
		forward()
		page := fmt.Sprintf("<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center><hr><center>nginx</center></body></html>\n",
			status, http.StatusText(status), status, http.StatusText(status))
		return proxyAnswer{status: status, header: http.Header{"Content-Type": {"text/html"}}, body: []byte(page)}
	}
}

// jsonAnswer answers status with body, after forwarding when forwarded.
func jsonAnswer(status int, body string, forwarded bool) func(*http.Request, func() proxyAnswer) proxyAnswer {
	return func(_ *http.Request, forward func() proxyAnswer) proxyAnswer {
		if forwarded {
			forward()
		}
		return proxyAnswer{status: status, header: http.Header{"Content-Type": {"application/json;charset=UTF-8"}}, body: []byte(body)}
	}
}

// editJSON forwards and edits a 200 answer's envelope (numbers kept as
// json.Number, so they can be quoted).
func editJSON(edit func(env map[string]any)) func(*http.Request, func() proxyAnswer) proxyAnswer {
	return func(_ *http.Request, forward func() proxyAnswer) proxyAnswer {
		a := forward()
		var env map[string]any
		d := json.NewDecoder(bytes.NewReader(a.body))
		d.UseNumber()
		if a.status == http.StatusOK && d.Decode(&env) == nil {
			edit(env)
			a.body, _ = json.Marshal(env)
		}
		return a
	}
}

// faultRig is a simulator, the proxy in front of it, and the binary over
// stdio pointed at the proxy.
type faultRig struct {
	sim   *pvesim.Sim
	proxy *faultProxy
	srv   *faultServer
}

// newFaultRig starts the three; with ticket the binary logs in as root@pam
// with a password instead of using the API token.
func newFaultRig(t *testing.T, ticket bool) *faultRig {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{Speed: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(sim.Handler())
	t.Cleanup(func() {
		sim.Close()
		hs.CloseClientConnections()
		hs.Close()
	})
	proxy := newFaultProxy(t, hs.URL)
	env := map[string]string{"PROXMOX_HOST": proxy.srv.URL, "PVE_READONLY": "false", "LOG_LEVEL": "debug"}
	if ticket {
		env["PROXMOX_USERNAME"], env["PROXMOX_PASSWORD"] = "root@pam", sim.RootPassword()
	} else {
		env["PROXMOX_TOKEN_ID"], env["PROXMOX_TOKEN_SECRET"] = sim.DefaultToken()
	}
	return &faultRig{sim: sim, proxy: proxy, srv: startFaultServer(t, env)}
}

// simCount is how many requests METHOD path reached the simulator.
func (g *faultRig) simCount(method, path string) int {
	n := 0
	for _, r := range g.sim.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

// faultServer is the binary over stdio, read line by line: the order of
// notifications and results is the order on the wire.
type faultServer struct {
	t      *testing.T
	stdin  io.WriteCloser
	lines  chan []byte // closed at EOF
	stderr *simtest.Buffer
	nextID int
}

// faultResult is a tools/call result as it came over the wire.
type faultResult struct {
	text     string
	isError  bool
	line     int // bytes of the whole JSON-RPC answer
	progress []faultProgress
	result   json.RawMessage
}

type faultProgress struct {
	Progress float64 `json:"progress"`
	Total    float64 `json:"total"`
	Message  string  `json:"message"`
}

func startFaultServer(t *testing.T, env map[string]string) *faultServer {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	s := &faultServer{t: t, lines: make(chan []byte, 1000), stderr: &simtest.Buffer{}}
	cmd.Stderr = s.stderr
	stdin, pr := startBinary(t, cmd)
	s.stdin = stdin
	go func() {
		defer close(s.lines)
		defer pr.Close()
		br := bufio.NewReader(pr)
		for {
			b, err := br.ReadBytes('\n')
			if len(bytes.TrimSpace(b)) > 0 {
				s.lines <- b
			}
			if err != nil {
				return
			}
		}
	}()
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		stdin.Close() // end of input: the server exits
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		for range s.lines {
		}
		if t.Failed() {
			t.Logf("server log:\n%s", s.stderr)
		}
	})
	s.write(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"faults","version":"1"}}}`)
	if _, ok := s.await(0); !ok {
		t.Fatal("initialize failed")
	}
	s.write(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return s
}

func (s *faultServer) write(line string) {
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		s.t.Fatalf("write stdin: %v", err)
	}
}

type wireMsg struct {
	ID     *int            `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// await reads up to the answer to id, returning the progress notifications
// seen on the way and the answer's size.
func (s *faultServer) await(id int) (faultResult, bool) {
	s.t.Helper()
	var out faultResult
	timeout := time.After(90 * time.Second) // a hang guard, not a timing check
	for {
		var line []byte
		select {
		case l, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("stdout ended before the answer to %d", id)
			}
			line = l
		case <-timeout:
			s.t.Fatalf("no answer to %d", id)
		}
		var m wireMsg
		if err := json.Unmarshal(line, &m); err != nil {
			s.t.Fatalf("stdout line is not JSON: %q", line)
		}
		switch {
		case m.Method == "notifications/progress":
			var p faultProgress
			_ = json.Unmarshal(m.Params, &p)
			out.progress = append(out.progress, p)
		case m.Method != "" && m.ID != nil:
			s.t.Fatalf("unexpected request from the server: %s", line)
		case m.Method != "":
			// another notification (log messages)
		case m.ID != nil && *m.ID == id:
			if m.Error != nil {
				s.t.Errorf("answer to %d is a JSON-RPC error: %s", id, m.Error)
				return out, false
			}
			out.line, out.result = len(line), m.Result
			return out, true
		default:
			s.t.Fatalf("answer to another request: %s", line)
		}
	}
}

// call runs a tool with a progress token and returns its answer.
func (s *faultServer) call(tool string, args map[string]any) faultResult {
	s.t.Helper()
	s.nextID++
	a, _ := json.Marshal(args)
	s.write(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s,"_meta":{"progressToken":"p%d"}}}`,
		s.nextID, tool, a, s.nextID))
	out, ok := s.await(s.nextID)
	if !ok {
		s.t.FailNow()
	}
	var res struct {
		Content []struct{ Text string }
		IsError bool
	}
	if err := json.Unmarshal(out.result, &res); err != nil {
		s.t.Fatalf("%s: result: %v", tool, err)
	}
	for _, c := range res.Content {
		out.text += c.Text
	}
	out.isError = res.IsError
	return out
}
