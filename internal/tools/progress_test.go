package tools

import (
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

// Every sequence keeps one unit: a total of 100 throughout in percent mode,
// none in elapsed mode; values rise, never reach the total before the end.
func TestProgressTracker(t *testing.T) {
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	for name, tc := range map[string]struct {
		percent bool
		steps   []pve.Progress
	}{
		"percent task, no percentage yet": {true, []pve.Progress{{Elapsed: sec(1), Percent: -1}, {Elapsed: sec(3), Percent: 2}, {Elapsed: sec(5), Percent: 40}}},
		"long wait first":                 {true, []pve.Progress{{Elapsed: sec(150), Percent: -1}, {Elapsed: sec(160), Percent: 5}, {Elapsed: sec(170), Percent: 50}}},
		"multi-disk clone":                {true, []pve.Progress{{Percent: 50}, {Percent: 100}, {Percent: 0}, {Percent: 100}, {Percent: 100}}},
		"percent then silence":            {true, []pve.Progress{{Percent: 30}, {Percent: -1}, {Percent: -1}}},
		"elapsed task":                    {false, []pve.Progress{{Elapsed: sec(1), Percent: -1}, {Elapsed: sec(1), Percent: -1}, {Elapsed: sec(2), Percent: 40}}},
		"elapsed task, percent lines":     {false, []pve.Progress{{Elapsed: 100 * time.Millisecond, Percent: 30}, {Elapsed: sec(200), Percent: 99}}},
	} {
		tr := progressTracker{percent: tc.percent}
		wantTotal := 0.0
		if tc.percent {
			wantTotal = 100
		}
		last := -1.0
		check := func(i int, v, total float64, ok, done bool) {
			if !ok {
				t.Fatalf("%s step %d: nothing to send", name, i)
			}
			if total != wantTotal {
				t.Errorf("%s step %d: total %v, want %v (one unit per call)", name, i, total, wantTotal)
			}
			if v <= last {
				t.Errorf("%s step %d: %v after %v", name, i, v, last)
			}
			if total > 0 && (v > total || (!done && v >= total)) {
				t.Errorf("%s step %d: %v against total %v before the end", name, i, v, total)
			}
			last = v
		}
		for i, p := range tc.steps {
			v, total, ok := tr.next(p, false)
			check(i, v, total, ok, false)
		}
		v, total, ok := tr.next(pve.Progress{Elapsed: sec(300), Percent: 100}, true)
		check(len(tc.steps), v, total, ok, true)
		if tc.percent && v != 100 {
			t.Errorf("%s: last value %v, want 100", name, v)
		}
	}
}

// A percent task that stays quiet for hours creeps below 100 and then goes
// silent rather than repeat or pass a value.
func TestProgressTrackerQuietForHours(t *testing.T) {
	tr := progressTracker{percent: true}
	last, quiet := -1.0, 0
	for i := range 100000 {
		v, total, ok := tr.next(pve.Progress{Percent: 99}, false)
		if !ok {
			quiet++
			continue
		}
		if v <= last || v >= total {
			t.Fatalf("poll %d: %v after %v (total %v)", i, v, last, total)
		}
		last = v
	}
	if v, _, ok := tr.next(pve.Progress{Percent: 100}, true); !ok || v != 100 {
		t.Errorf("end: %v %v", v, ok)
	}
	t.Logf("last running value %v, %d polls without a notification", last, quiet)
}
