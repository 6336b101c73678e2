package tools

import (
	"testing"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp-server/internal/pve"
)

func TestProgressTracker(t *testing.T) {
	for name, steps := range map[string][]pve.Progress{
		"elapsed then percent": {{Elapsed: time.Second, Percent: -1}, {Elapsed: 3 * time.Second, Percent: 2}, {Elapsed: 5 * time.Second, Percent: 40}},
		"long wait first":      {{Elapsed: 150 * time.Second, Percent: -1}, {Elapsed: 160 * time.Second, Percent: 5}, {Elapsed: 170 * time.Second, Percent: 50}},
		"multi-disk clone":     {{Percent: 50}, {Percent: 100}, {Percent: 100}, {Percent: 100}, {Percent: 100, Line: "TASK OK"}},
		"no percent at all":    {{Elapsed: time.Second, Percent: -1}, {Elapsed: time.Second, Percent: -1}, {Elapsed: 2 * time.Second, Percent: 100, Line: "TASK OK"}},
		"percent then silence": {{Percent: 30}, {Percent: -1}, {Percent: -1}},
	} {
		var tr progressTracker
		last := -1.0
		for i, p := range steps {
			v, total := tr.next(p)
			if v <= last {
				t.Errorf("%s step %d: %v after %v", name, i, v, last)
			}
			if total > 0 && v > total {
				t.Errorf("%s step %d: %v over total %v", name, i, v, total)
			}
			if total > 0 && v == 100 && p.Line == "" {
				t.Errorf("%s step %d: 100%% before the task ended", name, i)
			}
			last = v
		}
	}
}
