package pveid

import (
	"strings"
	"testing"
)

const edKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3rOJZ6+QmBv8cFSRwuGqAe1wCkHzsVtc6Pn0Ym/3Ur admin@laptop"

func TestCheckSSHPublicKey(t *testing.T) {
	for _, ok := range []string{edKey, strings.TrimSuffix(edKey, " admin@laptop"), `no-pty ` + edKey} {
		if err := CheckSSHPublicKey(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for line, want := range map[string]string{
		"ssh-ed25519":                         "no key data",
		"ssh-ed25519 not-base64!":             "not valid base64",
		"ssh-rsa " + strings.Fields(edKey)[1]: "does not hold a ssh-rsa key",
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5":    "truncated",
		"ssh-ed25519%20AAAA":                  "URL-encoded",
		"-----BEGIN OPENSSH PRIVATE KEY-----": "PEM block",
		"hello world":                         "key type",
	} {
		err := CheckSSHPublicKey(line)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", line, err, want)
		}
	}
	if err := CheckSSHPublicKeys(edKey + "\n\n  \nbad"); err == nil || !strings.HasPrefix(err.Error(), "line 4:") {
		t.Errorf("lines: %v", err)
	}
}
