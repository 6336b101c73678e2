package pve

import "time"

// SetClock replaces the client's clock, for the external tests that drive
// ticket renewal against the simulator.
func SetClock(c *Client, now func() time.Time) { c.now = now }
