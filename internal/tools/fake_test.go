package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/execallow"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/guard"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// fakePVE is a small Proxmox stand-in: canned answers per "METHOD path", a
// request log, and tasks that finish at once with a chosen exit status.
type fakePVE struct {
	mu       sync.Mutex
	routes   map[string]string // "GET /nodes" -> JSON data
	requests []string          // "METHOD path?params"
	exit     string            // exit status of every task
	running  int               // status polls answered "running" before "stopped"
}

const testUPID = "UPID:pve1:0000ABCD:00112233:65A0B0C0:qmstart:100:root@pam!mcp:"

func (f *fakePVE) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api2/json")
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+path+"?"+r.Form.Encode())
	data, ok := f.routes[r.Method+" "+path]
	exit := f.exit
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	switch {
	case ok:
	case strings.HasSuffix(path, "/status") && strings.Contains(path, "/tasks/") && f.takeRunning():
		data = fmt.Sprintf(`{"status":"running","upid":%q}`, testUPID)
	case strings.HasSuffix(path, "/status") && strings.Contains(path, "/tasks/"):
		data = fmt.Sprintf(`{"status":"stopped","exitstatus":%q,"upid":%q}`, exit, testUPID)
	case strings.HasSuffix(path, "/log") && strings.Contains(path, "/tasks/"):
		data = `[{"n":1,"t":"starting"},{"n":2,"t":"WARN: something odd"},{"n":3,"t":"TASK ` + exit + `"}]`
	case r.Method == http.MethodPut && strings.HasSuffix(path, "/config"),
		r.Method == http.MethodPost && (strings.HasSuffix(path, "/network") || path == "/cluster/backup"):
		data = "null"
	case r.Method == http.MethodGet && path == "/cluster/resources":
		data = fakeResources
	case r.Method == http.MethodGet && strings.HasSuffix(path, "/content"):
		data = "[]"
	case r.Method == http.MethodGet && strings.HasSuffix(path, "/config") && strings.Count(path, "/") == 5,
		r.Method == http.MethodGet && strings.HasSuffix(path, "/vzdump/defaults"),
		r.Method == http.MethodGet && strings.HasPrefix(path, "/cluster/ha/rules/"):
		data = "{}" // what the guard reads for a guest's protection
	case r.Method == http.MethodGet && path == "/cluster/nextid":
		data = `"` + r.Form.Get("vmid") + `"` // a new id is free
	case r.Method != http.MethodGet:
		data = `"` + testUPID + `"`
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(501)
		fmt.Fprintf(w, `{"data":null,"message":"Method '%s %s' not implemented"}`, r.Method, path)
		return
	}
	// One buffer of the right size, one write: a benchmark's 3 MB list is
	// neither grown through fmt's buffer nor sent in many small chunks.
	body := make([]byte, 0, len(data)+len(`{"data":}`))
	body = append(append(append(body, `{"data":`...), data...), '}')
	w.Write(body)
}

// fakeResources is a small cluster: guests 100, 101 and 200 on pve1, 105 on
// pve2, and the storages the request guard reads volume names by.
const fakeResources = `[{"type":"qemu","node":"pve1","vmid":100},{"type":"qemu","node":"pve1","vmid":101},
{"type":"lxc","node":"pve1","vmid":200},{"type":"qemu","node":"pve2","vmid":105},
{"type":"storage","node":"pve1","storage":"local","plugintype":"dir"},{"type":"storage","node":"pve1","storage":"local-lvm","plugintype":"lvmthin"},
{"type":"storage","node":"pve1","storage":"nfs","plugintype":"nfs"},{"type":"storage","node":"pve1","storage":"pbs","plugintype":"pbs"},
{"type":"storage","node":"pve2","storage":"local","plugintype":"dir"},{"type":"storage","node":"pve2","storage":"nfs","plugintype":"nfs"}]`

func (f *fakePVE) takeRunning() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running > 0 {
		f.running--
		return true
	}
	return false
}

