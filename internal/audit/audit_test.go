package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path string, n int) {
	t.Helper()
	l := Open(path)
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		e := Entry{Principal: "local:alice", Event: "call", Tool: "pve_vm_stop", Args: json.RawMessage(`{"node":"pve1","vmid":` + string(rune('0'+i%10)) + `}`)}
		if err := l.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func verifyFile(t *testing.T, path string) (Report, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Verify(f)
}

func TestChainAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	write(t, path, 3)
	write(t, path, 2) // a restart continues the chain
	rep, err := verifyFile(t, path)
	if err != nil || rep.Entries != 5 {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
}

// TestTamperFoundAtItsLine: each way of rewriting history is found at
// the line where it was done.
func TestTamperFoundAtItsLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	write(t, path, 6)
	orig, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimSuffix(string(orig), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\n")
	}
	join := func(ls []string) string { return strings.Join(ls, "\n") + "\n" }
	edit := func(i int, f func(string) string) []string {
		c := append([]string(nil), lines...)
		c[i] = f(c[i])
		return c
	}
	for _, tc := range []struct {
		name string
		text string
		line int
	}{
		{"a value changed", join(edit(2, func(s string) string { return strings.Replace(s, "pve_vm_stop", "pve_vm_start", 1) })), 3},
		{"a value changed and rehashed alone", join(edit(3, func(s string) string {
			var e Entry
			_ = json.Unmarshal([]byte(s), &e)
			e.Principal = "local:mallory"
			e.Hash, _ = hashOf(e)
			b, _ := json.Marshal(e)
			return string(b)
		})), 5},
		{"a line removed", join(append(append([]string(nil), lines[:2]...), lines[3:]...)), 3},
		{"two lines swapped", join([]string{lines[0], lines[2], lines[1], lines[3], lines[4], lines[5]}), 2},
		{"a field added", join(edit(1, func(s string) string { return strings.Replace(s, `{"seq"`, `{"x":1,"seq"`, 1) })), 2},
		{"a line cut short", join(edit(4, func(s string) string { return s[:len(s)/2] })), 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(strings.NewReader(tc.text))
			var b *Break
			if !errors.As(err, &b) || b.Line != tc.line {
				t.Errorf("got %v, want a break at line %d", err, tc.line)
			}
		})
	}
	if _, err := Verify(bytes.NewReader(orig)); err != nil {
		t.Errorf("the untouched log: %v", err)
	}
}

func TestUnwritableRefusesAppend(t *testing.T) {
	dir := t.TempDir()
	l := Open(filepath.Join(dir, "missing", "audit.jsonl"))
	if err := l.Append(Entry{Event: "call"}); err == nil || !strings.Contains(err.Error(), "cannot open") {
		t.Errorf("append to an unopenable log: %v", err)
	}
	damaged := filepath.Join(dir, "damaged.jsonl")
	if err := os.WriteFile(damaged, []byte(`{"seq":1,"hash":"ab`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Open(damaged).Err(); err == nil || !strings.Contains(err.Error(), "audit verify") {
		t.Errorf("a damaged last line: %v", err)
	}
	l = Open(filepath.Join(dir, "ok.jsonl"))
	l.Close()
	if err := l.Append(Entry{Event: "call"}); err == nil {
		t.Error("append after close: no error")
	}
}

// TestTwoProcessesOneLog: two writers on one file (servers started per
// client session) continue each other's chain.
func TestTwoProcessesOneLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	a, b := Open(path), Open(path)
	for i := range 4 {
		l := a
		if i%2 == 1 {
			l = b
		}
		if err := l.Append(Entry{Event: "call", Tool: "pve_vm_start"}); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := verifyFile(t, path); err != nil || rep.Entries != 4 {
		t.Errorf("verify: %+v, %v", rep, err)
	}
}

// TestRewrittenLineRefused: a line that decodes to its hashed values but
// is not written as the log writes it (a key given twice) is a break.
func TestRewrittenLineRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	write(t, path, 2)
	b, _ := os.ReadFile(path)
	forged := strings.Replace(string(b), `"tool":"pve_vm_stop"`, `"tool":"pve_vm_status","tool":"pve_vm_stop"`, 1)
	var br *Break
	if _, err := Verify(strings.NewReader(forged)); !errors.As(err, &br) || br.Line != 1 {
		t.Errorf("a repeated key: %v", err)
	}
}

func TestHugeArgumentsKeepTheLogReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	l := Open(path)
	big := json.RawMessage(`{"params":"` + strings.Repeat("x", 2<<20) + `"}`)
	if err := l.Append(Entry{Event: "call", Args: big}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := Open(path).Err(); err != nil {
		t.Errorf("reopen after a huge call: %v", err)
	}
	if rep, err := verifyFile(t, path); err != nil || rep.Entries != 1 {
		t.Errorf("verify: %+v %v", rep, err)
	}
}
