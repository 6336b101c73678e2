package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
	"github.com/proxmox-mcp/proxmox-mcp-server/internal/redact"
)

func load(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	env["PROXMOX_HOST"] = "https://pve.example:8006"
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestRootPasswordLoginWarns(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		warn bool
	}{
		{map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": "Zq8Vt3kLm9xR"}, true},
		{map[string]string{"PROXMOX_USERNAME": "ops@pve", "PROXMOX_PASSWORD": "Zq8Vt3kLm9xR"}, false},
		{map[string]string{"PROXMOX_TOKEN_ID": "root@pam!mcp", "PROXMOX_TOKEN_SECRET": "0f4b7f9e-aaaa-bbbb-cccc-444455556666"}, false},
	} {
		warnings := strings.Join(startupWarnings(load(t, tc.env)), "\n")
		got := strings.Contains(warnings, "root@pam") && strings.Contains(warnings, "API token") &&
			strings.Contains(warnings, "A least-privilege API token")
		if got != tc.warn {
			t.Errorf("%v: warnings %q", tc.env, warnings)
		}
		if strings.Contains(warnings, "Zq8Vt3kLm9xR") {
			t.Errorf("password in a warning: %q", warnings)
		}
	}
}

// The logger build makes masks the configured secrets, and the start-up
// warning reaches it.
func TestBuildLoggerMasksSecrets(t *testing.T) {
	const password = "Zq8Vt3kLm9xR-pw"
	cfg := load(t, map[string]string{"PROXMOX_USERNAME": "root@pam", "PROXMOX_PASSWORD": password})
	hc := &config.HTTPConfig{Tokens: []config.HTTPToken{{Name: "alice", Secret: "Bt5-Cx7-Dy9-Ez1-Fa3-Gb5-Hc7-Id9-Je"}}}
	var stderr strings.Builder
	logger, _, _, err := build(t.Context(), cfg, hc, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("oops", "password", password, "err", fmt.Errorf("login %q failed", password[:10]), "bearer", hc.Tokens[0].Secret)
	out := stderr.String()
	if strings.Contains(out, password[:8]) || strings.Contains(out, "Bt5-Cx7-Dy9") {
		t.Errorf("secret logged:\n%s", out)
	}
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "PROXMOX_USERNAME=root@pam") {
		t.Errorf("no root warning:\n%s", out)
	}
}

func TestStartupErrorMasksEnvSecrets(t *testing.T) {
	env := map[string]string{"PROXMOX_TOKEN_SECRET": " 0f4b7f9e-aaaa-bbbb-cccc-444455556666\n", "PROXMOX_PASSWORD": "Zq8Vt3kLm9xR"}
	s := redact.New(envSecrets(func(k string) (string, bool) { v, ok := env[k]; return v, ok })...)
	out := s.String(`dial: "0f4b7f9e-aaaa-bbbb" and Zq8Vt3kLm9xR`)
	if strings.Contains(out, "0f4b7f9e") || strings.Contains(out, "Zq8Vt3kL") {
		t.Errorf("%q", out)
	}
}

// TestCommandHelp: each command's --help prints its flags and is no error
// (main exits 0 on flag.ErrHelp).
func TestDoctorAndPrivilegesHelp(t *testing.T) {
	for _, cmd := range []string{"doctor", "privileges"} {
		var out, errOut strings.Builder
		err := run(context.Background(), []string{cmd, "--help"}, strings.NewReader(""), &out, &errOut)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "PVE_TOOLSETS") || out.Len() != 0 {
			t.Errorf("%s --help: %v; printed %q, stdout %q", cmd, err, errOut.String(), out.String())
		}
	}
}

func TestCommandHelp(t *testing.T) {
	for _, cmd := range []string{"sim", "demo"} {
		var out, errOut strings.Builder
		err := run(context.Background(), []string{cmd, "--help"}, strings.NewReader(""), &out, &errOut)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(errOut.String(), "-speed") || !strings.Contains(errOut.String(), "PROXMOX_") && cmd == "sim" ||
			!strings.Contains(errOut.String(), "PVE_READONLY") && cmd == "demo" {
			t.Errorf("%s --help: %v; printed %q", cmd, err, errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("%s --help wrote to stdout, which belongs to MCP: %q", cmd, out.String())
		}
	}
}

// The server's help lists every environment variable, one line each.
func TestServerHelpListsVariables(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		var out, errOut strings.Builder
		if err := run(context.Background(), []string{arg}, strings.NewReader(""), &out, &errOut); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		for _, v := range config.Vars() {
			if !strings.Contains(out.String(), "  "+v.Name+" ") {
				t.Errorf("%s: %s missing from\n%s", arg, v.Name, out.String())
			}
		}
		if !strings.Contains(out.String(), "doctor") || !strings.Contains(out.String(), "demo") {
			t.Errorf("%s: no doctor or demo in\n%s", arg, out.String())
		}
	}
}

func TestTerminalExplanation(t *testing.T) {
	var w strings.Builder
	cfgErr := &config.Error{Problems: []string{"PROXMOX_HOST: required"}}
	if err := explainTerminal(&w, cfgErr); err != cfgErr {
		t.Errorf("configuration error not returned: %v", err)
	}
	for _, want := range []string{"MCP", "demo --tour", "doctor", "claude mcp add proxmox --env"} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("lacks %q:\n%s", want, w.String())
		}
	}
	w.Reset()
	if err := explainTerminal(&w, nil); err != nil || !strings.Contains(w.String(), "valid") {
		t.Errorf("%v\n%s", err, w.String())
	}
}

func TestWantsHTTP(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", false}, {nil, "HTTP", true}, {[]string{"--transport", "http"}, "", true}, {[]string{"--transport", "stdio"}, "http", false},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		config.AddHTTPFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		env := func(string) (string, bool) { return tc.env, tc.env != "" }
		if got := wantsHTTP(fs, env); got != tc.want {
			t.Errorf("%v %q: %v", tc.args, tc.env, got)
		}
	}
}
