package pvesim

import (
	"math"
	"strconv"
)

// Data sources of pmxcfs's RRD files (status.c): the pve2 files of PVE 7
// and 8, and PVE 9's pve-*-9.0 files, which append columns.
var (
	rrdNodeFields = []string{"loadavg", "maxcpu", "cpu", "iowait", "memtotal", "memused", "swaptotal", "swapused",
		"roottotal", "rootused", "netin", "netout"}
	rrdNode9Fields = []string{"memavailable", "arcsize", "pressurecpusome", "pressureiosome", "pressureiofull",
		"pressurememorysome", "pressurememoryfull"}
	rrdGuestFields = []string{"maxcpu", "cpu", "maxmem", "mem", "maxdisk", "disk", "netin", "netout",
		"diskread", "diskwrite"}
	rrdGuest9Fields = []string{"memhost", "pressurecpusome", "pressurecpufull", "pressureiosome", "pressureiofull",
		"pressurememorysome", "pressurememoryfull"}
)

// Node figures that /nodes/{node}/status reports as constants.
const (
	nodeSwapTotal = int64(8 << 30)
	nodeRootTotal = int64(100861726720)
	nodeRootUsed  = int64(14395699200)
	nodeIOWait    = 0.00012
	nodeLoadAvg   = 0.16
)

func (s *Sim) rrdPath(kind, id string) string {
	if s.major() >= 9 {
		return "pve-" + kind + "-9.0/" + id
	}
	return "pve2-" + kind + "/" + id
}

func (s *Sim) withNew(base, more []string) []string {
	out := append([]string(nil), base...)
	if s.major() >= 9 {
		out = append(out, more...)
	}
	return out
}

// guestRate is the network rate in bytes/s behind guestStats' counters.
func guestRate(g *guest) float64 { return float64(2000 + g.vmid%5000) }

// guestCPUWave is guestStats' cpu variation at time t (times g.load).
func guestCPUWave(t int64) float64 { return 0.8 + 0.4*math.Abs(math.Sin(float64(t)/60)) }

// nodeRRD is the node's history since its boot: what the guests running on
// it at each moment add to the figures of nodeCPU and nodeMem.
func (s *Sim) nodeRRD(st *state, n *node, now int64) *rrdSource {
	src := &rrdSource{path: s.rrdPath("node", n.name), fields: s.withNew(rrdNodeFields, rrdNode9Fields), waveIdx: -1}
	// what each guest adds while it runs, as in nodeCPU and nodeMem
	type run struct {
		runs          []span
		cpu           float64
		mem           int64
		netin, netout float64
	}
	var guests []run
	var cuts []int64
	h := st.rrdHistory()
	for _, g := range st.sortedGuests() {
		if g.node != n.name {
			continue
		}
		r := run{runs: h.running(g, h.created(g), now), cpu: g.load * float64(g.cpus()) / float64(n.cpus),
			mem: int64(float64(g.maxMem()) * (0.35 + g.load)), netin: guestRate(g), netout: math.Floor(guestRate(g) / 3)}
		if len(r.runs) == 0 {
			continue
		}
		for _, sp := range r.runs {
			cuts = append(cuts, sp.from, sp.to)
		}
		guests = append(guests, r)
	}
	for _, piece := range splitSpans(n.boot.Unix(), now+1, cuts) {
		cpu, mem := 0.01, int64(2<<30)
		netin, netout := 1200.0, 800.0
		for _, r := range guests {
			if inSpans(r.runs, piece.from) {
				cpu += r.cpu
				mem += r.mem
				netin += r.netin
				netout += r.netout
			}
		}
		cpu = min(cpu, 1)
		mem = min(mem, n.memory)
		v := map[string]float64{"loadavg": nodeLoadAvg, "maxcpu": float64(n.cpus), "cpu": cpu, "iowait": nodeIOWait,
			"memtotal": float64(n.memory), "memused": float64(mem), "swaptotal": float64(nodeSwapTotal), "swapused": 0,
			"roottotal": float64(nodeRootTotal), "rootused": float64(nodeRootUsed), "netin": netin, "netout": netout,
			"memavailable": float64(n.memory - mem), "arcsize": 0}
		for _, f := range rrdNode9Fields[2:] {
			v[f] = 0 // the guests' load does not stall the host
		}
		src.segs = append(src.segs, rrdSeg{from: piece.from, to: piece.to, vals: pick(src.fields, v)})
	}
	return src
}

// guestRRD is the guest's history since its creation: what pvestatd writes
// for a running guest, and only the static figures while it is stopped.
func (s *Sim) guestRRD(st *state, g *guest, now int64) *rrdSource {
	src := &rrdSource{path: s.rrdPath("vm", strconv.Itoa(g.vmid)), fields: s.withNew(rrdGuestFields, rrdGuest9Fields), wave: guestCPUWave}
	src.waveIdx = src.field("cpu")
	h := st.rrdHistory()
	created := h.created(g)
	from := created
	if from == 0 {
		from = now - 11*366*86400 // existed before any timeframe
	}
	runs := h.running(g, created, now)
	var cuts []int64
	for _, sp := range runs {
		cuts = append(cuts, sp.from, sp.to)
	}
	for _, piece := range splitSpans(from, now+1, cuts) {
		v := map[string]float64{"maxcpu": float64(g.cpus()), "maxmem": float64(g.maxMem()), "maxdisk": float64(g.maxDisk()), "disk": 0}
		if inSpans(runs, piece.from) {
			mem := float64(int64(float64(g.maxMem()) * (0.35 + g.load)))
			v["cpu"] = g.load
			v["mem"] = mem
			v["netin"] = guestRate(g)
			v["netout"] = math.Floor(guestRate(g) / 3)
			v["diskread"], v["diskwrite"] = 900, 400
			v["disk"] = float64(g.kind.visibleDiskUse(g.maxDisk()))
			if g.kind.writesHostMem() {
				v["memhost"] = mem + 64<<20
			}
			for _, f := range rrdGuest9Fields[1:] {
				v[f] = 0
			}
		}
		src.segs = append(src.segs, rrdSeg{from: piece.from, to: piece.to, vals: pick(src.fields, v)})
	}
	return src
}

// storageRRD is a storage's usage on a node since the node's boot; the
// volumes it holds count from their creation on.
func (s *Sim) storageRRD(n *node, ns *nodeStorage, now int64) *rrdSource {
	src := &rrdSource{path: s.rrdPath("storage", n.name+"/"+ns.def.id), fields: []string{"total", "used"}, waveIdx: -1}
	var cuts []int64
	for _, v := range ns.vols {
		cuts = append(cuts, v.ctime)
	}
	for _, piece := range splitSpans(n.boot.Unix(), now+1, cuts) {
		var used int64
		if ns.def.typ == "dir" {
			used = 12 << 30 // as storageInfo: the root filesystem also holds the OS
		}
		for _, v := range ns.vols {
			if v.ctime <= piece.from {
				used += v.size
			}
		}
		src.segs = append(src.segs, rrdSeg{from: piece.from, to: piece.to, vals: []float64{float64(ns.def.total), float64(used)}})
	}
	return src
}

// pick orders values by fields; a missing one is unknown.
func pick(fields []string, v map[string]float64) []float64 {
	out := make([]float64, len(fields))
	for i, f := range fields {
		x, ok := v[f]
		if !ok {
			x = nan()
		}
		out[i] = x
	}
	return out
}
