package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// attackCase is one call of TestAttackSuite: an attack that must be refused
// with nothing sent, or a positive control.
type attackCase struct {
	name string
	tool string
	args map[string]any
	// want: each must appear in the refusal's text (the argument at fault
	// and the guest, node or key).
	want []string
	// reads: the refusal may come after reading the cluster (GETs only);
	// atkWithout it the call must send no request at all.
	reads bool
	// readPaths: with reads, the only paths the refusal may have read.
	readPaths []string
	// ok: a positive control that must succeed.
	ok bool
	// sent: the guard must let the call through: a write reaches Proxmox,
	// which may still refuse it (root-only keys for a token).
	sent bool
	// on: the connection to call on; nil: the class's.
	on *client
	// asked: the user must have been asked, in a question naming each;
	// log is where that connection records its questions.
	asked []string
	log   *askLog
	// notAsked: the user must not have been asked (log must stay empty).
	notAsked bool
	// hide: texts a result must not contain (secrets, forbidden guests).
	hide []string
	// check: more checks of the result text.
	check func(t *testing.T, text string)
	skip  string
}

// askLog records the questions put to a client's user and answers each.
type askLog struct {
	mu     sync.Mutex
	answer string
	msgs   []string
}

func (a *askLog) handler(r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.msgs = append(a.msgs, r.Params.Message)
	return &mcp.ElicitResult{Action: a.answer, Content: map[string]any{}}, nil
}

func (a *askLog) reset() {
	a.mu.Lock()
	a.msgs = nil
	a.mu.Unlock()
}

func (a *askLog) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.msgs...)
}

// attackRun runs attack cases against one cluster.
type attackRun struct {
	cl     *cluster
	logs   []*askLog // reset before each case
	counts map[string]int
	order  []string
}

func (r *attackRun) run(t *testing.T, class string, c *client, cases []attackCase) {
	t.Helper()
	if _, seen := r.counts[class]; !seen {
		r.order = append(r.order, class)
	}
	r.counts[class] += len(cases)
	t.Run(class, func(t *testing.T) {
		names := map[string]bool{}
		for _, tc := range cases {
			if names[tc.name] {
				t.Errorf("two cases named %q", tc.name)
			}
			names[tc.name] = true
			t.Run(tc.name, func(t *testing.T) { r.one(t, c, tc) })
		}
	})
}

func (r *attackRun) one(t *testing.T, c *client, tc attackCase) {
	if tc.skip != "" {
		t.Skip(tc.skip)
	}
	if tc.on != nil {
		c = tc.on
	}
	for _, l := range r.logs {
		l.reset()
	}
	r.cl.sim.ResetRequests()
	res, text := attackCall(t, c, tc.tool, tc.args)
	reqs := r.cl.sim.Requests()
	writes := atkWritesIn(reqs)
	args, _ := json.Marshal(tc.args)
	t.Logf("%s", atkShorten(text, 300))
	switch {
	case tc.ok:
		if res.IsError {
			t.Errorf("positive control %s(%s) failed: %s", tc.tool, args, text)
		}
	case tc.sent:
		if len(writes) == 0 {
			t.Errorf("%s(%s): nothing was sent, want the guard to let it through: %s", tc.tool, args, text)
		}
	default:
		if !res.IsError {
			t.Errorf("%s(%s) succeeded, want it refused: %s", tc.tool, args, text)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s(%s): refusal lacks %q: %s", tc.tool, args, w, text)
			}
		}
		if len(writes) > 0 {
			t.Errorf("%s(%s): refused, but wrote to Proxmox: %v (result: %s)", tc.tool, args, writes, text)
		} else if !tc.reads && len(reqs) > 0 {
			t.Errorf("%s(%s): refused, but sent %v; want no request at all (result: %s)", tc.tool, args, atkRequestLines(reqs), text)
		}
		for _, rq := range reqs {
			if len(tc.readPaths) > 0 && !slices.Contains(tc.readPaths, rq.Path) {
				t.Errorf("%s(%s): refused after reading %s %s; want only %v read", tc.tool, args, rq.Method, rq.Path, tc.readPaths)
			}
		}
	}
	for _, h := range tc.hide {
		if strings.Contains(text, h) {
			t.Errorf("%s(%s): result shows %q: %s", tc.tool, args, h, text)
		}
	}
	if tc.log != nil {
		asked := tc.log.asked()
		if tc.notAsked && len(asked) > 0 {
			t.Errorf("%s(%s): the user was asked %q, want no question", tc.tool, args, asked)
		}
		if len(tc.asked) > 0 {
			all := strings.Join(asked, "\n")
			if len(asked) == 0 {
				t.Errorf("%s(%s): the user was not asked", tc.tool, args)
			}
			for _, w := range tc.asked {
				if len(asked) > 0 && !strings.Contains(all, w) {
					t.Errorf("%s(%s): the question %q does not name %q", tc.tool, args, all, w)
				}
			}
		}
	}
	if tc.check != nil {
		tc.check(t, text)
	}
}

// attackCall calls a tool on behalf of subtest t (the client's own helpers
// report to the test that connected it).
func attackCall(t *testing.T, c *client, name string, args map[string]any) (*mcp.CallToolResult, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.session.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	text := atkResultText(res)
	c.mu.Lock()
	c.transcript.WriteString(text + "\n")
	c.mu.Unlock()
	if !res.IsError {
		if rs := c.schemas[name]; rs != nil {
			var v any
			raw, _ := json.Marshal(res.StructuredContent)
			_ = json.Unmarshal(raw, &v)
			if err := rs.Validate(v); err != nil {
				t.Errorf("%s: structured content does not match the output schema: %v\n%s", name, err, raw)
			}
		}
	}
	return res, text
}

func atkResultText(res *mcp.CallToolResult) string {
	text := ""
	for _, ct := range res.Content {
		if tc, ok := ct.(*mcp.TextContent); ok {
			text += tc.Text
		}
	}
	return text
}

func atkWritesIn(reqs []pvesim.Request) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func atkRequestLines(reqs []pvesim.Request) []string {
	out := make([]string, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// rawSession is a client session whose multi-round-trip middleware is off,
// so input-required results come back to the test as they are, and whose
// elicitation handler (always advertised) records what it is asked.
type rawSession struct {
	s   *mcp.ClientSession
	log *askLog
}

func (c *cluster) connectRaw(t *testing.T, env map[string]string, protocol string, log *askLog) *rawSession {
	t.Helper()
	id, secret := c.sim.DefaultToken()
	full := map[string]string{
		"PROXMOX_HOST": c.url, "PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret,
		"PVE_READONLY": "false", "LOG_LEVEL": "debug",
	}
	for k, v := range env {
		full[k] = v
	}
	cmd := exec.Command(binary)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range full {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr := &simtest.Buffer{}
	cmd.Stderr = stderr
	opts := &mcp.ClientOptions{
		MultiRoundTrip: &mcp.MultiRoundTripOptions{Disabled: true},
		ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return log.handler(r)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := mcp.NewClient(&mcp.Implementation{Name: "e2e-raw", Version: "1"}, opts).Connect(ctx,
		&mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatalf("connect: %v\nstderr:\n%s", err, stderr)
	}
	t.Cleanup(func() { s.Close() })
	return &rawSession{s: s, log: log}
}

func (r *rawSession) call(t *testing.T, p *mcp.CallToolParams) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.s.CallTool(ctx, p)
	if err != nil {
		t.Fatalf("%s: %v", p.Name, err)
	}
	return res
}
