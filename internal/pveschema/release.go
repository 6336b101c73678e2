package pveschema

import (
	"strconv"
	"strings"
)

// Release is one Proxmox VE release whose API schema ships in data/.
type Release struct {
	Name   string // "9.1": what Load, the guard and the simulator take
	Schema string // the full version of the embedded schema, "9.1.3"
	// Reported is what GET /version of a node of this release answers, a
	// late point release in that release's own style ("7.4-16" before 8.0).
	Reported string
	file     string
}

// Releases lists the shipped releases, newest first. Adding a schema file
// means adding its row here and nowhere else.
func Releases() []Release {
	return []Release{
		{Name: "9.1", Schema: "9.1.3", Reported: "9.1.3", file: "data/pve-api-9.1.3.json.gz"},
		{Name: "8.4", Schema: "8.4.0", Reported: "8.4.14", file: "data/pve-api-8.4.0.json.gz"},
		{Name: "7.4", Schema: "7.4", Reported: "7.4-16", file: "data/pve-api-7.4.json.gz"},
	}
}

// Versions lists the release names Load accepts, newest first ("9.1.3"
// and the other full schema versions are accepted too).
func Versions() []string {
	rels := Releases()
	names := make([]string, len(rels))
	for i, r := range rels {
		names[i] = r.Name
	}
	return names
}

// Newest is the name of the newest shipped release.
func Newest() string { return Releases()[0].Name }

// FindRelease returns the shipped release called name: its short name
// ("8.4"), its full schema version ("8.4.0") or a major alone ("8", the
// newest of that major).
func FindRelease(name string) (Release, bool) {
	for _, r := range Releases() {
		if m, _, _, _ := ParseVersion(r.Name); name == r.Name || name == r.Schema || name == strconv.Itoa(m) {
			return r, true
		}
	}
	return Release{}, false
}

// ReleaseFor picks the shipped release whose schema describes a cluster
// reporting version ("8.2.4", "7.1-10", or a major alone, "8"): the newest
// one of the same major, else the newest older one, else the oldest. A
// version that cannot be read gets the newest: requests are then judged by
// the most recent API.
func ReleaseFor(version string) string {
	major, _, _, ok := ParseVersion(version)
	if !ok {
		m, err := strconv.Atoi(strings.TrimSpace(version))
		if err != nil || m < 0 {
			return Newest()
		}
		major = m
	}
	rels := Releases()
	for _, r := range rels {
		if m, _, _, _ := ParseVersion(r.Name); m <= major {
			return r.Name
		}
	}
	return rels[len(rels)-1].Name
}

// ParseVersion reads a PVE version as GET /version reports it: "9.1.3",
// "8.4" or the older "7.1-10". ok is false unless it starts with
// major.minor; patch is 0 when none follows.
func ParseVersion(s string) (major, minor, patch int, ok bool) {
	maj, rest, found := strings.Cut(strings.TrimSpace(s), ".")
	if !found {
		return 0, 0, 0, false
	}
	var err error
	major, err = strconv.Atoi(maj)
	if err != nil || major < 0 {
		return 0, 0, 0, false
	}
	if minor, rest, ok = leadingNumber(rest); !ok {
		return 0, 0, 0, false
	}
	if rest != "" && (rest[0] == '.' || rest[0] == '-') {
		patch, _, _ = leadingNumber(rest[1:])
	}
	return major, minor, patch, true
}

// leadingNumber splits the decimal digits s starts with from the rest.
func leadingNumber(s string) (n int, rest string, ok bool) {
	end := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(s)
	}
	n, err := strconv.Atoi(s[:end])
	if err != nil {
		return 0, s, false
	}
	return n, s[end:], true
}
