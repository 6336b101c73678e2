package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The test binary is a Go binary with build information like any other.
func TestRunOnABinary(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "x.cdx.json")
	if err := run([]string{"-version", "0.9.0", "-time", "2026-12-03T08:00:00Z", "-o", out, self}, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		BOMFormat string `json:"bomFormat"`
		Metadata  struct {
			Component struct{ Version string } `json:"component"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.BOMFormat != "CycloneDX" || doc.Metadata.Component.Version != "0.9.0" {
		t.Errorf("wrote %.300s (%v)", b, err)
	}
}

func TestRunRejects(t *testing.T) {
	self, _ := os.Executable()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-version", "1", self}, "-time"},
		{[]string{"-version", "1", "-time", "yesterday", self}, "RFC 3339"},
		{[]string{"-version", "1", "-time", "2026-12-03T08:00:00Z"}, "one binary"},
		{[]string{"-version", "1", "-time", "2026-12-03T08:00:00Z", filepath.Join(t.TempDir(), "none")}, "build information"},
		{[]string{"-time", "2026-12-03T08:00:00Z", self}, "version"},
	} {
		err := run(c.args, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error saying %q", c.args, err, c.want)
		}
	}
}
