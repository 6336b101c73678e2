package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestVarsListsEveryVariable: every variable name this package's code
// quotes is in Vars (so the usage lists it), and Vars names no other.
func TestVarsListsEveryVariable(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	quoted := regexp.MustCompile(`"((?:PROXMOX|PVE|LOG|CREDENTIALS)_[A-Z0-9_]+)"`)
	read := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "vars.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range quoted.FindAllStringSubmatch(string(src), -1) {
			read[m[1]] = true
		}
	}
	listed := map[string]bool{}
	for _, v := range Vars() {
		if listed[v.Name] {
			t.Errorf("%s listed twice", v.Name)
		}
		listed[v.Name] = true
		if !read[v.Name] {
			t.Errorf("%s is listed but this package never reads it", v.Name)
		}
		if v.What == "" || strings.Contains(v.What, "\n") || v.Group == "" {
			t.Errorf("%s: want a group and a one-line description, got %+v", v.Name, v)
		}
	}
	for name := range read {
		if !listed[name] {
			t.Errorf("%s is read but missing from Vars (and so from --help)", name)
		}
	}
}

func TestWriteVarsGroups(t *testing.T) {
	var all, tools strings.Builder
	WriteVars(&all)
	WriteVars(&tools, "tools")
	if got, want := strings.Count(all.String(), "\n"), len(Vars()); got != want {
		t.Errorf("all: %d lines, want %d", got, want)
	}
	if !strings.Contains(tools.String(), "PVE_READONLY") || strings.Contains(tools.String(), "PROXMOX_HOST") {
		t.Errorf("tools group:\n%s", tools.String())
	}
}
