// Package buildinfo says which build is running: the release's version,
// commit and date when the release build set them, else what the Go
// toolchain recorded (module version, VCS revision and time).
package buildinfo

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Set by the release build with -ldflags "-X <pkg>.version=v1.2.3 -X
// <pkg>.commit=... -X <pkg>.date=..."; never written at run time.
var (
	version string
	commit  string
	date    string
)

// fallback is the version of a build that records none (go run, tests).
const fallback = "0.1.0"

// Info describes the running build.
type Info struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Date     string `json:"date,omitempty"`
	Go       string `json:"go"`
	Modified bool   `json:"modified,omitempty"` // built from a tree with uncommitted changes
}

// Get reads the build's information.
func Get() Info {
	i := Info{Version: version, Commit: commit, Date: date}
	if bi, ok := debug.ReadBuildInfo(); ok {
		i.Go = bi.GoVersion
		if i.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			i.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if i.Commit == "" {
					i.Commit = s.Value
				}
			case "vcs.time":
				if i.Date == "" {
					i.Date = s.Value
				}
			case "vcs.modified":
				i.Modified = s.Value == "true"
			}
		}
	}
	i.Version = strings.TrimPrefix(i.Version, "v")
	if i.Version == "" {
		i.Version = fallback
	}
	return i
}

// String is the version line: "0.1.0 (commit 1a2b3c4d5e6f, 2026-12-02T10:00:00Z, go1.26.8)".
func (i Info) String() string {
	var parts []string
	if i.Commit != "" {
		c := i.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if i.Modified {
			c += "+dirty"
		}
		parts = append(parts, "commit "+c)
	}
	if i.Date != "" {
		parts = append(parts, i.Date)
	}
	if i.Go != "" {
		parts = append(parts, i.Go)
	}
	if len(parts) == 0 {
		return i.Version
	}
	return fmt.Sprintf("%s (%s)", i.Version, strings.Join(parts, ", "))
}
