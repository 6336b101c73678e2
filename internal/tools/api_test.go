package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func apiEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	o.selection = Selection{Toolsets: []string{"api"}}
	return newEnv(t, o)
}

// decodeStructured calls a tool and decodes its structured content.
func decodeStructured(t *testing.T, e *env, name string, args map[string]any, v any) {
	t.Helper()
	res, err := e.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil || res.IsError {
		t.Fatalf("%s(%v): %v %v", name, args, err, res)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: structured content %s: %v", name, raw, err)
	}
}

func TestAPISearchFindsByWordsAndPath(t *testing.T) {
	e := apiEnv(t, envOpts{})
	var out apiSearchOut
	decodeStructured(t, e, "pve_api_search", map[string]any{"query": "vm snapshot rollback"}, &out)
	if len(out.Items) == 0 || out.Items[0].Path != "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback" || out.Items[0].Method != "POST" {
		t.Fatalf("first hit %+v", out.Items)
	}
	if !strings.Contains(out.Items[0].Privilege, "VM.Snapshot.Rollback") || !out.Items[0].Task || out.Release != "9.1.3" {
		t.Errorf("hit %+v release %s", out.Items[0], out.Release)
	}
	decodeStructured(t, e, "pve_api_search", map[string]any{"query": "/nodes/pve1/qemu/100/status", "method": "POST"}, &out)
	paths := map[string]bool{}
	for _, it := range out.Items {
		paths[it.Path] = true
		if it.Method != "POST" {
			t.Errorf("method filter let %s %s through", it.Method, it.Path)
		}
	}
	if !paths["/nodes/{node}/qemu/{vmid}/status/start"] || !paths["/nodes/{node}/qemu/{vmid}/status/stop"] {
		t.Errorf("path search: %v", paths)
	}
	decodeStructured(t, e, "pve_api_search", map[string]any{"query": "delete container", "limit": 5}, &out)
	if len(out.Items) == 0 || out.Items[0].Method != "DELETE" || !strings.Contains(out.Items[0].Path, "/lxc") || len(out.Items) > 5 {
		t.Errorf("delete container: %+v", out.Items)
	}
	res, text := e.call(t, "pve_api_search", map[string]any{"query": "x", "limit": 500})
	if !res.IsError || !strings.Contains(text, "limit") {
		t.Errorf("limit 500: %s", text)
	}
}

func TestAPIDescribeGivesParamsAndReturns(t *testing.T) {
	e := apiEnv(t, envOpts{})
	var out apiDescribeOut
	decodeStructured(t, e, "pve_api_describe", map[string]any{"path": "/nodes/{node}/qemu/{vmid}/config", "method": "PUT"}, &out)
	if out.Method != "PUT" || !strings.Contains(out.Privilege, "VM.Config") || len(out.Params) < 50 {
		t.Fatalf("describe: %s %s %d params", out.Method, out.Privilege, len(out.Params))
	}
	if out.Params[0].In != "path" {
		t.Errorf("path parameters first: %+v", out.Params[0])
	}
	found := false
	for _, p := range out.Params {
		if p.Name == "net[n]" {
			found = len(p.Keys) > 3
		}
	}
	if !found {
		t.Errorf("net[n] with its keys missing")
	}
	decodeStructured(t, e, "pve_api_describe", map[string]any{"path": "/nodes/pve1/qemu/100/config", "method": "PUT", "param": "net0"}, &out)
	if len(out.Params) != 1 || len(out.Params[0].Props) < 3 {
		t.Fatalf("param net0: %+v", out.Params)
	}
	decodeStructured(t, e, "pve_api_describe", map[string]any{"path": "/nodes/pve1/qemu/100/status/current"}, &out)
	if out.Method != "GET" || !strings.HasPrefix(out.Returns, "object:") {
		t.Errorf("status/current returns %q", out.Returns)
	}
	res, text := e.call(t, "pve_api_describe", map[string]any{"path": "/nodes/{node}/qemu/{vmid}/status/start", "method": "DELETE"})
	if !res.IsError || !strings.Contains(text, "POST") {
		t.Errorf("wrong method: %s", text)
	}
}

