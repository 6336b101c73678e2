package config

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) Getenv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func base() map[string]string {
	return map[string]string{
		"PROXMOX_HOST":         "https://pve.example:8006",
		"PROXMOX_TOKEN_ID":     "mcp@pve!mcp",
		"PROXMOX_TOKEN_SECRET": "0f4b7f9e-1111-2222-3333-444455556666",
	}
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(base()))
	if err != nil {
		t.Fatal(err)
	}
	if !c.ReadOnly || c.InsecureTLS || c.RequestTimeout != 30*time.Second || c.TaskTimeout != 10*time.Minute {
		t.Fatalf("defaults wrong: %+v", c)
	}
	if c.Host.String() != "https://pve.example:8006" || c.NodeAllowlist != nil || c.VMIDAllowlist != nil {
		t.Fatalf("got %+v", c)
	}
}

func TestAllValues(t *testing.T) {
	m := base()
	m["PROXMOX_HOST"] = "http://127.0.0.1:18006/api2/json/"
	m["PVE_READONLY"] = "false"
	m["PROXMOX_INSECURE_TLS"] = "TRUE"
	m["PVE_NODE_ALLOWLIST"] = "pve1, pve2,pve1"
	m["PVE_VMID_ALLOWLIST"] = "100,101"
	m["PROXMOX_REQUEST_TIMEOUT_MS"] = "5000"
	m["PVE_TASK_TIMEOUT_MS"] = "1000"
	m["LOG_LEVEL"] = "debug"
	m["PVE_AGENT_EXEC_ALLOWLIST"] = "ro:/usr/bin/df ...; /usr/bin/systemctl restart nginx"
	m["PVE_AGENT_FILE_ALLOWLIST"] = "ro:/var/log/**"
	c, err := Load(env(m))
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := c.AgentCommands.Match([]string{"/usr/bin/df", "-h"}); !ok || !r.ReadOnly {
		t.Errorf("agent commands: %v", c.AgentCommands.Entries())
	}
	if _, ok := c.AgentFiles.Match("/var/log/syslog", false); !ok {
		t.Errorf("agent files: %v", c.AgentFiles.Entries())
	}
	if c.ReadOnly || !c.InsecureTLS || c.Host.String() != "http://127.0.0.1:18006" {
		t.Fatalf("got %+v", c)
	}
	if strings.Join(c.NodeAllowlist, ",") != "pve1,pve2" || len(c.VMIDAllowlist) != 2 || c.TaskTimeout != time.Second {
		t.Fatalf("got %+v", c)
	}
}

func TestEveryProblemReported(t *testing.T) {
	m := map[string]string{
		"PROXMOX_HOST":               "http://pve.example:8006",
		"PROXMOX_TOKEN_ID":           "root",
		"PROXMOX_TOKEN_SECRET":       "super secret value",
		"PVE_READONLY":               "maybe",
		"PVE_VMID_ALLOWLIST":         "abc,5",
		"PVE_NODE_ALLOWLIST":         "pve/../x",
		"PROXMOX_REQUEST_TIMEOUT_MS": "-1",
		"LOG_LEVEL":                  "loud",
		"PVE_AGENT_EXEC_ALLOWLIST":   "*",
		"PVE_AGENT_FILE_ALLOWLIST":   "etc/motd",
	}
	_, err := Load(env(m))
	if err == nil {
		t.Fatal("expected error")
	}
	msg := err.Error()
	for _, want := range []string{
		`PROXMOX_HOST: "http://pve.example:8006" uses plain http`,
		`PROXMOX_TOKEN_ID: is not an API token id (USER@REALM!TOKENID, e.g. mcp@pve!mcp): it has no '@'`,
		`PVE_READONLY: "maybe" is not a boolean`,
		`PVE_VMID_ALLOWLIST: "abc" is not a guest id (100-999999999)`,
		`PVE_VMID_ALLOWLIST: "5" is not a guest id`,
		`PVE_NODE_ALLOWLIST: "pve/../x" is not a node name`,
		`PROXMOX_REQUEST_TIMEOUT_MS: "-1"`,
		`LOG_LEVEL: "loud"`,
		`PROXMOX_TOKEN_SECRET: contains whitespace`,
		`PVE_AGENT_EXEC_ALLOWLIST: command entry "*": the program must be named`,
		`PVE_AGENT_FILE_ALLOWLIST: file entry "etc/motd": not an absolute path`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "super secret value") {
		t.Error("secret leaked into the error")
	}
}

