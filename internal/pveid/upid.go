package pveid

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// UPIDPattern is the decoder regex of pve-common PVE/UPID.pm:
// UPID:node:pid:pstart:starttime:type:id:user: with hex numbers (pstart may
// have 9 digits) and an id that may be empty.
const UPIDPattern = `^UPID:` + DNSLabelRE + `:[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\s/]+:[^:\s/]*:[^:\s/]+:$`

var upidMatch = lazyre.New(UPIDPattern)

// UPID identifies a Proxmox task.
type UPID struct {
	Raw, Node              string
	PID, PStart, StartTime uint64
	Type, ID, User         string
}

// ParseUPID decodes a UPID string.
func ParseUPID(s string) (UPID, error) {
	if !upidMatch.MatchString(s) {
		// Quote first: escapes can make a short string long.
		return UPID{}, fmt.Errorf("invalid task UPID %s", clip(strconv.Quote(s), 200))
	}
	// No field may hold a ':', so the pattern's fields are the parts.
	f := strings.Split(s, ":")
	u := UPID{Raw: s, Node: f[1], Type: f[5], ID: f[6], User: f[7]}
	// The pattern allows 8 or 9 hex digits, which always fit in uint64.
	u.PID, _ = strconv.ParseUint(f[2], 16, 64)
	u.PStart, _ = strconv.ParseUint(f[3], 16, 64)
	u.StartTime, _ = strconv.ParseUint(f[4], 16, 64)
	return u, nil
}

// String returns the UPID as Proxmox writes it.
func (u UPID) String() string {
	if u.Raw != "" {
		return u.Raw
	}
	return fmt.Sprintf("UPID:%s:%08X:%08X:%08X:%s:%s:%s:", u.Node, u.PID, u.PStart, u.StartTime, u.Type, u.ID, u.User)
}

// clip cuts s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
