package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/simtest"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestDoctorCommand runs doctor as the command does, on a TLS simulator:
// ready with the pin (exit 0), not ready without it (exit 1, the pin line
// printed), and --json for scripts.
func TestDoctorCommand(t *testing.T) {
	cl := simtest.Start(t, simtest.Options{})
	var out, errb bytes.Buffer
	if err := runDoctor(context.Background(), nil, envOf(cl.Env(nil)), &out, &errb); err != nil {
		t.Fatalf("pinned: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "everything the enabled tools need is in place") {
		t.Errorf("pinned: %s", out.String())
	}
	env := cl.Env(nil)
	delete(env, "PROXMOX_TLS_FINGERPRINT")
	out.Reset()
	err := runDoctor(context.Background(), []string{"--json"}, envOf(env), &out, &errb)
	if !errors.Is(err, errNotReady) {
		t.Fatalf("self-signed: err %v", err)
	}
	var r struct {
		OK     bool
		Checks []struct {
			Check, Status string
			Fix           []string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil || r.OK {
		t.Fatalf("json %v: %s", err, out.String())
	}
	last := r.Checks[len(r.Checks)-1]
	if last.Check != "tls" || last.Status != "fail" || !strings.Contains(strings.Join(last.Fix, " "), "PROXMOX_TLS_FINGERPRINT="+cl.Fingerprint) {
		t.Errorf("tls check: %+v", last)
	}
}

func TestPrivilegesCommand(t *testing.T) {
	var out, errb bytes.Buffer
	env := envOf(map[string]string{"PROXMOX_TOKEN_ID": "mcp@pve!mcp"})
	if err := runPrivileges([]string{"--toolsets", "qemu", "--writes"}, env, &out, &errb); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"pveum role add PVEMCP-Vms --privs", "VM.PowerMgmt", "pveum acl modify /vms --users 'mcp@pve' --tokens 'mcp@pve!mcp' --roles PVEMCP-Vms"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	out.Reset()
	if err := runPrivileges([]string{"--toolsets", "qemu"}, env, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "VM.PowerMgmt") || !strings.Contains(out.String(), "VM.Audit") {
		t.Errorf("read-only selection: %s", out.String())
	}
}
