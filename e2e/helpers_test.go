// Package e2e drives the built binary over stdio with the go-sdk client,
// against the Proxmox simulator, as an MCP client would.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pms-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "proxmox-mcp-server")
	build := exec.Command("go", "build", "-o", binary, "../cmd/proxmox-mcp-server")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cluster is a simulator served over loopback HTTP (HTTPS with tls).
type cluster struct {
	sim         *pvesim.Sim
	url         string
	fingerprint string // of the HTTPS certificate, when served over TLS
}

func newCluster(t testing.TB, speed float64) *cluster {
	t.Helper()
	return startCluster(t, pvesim.Options{Speed: speed}, false)
}

func newClusterSchema(t testing.TB, speed float64, schema string) *cluster {
	t.Helper()
	return startCluster(t, pvesim.Options{Speed: speed, Schema: schema}, false)
}

// startCluster serves the simulator, over HTTPS with a self-signed
// certificate when tls is set; fingerprint is its SHA-256 in Proxmox's form.
func startCluster(t testing.TB, o pvesim.Options, tls bool) *cluster {
	t.Helper()
	c := simtest.Start(t, simtest.Options{Sim: o, Plain: !tls})
	return &cluster{sim: c.Sim, url: c.URL, fingerprint: c.Fingerprint}
}