func (f *fakePVE) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakePVE) writes() []string {
	var out []string
	for _, r := range f.log() {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

// testSchemas is shared by the tests' guards: parsing a release's API schema
// took most of each test's time under -race, once per server built.
var testSchemas = &pveschema.Registry{}

// The tests' guest command and file allowlists.
var (
	testCommands, _ = execallow.ParseCommands("ro:/usr/bin/df ...; /usr/bin/touch /tmp/*")
	testFiles, _    = execallow.ParsePaths("/etc/motd; ro:/var/log/**")
)

type env struct {
	fake    *fakePVE
	session *mcp.ClientSession
	tools   []Tool // the server's tools, to call a handler directly
}

type envOpts struct {
	client     *mcp.ClientOptions
	selection  Selection // which tools the server offers; zero: all
	nodes      []string
	vmids      []int
	hostAccess bool
	commands   execallow.Commands // PVE_AGENT_EXEC_ALLOWLIST
	nodeSSH    *NodeSSH
	tasks      bool // serve the Tasks extension (tasksext.go)
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	fake := &fakePVE{routes: map[string]string{}, exit: "OK"}
	hs := httptest.NewServer(fake)
	t.Cleanup(hs.Close)
	client, err := pve.New(pve.Options{BaseURL: hs.URL, TokenID: "root@pam!mcp", TokenSecret: "s3cr3t-token", RequestTimeout: 5 * time.Second, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	commands := testCommands
	if !o.commands.Empty() {
		commands = o.commands
	}
	g := guard.New(client, guard.Options{Allow: guard.NewAllowlist(o.nodes, o.vmids), AllowHostAccess: o.hostAccess, Release: "9.1", Schemas: testSchemas,
		Commands: commands, Files: testFiles, CheckURL: URLChecker(false, nil)})
	deps := &Deps{Guard: g, TaskTimeout: 10 * time.Second, NodeSSH: o.nodeSSH}
	var srvOpts *mcp.ServerOptions
	caps := &mcp.ServerCapabilities{}
	if o.tasks {
		srvOpts = &mcp.ServerOptions{Capabilities: caps}
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "0"}, srvOpts)
	sel := o.selection
	if sel.Toolsets == nil && sel.Tools == nil && sel.Exclude == nil && !sel.ReadOnly && !sel.DisableDestructive {
		sel.Toolsets = []string{"all"}
	}
	box, err := NewToolbox(srv, deps, sel, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps.Toolbox = box
	if o.tasks {
		if err := ServeTasks(srv, caps, deps); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	mc := mcp.NewClient(&mcp.Implementation{Name: "c", Version: "0"}, o.client)
	if o.tasks {
		if err := mcp.AddSendingCustomMethod[*taskParams, *Task](mc, "tasks/get"); err != nil {
			t.Fatal(err)
		}
		if err := mcp.AddSendingCustomMethod[*taskParams, *taskAck](mc, "tasks/cancel"); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := mc.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait(); client.CloseIdleConnections() })
	return &env{fake: fake, session: cs, tools: Inventory(deps)}
}

func (e *env) call(t *testing.T, name string, args map[string]any) (*mcp.CallToolResult, string) {
	t.Helper()
	res, err := e.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	return res, text.String()
}

func (e *env) ok(t *testing.T, name string, args map[string]any) string {
	t.Helper()
	res, text := e.call(t, name, args)
	if res.IsError {
		t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	return text
}

func (e *env) refused(t *testing.T, name string, args map[string]any, want ...string) {
	t.Helper()
	before := len(e.fake.log())
	res, text := e.call(t, name, args)
	if !res.IsError {
		t.Fatalf("%s(%v) succeeded, want refusal: %s", name, args, text)
	}
	t.Logf("%s refused: %s", name, text)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: error %q lacks %q", name, text, w)
		}
	}
	if after := e.fake.log(); len(after) != before {
		t.Errorf("%s: refused call still sent requests: %v", name, after[before:])
	}
}

func form(s string) url.Values {
	_, q, _ := strings.Cut(s, "?")
	v, _ := url.ParseQuery(q)
	return v
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}