func TestRequired(t *testing.T) {
	_, err := Load(env(map[string]string{}))
	if err == nil || !IsConfigError(err) {
		t.Fatal("expected config error")
	}
	for _, k := range []string{"PROXMOX_HOST", "PROXMOX_TOKEN_ID", "PROXMOX_TOKEN_SECRET"} {
		if !strings.Contains(err.Error(), k+": required") {
			t.Errorf("missing %s in %v", k, err)
		}
	}
}

func TestHostForms(t *testing.T) {
	for in, ok := range map[string]bool{
		"https://pve:8006":            true,
		"https://10.0.0.5:8006/":      true,
		"http://localhost:8006":       true,
		"http://[::1]:8006":           true,
		"ftp://pve":                   false,
		"pve.example:8006":            false,
		"https://user:pw@pve:8006":    false,
		"https://pve:8006/some/where": false,
		"https://pve:8006/?x=1":       false,
	} {
		m := base()
		m["PROXMOX_HOST"] = in
		_, err := Load(env(m))
		if (err == nil) != ok {
			t.Errorf("%s: ok=%v err=%v", in, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("credentials echoed: %v", err)
		}
	}
}

func TestPastedSecretNotEchoed(t *testing.T) {
	for _, id := range []string{"root@pam!mcp=11111111-2222-3333-4444-555555555555", "PVEAPIToken=root@pam!mcp=11111111-2222-3333-4444-555555555555"} {
		m := base()
		m["PROXMOX_TOKEN_ID"] = id
		_, err := Load(env(m))
		if err == nil || strings.Contains(err.Error(), "11111111-2222") || !strings.Contains(err.Error(), "PROXMOX_TOKEN_SECRET") {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestSecretFileInSystemdCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pve")
	if err := os.WriteFile(file, []byte("0f4b7f9e-1111-2222-3333-444455556666\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	m := base()
	delete(m, "PROXMOX_TOKEN_SECRET")
	m["PROXMOX_TOKEN_SECRET_FILE"] = file
	if _, err := Load(env(m)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("group-readable file outside the credentials directory: %v", err)
	}
	m["CREDENTIALS_DIRECTORY"] = dir
	c, err := Load(env(m))
	if err != nil || c.TokenSecret != "0f4b7f9e-1111-2222-3333-444455556666" {
		t.Fatalf("inside $CREDENTIALS_DIRECTORY: %v", err)
	}
}

// leaks reports the forms in which secret appears in text: as is, escaped
// (Go quoting, JSON, URL query and path escaping), or as any 8-character
// piece of those (a truncated reflection).
func leaks(text, secret string) []string {
	quoted := strconv.Quote(secret)
	j, _ := json.Marshal(secret)
	var found []string
	for _, form := range []string{secret, quoted[1 : len(quoted)-1], string(j[1 : len(j)-1]), url.QueryEscape(secret), url.PathEscape(secret)} {
		if strings.Contains(text, form) {
			found = append(found, form)
			continue
		}
		for i := 0; i+8 <= len(form); i++ {
			if strings.Contains(text, form[i:i+8]) {
				found = append(found, form[i:i+8])
				break
			}
		}
	}
	return found
}

// Secrets pasted into the wrong variable, or with the id, never come back in
// the error, while the error still says what to fix.
func TestConfigErrorsNeverEchoSecrets(t *testing.T) {
	const uuid = "0f4b7f9e-aaaa-bbbb-cccc-444455556666"
	missing := filepath.Join(t.TempDir(), "nope")
	cases := []struct {
		key, value, secret string
		want               []string
	}{
		{"PROXMOX_TOKEN_ID", uuid, uuid, []string{"PROXMOX_TOKEN_ID: is not an API token id", "PROXMOX_TOKEN_SECRET"}},
		{"PROXMOX_TOKEN_ID", "PVEAPIToken=user@pve!tok=" + uuid, uuid, []string{`"user@pve!tok"`, "PVEAPIToken= prefix", "'=' and more", "PROXMOX_TOKEN_SECRET"}},
		{"PROXMOX_TOKEN_ID", "user@pve!tok " + uuid, uuid, []string{`"user@pve!tok"`, "a space and more"}},
		{"PROXMOX_TOKEN_ID", `"user@pve!tok=` + uuid + `"`, uuid, []string{`"user@pve!tok"`, "remove the quotes"}},
		{"PROXMOX_TOKEN_ID", `'user@pve!tok'`, "", []string{`"user@pve!tok" is not an API token id`, "as given: remove the quotes"}},
		{"PROXMOX_TOKEN_ID", "user@pve!tok:Zq8-Vt3k-Lm9x", "Zq8-Vt3k-Lm9x", []string{`"user@pve!tok"`, "':' and more"}},
		{"PROXMOX_TOKEN_ID", uuid + "@pve!tok more", uuid, []string{"is not an API token id", "not shown"}},
		{"PROXMOX_TOKEN_ID", "user@pve " + uuid, uuid, []string{"it has no '!'"}},
		{"PROXMOX_TOKEN_ID", "mcp@pve!b", "", []string{"the token name after '!' must start with a letter and have at least 2"}},
		{"PROXMOX_TOKEN_ID", "mcp@p!" + uuid, uuid, []string{"the realm after '@'", "the token name after '!'"}},
		{"PROXMOX_TOKEN_ID", "@pve!mcp", "", []string{"the user name before '@' is empty"}},
		{"PROXMOX_HOST", "https://root:s3cr3t pass@pve:8006", "s3cr3t pass", []string{"is not a URL", "user or password", "spaces"}},
		{"PROXMOX_HOST", "https://root:s3cr3t@pve:8006", "s3cr3t", []string{`"https://pve:8006" (userinfo removed)`, "PROXMOX_PASSWORD"}},
		{"PROXMOX_HOST", "https://root:hunter2hunter2@pve:8006/api2/json", "hunter2hunter2", []string{`"https://pve:8006" (userinfo removed)`}},
		{"PROXMOX_HOST", "https://root:p@ss/w0rd-long-one@pve:8006", "p@ss/w0rd-long-one", []string{"the URL (userinfo removed)"}},
		{"PROXMOX_HOST", "https://root:12345678/pw@pve:8006", "12345678/pw", []string{"the URL has a path"}},
		{"PROXMOX_HOST", "root:Zq8Vt3kLm9xR@pve:8006", "Zq8Vt3kLm9xR", []string{"is not a URL", "no https://", "user or password"}},
		{"PROXMOX_HOST", `"https://root:Zq8Vt3kLm9xR@pve:8006"`, "Zq8Vt3kLm9xR", []string{"is not a URL", "quotes"}},
		{"PROXMOX_HOST", "https://pve:8006/?password=Zq8Vt3kLm9xR", "Zq8Vt3kLm9xR", []string{`"https://pve:8006" (query removed)`}},
		{"PROXMOX_HOST", "https://pve:8006/#Zq8Vt3kLm9xR", "Zq8Vt3kLm9xR", []string{`"https://pve:8006" (fragment removed)`}},
		{"PROXMOX_HOST", "https://pve:8006/Zq8Vt3kLm9xR", "Zq8Vt3kLm9xR", []string{`"https://pve:8006" has a path`}},
		{"PROXMOX_HOST", "http://pve:8006/Zq8Vt3kLm9xR", "Zq8Vt3kLm9xR", []string{`"http://pve:8006" has a path`}},
		{"PROXMOX_HOST", "https://pve:80%zz/Zq8Vt3kLm9xR", "Zq8Vt3kLm9xR", []string{"is not a URL"}},
		{"PROXMOX_TOKEN_SECRET_FILE", uuid, uuid, []string{"PROXMOX_TOKEN_SECRET_FILE: cannot open", "no such file"}},
		{"PROXMOX_TOKEN_SECRET_FILE", missing, "", []string{"no such file"}},
	}
	for _, tc := range cases {
		m := base()
		if tc.key == "PROXMOX_TOKEN_SECRET_FILE" {
			delete(m, "PROXMOX_TOKEN_SECRET")
		}
		m[tc.key] = tc.value
		_, err := Load(env(m))
		if err == nil {
			t.Errorf("%s=%s: no error", tc.key, tc.value)
			continue
		}
		text := err.Error()
		t.Logf("%s", text)
		if tc.secret != "" {
			if found := leaks(text, tc.secret); len(found) > 0 {
				t.Errorf("%s: the secret shows as %q in:\n%s", tc.key, found, text)
			}
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s=%s: missing %q in:\n%s", tc.key, tc.value, w, text)
			}
		}
	}
}
