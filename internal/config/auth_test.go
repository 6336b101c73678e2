package config

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

const (
	testTokenSecret = "0f4b7f9e-1111-2222-3333-444455556666"
	testPassword    = " pass word, with; spaces "
)

// A self-signed certificate (httptest's), enough to parse.
const testCertPEM = `-----BEGIN CERTIFICATE-----
MIIBhTCCASugAwIBAgIQIRi6zePL6mKjOipn+dNuaTAKBggqhkjOPQQDAjASMRAw
DgYDVQQKEwdBY21lIENvMB4XDTE3MTAyMDE5NDMwNloXDTE4MTAyMDE5NDMwNlow
EjEQMA4GA1UEChMHQWNtZSBDbzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABD0d
7VNhbWvZLWPuj/RtHFjvtJBEwOkhbN/BnnE8rnZR8+sbwnc/KhCk3FhnpHZnQz7B
5aETbbIgmuvewdjvSBSjYzBhMA4GA1UdDwEB/wQEAwICpDATBgNVHSUEDDAKBggr
BgEFBQcDATAPBgNVHRMBAf8EBTADAQH/MCkGA1UdEQQiMCCCDmxvY2FsaG9zdDo1
NDUzgg4xMjcuMC4wLjE6NTQ1MzAKBggqhkjOPQQDAgNIADBFAiEA2zpJEPQyz6/l
Wf86aX6PepsntZv2GYlA5UpabfT2EZICICpJ5h/iI+i341gBmLiAFQOyTDT+/wQc
6MF9+Yw1Yy0t
-----END CERTIFICATE-----
`