func TestAPICallReadsAndPages(t *testing.T) {
	e := apiEnv(t, envOpts{})
	e.fake.routes["GET /nodes/pve1/qemu/100/config"] = `{"name":"web","memory":"2048","cipassword":"**********"}`
	text := e.ok(t, "pve_api_call", map[string]any{"path": "/api2/json/nodes/pve1/qemu/100/config"})
	if !strings.Contains(text, `"name":"web"`) {
		t.Errorf("config: %s", text)
	}
	e.fake.routes["GET /nodes/pve1/qemu"] = `[{"vmid":100,"name":"a"},{"vmid":101,"name":"b"},{"vmid":102,"name":"c"}]`
	text = e.ok(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/qemu", "limit": 2, "fields": "vmid"})
	if !strings.HasPrefix(text, `[{"vmid":100},{"vmid":101}]`) || !strings.Contains(text, "offset 2") {
		t.Errorf("paged list: %s", text)
	}
	last := e.fake.log()[len(e.fake.log())-1]
	if !strings.HasPrefix(last, "GET /nodes/pve1/qemu?") {
		t.Errorf("request %s", last)
	}
	e.fake.routes["GET /nodes/pve1/qemu/100/rrddata"] = `[]`
	e.ok(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/qemu/100/rrddata", "params": map[string]any{"timeframe": "hour", "cf": "AVERAGE"}})
	if got := form(e.fake.log()[len(e.fake.log())-1]); got.Get("timeframe") != "hour" || got.Get("cf") != "AVERAGE" {
		t.Errorf("query %v", got)
	}
}

func TestAPICallHidesSecrets(t *testing.T) {
	e, _ := elicitEnvSet(t, "accept", Selection{Toolsets: []string{"api"}})
	e.fake.routes["POST /access/users/u@pve/token/t1"] = `{"full-tokenid":"u@pve!t1","info":{},"value":"0f5e4a3c-secret-uuid"}`
	text := e.ok(t, "pve_api_call", map[string]any{"method": "POST", "path": "/access/users/u@pve/token/t1", "confirm": true})
	if strings.Contains(text, "0f5e4a3c") || !strings.Contains(text, "(hidden)") {
		t.Errorf("token secret shown: %s", text)
	}
	e.fake.routes["GET /nodes/pve1/qemu/100/cloudinit/dump"] = `"#cloud-config\nuser: admin\npassword: $5$abc$hashhashhash\n"`
	text = e.ok(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/qemu/100/cloudinit/dump", "params": map[string]any{"type": "user"}})
	if strings.Contains(text, "hashhash") || !strings.Contains(text, "user: admin") {
		t.Errorf("cloud-init password hash shown: %s", text)
	}
}

func TestAPICallWritesNeedConfirmAndConsent(t *testing.T) {
	args := map[string]any{"method": "DELETE", "path": "/nodes/pve1/qemu/100", "params": map[string]any{"purge": true}}
	e := apiEnv(t, envOpts{})
	e.refused(t, "pve_api_call", args, "confirm: true", "cannot be undone")
	args["confirm"] = true
	e.refused(t, "pve_api_call", args, "elicitation")

	e, asked := elicitEnvSet(t, "decline", Selection{Toolsets: []string{"api"}})
	res, text := e.call(t, "pve_api_call", args)
	if !res.IsError || !strings.Contains(text, "declined") || len(e.fake.writes()) != 0 {
		t.Fatalf("decline: %s, writes %v", text, e.fake.writes())
	}
	if len(*asked) != 1 || !strings.Contains((*asked)[0], "DELETE /nodes/pve1/qemu/100 with purge=1") || !strings.Contains((*asked)[0], "destructive") {
		t.Errorf("asked %q", *asked)
	}

	e, asked = elicitEnvSet(t, "accept", Selection{Toolsets: []string{"api"}})
	text = e.ok(t, "pve_api_call", args)
	if w := e.fake.writes(); len(w) != 1 || !strings.HasPrefix(w[0], "DELETE /nodes/pve1/qemu/100?purge=1") {
		t.Errorf("writes %v", w)
	}
	if len(*asked) != 1 || !strings.Contains(text, `"exitStatus":"OK"`) {
		t.Errorf("asked %q, result %s", *asked, text)
	}
}

func TestAPICallReadOnlyIsGetOnly(t *testing.T) {
	e := newEnv(t, envOpts{selection: Selection{Toolsets: []string{"api"}, ReadOnly: true}})
	e.fake.routes["GET /version"] = `{"version":"9.1.3","release":"9.1"}`
	e.ok(t, "pve_api_call", map[string]any{"path": "/version"})
	res, text := e.call(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/qemu/100", "method": "DELETE"})
	if !res.IsError || !strings.Contains(text, "method") || len(e.fake.writes()) != 0 {
		t.Errorf("read-only DELETE: %s", text)
	}
}

// TestAPICallGuard tries the ways around the request guard through the
// generic tool: each is refused before anything is written.
func TestAPICallGuard(t *testing.T) {
	e, _ := elicitEnvOpts(t, "accept", envOpts{selection: Selection{Toolsets: []string{"api"}}, vmids: []int{100, 101, 200}})
	write := func(method, path string, params map[string]any, want ...string) {
		t.Helper()
		before := len(e.fake.writes())
		args := map[string]any{"method": method, "path": path, "confirm": true}
		if params != nil {
			args["params"] = params
		}
		res, text := e.call(t, "pve_api_call", args)
		if !res.IsError {
			t.Errorf("%s %s %v: not refused: %s", method, path, params, text)
			return
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s %s: error %q lacks %q", method, path, text, w)
			}
		}
		if w := e.fake.writes(); len(w) != before {
			t.Errorf("%s %s: writes reached Proxmox: %v", method, path, w[before:])
		}
	}
	write("PUT", "/nodes/pve1/qemu/100/config", map[string]any{"args": "-device evil"}, "params.args", "PVE_ALLOW_HOST_ACCESS")
	write("PUT", "/nodes/pve1/qemu/100/config", map[string]any{"hookscript": "local:snippets/x.sh"}, "hookscript")
	write("POST", "/nodes/pve1/qemu/105/status/stop", nil, "105")
	write("POST", "/nodes/pve1/qemu", map[string]any{"vmid": 999, "name": "x"}, "999")
	write("POST", "/nodes/pve1/execute", map[string]any{"commands": `[{"path":"/nodes/pve1/qemu/105/status/stop","method":"POST"}]`}, "execute")
	write("POST", "/nodes/pve1/qemu/100/vncproxy", nil, "console")
	write("POST", "/nodes/pve1/termproxy", nil, "console")
	write("POST", "/access/ticket", map[string]any{"username": "root@pam", "password": "x"}, "credentials")
	write("PUT", "/nodes/pve1/qemu/100/sendkey", map[string]any{"key": "ret"}, "PVE_AGENT_EXEC_ALLOWLIST")
	write("POST", "/nodes/pve1/qemu/100/agent/exec", map[string]any{"command": "/bin/rm"}, "PVE_AGENT_EXEC_ALLOWLIST")
	write("POST", "/nodes/pve1/storage/local/download-url", map[string]any{"url": "http://127.0.0.1/x.iso", "content": "iso", "filename": "x.iso"}, "params.url")
	write("POST", "/storage", map[string]any{"storage": "root", "type": "dir", "path": "/root"}, "host-level")
	write("PUT", "/nodes/pve1/qemu/100/config", map[string]any{"scsi1": "local:0,import-from=/etc/shadow"}, "scsi1")
	write("PUT", "/nodes/pve1/qemu/100/config", map[string]any{"nosuchparam": "1"}, "nosuchparam")
	write("POST", "/nodes/pve1/qemu/100/status/start", map[string]any{"node": "pve2"}, "path")
	for _, p := range []string{"/nodes/pve1/../access/users", "/nodes/pve1/%2e%2e/qemu", "/nodes/pve1/qemu?vmid=105", "/nodes//qemu", "/nodes/{node}/qemu"} {
		write("POST", p, nil, "path")
	}
	res, text := e.call(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/query-url-metadata", "params": map[string]any{"url": "http://169.254.169.254/latest"}})
	if !res.IsError || !strings.Contains(text, "params.url") {
		t.Errorf("metadata fetch of a link-local URL: %s", text)
	}
	res, text = e.call(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/qemu/105/config"})
	if !res.IsError || !strings.Contains(text, "105") {
		t.Errorf("read outside the allowlist: %s", text)
	}
}

func TestAPICallHidesWhatTheAllowlistsHide(t *testing.T) {
	e := apiEnv(t, envOpts{vmids: []int{100}, nodes: []string{"pve1"}})
	e.fake.routes["GET /pools/p1"] = `{"members":[{"type":"qemu","vmid":100,"node":"pve1"},{"type":"qemu","vmid":105,"node":"pve2"},{"type":"storage","node":"pve2","storage":"nfs"}]}`
	text := e.ok(t, "pve_api_call", map[string]any{"path": "/pools/p1"})
	if strings.Contains(text, "105") || strings.Contains(text, "pve2") || !strings.Contains(text, `"vmid":100`) {
		t.Errorf("pool members: %s", text)
	}
	text = e.ok(t, "pve_api_call", map[string]any{"path": "/cluster/resources"})
	if strings.Contains(text, `"vmid":101`) || strings.Contains(text, `"vmid":105`) || !strings.Contains(text, `"vmid":100`) {
		t.Errorf("resources: %s", text)
	}
}

// TestAPICallReviewFindings: the ways around the guard a review found.
func TestAPICallReviewFindings(t *testing.T) {
	e, asked := elicitEnvOpts(t, "accept", envOpts{selection: Selection{Toolsets: []string{"api"}}, vmids: []int{100}, nodes: []string{"pve1"}})
	before := len(e.fake.writes())
	for _, p := range []string{"/nodes/pve1/stopall", "/nodes/pve1/startall", "/nodes/pve1/suspendall"} {
		res, text := e.call(t, "pve_api_call", map[string]any{"method": "POST", "path": p, "confirm": true})
		if !res.IsError || !strings.Contains(text, "PVE_VMID_ALLOWLIST") {
			t.Errorf("%s without vms: %s", p, text)
		}
	}
	res, text := e.call(t, "pve_api_call", map[string]any{"method": "POST", "path": "/nodes/pve1/migrateall", "params": map[string]any{"target": "pve2"}, "confirm": true})
	if !res.IsError || !strings.Contains(text, "vms") {
		t.Errorf("migrateall: %s", text)
	}
	if w := e.fake.writes(); len(w) != before {
		t.Errorf("node-wide actions reached Proxmox: %v", w[before:])
	}
	// the question shows every value in full
	var users []string
	for i := range 15 {
		users = append(users, fmt.Sprintf("user%02d@pve", i))
	}
	long := strings.Join(users, ",") + ",evil@pve"
	e.fake.routes["PUT /access/acl"] = "null"
	e.ok(t, "pve_api_call", map[string]any{"method": "PUT", "path": "/access/acl", "params": map[string]any{"path": "/vms/100", "roles": "PVEVMUser", "users": long}, "confirm": true})
	if q := (*asked)[len(*asked)-1]; !strings.Contains(q, "evil@pve") {
		t.Errorf("question hides a value: %s", q)
	}
	// secrets in config lists and webhook answers
	e.fake.routes["GET /nodes/pve1/qemu/100/pending"] = `[{"key":"cipassword","value":"$5$oldhash","pending":"Plain-W1ndows"},{"key":"memory","value":"2048"}]`
	text = e.ok(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/qemu/100/pending"})
	if strings.Contains(text, "oldhash") || strings.Contains(text, "W1ndows") || !strings.Contains(text, `"2048"`) {
		t.Errorf("pending: %s", text)
	}
	e.fake.routes["GET /cluster/notifications/endpoints/webhook/w1"] = `{"name":"w1","url":"https://h/x","secret":[{"name":"k","value":"c2VjcmV0"}],"header":[{"name":"Authorization","value":"QmVhcmVyIHg="}]}`
	text = e.ok(t, "pve_api_call", map[string]any{"path": "/cluster/notifications/endpoints/webhook/w1"})
	if strings.Contains(text, "c2VjcmV0") || strings.Contains(text, "QmVhcmVy") {
		t.Errorf("webhook: %s", text)
	}
	// entries outside the allowlists, however they name their guest or node
	e.fake.routes["GET /cluster/status"] = `[{"type":"cluster","name":"c"},{"type":"node","name":"pve1"},{"type":"node","name":"pve2","ip":"10.0.0.2"}]`
	if text = e.ok(t, "pve_api_call", map[string]any{"path": "/cluster/status"}); strings.Contains(text, "pve2") {
		t.Errorf("cluster status: %s", text)
	}
	e.fake.routes["GET /cluster/ha/status/manager_status"] = `{"manager_status":{"service_status":{"vm:100":{"node":"pve1"},"vm:105":{"node":"pve1"}}}}`
	if text = e.ok(t, "pve_api_call", map[string]any{"path": "/cluster/ha/status/manager_status"}); strings.Contains(text, "vm:105") || !strings.Contains(text, "vm:100") {
		t.Errorf("manager status: %s", text)
	}
	e.fake.routes["GET /cluster/backup"] = `[{"id":"j1","vmid":"100,105"},{"id":"j2","vmid":"100"}]`
	if text = e.ok(t, "pve_api_call", map[string]any{"path": "/cluster/backup"}); strings.Contains(text, "105") || !strings.Contains(text, "j2") {
		t.Errorf("backup jobs: %s", text)
	}
	e.fake.routes["GET /cluster/metrics/export"] = `{"data":[{"id":"qemu/105","metric":"cpu"},{"id":"qemu/100","metric":"cpu"},{"id":"node/pve2","metric":"cpu"}]}`
	if text = e.ok(t, "pve_api_call", map[string]any{"path": "/cluster/metrics/export"}); strings.Contains(text, "105") || strings.Contains(text, "pve2") {
		t.Errorf("metrics export: %s", text)
	}
	// file restore and scans of hosts the node would contact
	res, text = e.call(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/storage/local/file-restore/download",
		"params": map[string]any{"volume": "local:backup/vzdump-qemu-100-2024_01_01-00_00_00.vma.zst", "filepath": "L2V0Yy9zaGFkb3c="}})
	if !res.IsError || !strings.Contains(text, "PVE_AGENT_FILE_ALLOWLIST") {
		t.Errorf("file-restore download: %s", text)
	}
	res, text = e.call(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/scan/nfs", "params": map[string]any{"server": "169.254.169.254"}})
	if !res.IsError || !strings.Contains(text, "params.server") {
		t.Errorf("scan of a link-local host: %s", text)
	}
}

func TestAPICallVolumeWithItsSlash(t *testing.T) {
	e, _ := elicitEnvSet(t, "accept", Selection{Toolsets: []string{"api"}})
	e.fake.routes["GET /nodes/pve1/storage/local/content/local:iso%2Fx.iso"] = `{"format":"iso","size":1}`
	for _, p := range []string{"/nodes/pve1/storage/local/content/local:iso/x.iso", "/nodes/pve1/storage/local/content/local:iso%2Fx.iso"} {
		if text := e.ok(t, "pve_api_call", map[string]any{"path": p}); !strings.Contains(text, `"format":"iso"`) {
			t.Errorf("%s: %s", p, text)
		}
	}
	res, text := e.call(t, "pve_api_call", map[string]any{"path": "/nodes/pve1/storage/local/content/local:iso/../../x"})
	if !res.IsError || len(e.fake.writes()) != 0 {
		t.Errorf("dot segments in a volume: %s", text)
	}
}
