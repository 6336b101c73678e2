package guard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pveschema"
)

// testCluster: guests 100, 101 (pve1), 105 (pve2), 200, 201 (pve1), 300
// (pve3); storages by plugin type, some shared by every node.
const testResources = `[
{"type":"qemu","node":"pve1","vmid":100},{"type":"qemu","node":"pve1","vmid":101},{"type":"qemu","node":"pve2","vmid":"105"},
{"type":"lxc","node":"pve1","vmid":200},{"type":"lxc","node":"pve1","vmid":201},{"type":"qemu","node":"pve3","vmid":300},
{"type":"storage","node":"pve1","storage":"local","plugintype":"dir"},{"type":"storage","node":"pve1","storage":"local-lvm","plugintype":"lvmthin"},
{"type":"storage","node":"pve1","storage":"tank","plugintype":"zfspool"},{"type":"storage","node":"pve1","storage":"nfs","plugintype":"nfs"},
{"type":"storage","node":"pve1","storage":"ceph","plugintype":"rbd"},{"type":"storage","node":"pve1","storage":"pbs","plugintype":"pbs"},
{"type":"storage","node":"pve1","storage":"vm-100-store","plugintype":"dir"},{"type":"storage","node":"pve1","storage":"san","plugintype":"iscsi"},
{"type":"storage","node":"pve2","storage":"nfs","plugintype":"nfs"},{"type":"storage","node":"pve2","storage":"local","plugintype":"dir"},
{"type":"storage","node":"pve3","storage":"nfs","plugintype":"nfs"}]`

// fakePVE answers the few reads the guard makes and logs every request.
type fakePVE struct {
	mu       sync.Mutex
	requests []string
	content  string            // GET .../content answer
	job      string            // GET /cluster/backup/{id} answer
	configs  map[string]string // GET /nodes/N/KIND/ID/config answers by ID; others {}
	// vzdumpMode is the node's vzdump default mode ("" = snapshot); hidden
	// are ids /cluster/nextid says are taken although no list shows them.
	vzdumpMode string
	hidden     map[string]bool
}

func (f *fakePVE) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	path := strings.TrimPrefix(r.URL.EscapedPath(), "/api2/json")
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+path)
	content, job := f.content, f.job
	f.mu.Unlock()
	parts := strings.Split(path, "/")
	data := "null"
	switch {
	case path == "/cluster/resources":
		data = testResources
	case path == "/version":
		data = `{"version":"9.1.3","release":"9.1","repoid":"x"}`
	case strings.HasSuffix(path, "/content"):
		data = content
	case strings.HasPrefix(path, "/cluster/backup/") && job != "":
		data = job
	case strings.HasSuffix(path, "/vzdump/defaults"):
		data = `{"mode":"snapshot"}`
		f.mu.Lock()
		if f.vzdumpMode != "" {
			data = `{"mode":"` + f.vzdumpMode + `"}`
		}
		f.mu.Unlock()
	case path == "/cluster/nextid":
		f.mu.Lock()
		taken := f.hidden[r.Form.Get("vmid")]
		f.mu.Unlock()
		if taken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"data":null,"errors":{"vmid":"VM %s already exists"}}`, r.Form.Get("vmid"))
			return
		}
		data = `"` + r.Form.Get("vmid") + `"`
	case strings.HasPrefix(path, "/cluster/ha/rules/"):
		data = `{"rule":"r1","type":"node-affinity","resources":"vm:100,ct:201","nodes":"pve2"}`
	case r.Method == "GET" && len(parts) == 6 && parts[1] == "nodes" && parts[5] == "config":
		data = "{}"
		f.mu.Lock()
		if c, ok := f.configs[parts[4]]; ok {
			data = c
		}
		f.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"data":%s}`, data)
}

func (f *fakePVE) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

// testSchemas is shared so each test parses a release once.
var testSchemas = &pveschema.Registry{}

type testEnv struct {
	fake *fakePVE
	g    *Guard
}

func newTestEnv(t testing.TB, o Options) *testEnv {
	t.Helper()
	f := &fakePVE{content: "[]"}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	raw, err := pve.New(pve.Options{BaseURL: hs.URL, TokenID: "root@pam!mcp", TokenSecret: "s3cr3t", RequestTimeout: 5 * time.Second, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(raw.CloseIdleConnections)
	if o.Release == "" {
		o.Release = "9.1"
	}
	o.Schemas = testSchemas
	return &testEnv{fake: f, g: New(raw, o)}
}

// outcome is what one guarded request came to.
type outcome struct {
	err      error
	question string // what consent was asked for ("" when none)
	sent     []string
}

// send runs one request through a fresh Call whose consent step records
// the question and says yes.
func (e *testEnv) send(method, path string, form url.Values) outcome {
	var o outcome
	c := e.g.Call(func(_ context.Context, q string) error { o.question = q; return nil })
	before := len(e.fake.log())
	ctx := context.Background()
	switch method {
	case "GET":
		o.err = c.Get(ctx, path, form, nil)
	case "POST":
		o.err = c.Post(ctx, path, form, nil)
	case "PUT":
		o.err = c.Put(ctx, path, form, nil)
	case "DELETE":
		o.err = c.Delete(ctx, path, form, nil)
	}
	o.sent = e.fake.log()[before:]
	return o
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// wrote tells whether the request itself (not a guard read) reached Proxmox.
func (o outcome) wrote(method, path string) bool {
	for _, s := range o.sent {
		if s == method+" "+path {
			return true
		}
	}
	return false
}
