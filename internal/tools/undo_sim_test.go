package tools_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

// The undo tests (issue 20) run the whole server in-process against the
// simulator, with an audit log, and compare what Proxmox holds.

type undoEnv struct {
	t   *testing.T
	cl  *simtest.Cluster
	cs  *mcp.ClientSession
	pc  *pve.Client
	log string
}

func newUndoEnv(t *testing.T, extra map[string]string, opts *mcp.ClientOptions) *undoEnv {
	t.Helper()
	return newUndoEnvOn(t, pvesim.Options{Speed: 0.02}, extra, opts)
}

func newUndoEnvOn(t *testing.T, so pvesim.Options, extra map[string]string, opts *mcp.ClientOptions) *undoEnv {
	t.Helper()
	cl := simtest.Start(t, simtest.Options{Sim: so})
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	env := map[string]string{"PVE_READONLY": "false", "PVE_AUDIT_LOG": path, "PVE_TOOLSETS": "all"}
	for k, v := range extra {
		env[k] = v
	}
	var logs simtest.Buffer
	logger := simtest.Logger(&logs, slog.LevelWarn)
	cs := simtest.Session(t, cl.Config(t, env), cl.Client(t, pve.Options{Logger: logger}), logger, simtest.SessionOptions{Client: opts})
	return &undoEnv{t: t, cl: cl, cs: cs, pc: cl.Client(t, pve.Options{}), log: path}
}

// with is e reporting to a subtest's t.
func (e *undoEnv) with(t *testing.T) *undoEnv {
	c := *e
	c.t = t
	return &c
}

func (e *undoEnv) call(name string, args map[string]any) (*mcp.CallToolResult, string) {
	e.t.Helper()
	res, err := e.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		e.t.Fatalf("%s: %v", name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text + "\n")
		}
	}
	return res, text.String()
}

var entryRe = regexp.MustCompile(`Audit entry (\d+) keeps the prior values`)

