package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Run with: go test -run=^$ -fuzz=FuzzLoad -fuzztime=60s ./internal/config
// The corpus under testdata/fuzz is replayed by plain go test.

// FuzzLoad feeds random values to Load and LoadAuth: they must not panic,
// and no problem text may quote the token secret or the password (unless
// the same text shows up anyway, e.g. because another variable holds it).
func FuzzLoad(f *testing.F) {
	f.Add("https://pve.example:8006", "mcp@pve!mcp", "0f4b7f9e-1111-2222-3333-444455556666", "", "", "", "pve1,pve2", false)
	f.Add("http://127.0.0.1:8006/api2/json/", "", "", "root@pam", " pass word ", strings.Repeat("ab:", 31)+"cd", "100,101", true)
	f.Add("https://user:secret-in-url@pve:8006", "root", "super secret value", "root@pam!x", "p\nw", "AB:CD", "x;y, z", false)
	f.Add("%zz", "a@b!c", "secret\x00", "a@pve", "\r\n", "sha256 Fingerprint=00", "-1", true)
	f.Fuzz(func(t *testing.T, host, tokenID, secret, user, password, fp, misc string, viaFile bool) {
		m := map[string]string{
			"PROXMOX_HOST": host, "PROXMOX_TOKEN_ID": tokenID, "PROXMOX_TOKEN_SECRET": secret,
			"PROXMOX_USERNAME": user, "PROXMOX_TLS_FINGERPRINT": fp,
		}
		for _, k := range []string{"PVE_READONLY", "PROXMOX_INSECURE_TLS", "PROXMOX_REQUEST_TIMEOUT_MS", "LOG_LEVEL",
			"PVE_NODE_ALLOWLIST", "PVE_VMID_ALLOWLIST", "PVE_TOOLSETS", "PVE_EXCLUDE_TOOLS"} {
			m[k] = misc
		}
		if viaFile {
			p := filepath.Join(t.TempDir(), "password")
			if err := os.WriteFile(p, []byte(password), 0o600); err != nil {
				t.Fatal(err)
			}
			m["PROXMOX_PASSWORD_FILE"] = p
		} else {
			m["PROXMOX_PASSWORD"] = password
		}
		for k, v := range m {
			if v == "" {
				delete(m, k)
			}
		}
		text := problems(m)
		for _, s := range []struct{ key, value string }{{"PROXMOX_TOKEN_SECRET", secret}, {"PROXMOX_PASSWORD", password}} {
			if len(s.value) < 6 || !strings.Contains(text, s.value) {
				continue
			}
			// Would the text hold it with another secret in place?
			other := make(map[string]string, len(m))
			for k, v := range m {
				other[k] = v
			}
			if _, ok := other[s.key]; ok {
				other[s.key] = "placeholder-secret-value"
			} else if s.key == "PROXMOX_PASSWORD" && viaFile {
				p := filepath.Join(t.TempDir(), "other")
				if err := os.WriteFile(p, []byte("placeholder-secret-value"), 0o600); err != nil {
					t.Fatal(err)
				}
				other["PROXMOX_PASSWORD_FILE"] = p
			}
			if !strings.Contains(problems(other), s.value) {
				t.Fatalf("%s value %q quoted in:\n%s", s.key, s.value, text)
			}
		}
	})
}

// problems runs Load and LoadAuth and returns every problem text, plus the
// formatted results.
func problems(m map[string]string) string {
	getenv := env(m)
	var b strings.Builder
	c, err := Load(getenv)
	if err != nil {
		b.WriteString(err.Error())
	} else if c.Host == nil {
		panic("Load succeeded without a host")
	}
	a, probs := LoadAuth(getenv)
	if a == nil {
		panic("LoadAuth returned nil")
	}
	b.WriteString("\n" + strings.Join(probs, "\n"))
	fmt.Fprintf(&b, "\n%v %+v %#v", *a, *a, *a)
	return b.String()
}
