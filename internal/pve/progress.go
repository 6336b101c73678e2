package pve

import (
	"strconv"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/lazyre"
)

// Percentage lines Proxmox workers print, from their printf formats
// (see design/task-logs.md §5).
var (
	// drive-mirror / blockdev-mirror / live restore: "drive-scsi0: transferred 383.0 MiB of 32.0 GiB (1.17%) in 1s"
	mirrorRe = lazyre.New(`^(?:drive|mirror|restore-drive)-[\w-]+: transferred [\d.]+ [KMGTP]?i?B of [\d.]+ [KMGTP]?i?B \(([\d.]+)%\) in `)
	// qemu-img convert (offline clone, move disk): "transferred 14.0 MiB of 1.3 GiB (1.05%)"
	convertRe = lazyre.New(`^transferred [\d.]+ [KMGTP]?i?B of [\d.]+ [KMGTP]?i?B \(([\d.]+)%\)$`)
	// vzdump of a VM: "INFO:  10% (3.2 GiB of 32.0 GiB) in 10s, read: ..."
	vzdumpRe = lazyre.New(`^INFO: +(\d+)% \([\d.]+ \S+ of [\d.]+ \S+\) in `)
	// vma and PBS restore: "progress 1% (read 214761472 bytes, duration 0 sec)",
	// "progress 1% (read 130023424 bytes, zeroes = 45% (58720256 bytes), duration 0 sec)"
	restoreRe = lazyre.New(`^progress (\d+)% \(read \d+ bytes, `)
	// wget --progress=dot:giga: " 32768K ........ ........ ........ ........ 46% 6.83M 9s"
	wgetRe = lazyre.New(`^\s*\d+K[ .]+\s+(\d+)%\s+\S+?[ =]\S+$`)
	// live migration: "2025-01-04 00:34:30 migration active, transferred 357.9 MiB of 4.0 GiB VM-state, 586.6 MiB/s"
	migrateRe = lazyre.New(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d migration (?:active|device), transferred ([\d.]+) ([KMGTP]?i?B) of ([\d.]+) ([KMGTP]?i?B) VM-state`)
)

// ParsePercent returns the completion percentage (0..100) that one task log
// line reports, if it reports one.
func ParsePercent(line string) (float64, bool) {
	line = strings.TrimRight(line, " \r\n")
	for _, re := range []*lazyre.Regexp{mirrorRe, convertRe, vzdumpRe, restoreRe, wgetRe} {
		if m := re.FindStringSubmatch(line); m != nil {
			return clampPercent(m[1], 100)
		}
	}
	if m := migrateRe.FindStringSubmatch(line); m != nil {
		done, ok1 := parseSize(m[1], m[2])
		total, ok2 := parseSize(m[3], m[4])
		if !ok1 || !ok2 || total <= 0 {
			return 0, false
		}
		// Dirty pages are sent again, so transferred can pass the total
		// before the migration ends: never claim 100 from this line.
		return min(done/total*100, 99), true
	}
	return 0, false
}

func clampPercent(s string, hi float64) (float64, bool) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || p < 0 {
		return 0, false
	}
	return min(p, hi), true
}

var sizeUnits = map[string]float64{
	"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40, "PiB": 1 << 50,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "PB": 1e15,
}

func parseSize(num, unit string) (float64, bool) {
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	return v * mult, true
}

// progressTracker turns log lines into a Progress that never goes back:
// multi-disk clones restart at 0% per disk, and interleaved mirror jobs
// report different figures, so the highest percentage seen wins.
type progressTracker struct {
	percent float64 // -1 until a percentage is seen
	line    string
}

func newProgressTracker() *progressTracker { return &progressTracker{percent: -1} }

func (p *progressTracker) add(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	p.line = strings.TrimRight(line, " \r\n")
	if pc, ok := ParsePercent(line); ok && pc > p.percent {
		p.percent = pc
	}
}

// percentTypes are the task types whose logs print a completion percentage
// (design/task-logs.md §4.4-4.13): clone, disk move, backup, restore,
// download, live migration. A linked clone or an LXC backup of such a type
// may print none; progress then stays at 0% until the end.
var percentTypes = map[string]bool{
	"qmclone": true, "qmmove": true, "vzdump": true, "qmrestore": true, "download": true, "qmigrate": true,
}

// ReportsPercent tells whether tasks of this type print percentages.
func ReportsPercent(taskType string) bool { return percentTypes[taskType] }