// change runs a config change that must succeed and returns the entry
// number its answer names for pve_undo.
func (e *undoEnv) change(name string, args map[string]any) int64 {
	e.t.Helper()
	res, text := e.call(name, args)
	if res.IsError {
		e.t.Fatalf("%s(%v) failed: %s", name, args, text)
	}
	m := entryRe.FindStringSubmatch(text)
	if m == nil {
		e.t.Fatalf("%s: the answer names no audit entry to undo: %s", name, text)
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

func (e *undoEnv) fails(name string, args map[string]any, want ...string) string {
	e.t.Helper()
	before := len(e.writes())
	res, text := e.call(name, args)
	if !res.IsError {
		e.t.Fatalf("%s(%v) succeeded, want an error: %s", name, args, text)
	}
	e.t.Logf("%s refused: %s", name, text)
	for _, w := range want {
		if !strings.Contains(text, w) {
			e.t.Errorf("%s: error %q lacks %q", name, text, w)
		}
	}
	if w := e.writes(); len(w) != before {
		e.t.Errorf("%s: a refused call wrote %v", name, w[before:])
	}
	return text
}

func (e *undoEnv) writes() []string {
	var out []string
	for _, r := range e.cl.Sim.Requests() {
		if r.Method != "GET" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func (e *undoEnv) get(path string) map[string]any {
	e.t.Helper()
	var out map[string]any
	if err := e.pc.Get(context.Background(), path, nil, &out); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	return out
}

// same fails unless the object at path is exactly want, key by key.
func (e *undoEnv) same(path string, want map[string]any, skip ...string) {
	e.t.Helper()
	got := e.get(path)
	for _, k := range skip {
		delete(got, k)
		delete(want, k)
	}
	if reflect.DeepEqual(got, want) {
		return
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, v) {
			e.t.Errorf("%s: %s is %v (present %v), was %v", path, k, g, ok, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			e.t.Errorf("%s: %s = %v was added and is still there", path, k, v)
		}
	}
}

func undo(n int64, kv ...any) map[string]any {
	args := map[string]any{"entry": n, "confirm": true}
	for i := 0; i+1 < len(kv); i += 2 {
		args[kv[i].(string)] = kv[i+1]
	}
	return args
}

// TestUndoRestoresExactly: for each config tool, change, undo, and the
// object is what it was, digest included; undoing the undo redoes it.
func TestUndoRestoresExactly(t *testing.T) {
	t.Parallel()
	e := newUndoEnv(t, nil, nil)
	const vm, ct = "/nodes/pve1/qemu/101/config", "/nodes/pve2/lxc/201/config"

	t.Run("vm set_config", func(t *testing.T) {
		e := e.with(t)
		orig := e.get(vm)
		n := e.change("pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 101, "cores": 6, "memory": 3072, "name": "db-new",
			"extra": map[string]any{"balloon": 1024, "delete": "tags"}, "confirm": true})
		if got := e.get(vm); got["cores"] != float64(6) || got["tags"] != nil || got["balloon"] != float64(1024) {
			t.Fatalf("the change did not land: %v", got)
		}
		e.fails("pve_undo", map[string]any{"entry": n}, "confirm: true")
		e.change("pve_undo", undo(n))
		e.same(vm, orig)
	})
	t.Run("lxc set_config and redo", func(t *testing.T) {
		e := e.with(t)
		orig := e.get(ct)
		n := e.change("pve_lxc_set_config", map[string]any{"node": "pve2", "vmid": 201, "cores": 2, "hostname": "dns2",
			"delete": []string{"swap"}, "extra": map[string]any{"tags": "new"}, "confirm": true})
		changed := e.get(ct)
		r := e.change("pve_undo", undo(n))
		e.same(ct, orig)
		e.change("pve_undo", undo(r)) // the undo's own entry redoes the change
		e.same(ct, changed)
	})
	t.Run("firewall options", func(t *testing.T) {
		e := e.with(t)
		const fw = "/nodes/pve1/qemu/101/firewall/options"
		orig := e.get(fw)
		n := e.change("pve_firewall_options", map[string]any{"scope": "vm", "node": "pve1", "vmid": 101, "enable": true, "policy_in": "DROP",
			"extra": map[string]any{"log_level_in": "info"}})
		e.change("pve_undo", undo(n))
		e.same(fw, orig)
	})
	t.Run("ha rules", func(t *testing.T) {
		e := e.with(t)
		for _, id := range []int{101, 201} {
			if res, text := e.call("pve_ha_resources", map[string]any{"action": "add", "vmid": id, "state": "stopped"}); res.IsError {
				t.Fatal(text)
			}
		}
		n := e.change("pve_ha_rules", map[string]any{"action": "add", "id": "keep", "type": "node-affinity", "resources": []int{101}, "nodes": []string{"pve1:2", "pve2"}})
		e.change("pve_ha_rules", map[string]any{"action": "add", "id": "apart", "type": "resource-affinity", "resources": []int{101, 201}, "affinity": "negative"})
		apart := e.get("/cluster/ha/rules/apart")
		// Undoing keep's creation needs the rules file as keep's add left it.
		e.fails("pve_undo", undo(n), "changed since entry", "digest")
		d := e.change("pve_ha_rules", map[string]any{"action": "delete", "id": "apart"})
		e.change("pve_undo", undo(d))
		e.same("/cluster/ha/rules/apart", apart, "order", "digest")
		var rules []map[string]any
		if err := e.pc.Get(context.Background(), "/cluster/ha/rules", nil, &rules); err != nil || len(rules) != 2 {
			t.Fatalf("rules after undoing the delete: %v %v", rules, err)
		}
		d = e.change("pve_ha_rules", map[string]any{"action": "delete", "id": "apart"})
		e.change("pve_undo", undo(d))
		n = e.change("pve_ha_rules", map[string]any{"action": "add", "id": "solo", "type": "node-affinity", "resources": []int{201}, "nodes": []string{"pve2"}})
		e.change("pve_undo", undo(n))
		if err := e.pc.Get(context.Background(), "/cluster/ha/rules", nil, &rules); err != nil || len(rules) != 2 {
			t.Errorf("undoing an add leaves the rule: %v %v", rules, err)
		}
	})
}

// TestUndoCloudinitSecrets: a cloud-init change is undone exactly; a
// password is never written to the log, and one that replaced another
// cannot be put back, which undo says.
func TestUndoCloudinitSecrets(t *testing.T) {
	t.Parallel()
	e := newUndoEnv(t, nil, nil)
	const vm, pw, pw2 = "/nodes/pve1/qemu/101/config", "Corr3ct-Horse-Battery", "An0ther-Secret-Pass"
	e.change("pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 101, "extra": map[string]any{"ide0": "local-lvm:cloudinit"}, "confirm": true})
	orig := e.get(vm)
	n := e.change("pve_vm_cloudinit", map[string]any{"node": "pve1", "vmid": 101, "ciuser": "admin", "cipassword": pw,
		"ipconfig": []any{map[string]any{"ip": "10.0.0.5/24", "gw": "10.0.0.1"}}, "nameserver": []string{"10.0.0.1"},
		"sshkeys": []string{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6+QmBv8cFSRwuGqAe1wCkHzsVtc6Pn0Ym/3Ur admin@laptop"}})
	e.change("pve_undo", undo(n)) // the password was absent: undo deletes it
	e.same(vm, orig)

	e.change("pve_vm_cloudinit", map[string]any{"node": "pve1", "vmid": 101, "cipassword": pw})
	withPW := e.get(vm)
	n = e.change("pve_vm_cloudinit", map[string]any{"node": "pve1", "vmid": 101, "cipassword": pw2, "ciuser": "ops"})
	e.fails("pve_undo", undo(n), `"skip_secrets"`, "cipassword", "never recorded")
	res, text := e.call("pve_undo", undo(n, "skip_secrets", true))
	if res.IsError || !strings.Contains(text, `"skipped":["cipassword"]`) {
		t.Fatalf("undo skipping the password: %s", text)
	}
	got := e.get(vm)
	if got["ciuser"] != withPW["ciuser"] || got["cipassword"] == nil {
		t.Errorf("after the undo: ciuser %v (want %v), cipassword %v", got["ciuser"], withPW["ciuser"], got["cipassword"])
	}
	log, _ := os.ReadFile(e.log)
	for _, s := range []string{pw, pw2} {
		if strings.Contains(string(log), s) {
			t.Errorf("the audit log holds the password %q", s)
		}
	}
}

// TestUndoHAGroups: on PVE 8 the same tool adds and deletes HA groups,
// and undo takes each back.
func TestUndoHAGroups(t *testing.T) {
	t.Parallel()
	e := newUndoEnvOn(t, pvesim.Options{Speed: 0.02, Schema: "8.4.0"}, nil, nil)
	n := e.change("pve_ha_rules", map[string]any{"action": "add", "id": "prod", "nodes": []string{"pve1:2", "pve2"}, "restricted": true, "comment": "web"})
	group := e.get("/cluster/ha/groups/prod")
	d := e.change("pve_ha_rules", map[string]any{"action": "delete", "id": "prod"})
	e.change("pve_undo", undo(d))
	e.same("/cluster/ha/groups/prod", group)
	e.change("pve_undo", undo(n)) // the group is as its add left it again
	var groups []map[string]any
	if err := e.pc.Get(context.Background(), "/cluster/ha/groups", nil, &groups); err != nil || len(groups) != 0 {
		t.Errorf("groups after undoing the add: %v %v", groups, err)
	}
}
