package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

type auditLine struct {
	Seq                             int
	Principal, Event, Call, Tool    string
	Target, Question, Outcome, UPID string
	Error                           string
	Args                            map[string]any
}

func readAudit(t *testing.T, path string) []auditLine {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []auditLine
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e auditLine
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("audit line %q: %v", l, err)
		}
		out = append(out, e)
	}
	return out
}

// TestAuditTrail (issue 20): writes, a refusal and a consent are recorded
// as a hash chain that `audit verify` accepts, and that finds a changed
// line at its number.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_AUDIT_LOG": path}, elicit: func(*mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
	}})
	c.ok("pve_vm_start", m("node", "pve1", "vmid", 101), nil)
	c.fails("pve_vm_delete", m("node", "pve1", "vmid", 101, "confirmVmid", 101), "confirm")
	c.ok("pve_vm_stop", m("node", "pve1", "vmid", 101, "confirm", true), nil)
	c.ok("pve_list_vms", nil, nil) // reads are not recorded

	lines := readAudit(t, path)
	var got []string
	for _, e := range lines {
		got = append(got, e.Event+" "+e.Tool+" "+e.Outcome)
		if !strings.HasPrefix(e.Principal, "local:") || e.Target != "pve1/101" {
			t.Errorf("entry %d: principal %q, target %q", e.Seq, e.Principal, e.Target)
		}
	}
	// The stop asks the user: over the newest protocol the question is an
	// input request that ends the first round, and the client calls again
	// with the answer.
	want := []string{"call pve_vm_start ", "result pve_vm_start ok", "call pve_vm_delete ", "result pve_vm_delete refused",
		"call pve_vm_stop ", "consent pve_vm_stop asked", "result pve_vm_stop input-required",
		"call pve_vm_stop ", "consent pve_vm_stop yes", "result pve_vm_stop ok"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("entries:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if lines[1].UPID == "" || !strings.Contains(lines[1].UPID, "qmstart:101") {
		t.Errorf("the start's result has UPID %q", lines[1].UPID)
	}
	if lines[8].Question == "" || lines[7].Call != lines[9].Call {
		t.Errorf("consent entry %+v; call ids %q %q", lines[8], lines[7].Call, lines[9].Call)
	}

	out, err := exec.Command(binary, "audit", "verify", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "10 entries, the chain holds") {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	// The head is kept outside the file too: in the server's log.
	var last struct{ Hash string }
	b0, _ := os.ReadFile(path)
	ls0 := strings.Split(strings.TrimSpace(string(b0)), "\n")
	_ = json.Unmarshal([]byte(ls0[len(ls0)-1]), &last)
	if !strings.Contains(c.stderr.String(), last.Hash) || !strings.Contains(string(out), last.Hash) {
		t.Errorf("the head %s is not in the server's log or verify's report", last.Hash)
	}
	b, _ := os.ReadFile(path)
	ls := strings.Split(string(b), "\n")
	ls[2] = strings.Replace(ls[2], "pve_vm_delete", "pve_vm_status", 1)
	if err := os.WriteFile(path, []byte(strings.Join(ls, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(binary, "audit", "verify", path).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "BROKEN at line 3") {
		t.Errorf("a changed line 3: %v\n%s", err, out)
	}
}

// TestAuditUnwritableRefusesWrites: without a writable log no write tool
// reaches Proxmox, and reads go on.
func TestAuditUnwritableRefusesWrites(t *testing.T) {
	t.Parallel()
	cl := newCluster(t, 0.02)
	c := cl.connect(t, clientOpts{env: map[string]string{"PVE_AUDIT_LOG": filepath.Join(t.TempDir(), "no-such-dir", "audit.jsonl")}})
	cl.sim.ResetRequests()
	c.fails("pve_vm_start", m("node", "pve1", "vmid", 101), "audit log cannot be written", "reads still work")
	c.ok("pve_list_vms", nil, nil)
	if w := cl.writes(); len(w) != 0 {
		t.Errorf("writes without an audit log: %v", w)
	}
}
