// Package faulttest holds the fault-tolerance tests: the MCP server and its
// Proxmox client driven through an in-memory MCP session against the
// simulator while it injects faults (proxy errors, resets, hangs, broken
// bodies, lock timeouts, failed and vanished tasks). It has no code of its
// own outside the tests.
package faulttest
