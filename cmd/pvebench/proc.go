package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, 100 on every Linux the server targets.
const clockTicks = 100

// parseStatCPU returns utime+stime from the text of /proc/PID/stat. The
// command name may hold spaces and parentheses, so fields count from the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("proc stat: no command name in %q", stat)
	}
	f := strings.Fields(stat[end+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime: fields 14 and 15
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc stat: %w", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// processCPU is the CPU time (user+system) a running process has used.
func processCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("process cpu: %w", err)
	}
	return parseStatCPU(string(raw))
}

// parseVmHWM returns the peak resident set in bytes from /proc/PID/status.
func parseVmHWM(status string) (int64, error) { return statusBytes(status, "VmHWM") }

// statusBytes returns a "kB" field of /proc/PID/status in bytes.
func statusBytes(status, key string) (int64, error) {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", key, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("no %s line", key)
}

func peakRSS(pid int) (int64, error) {
	m, err := memory(pid)
	return m.peak, err
}

// mem is a process's peak resident set and how its resident set is now
// split: anonymous (heap, stacks) and file-backed (mostly the binary's pages).
type mem struct {
	peak, anon, file int64
	split            residentSplit // the binary's resident pages, when read
}

func memory(pid int) (mem, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return mem{}, fmt.Errorf("peak rss: %w", err)
	}
	return parseMem(string(raw))
}

func parseMem(status string) (mem, error) {
	var m mem
	for _, f := range []struct {
		key string
		v   *int64
	}{{"VmHWM", &m.peak}, {"RssAnon", &m.anon}, {"RssFile", &m.file}} {
		n, err := statusBytes(status, f.key)
		if err != nil {
			return mem{}, err
		}
		*f.v = n
	}
	return m, nil
}

// quantile is the q-th quantile (nearest rank) of xs; 0 for none.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
