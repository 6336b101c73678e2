package tools_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/audit"
)

// What pve_undo refuses, against the simulator (helpers in undo_sim_test.go).

// TestUndoRefusals: undo sends nothing when the object changed since,
// the entry was tampered with, the change did not succeed, or the guest
// is protected.
func TestUndoRefusals(t *testing.T) {
	t.Parallel()
	e := newUndoEnv(t, nil, nil)
	vm := func(kv ...any) map[string]any {
		args := map[string]any{"node": "pve1", "vmid": 101}
		for i := 0; i+1 < len(kv); i += 2 {
			args[kv[i].(string)] = kv[i+1]
		}
		return args
	}
	t.Run("changed since", func(t *testing.T) {
		e := e.with(t)
		n := e.change("pve_vm_set_config", vm("cores", 4))
		m := e.change("pve_vm_set_config", vm("cores", 6))
		e.fails("pve_undo", undo(n), "refused: changed since entry", `cores is "6" where the change left "4"`)
		e.change("pve_vm_set_config", vm("memory", 3000))
		e.fails("pve_undo", undo(m), "changed since entry", "keys the change did not touch changed", "digest is")
	})
	t.Run("not a change that succeeded", func(t *testing.T) {
		e := e.with(t)
		res, _ := e.call("pve_vm_set_config", vm("extra", map[string]any{"no_such_key": 1}))
		if !res.IsError {
			t.Fatal("a bad key was accepted")
		}
		last := e.lastSeq()
		e.fails("pve_undo", undo(last), "ended ")
		res, _ = e.call("pve_ha_rules", map[string]any{"action": "add", "id": "x", "type": "node-affinity", "resources": []int{102}, "nodes": []string{"pve2"}})
		if !res.IsError {
			t.Fatal("a rule on an unmanaged guest was accepted")
		}
		e.fails("pve_undo", undo(e.lastSeq()), "ended failed", "nothing to undo")
		if _, text := e.call("pve_vm_status", vm()); text == "" {
			t.Fatal("no status")
		}
		e.fails("pve_undo", undo(e.lastSeq()+100), `invalid argument "entry"`, "entries 1 to")
		n := e.change("pve_vm_set_config", vm("cores", 2))
		if got := e.get("/nodes/pve1/qemu/101/config")["cores"]; got != float64(2) {
			t.Fatalf("cores %v", got)
		}
		e.change("pve_undo", undo(n-1)) // any entry of the call finds its result
		if got := e.get("/nodes/pve1/qemu/101/config")["cores"]; got != float64(6) {
			t.Errorf("undone by its call entry: cores %v, want 6", got)
		}
	})
	t.Run("protected", func(t *testing.T) {
		e := e.with(t)
		n := e.change("pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 101, "extra": map[string]any{"protection": 1}})
		e.fails("pve_undo", undo(n), "protect")
		n = e.change("pve_lxc_set_config", map[string]any{"node": "pve2", "vmid": 201, "extra": map[string]any{"tags": "mcp-protected"}})
		e.fails("pve_undo", undo(n), "mcp-protected")
	})
}

// lastSeq is the number of the log's last entry.
func (e *undoEnv) lastSeq() int64 {
	e.t.Helper()
	b, err := os.ReadFile(e.log)
	if err != nil {
		e.t.Fatal(err)
	}
	return int64(strings.Count(string(b), "\n"))
}

// TestUndoTamperedLog: an undo record changed in the file is refused,
// whether the chain then breaks or was recomputed by whoever changed it.
func TestUndoTamperedLog(t *testing.T) {
	t.Parallel()
	for _, forge := range []bool{false, true} {
		t.Run(map[bool]string{false: "edited", true: "chain recomputed"}[forge], func(t *testing.T) {
			t.Parallel()
			e := newUndoEnv(t, nil, nil)
			n := e.change("pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 101, "cores": 4})
			b, err := os.ReadFile(e.log)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
			prev := ""
			for i, line := range lines {
				var en audit.Entry
				if err := json.Unmarshal([]byte(line), &en); err != nil {
					t.Fatal(err)
				}
				if en.Seq == n {
					k := en.Undo.Keys["cores"]
					k.Before = ptr("64") // the forger's value to "restore"
					en.Undo.Keys["cores"] = k
				}
				if forge {
					if prev != "" {
						en.Prev = prev
					}
					en.Hash = ""
					raw, _ := json.Marshal(en)
					sum := sha256.Sum256(raw)
					en.Hash = hex.EncodeToString(sum[:])
					prev = en.Hash
				}
				raw, _ := json.Marshal(en)
				lines[i] = string(raw)
			}
			if err := os.WriteFile(e.log, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// A recomputed chain no longer holds the entry the server wrote
			// last: the log refuses to continue it, so every write stops.
			want := map[bool][]string{false: {"does not verify (line " + strconv.FormatInt(n, 10), "no entry of it is trusted"},
				true: {"entry " + strconv.FormatInt(n, 10) + " is no longer the one this server wrote", "rewritten"}}[forge]
			e.fails("pve_undo", undo(n), append(want, "refused")...)
			if got := e.get("/nodes/pve1/qemu/101/config")["cores"]; got != float64(4) {
				t.Errorf("cores %v", got)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestUndoNeedsTheLog: without PVE_AUDIT_LOG undo says what to set, and
// read-only mode offers no pve_undo at all.
func TestUndoNeedsTheLog(t *testing.T) {
	t.Parallel()
	e := newUndoEnv(t, map[string]string{"PVE_AUDIT_LOG": ""}, nil)
	e.fails("pve_undo", undo(1), "PVE_AUDIT_LOG")
	ro := newUndoEnv(t, map[string]string{"PVE_READONLY": "true"}, nil)
	tools, err := ro.cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tools.Tools {
		if tl.Name == "pve_undo" {
			t.Errorf("read-only mode offers pve_undo")
		}
	}
}

// TestUndoForgedRecord: a record written into the log before the server
// started (whose chain it cannot check) still only puts config keys back
// where its tool writes: not an ACL, not a lock override.
func TestUndoForgedRecord(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := audit.Open(path)
	forged := []*audit.Undo{
		{Op: "set", Path: "/access/users/root@pam", After: "d", Keys: map[string]audit.UndoKey{"enable": {Before: ptr("0")}}},
		{Op: "set", Path: "/nodes/pve1/qemu/101/config", After: "d", Keys: map[string]audit.UndoKey{"skiplock": {Before: ptr("1")}}},
		{Op: "delete", Path: "/nodes/pve1/qemu/101/config", Create: "/nodes/pve1/qemu", After: "d", Keys: map[string]audit.UndoKey{}},
		{Op: "set", Path: "/nodes/pve1/qemu/101/../../../access/acl/config", After: "d", Keys: map[string]audit.UndoKey{}},
	}
	for i, u := range forged {
		id := "forged" + strconv.Itoa(i)
		for _, e := range []audit.Entry{{Event: "call", Call: id, Tool: "pve_vm_set_config"}, {Event: "result", Call: id, Tool: "pve_vm_set_config", Outcome: "ok", Undo: u}} {
			if err := l.Append(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.Close()
	e := newUndoEnv(t, map[string]string{"PVE_AUDIT_LOG": path}, nil)
	for i := range forged {
		e.fails("pve_undo", undo(int64(2*i+2)), "refused", "undo record", "it is not used")
	}
}

// TestUndoAsksTheUser: undo asks the user like any write; a no sends
// nothing, and an undo done once cannot be done again.
func TestUndoAsksTheUser(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	answer, asked := "accept", []string{}
	set := func(a string) { mu.Lock(); answer = a; mu.Unlock() }
	opts := &mcp.ClientOptions{ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, r.Params.Message)
		return &mcp.ElicitResult{Action: answer}, nil
	}}
	e := newUndoEnv(t, nil, opts)
	n := e.change("pve_vm_set_config", map[string]any{"node": "pve1", "vmid": 101, "cores": 3})
	set("decline")
	e.fails("pve_undo", undo(n), "declined")
	mu.Lock()
	if len(asked) == 0 || !strings.Contains(asked[len(asked)-1], "cores back to 4") {
		t.Errorf("questions: %q", asked)
	}
	mu.Unlock()
	set("accept")
	e.change("pve_undo", undo(n))
	e.fails("pve_undo", undo(n), "changed since entry")
}
