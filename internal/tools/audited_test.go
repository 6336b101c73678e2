package tools

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	in := `{"node":"pve1","vmid":100,"password":"hunter2","extra":{"cipassword":"x1","sshkeys":"ssh-ed25519 AAA","net0":"virtio"},` +
		`"params":[{"api_token":"t0k"}],"content":"secret file","key":"k"}`
	raw, secrets := redactArgs(json.RawMessage(in))
	out := string(raw)
	ac := &auditCall{secrets: secrets}
	if q := ac.mask("write hunter2 to https://bob:pw@example.com/x"); strings.Contains(q, "hunter2") || strings.Contains(q, "bob:pw") {
		t.Errorf("masked question %q", q)
	}
	for _, s := range []string{"hunter2", "x1", "t0k", "secret file", `"k"`} {
		if strings.Contains(out, s) {
			t.Errorf("%s kept %q", out, s)
		}
	}
	for _, s := range []string{`"node":"pve1"`, `"vmid":100`, "ssh-ed25519 AAA", `"net0":"virtio"`} {
		if !strings.Contains(out, s) {
			t.Errorf("%s lost %q", out, s)
		}
	}
	if targetOf(json.RawMessage(out)) != "pve1/100" {
		t.Errorf("target %q", targetOf(json.RawMessage(out)))
	}
}
