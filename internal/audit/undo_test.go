package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ptr(s string) *string { return &s }

// TestEntriesKeepUndo: an entry's undo record survives the round trip
// through the file and Verify, with absent keys as null.
func TestEntriesKeepUndo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path)
	defer l.Close()
	u := &Undo{Op: "set", Path: "/nodes/pve1/qemu/100/config", Before: "d1", After: "d2",
		Keys: map[string]UndoKey{"cores": {Before: ptr("2"), After: ptr("4")}, "tags": {After: ptr("x")}}}
	for _, e := range []Entry{{Event: "call", Call: "c1"}, {Event: "result", Call: "c1", Outcome: "ok", Undo: u}} {
		if _, err := l.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := verifyFile(t, path); err != nil || rep.Entries != 2 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	got, err := l.Entries(2)
	if err != nil || len(got) != 2 || got[1].Undo == nil {
		t.Fatalf("entries: %+v %v", got, err)
	}
	k := got[1].Undo.Keys
	if *k["cores"].Before != "2" || k["tags"].Before != nil || *k["tags"].After != "x" || got[1].Undo.After != "d2" {
		t.Errorf("undo read back: %+v", got[1].Undo)
	}
	if got, err := l.Entries(1); err != nil || len(got) != 1 {
		t.Errorf("entries up to 1: %d, %v", len(got), err)
	}
}

// TestEntriesRefuseRewrittenLog: a log rewritten with its chain recomputed
// passes Verify, but not Entries, which knows the head it wrote; a cut
// log fails too.
func TestEntriesRefuseRewrittenLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path)
	defer l.Close()
	for i := range 3 {
		if err := l.Append(Entry{Event: "result", Tool: "pve_vm_set_config", Outcome: "ok", Args: json.RawMessage(`{"i":` + string(rune('0'+i)) + `}`)}); err != nil {
			t.Fatal(err)
		}
	}
	orig, _ := os.ReadFile(path)
	// A forger rewrites entry 2 and recomputes every hash after it.
	var es []Entry
	for _, line := range strings.Split(strings.TrimSpace(string(orig)), "\n") {
		var e Entry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	es[1].Outcome = "failed"
	var out []string
	prev := genesis
	for _, e := range es {
		e.Prev, e.Hash = prev, ""
		b, _ := json.Marshal(e)
		s := sha256.Sum256(b)
		e.Hash = hex.EncodeToString(s[:])
		b, _ = json.Marshal(e)
		out = append(out, string(b))
		prev = e.Hash
	}
	if err := os.WriteFile(path, []byte(strings.Join(out, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := verifyFile(t, path); err != nil {
		t.Fatalf("the forged chain should verify on its own: %v", err)
	}
	if _, err := l.Entries(2); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Errorf("a rewritten log: %v", err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(strings.SplitAfter(string(orig), "\n")[:2], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Entries(1); err == nil || !strings.Contains(err.Error(), "cut") {
		t.Errorf("a cut log: %v", err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(orig), `"i":1`, `"i":7`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Entries(3); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a changed line: %v", err)
	}
}

// TestRecordRefusesRewrittenLog: once the file no longer holds the entry
// this process wrote last, appending stops rather than continue a chain
// someone else recomputed.
func TestRecordRefusesRewrittenLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path)
	defer l.Close()
	if err := l.Append(Entry{Event: "call", Tool: "pve_vm_stop"}); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "other.jsonl")
	o := Open(other)
	for range 2 {
		if err := o.Append(Entry{Event: "call", Tool: "pve_vm_start"}); err != nil {
			t.Fatal(err)
		}
	}
	o.Close()
	b, _ := os.ReadFile(other)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(Entry{Event: "call"}); err == nil || !strings.Contains(err.Error(), "rewritten") {
		t.Fatalf("append to a rewritten log: %v", err)
	}
	if err := l.Append(Entry{Event: "call"}); err == nil {
		t.Error("a later append went through")
	}
}
