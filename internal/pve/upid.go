package pve

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// upidRe is the decoder regex of pve-common PVE/UPID.pm.
var upidRe = regexp.MustCompile(`^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$`)

// UPID identifies a Proxmox task:
// UPID:node:pid:pstart:starttime:type:id:user: (hex numbers, id may be empty).
type UPID struct {
	Raw, Node              string
	PID, PStart, StartTime uint64
	Type, ID, User         string
}

// ParseUPID decodes a UPID string.
func ParseUPID(s string) (UPID, error) {
	m := upidRe.FindStringSubmatch(s)
	if m == nil {
		// Quote first: escapes can make a short string long.
		return UPID{}, fmt.Errorf("invalid task UPID %s", truncate(strconv.Quote(s), 200))
	}
	u := UPID{Raw: s, Node: m[1], Type: m[6], ID: m[7], User: m[8]}
	// The regex guarantees 8-9 hex digits, which always fit in uint64.
	u.PID, _ = strconv.ParseUint(m[3], 16, 64)
	u.PStart, _ = strconv.ParseUint(m[4], 16, 64)
	u.StartTime, _ = strconv.ParseUint(m[5], 16, 64)
	return u, nil
}

// String returns the UPID as Proxmox writes it.
func (u UPID) String() string {
	if u.Raw != "" {
		return u.Raw
	}
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", u.Node, u.PID, u.PStart, u.StartTime, u.Type, u.ID, u.User)
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
