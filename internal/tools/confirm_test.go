package tools

import (
	"context"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func TestConfirmationRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	g := map[string]any{"node": "pve1", "vmid": 100}
	e.refused(t, "pve_vm_stop", g, "confirm: true")
	e.refused(t, "pve_vm_reset", map[string]any{"node": "pve1", "vmid": 100, "confirm": false}, "confirm: true")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirmVmid": 100}, "confirm: true")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 101}, "101", "100")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true}, `"confirmVmid"`)
	if len(e.fake.log()) != 0 {
		t.Fatalf("requests sent: %v", e.fake.log())
	}
	e.ok(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100})
	w := e.fake.writes()
	if len(w) != 1 || !strings.HasPrefix(w[0], "DELETE /nodes/pve1/qemu/100?") || form(w[0]).Get("purge") != "1" || form(w[0]).Get("destroy-unreferenced-disks") != "1" {
		t.Fatalf("delete sent %v", w)
	}
}

func TestContainerSnapshotNetworkBackupRefusals(t *testing.T) {
	e := newEnv(t, envOpts{})
	snap := func(extra map[string]any) map[string]any {
		m := map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "before"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	e.refused(t, "pve_lxc_stop", map[string]any{"node": "pve1", "vmid": 200}, "confirm: true")
	e.refused(t, "pve_lxc_delete", map[string]any{"node": "pve1", "vmid": 200, "confirm": true, "confirmVmid": 201}, "201")
	e.refused(t, "pve_snapshot_rollback", snap(map[string]any{"confirmName": "before"}), "confirm: true")
	e.refused(t, "pve_snapshot_rollback", snap(map[string]any{"confirm": true, "confirmName": "after"}), `"after"`, `"before"`)
	e.refused(t, "pve_snapshot_delete", snap(map[string]any{"confirm": true}), "confirmName")
	e.refused(t, "pve_snapshot_create", map[string]any{"node": "pve1", "vmid": 100, "type": "lxc", "snapname": "x1", "vmstate": true}, "vmstate")
	e.refused(t, "pve_snapshot_create", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "current"}, "reserved")
	e.refused(t, "pve_snapshot_create", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "a/../b"}, "snapname")
	e.refused(t, "pve_apply_network", map[string]any{"node": "pve1"}, "confirm: true")
	e.refused(t, "pve_create_bridge", map[string]any{"node": "pve1", "iface": "eth0"}, "iface")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "archive": "local:backup/x.vma.zst", "confirmVmid": 100}, "confirm: true")
	e.refused(t, "pve_restore", map[string]any{"node": "pve1", "vmid": 100, "type": "qemu", "archive": "local:backup/x.vma.zst", "confirm": true, "confirmVmid": 101}, "101")
	e.refused(t, "pve_storage_content", map[string]any{"node": "pve1", "storage": "../x"}, "storage")
	e.refused(t, "pve_schedule_backup", map[string]any{"schedule": "daily", "storage": "local"}, "vmids")
	if w := e.fake.log(); len(w) != 0 {
		t.Fatalf("requests sent: %v", w)
	}
}

func elicitEnv(t *testing.T, answer string) (*env, *[]string) {
	return elicitEnvOpts(t, answer, envOpts{})
}

func elicitEnvSet(t *testing.T, answer string, sel Selection) (*env, *[]string) {
	return elicitEnvOpts(t, answer, envOpts{selection: sel})
}

// elicitEnvOpts is an env whose client answers every question with answer.
func elicitEnvOpts(t *testing.T, answer string, o envOpts) (*env, *[]string) {
	var mu sync.Mutex
	var asked []string
	opts := &mcp.ClientOptions{ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		mu.Lock()
		asked = append(asked, req.Params.Message)
		mu.Unlock()
		return &mcp.ElicitResult{Action: answer, Content: map[string]any{}}, nil
	}}
	o.client = opts
	return newEnv(t, o), &asked
}

func TestElicitationAccept(t *testing.T) {
	e, asked := elicitEnv(t, "accept")
	e.ok(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100})
	if len(*asked) != 1 || (*asked)[0] != "Delete VM 100 on pve1 and all its disks?" {
		t.Errorf("asked %q", *asked)
	}
	if w := e.fake.writes(); len(w) != 1 || !strings.HasPrefix(w[0], "DELETE /nodes/pve1/qemu/100") {
		t.Errorf("writes %v", w)
	}
}

func TestElicitationDeclineChangesNothing(t *testing.T) {
	for _, answer := range []string{"decline", "cancel"} {
		e, asked := elicitEnv(t, answer)
		res, text := e.call(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 100})
		if !res.IsError || !strings.Contains(text, "declined") {
			t.Errorf("%s: %v %s", answer, res.IsError, text)
		}
		if len(*asked) != 1 {
			t.Errorf("%s: asked %d times", answer, len(*asked))
		}
		if l := e.fake.log(); len(l) != 0 {
			t.Errorf("%s: requests sent: %v", answer, l)
		}
	}
}

func TestElicitationNotAskedBeforeLocalChecks(t *testing.T) {
	e, asked := elicitEnv(t, "accept")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirmVmid": 100}, "confirm: true")
	e.refused(t, "pve_vm_delete", map[string]any{"node": "pve1", "vmid": 100, "confirm": true, "confirmVmid": 101}, "101")
	if len(*asked) != 0 {
		t.Errorf("asked before checks: %v", *asked)
	}
}

