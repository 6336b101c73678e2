package main

import "runtime/debug"

// serverGCPercent is a stdio server's collector target when GOGC is not
// set. Its live heap is about 1 MiB between calls, so Go's smallest heap
// goal (4 MiB at GOGC=100) is most of its anonymous memory; at 50 the goal
// is 2 MiB, 1.6 MiB less resident, for no change pvebench can see in its CPU
// per call. A stdio server is one process per MCP client, so its footprint
// counts once per client; the HTTP server, one process for many sessions
// that allocate more per call (+0.02 ms at 50), keeps Go's default.
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
