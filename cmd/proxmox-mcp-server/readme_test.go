package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/config"
)

// fences returns the README's fenced blocks of one language.
func fences(t *testing.T, lang string) []string {
	t.Helper()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^[ \\t]*```" + lang + "\\n(.*?)^[ \\t]*```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("no %s block in the README", lang)
	}
	return out
}

// secretVars are the variables that hold a secret itself; a snippet gives
// them only by expansion, never as a literal.
var secretVars = []string{"PROXMOX_TOKEN_SECRET", "PROXMOX_PASSWORD", "PVE_MCP_HTTP_TOKEN"}

func checkSecret(t *testing.T, where, name, value string) {
	t.Helper()
	if !slices.Contains(secretVars, name) {
		return
	}
	if !strings.Contains(value, "${") && !strings.HasPrefix(value, "$") {
		t.Errorf("%s: %s is a literal secret %q: use the *_FILE variable or the client's expansion", where, name, value)
	}
}

// walkEnv checks every "env" object of a client configuration.
func walkEnv(t *testing.T, where string, v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k == "env" {
				if env, ok := val.(map[string]any); ok {
					for name, s := range env {
						str, _ := s.(string)
						checkSecret(t, where, name, str)
						checkKnownVar(t, where, name)
					}
				}
			}
			walkEnv(t, where, val)
		}
	case []any:
		for _, e := range x {
			walkEnv(t, where, e)
		}
	}
}

func checkKnownVar(t *testing.T, where, name string) {
	t.Helper()
	for _, v := range config.Vars() {
		if v.Name == name {
			return
		}
	}
	t.Errorf("%s: %s is not a variable the server reads", where, name)
}

var toolCallRe = regexp.MustCompile(`(?m)^[ \t]*(pve_[a-z_]+) `)

// TestReadmeJSONSnippets: every JSON block parses (a block of tool calls,
// "pve_tool {arguments}", as each call's arguments); the client
// configurations name known variables and no literal secret.
func TestReadmeJSONSnippets(t *testing.T) {
	for i, b := range fences(t, "json") {
		docs := []string{b}
		if loc := toolCallRe.FindAllStringIndex(b, -1); len(loc) > 0 && strings.TrimSpace(b[:loc[0][0]]) == "" {
			docs = nil
			for j, l := range loc {
				end := len(b)
				if j+1 < len(loc) {
					end = loc[j+1][0]
				}
				docs = append(docs, b[l[1]:end])
			}
		}
		for _, d := range docs {
			var v any
			if err := json.Unmarshal([]byte(d), &v); err != nil {
				t.Errorf("json block %d does not parse: %v\n%s", i+1, err, d)
				continue
			}
			walkEnv(t, fmt.Sprintf("json block %d", i+1), v)
		}
	}
}

var (
	tomlHeader = regexp.MustCompile(`^\[[A-Za-z0-9_.-]+\]$`)
	tomlKey    = regexp.MustCompile(`^([A-Za-z0-9_-]+)\s*=\s*(.+)$`)
	tomlInline = regexp.MustCompile(`([{,]\s*)([A-Za-z0-9_-]+)\s*=`)
)

// tomlValue reads the TOML values the README uses (strings, numbers,
// booleans, arrays, inline tables of them) by turning them into JSON.
func tomlValue(s string) (any, error) {
	var v any
	err := json.Unmarshal([]byte(tomlInline.ReplaceAllString(s, `$1"$2":`)), &v)
	return v, err
}

// TestReadmeTOMLSnippets: every TOML block is a table of valid key = value
// lines, and a Codex server entry has a command or a url.
func TestReadmeTOMLSnippets(t *testing.T) {
	for i, b := range fences(t, "toml") {
		table, keys := "", map[string]bool{}
		check := func() {
			if strings.HasPrefix(table, "[mcp_servers.") && !keys["command"] && !keys["url"] {
				t.Errorf("toml block %d: %s has neither command nor url", i+1, table)
			}
		}
		for _, line := range strings.Split(b, "\n") {
			line = strings.TrimSpace(line)
			switch {
			case line == "" || strings.HasPrefix(line, "#"):
			case tomlHeader.MatchString(line):
				check()
				table, keys = line, map[string]bool{}
			default:
				m := tomlKey.FindStringSubmatch(line)
				if m == nil {
					t.Errorf("toml block %d: not key = value: %q", i+1, line)
					continue
				}
				v, err := tomlValue(m[2])
				if err != nil {
					t.Errorf("toml block %d: %s: bad value %s: %v", i+1, m[1], m[2], err)
					continue
				}
				keys[m[1]] = true
				if m[1] == "env" {
					env, _ := v.(map[string]any)
					for name, s := range env {
						str, _ := s.(string)
						checkSecret(t, "toml block", name, str)
						checkKnownVar(t, "toml block", name)
					}
				}
			}
		}
		check()
	}
}

// TestReadmeClaudeCommands: each `claude mcp add` names the server before
// any --env (a variadic option that would swallow it) and, for stdio, puts
// the command after `--`.
func TestReadmeClaudeCommands(t *testing.T) {
	n := 0
	for _, b := range fences(t, "sh") {
		joined := strings.ReplaceAll(b, "\\\n", " ")
		for _, line := range strings.Split(joined, "\n") {
			f := strings.Fields(line)
			if len(f) < 3 || f[0] != "claude" || f[1] != "mcp" || f[2] != "add" {
				continue
			}
			n++
			if err := checkClaudeAdd(f[3:]); err != "" {
				t.Errorf("%s: %s", line, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no claude mcp add command in the README")
	}
}

// checkClaudeAdd checks the arguments after `claude mcp add`.
func checkClaudeAdd(args []string) string {
	valued := map[string]bool{"--transport": true, "-t": true, "--scope": true, "-s": true}
	variadic := map[string]bool{"--env": true, "-e": true, "--header": true, "-H": true}
	name, inVariadic := "", false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if name == "" {
				return "no server name before --"
			}
			if i+1 >= len(args) {
				return "no command after --"
			}
			return ""
		case valued[a]:
			i++
			inVariadic = false
		case variadic[a]:
			if name == "" {
				return a + " comes before the server name, which it would take as a value"
			}
			inVariadic = true
		case strings.HasPrefix(a, "-"):
			inVariadic = false
		case inVariadic:
		case name == "":
			name = a
		}
	}
	if name == "" {
		return "no server name"
	}
	if !strings.Contains(strings.Join(args, " "), "http") {
		return "a stdio server needs its command after --"
	}
	return ""
}

func TestCheckClaudeAdd(t *testing.T) {
	for _, tc := range []struct {
		args string
		ok   bool
	}{
		{"proxmox --env A=1 -- /bin/x", true},
		{"--transport stdio proxmox --env A=1 -- /bin/x", true},
		{"--transport stdio --env A=1 proxmox -- /bin/x", false},
		{"--transport http proxmox https://h/mcp --header X", true},
		{"proxmox --env A=1", false},
	} {
		if got := checkClaudeAdd(strings.Fields(tc.args)) == ""; got != tc.ok {
			t.Errorf("%q: ok %v", tc.args, got)
		}
	}
}