// destructiveArgs are valid arguments, all but confirm, for each destructive
// tool; TestEveryDestructiveToolNeedsConfirm fails on a destructive tool
// missing here, so a new one cannot go untested.
var destructiveArgs = map[string]map[string]any{
	"pve_vm_stop":           {"node": "pve1", "vmid": 100},
	"pve_vm_reset":          {"node": "pve1", "vmid": 100},
	"pve_vm_delete":         {"node": "pve1", "vmid": 100, "confirmVmid": 100},
	"pve_lxc_stop":          {"node": "pve1", "vmid": 200},
	"pve_lxc_delete":        {"node": "pve1", "vmid": 200, "confirmVmid": 200},
	"pve_snapshot_rollback": {"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "before", "confirmName": "before"},
	"pve_snapshot_delete":   {"node": "pve1", "vmid": 100, "type": "qemu", "snapname": "before", "confirmName": "before"},
	"pve_restore": {"node": "pve1", "vmid": 100, "type": "qemu", "confirmVmid": 100,
		"archive": "local:backup/vzdump-qemu-100-2024_01_01-00_00_00.vma.zst"},
	"pve_apply_network":       {"node": "pve1"},
	"pve_api_call":            {"method": "DELETE", "path": "/nodes/pve1/qemu/100"},
	"pve_task_stop":           {"upid": testUPID},
	"pve_vm_template":         {"node": "pve1", "vmid": 101},
	"pve_lxc_template":        {"node": "pve1", "vmid": 200},
	"pve_pool_delete":         {"poolid": "team"},
	"pve_node_services":       {"node": "pve1", "action": "restart", "service": "pveproxy"},
	"pve_firewall_rules":      {"op": "delete", "scope": "vm", "node": "pve1", "vmid": 100, "pos": 0},
	"pve_backup_job_delete":   {"id": "backup-1a2b3c4d-5e6f"},
	"pve_vm_agent_file_write": {"node": "pve1", "vmid": 100, "file": "/etc/motd", "content": "hello\n"},
}

var confirmWord = regexp.MustCompile(`\bconfirm\b`)

// TestEveryDestructiveToolNeedsConfirm: without confirm (or with it false)
// every destructive tool is refused with a message naming confirm and no
// write reaches Proxmox; with confirm: true the same call goes through, so
// the refusal was for confirm and not for some other argument.
func TestEveryDestructiveToolNeedsConfirm(t *testing.T) {
	e := newEnv(t, envOpts{selection: Selection{Toolsets: []string{"all"}}}) // one server for all: building one costs more than the calls
	// The template tools read the conversion back.
	e.fake.routes["GET /nodes/pve1/qemu/101/config"] = `{"template":1}`
	e.fake.routes["GET /nodes/pve1/lxc/200/config"] = `{"template":1}`
	e.fake.routes["GET /nodes/pve1/qemu/101/status/current"] = `{"status":"stopped"}`
	e.fake.routes["GET /nodes/pve1/lxc/200/status/current"] = `{"status":"stopped"}`
	e.fake.routes["GET /nodes/pve1/qemu/100/firewall/rules"] = `[{"pos":0,"type":"in","action":"ACCEPT","enable":1,"digest":"ab12"}]`
	e.fake.routes["GET /cluster/backup"] = `[{"id":"backup-1a2b3c4d-5e6f","type":"vzdump","schedule":"sun 01:00","vmid":"100","storage":"local"}]`
	covered := 0
	for _, tl := range Inventory(&Deps{}) {
		name := tl.Def.Name
		base, ok := destructiveArgs[name]
		if tl.Effect != Destructive {
			if ok {
				t.Errorf("%s is not destructive; remove it from destructiveArgs", name)
			}
			continue
		}
		if !ok {
			t.Errorf("%s is destructive but has no arguments in destructiveArgs; add them", name)
			continue
		}
		covered++
		t.Run(name, func(t *testing.T) {
			before := len(e.fake.writes())
			for _, confirm := range []any{nil, false} {
				args := maps.Clone(base)
				if confirm != nil {
					args["confirm"] = confirm
				}
				res, text := e.call(t, name, args)
				if !res.IsError || !confirmWord.MatchString(text) {
					t.Errorf("confirm=%v: want a refusal naming confirm, got error=%v %s", confirm, res.IsError, text)
				}
				if w := e.fake.writes(); len(w) != before {
					t.Fatalf("confirm=%v: writes reached Proxmox: %v", confirm, w[before:])
				}
			}
			args := maps.Clone(base)
			args["confirm"] = true
			if name == "pve_api_call" {
				// a generic write needs the user's yes by elicitation too,
				// which this client cannot give (api_test.go asks)
				if res, text := e.call(t, name, args); !res.IsError || !strings.Contains(text, "elicitation") {
					t.Errorf("confirm=true without elicitation: want a refusal, got %s", text)
				}
				if w := e.fake.writes(); len(w) != before {
					t.Fatalf("writes reached Proxmox without the user's consent: %v", w[before:])
				}
				return
			}
			e.ok(t, name, args)
			if len(e.fake.writes()) == before {
				t.Errorf("confirm=true: no write sent")
			}
		})
	}
	t.Logf("%d destructive tools checked", covered)
}
