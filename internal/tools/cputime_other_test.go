//go:build !unix

package tools

import "time"

// cpuTime is 0 where getrusage is missing: no CPU figure is reported.
func cpuTime() time.Duration { return 0 }
