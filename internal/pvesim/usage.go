package pvesim

import (
	"math"
	"time"
)

// usage is what a guest consumes at a moment. Every read of a guest's
// numbers (status/current, lists, /cluster/resources, RRD data) derives
// them from here, so they agree with each other and follow the simulated
// load: nothing while stopped, counters that grow with the uptime.
type usage struct {
	uptime    int64
	cpu       float64 // fraction of the guest's CPUs
	mem       int64
	disk      int64 // used bytes where the node can see them (containers)
	netin     int64
	netout    int64
	diskread  int64
	diskwrite int64
}

func (g *guest) usageAt(now time.Time) usage {
	if !g.running {
		return usage{}
	}
	up := g.uptime(now)
	rate := int64(2000 + g.vmid%5000)
	return usage{
		uptime:    up,
		cpu:       g.load * (0.8 + 0.4*math.Abs(math.Sin(float64(now.Unix())/60))),
		mem:       int64(float64(g.maxMem()) * (0.35 + g.load)),
		disk:      g.kind.visibleDiskUse(g.maxDisk()),
		netin:     up * rate,
		netout:    up * rate / 3,
		diskread:  up * 900,
		diskwrite: up * 400,
	}
}

// pressureKeys are the PSI fields PVE 9 reports for running guests.
var pressureKeys = [...]string{"pressurecpusome", "pressurecpufull", "pressureiosome", "pressureiofull",
	"pressurememorysome", "pressurememoryfull"}
