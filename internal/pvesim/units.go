package pvesim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// renderBytes is PVE::Format::render_bytes: 1024-based with the given precision.
func renderBytes(v float64, prec int) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return fmt.Sprintf("%.*f %s", prec, v, units[i])
}

// renderDuration is PVE::Format::render_duration ("1m 5s", "0s").
func renderDuration(d time.Duration) string {
	secs := int64(d.Seconds())
	if secs == 0 {
		return "0s"
	}
	parts := []string{}
	for _, u := range []struct {
		n int64
		s string
	}{{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}} {
		if secs >= u.n {
			parts = append(parts, fmt.Sprintf("%d%s", secs/u.n, u.s))
			secs %= u.n
		}
	}
	return strings.Join(parts, " ")
}

// sizeBytes parses a PVE disk size ("32G", "528K", "4M", "1T", plain bytes).
func sizeBytes(s string) int64 {
	if s == "" {
		return 0
	}
	mult := int64(1)
	switch s[len(s)-1] {
	case 'K', 'k':
		mult = 1 << 10
	case 'M', 'm':
		mult = 1 << 20
	case 'G', 'g':
		mult = 1 << 30
	case 'T', 't':
		mult = 1 << 40
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0
	}
	return int64(f * float64(mult))
}

// formatSize renders bytes as PVE prints disk sizes in configs ("32G", "528K").
func formatSize(b int64) string {
	units := []struct {
		s string
		n int64
	}{{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}}
	for _, u := range units {
		if b >= u.n && b%u.n == 0 {
			return strconv.FormatInt(b/u.n, 10) + u.s
		}
	}
	for _, u := range units {
		if b >= u.n {
			return strconv.FormatFloat(float64(b)/float64(u.n), 'f', 2, 64) + u.s
		}
	}
	return strconv.FormatInt(b, 10)
}