// writes lists the POST, PUT and DELETE requests the simulator received.
func (c *cluster) writes() []string {
	var out []string
	for _, r := range c.sim.Requests() {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// client is an MCP client session with the binary.
type client struct {
	t       *testing.T
	session *mcp.ClientSession
	schemas map[string]*jsonschema.Resolved // output schema per tool
	// afterCall, from clientOpts, runs after each tool call.
	afterCall func(tool string)
	stderr    *simtest.Buffer
	// transcript holds every tool result text, scanned for secrets at the end.
	transcript strings.Builder

	mu       sync.Mutex
	progress []*mcp.ProgressNotificationParams
	proc     *exec.Cmd // the server process
}

type clientOpts struct {
	env      map[string]string
	elicit   func(*mcp.ElicitRequest) (*mcp.ElicitResult, error)
	args     []string
	protocol string // MCP protocol version to ask for; "" for the newest
	// afterCall runs after each tool call returns, with the tool's name.
	afterCall func(tool string)
}

func (c *cluster) connect(t *testing.T, o clientOpts) *client {
	t.Helper()
	id, secret := c.sim.DefaultToken()
	env := map[string]string{
		"PROXMOX_HOST": c.url, "PROXMOX_TOKEN_ID": id, "PROXMOX_TOKEN_SECRET": secret,
		"PVE_READONLY": "false", "LOG_LEVEL": "debug",
	}
	for k, v := range o.env {
		env[k] = v
	}
	return start(t, env, o)
}

func start(t *testing.T, env map[string]string, o clientOpts) *client {
	t.Helper()
	cmd := exec.Command(binary, o.args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cl := &client{t: t, stderr: &simtest.Buffer{}, schemas: map[string]*jsonschema.Resolved{}, afterCall: o.afterCall, proc: cmd}
	cmd.Stderr = cl.stderr
	opts := &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
		cl.mu.Lock()
		cl.progress = append(cl.progress, r.Params)
		cl.mu.Unlock()
	}}
	if o.elicit != nil {
		opts.ElicitationHandler = func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) { return o.elicit(r) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, opts).Connect(ctx, &mcp.CommandTransport{Command: cmd}, &mcp.ClientSessionOptions{ProtocolVersion: o.protocol})
	if err != nil {
		t.Fatalf("connect: %v\nstderr:\n%s", err, cl.stderr)
	}
	cl.session = s
	t.Cleanup(func() {
		s.Close()
		// No secret may reach a tool result or a log line, in any test.
		for _, k := range []string{"PROXMOX_TOKEN_SECRET", "PROXMOX_PASSWORD", "PVE_MCP_HTTP_TOKEN"} {
			if v := env[k]; len(v) >= 6 {
				cl.mu.Lock()
				leaked := strings.Contains(cl.transcript.String(), v) || strings.Contains(cl.stderr.String(), v)
				cl.mu.Unlock()
				if leaked {
					t.Errorf("%s appeared in a tool result or the server log", k)
				}
			}
		}
	})
	cl.loadTools()
	return cl
}

// loadTools reads tools/list again, as a client does after
// notifications/tools/list_changed: calls check results against these schemas.
func (c *client) loadTools() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tools, err := c.session.ListTools(ctx, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.schemas = map[string]*jsonschema.Resolved{}
	for _, tl := range tools.Tools {
		raw, _ := json.Marshal(tl.OutputSchema)
		var sc jsonschema.Schema
		if err := json.Unmarshal(raw, &sc); err != nil {
			c.t.Fatalf("%s: output schema: %v", tl.Name, err)
		}
		rs, err := sc.Resolve(nil)
		if err != nil {
			c.t.Fatalf("%s: resolve output schema: %v", tl.Name, err)
		}
		c.schemas[tl.Name] = rs
	}
}

func (c *client) toolNames() []string {
	var names []string
	for n := range c.schemas {
		names = append(names, n)
	}
	return names
}

// call runs a tool and checks its structured content against its output schema.
func (c *client) call(name string, args map[string]any) (*mcp.CallToolResult, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := c.session.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if c.afterCall != nil {
		c.afterCall(name)
	}
	if err != nil {
		c.t.Fatalf("%s: %v", name, err)
	}
	var texts []string
	for _, ct := range res.Content {
		if tc, ok := ct.(*mcp.TextContent); ok {
			texts = append(texts, tc.Text)
		}
	}
	text := strings.Join(texts, "\n")
	c.mu.Lock()
	c.transcript.WriteString(text + "\n")
	c.mu.Unlock()
	if !res.IsError {
		rs := c.schemas[name]
		if rs == nil {
			c.t.Fatalf("%s: not listed", name)
		}
		var v any
		raw, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(raw, &v)
		if err := rs.Validate(v); err != nil {
			c.t.Errorf("%s: structured content does not match the output schema: %v\n%s", name, err, raw)
		}
	}
	return res, text
}

// ok calls a tool that must succeed and decodes its JSON text into out.
func (c *client) ok(name string, args map[string]any, out any) string {
	c.t.Helper()
	res, text := c.call(name, args)
	if res.IsError {
		c.t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	if out != nil {
		// The first block is the JSON; a cut list adds a note after it.
		first := ""
		if tc, ok := res.Content[0].(*mcp.TextContent); ok {
			first = tc.Text
		}
		if err := json.Unmarshal([]byte(first), out); err != nil {
			c.t.Fatalf("%s: decode %q: %v", name, first, err)
		}
	}
	return text
}

// fails calls a tool that must return a tool error containing every want.
func (c *client) fails(name string, args map[string]any, want ...string) string {
	c.t.Helper()
	res, text := c.call(name, args)
	if !res.IsError {
		c.t.Fatalf("%s(%v) succeeded, want an error: %s", name, args, text)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			c.t.Errorf("%s: error %q lacks %q", name, text, w)
		}
	}
	return text
}

type task struct {
	Action     string `json:"action"`
	UPID       string `json:"upid"`
	Status     string `json:"status"`
	ExitStatus string `json:"exitStatus"`
}

// task runs a task-starting tool and checks the task ended OK.
func (c *client) task(name string, args map[string]any) task {
	c.t.Helper()
	var out task
	c.ok(name, args, &out)
	if out.UPID == "" || !strings.HasPrefix(out.ExitStatus, "OK") && !strings.HasPrefix(out.ExitStatus, "WARNINGS") {
		c.t.Fatalf("%s: task did not end OK: %+v", name, out)
	}
	return out
}

func m(kv ...any) map[string]any {
	out := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func mcpParams(name string, args map[string]any) *mcp.CallToolParams {
	return &mcp.CallToolParams{Name: name, Arguments: args}
}