func TestLoadAuth(t *testing.T) {
	secretFile := writeFile(t, testTokenSecret+"\n", 0o600)
	passFile := writeFile(t, testPassword+"\r\n", 0o400)
	ca := writeFile(t, testCertPEM, 0o644)
	fp := strings.Repeat("ab:", 31) + "CD"
	cases := []struct {
		name string
		env  map[string]string
		want Auth
	}{
		{"token", map[string]string{"PROXMOX_TOKEN_ID": "mcp@pve!mcp", "PROXMOX_TOKEN_SECRET": testTokenSecret},
			Auth{TokenID: "mcp@pve!mcp", TokenSecret: testTokenSecret}},
		{"token secret file", map[string]string{"PROXMOX_TOKEN_ID": "mcp@pve!mcp", "PROXMOX_TOKEN_SECRET_FILE": secretFile},
			Auth{TokenID: "mcp@pve!mcp", TokenSecret: testTokenSecret}},
		{"password", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": testPassword + "\n"},
			Auth{Username: "root@pam", Password: testPassword}},
		{"password file", map[string]string{"PROXMOX_USERNAME": "ops@pve", "PROXMOX_PASSWORD_FILE": passFile},
			Auth{Username: "ops@pve", Password: testPassword}},
		{"tls", map[string]string{"PROXMOX_USERNAME": "ops@pve", "PROXMOX_PASSWORD": "x", "PROXMOX_CA_FILE": ca,
			"PROXMOX_TLS_FINGERPRINT": " " + fp + " ", "PROXMOX_INSECURE_TLS": "false"},
			Auth{Username: "ops@pve", Password: "x", CAFile: ca, Fingerprint: strings.ToUpper(fp)}},
		{"openssl output", map[string]string{"PROXMOX_USERNAME": "ops@pve", "PROXMOX_PASSWORD": "x", "PROXMOX_TLS_FINGERPRINT": "sha256 Fingerprint=" + fp},
			Auth{Username: "ops@pve", Password: "x", Fingerprint: strings.ToUpper(fp)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, problems := LoadAuth(env(tc.env))
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			if diff := cmp.Diff(tc.want, *a); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadAuthProblems(t *testing.T) {
	open := writeFile(t, testTokenSecret+"\n", 0o644)
	groupPass := writeFile(t, testPassword, 0o640)
	empty := writeFile(t, "\n", 0o600)
	twoLines := writeFile(t, testPassword+"\nsecond\n", 0o600)
	spaced := writeFile(t, "abc def\n", 0o600)
	notPEM := writeFile(t, "hello\n", 0o644)
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"nothing", map[string]string{}, []string{"PROXMOX_TOKEN_ID: required", "PROXMOX_TOKEN_SECRET: required", "PROXMOX_USERNAME"}},
		{"both kinds", map[string]string{"PROXMOX_TOKEN_ID": "a@pve!b", "PROXMOX_USERNAME": "root@pam"}, []string{"not both"}},
		{"secret and file", map[string]string{"PROXMOX_TOKEN_ID": "a@pve!b", "PROXMOX_TOKEN_SECRET": testTokenSecret, "PROXMOX_TOKEN_SECRET_FILE": empty}, []string{"not both"}},
		{"password and file", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": testPassword, "PROXMOX_PASSWORD_FILE": empty}, []string{"not both"}},
		{"open secret file", map[string]string{"PROXMOX_TOKEN_ID": "a@pve!b", "PROXMOX_TOKEN_SECRET_FILE": open}, []string{"chmod 600 " + open, "mode 0644"}},
		{"group password file", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD_FILE": groupPass}, []string{"chmod 600 " + groupPass}},
		{"missing file", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD_FILE": missing}, []string{"PROXMOX_PASSWORD_FILE:", "no such file"}},
		{"directory", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD_FILE": dir}, []string{"not a regular file"}},
		{"empty file", map[string]string{"PROXMOX_TOKEN_ID": "a@pve!b", "PROXMOX_TOKEN_SECRET_FILE": empty}, []string{"is empty"}},
		{"two lines", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD_FILE": twoLines}, []string{"more than one line"}},
		{"spaced secret", map[string]string{"PROXMOX_TOKEN_ID": "a@pve!b", "PROXMOX_TOKEN_SECRET_FILE": spaced}, []string{"only the token secret"}},
		{"user without password", map[string]string{"PROXMOX_USERNAME": "root@pam"}, []string{"PROXMOX_PASSWORD: required"}},
		{"password without user", map[string]string{"PROXMOX_PASSWORD": testPassword}, []string{"PROXMOX_USERNAME: required"}},
		{"token as user", map[string]string{"PROXMOX_USERNAME": "root@pam!mcp", "PROXMOX_PASSWORD": testPassword}, []string{"PROXMOX_TOKEN_ID"}},
		{"no realm", map[string]string{"PROXMOX_USERNAME": "root", "PROXMOX_PASSWORD": testPassword}, []string{"PROXMOX_USERNAME: is not a user id", "no '@'"}},
		{"control chars", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": "a\x00b"}, []string{"control characters"}},
		{"CA not PEM", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": "x", "PROXMOX_CA_FILE": notPEM}, []string{"holds no PEM certificate"}},
		{"CA missing", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": "x", "PROXMOX_CA_FILE": missing}, []string{"PROXMOX_CA_FILE:"}},
		{"short fingerprint", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": "x", "PROXMOX_TLS_FINGERPRINT": "AB:CD"}, []string{`"AB:CD" is not a SHA-256 fingerprint`}},
		{"sha1 fingerprint", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": "x", "PROXMOX_TLS_FINGERPRINT": strings.Repeat("AB:", 19) + "CD"}, []string{"not a SHA-256 fingerprint"}},
		{"insecure and pin", map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": "x", "PROXMOX_INSECURE_TLS": "1",
			"PROXMOX_TLS_FINGERPRINT": strings.Repeat("AB:", 31) + "CD"}, []string{"PROXMOX_INSECURE_TLS"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && strings.Contains(tc.name, "file") {
				t.Skip("no Unix permissions")
			}
			_, problems := LoadAuth(env(tc.env))
			text := strings.Join(problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("missing %q in:\n%s", w, text)
				}
			}
			if strings.Contains(text, testTokenSecret) || strings.Contains(text, testPassword) || strings.Contains(text, "a\x00b") {
				t.Errorf("a secret leaked into:\n%s", text)
			}
			// A problem with a secret file names the variable the user set.
			for _, plain := range []string{"PROXMOX_TOKEN_SECRET", "PROXMOX_PASSWORD"} {
				_, file := tc.env[plain+"_FILE"]
				_, direct := tc.env[plain]
				if file && !direct && strings.Contains(text, plain+":") {
					t.Errorf("names %s, but %s_FILE was set:\n%s", plain, plain, text)
				}
			}
		})
	}
}

func TestAuthHidesSecrets(t *testing.T) {
	for _, a := range []Auth{
		{TokenID: "mcp@pve!mcp", TokenSecret: testTokenSecret},
		{Username: "root@pam", Password: testPassword},
	} {
		var logged strings.Builder
		slog.New(slog.NewTextHandler(&logged, nil)).Info("auth", "auth", a)
		for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), fmt.Sprintf("%v", &a), logged.String()} {
			if strings.Contains(s, testTokenSecret) || strings.Contains(s, testPassword) {
				t.Errorf("secret shown: %s", s)
			}
		}
	}
}

// A password pasted into the user or the password-file variable never comes
// back in the error.
func TestAuthErrorsNeverEchoSecrets(t *testing.T) {
	const pw = "Zq8Vt3kLm9xR-pw"
	cases := []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"PROXMOX_USERNAME": "root@pam " + pw, "PROXMOX_PASSWORD": "x"}, []string{`"root@pam" is not a user id`, "a space and more", "PROXMOX_PASSWORD"}},
		{map[string]string{"PROXMOX_USERNAME": "root@pam:" + pw, "PROXMOX_PASSWORD": "x"}, []string{`"root@pam"`, "':' and more"}},
		{map[string]string{"PROXMOX_USERNAME": pw, "PROXMOX_PASSWORD": "x"}, []string{"is not a user id", "no '@'", "not shown"}},
		{map[string]string{"PROXMOX_USERNAME": `"root@pam=` + pw + `"`, "PROXMOX_PASSWORD": "x"}, []string{`"root@pam"`, "remove the quotes"}},
		{map[string]string{"PROXMOX_USERNAME": "root@pam!tok=" + pw, "PROXMOX_PASSWORD": "x"}, []string{"PROXMOX_TOKEN_ID", `"root@pam!tok"`, "'=' and more"}},
		{map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD_FILE": pw}, []string{"PROXMOX_PASSWORD_FILE: cannot open", "no such file"}},
	}
	for _, tc := range cases {
		_, problems := LoadAuth(env(tc.env))
		text := strings.Join(problems, "\n")
		t.Logf("%s", text)
		if found := leaks(text, pw); len(found) > 0 {
			t.Errorf("the password shows as %q in:\n%s", found, text)
		}
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("%v: missing %q in:\n%s", tc.env, w, text)
			}
		}
	}
}

// config.Load and pve.New read token and user ids by one rule, so an id the
// client would refuse is among Load's problems, not an error after them.
func TestIDsAgreeWithClient(t *testing.T) {
	tokens := []string{"mcp@pve!mcp", "a/b@pve!mcp", "a:b@pve!mcp", "mcp@p!mcp", "mcp@pve!m", "a@b@pve!mcp",
		"x=y@pve!mcp", "mcp@pve!1x", "mcp@pve", "root@pam!a.b-c_d"}
	for _, id := range tokens {
		m := base()
		m["PROXMOX_TOKEN_ID"] = id
		_, loadErr := Load(env(m))
		_, newErr := pve.New(pve.Options{BaseURL: m["PROXMOX_HOST"], TokenID: id, TokenSecret: m["PROXMOX_TOKEN_SECRET"]})
		if (loadErr == nil) != (newErr == nil) {
			t.Errorf("token id %q: Load says %v, pve.New says %v", id, loadErr, newErr)
		}
	}
	for _, id := range []string{"root@pam", "a/b@pve", "ops@p", "x=y@pve", strings.Repeat("a", 61) + "@pve"} {
		_, problems := LoadAuth(env(map[string]string{"PROXMOX_USERNAME": id, "PROXMOX_PASSWORD": testPassword}))
		_, newErr := pve.New(pve.Options{BaseURL: "https://pve.example:8006", Username: id, Password: testPassword})
		if (len(problems) == 0) != (newErr == nil) {
			t.Errorf("user id %q: LoadAuth says %v, pve.New says %v", id, problems, newErr)
		}
	}
}

func TestTokenIDWithSlash(t *testing.T) {
	m := base()
	m["PROXMOX_TOKEN_ID"] = "a/b@pve!mcp"
	m["PVE_READONLY"] = "maybe"
	_, err := Load(env(m))
	if err == nil {
		t.Fatal("a/b@pve!mcp: Load accepted it; pve.New refuses it")
	}
	for _, want := range []string{"PROXMOX_TOKEN_ID: is not an API token id", "a '/'", "PVE_READONLY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestTokenIDWithHeaderPrefix(t *testing.T) {
	m := base()
	m["PROXMOX_TOKEN_ID"] = "PVEAPIToken=mcp@pve!mcp"
	_, err := Load(env(m))
	if err == nil || !strings.Contains(err.Error(), "drop the PVEAPIToken= prefix") {
		t.Fatalf("got %v", err)
	}
}
