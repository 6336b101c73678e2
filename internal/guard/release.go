package guard

import (
	"strconv"
	"strings"
)

// NearestRelease picks the shipped schema (7.4, 8.4, 9.1) for a reported PVE
// version such as "8.2.4" or "7.1-10"; an unreadable one gets the newest.
func NearestRelease(version string) string {
	major, err := strconv.Atoi(strings.SplitN(strings.TrimSpace(version), ".", 2)[0])
	switch {
	case err != nil || major >= 9:
		return "9.1"
	case major == 8:
		return "8.4"
	default:
		return "7.4"
	}
}
