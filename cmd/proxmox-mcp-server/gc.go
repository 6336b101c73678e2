package main

import "runtime/debug"

// serverGCPercent is the collector's target when GOGC is not set. The
// server's live heap is about 1 MiB between calls, so Go's smallest heap
// goal (4 MiB at GOGC=100) is most of its anonymous memory; at 50 the goal
// is 2 MiB and pvebench measures no change in CPU per call (the collections
// are of a small heap).
const serverGCPercent = 50

// tuneGC lowers the collector's target unless the user set GOGC, which
// then wins as usual. It returns the percent in force.
func tuneGC(lookup func(string) (string, bool)) int {
	if _, set := lookup("GOGC"); set {
		old := debug.SetGCPercent(-1)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(serverGCPercent)
	return serverGCPercent
}
